"""Engine layer: decisions, as data.

A :class:`Decision` is a pydantic model and JSON-serialisable: the outcome, one
:class:`RuleResult` per rule (outcome, citation, the facts read with their values, the
exceptions that applied, the facts that were missing), every missing fact, and a
:class:`Receipt` that lets anyone reproduce it.  Rendering it as text is
:mod:`titlerules.engine.explain`'s job.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from titlerules.argcheck import checked


class Outcome(StrEnum):
    """The decision about a record."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


class RuleOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    document: str | None
    clause: str
    quote: str


class FactRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    value: Any


class RuleResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    title: str
    title_en: str | None = None
    severity: str
    outcome: RuleOutcome
    citation: Citation | None
    facts: list[FactRead] = []
    exceptions_applied: list[str] = []
    missing: list[str] = []


class Receipt(BaseModel):
    """Everything needed to reproduce a decision later."""

    model_config = ConfigDict(frozen=True)

    policy_id: str
    policy_sha256: str
    engine_version: str
    calendar_version: str
    as_of: dt.date | None
    provisional_calendar_years: list[int] = []


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    subject: str
    record: str | None = None
    rules: list[RuleResult]
    missing_facts: list[str]
    receipt: Receipt

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if r.outcome is RuleOutcome.FAILED]

    @property
    def unknown(self) -> list[RuleResult]:
        return [r for r in self.rules if r.outcome is RuleOutcome.UNKNOWN]

    @checked
    def explain(self, lang: str = "zh") -> str:
        from titlerules.engine.explain import explain

        return explain(self, lang)

    def _repr_html_(self) -> str:
        """Jupyter: the decision as an HTML table, one row per rule."""
        from titlerules.audit.notebook import decision_html

        return decision_html(self)

    def to_pandas(self) -> Any:
        """One row per rule, as a pandas DataFrame (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import decision_frame

        return decision_frame(self)
