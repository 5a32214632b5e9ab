"""Engine layer: decisions, as data.

A :class:`Decision` is a pydantic model and JSON-serialisable: the outcome, one
:class:`RuleResult` per rule (outcome, citation, the facts read with their values, the
exceptions that applied, the facts that were missing), every missing fact, and a
:class:`Receipt` that lets anyone reproduce it; with explanations, also the comparisons
that decided each failed or unknown rule, with their values.  Wording it is the report
layer's job (:mod:`titlerules.report.explanation`, registered as :attr:`Decision.renderer`);
its notebook views (HTML, pandas) are registered by the layer that draws them
(:attr:`Decision.views`).  The engine imports neither.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from titlerules.argcheck import checked
from titlerules.engine.verdict import Outcome, RuleOutcome
from titlerules.errors import TitleRulesError

__all__ = [
    "Citation",
    "ComparisonRead",
    "Decision",
    "DecisionViews",
    "FactRead",
    "Operand",
    "Outcome",
    "Receipt",
    "RuleOutcome",
    "RuleResult",
]


# The models are built by pydantic when first validated or serialized (``defer_build``): the
# engine constructs decisions without validating them, and a text check serializes none.


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    document: str | None
    clause: str
    quote: str


class FactRead(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    value: Any


class Operand(BaseModel):
    """One side of a comparison an evaluation decided: as the policy writes it, its value,
    and where the value came from (a record path, or a parameter); a value a labelled
    ``let`` or ``def`` gave carries its label (``label`` in Chinese, ``label_en``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    text: str
    value: Any
    path: str | None = None
    param: str | None = None
    label: str | None = None
    label_en: str | None = None


class ComparisonRead(BaseModel):
    """A comparison that decided a rule, with both operands' values; ``holds`` is None when
    it could not be decided (an operand unknown)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    op: str
    left: Operand
    right: Operand
    holds: bool | None


class RuleResult(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    kind: str
    title: str
    title_en: str | None = None
    severity: str
    outcome: RuleOutcome
    citation: Citation | None
    facts: list[FactRead] = []
    exceptions_applied: list[str] = []
    exceptions_applied_en: list[str] = []
    """The exceptions that applied, in English where the policy gives it (else as above)."""
    missing: list[str] = []
    comparisons: list[ComparisonRead] = []
    """With explanations: the comparisons that decided a failed or unknown rule."""
    derived: list[FactRead] = []
    """With explanations: the named ``let`` values the rule computed or used."""
    message: str | None = None
    message_en: str | None = None
    """The rule's message template for a failure (Chinese, English), if it has one."""
    message_values: list[FactRead] = []
    """With explanations, for a failed rule with a message: the values it names, by
    placeholder (``left`` / ``right`` are the first deciding comparison's)."""

    renderer: ClassVar[Callable[[RuleResult, str], str] | None] = None
    """A rule's result in words on one line (a table cell): registered by
    :mod:`titlerules.report.explanation`."""

    @checked
    def line(self, lang: str = "zh") -> str:
        """The result in words on one line, all Chinese (``zh``) or all English (``en``)."""
        render: Callable[[RuleResult, str], str] = _renderer(RuleResult, "rule results")
        return render(self, lang)


class Receipt(BaseModel):
    """Everything needed to reproduce a decision later."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    policy_id: str
    policy_sha256: str
    engine_version: str
    calendar_version: str
    as_of: dt.date | None
    as_of_from: str | None = None
    """The record path the as-of date was read from (the application's submission date, a
    procedure's meeting date); None when the caller gave it."""
    provisional_calendar_years: list[int] = []


class DecisionViews(Protocol):
    """What draws a decision in a notebook (:mod:`titlerules.audit.notebook`)."""

    def decision_html(self, decision: Decision, lang: str = "zh") -> str: ...

    def decision_frame(self, decision: Decision, lang: str = "zh") -> Any: ...


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    views: ClassVar[Callable[[], DecisionViews] | None] = None
    """The notebook views, loaded on first use: registered by :mod:`titlerules.audit`."""

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

    renderer: ClassVar[Callable[[Decision, str, bool], str] | None] = None
    """The decision in words: registered by :mod:`titlerules.report.explanation`."""

    @checked
    def explain(self, lang: str = "zh", verbose: bool = False) -> str:
        """The decision in words, all Chinese (``zh``) or all English (``en``)."""
        render: Callable[[Decision, str, bool], str] = _renderer(Decision, "decisions")
        return render(self, lang, verbose)

    @checked
    def html(self, lang: str = "zh") -> str:
        """The decision as an HTML table, one row per rule with its explanation, all in
        ``lang`` (``"zh"`` or ``"en"``)."""
        return _views().decision_html(self, lang)

    def _repr_html_(self) -> str:
        """Jupyter: the decision as an HTML table in Chinese (:meth:`html` for English)."""
        return self.html("zh")

    @checked
    def to_pandas(self, lang: str = "zh") -> Any:
        """One row per rule, as a pandas DataFrame, its words (title, explanation, missing
        facts, exceptions) in ``lang`` (needs ``titlerules[notebook]``)."""
        return _views().decision_frame(self, lang)


def _renderer(owner: type[RuleResult] | type[Decision], what: str) -> Any:
    """The renderer the report layer registered on ``owner`` (loaded by name when it was not
    loaded yet)."""
    render = owner.renderer
    if render is None:  # registered when its module is loaded: load it by name
        _load_registering_module(RENDERER_MODULE)
        render = owner.renderer
    if render is None:
        raise TitleRulesError(
            f"no renderer is registered for {what}",
            hint="import titlerules (or titlerules.report.explanation) first",
            code="TR001",
        )
    return render


def _views() -> DecisionViews:
    load = Decision.views
    if load is None:  # titlerules.audit registers them when loaded: load it by name
        _load_registering_module(VIEWS_MODULE)
        load = Decision.views
    if load is None:
        raise TitleRulesError(
            "no notebook views are registered for decisions",
            hint="import titlerules (or titlerules.audit) before drawing a decision",
            code="TR001",
        )
    return load()


# The modules of the layers above that register Decision.renderer and Decision.views.  The
# engine does not import them (they import the engine); a decision rendered before either
# was loaded loads it by name (``import titlerules`` loads neither until it is used).
RENDERER_MODULE = "titlerules.report.explanation"
VIEWS_MODULE = "titlerules.audit"


def _load_registering_module(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:  # not installed with this build: the caller reports it
        pass
