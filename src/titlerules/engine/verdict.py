"""Engine layer: what a rule's outcome is and what a record's decision is, defined once.

The per-record path (:meth:`~titlerules.engine.policy.Policy.evaluate`), the columnar path
(:mod:`titlerules.batch.runner`, which writes outcomes as Int8 codes) and the audits
(:mod:`titlerules.audit`) all take their rule outcomes, codes, words and decision from here.

A rule's verdict (Catala-style default logic, Kleene three-valued; :func:`run_rule`):

============================================  ==================  =======================
``applies``, violation, exceptions            outcome             listed
============================================  ==================  =======================
``applies`` false                             not applicable
violation false                               passed
violation holds or unknown, an exception      passed              the exception
holds
violation true, ``applies`` true, every       failed
exception false
anything else (a fact missing that matters)   unknown             the missing fact paths
============================================  ==================  =======================

The violation is ``when`` for an exclusion and ``not require`` otherwise.  An exception
that holds excuses the rule even when other facts are missing; a violation that is false
passes the rule even when ``applies`` is unknown.

A record's decision (:func:`decide`, :func:`aggregate`): *ineligible* when a blocking rule
failed, else *undetermined* when a blocking rule is unknown (the missing facts are those of
the unknown blocking rules), else *eligible*.  Advisory rules are reported but never decide.

Outcome codes (:attr:`RuleOutcome.code`, Int8 in result tables) run from least to most
severe: passed 0, not applicable 1, unknown 2, failed 3, so a decision is a function of the
largest code among the blocking rules (:data:`DECISION_BY_CODE`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from titlerules.engine.runtime import Unknown

if TYPE_CHECKING:
    from titlerules.engine.runtime import Env

__all__ = [
    "CODES",
    "DECISION_BY_CODE",
    "DECISION_WORDS",
    "FAILED",
    "NOT_APPLICABLE",
    "OUTCOME_BY_FLAGS",
    "PASSED",
    "RULE_OUTCOMES_BY_CODE",
    "RULE_WORDS",
    "Aggregate",
    "Judged",
    "Outcome",
    "RuleOutcome",
    "Runnable",
    "Verdict",
    "aggregate",
    "decide",
    "run_rule",
    "worst",
]


class Outcome(StrEnum):
    """The decision about a record."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


class RuleOutcome(StrEnum):
    """The outcome of one rule on one record."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"

    @property
    def code(self) -> int:
        """The outcome's Int8 code, least to most severe (see the module docstring)."""
        return CODES[self]

    def word(self, lang: str = "zh") -> str:
        """The outcome in words (``zh`` or ``en``)."""
        return RULE_WORDS["en" if lang == "en" else "zh"][self]


RULE_OUTCOMES_BY_CODE: tuple[RuleOutcome, ...] = (
    RuleOutcome.PASSED,
    RuleOutcome.NOT_APPLICABLE,
    RuleOutcome.UNKNOWN,
    RuleOutcome.FAILED,
)
"""The rule outcomes by code: least to most severe."""

CODES: Mapping[RuleOutcome, int] = MappingProxyType(
    {outcome: code for code, outcome in enumerate(RULE_OUTCOMES_BY_CODE)}
)
"""Each rule outcome's code."""

RULE_WORDS: Mapping[str, Mapping[RuleOutcome, str]] = MappingProxyType(
    {
        "zh": MappingProxyType(
            {
                RuleOutcome.PASSED: "符合",
                RuleOutcome.FAILED: "不符合",
                RuleOutcome.NOT_APPLICABLE: "不适用",
                RuleOutcome.UNKNOWN: "待查明",
            }
        ),
        "en": MappingProxyType(
            {
                RuleOutcome.PASSED: "passed",
                RuleOutcome.FAILED: "failed",
                RuleOutcome.NOT_APPLICABLE: "not applicable",
                RuleOutcome.UNKNOWN: "unknown",
            }
        ),
    }
)
"""A rule outcome in words, by language."""

DECISION_WORDS: Mapping[str, Mapping[tuple[str, Outcome], str]] = MappingProxyType(
    {
        "zh": MappingProxyType(
            {
                ("applicant", Outcome.ELIGIBLE): "符合申报条件",
                ("applicant", Outcome.INELIGIBLE): "不符合申报条件",
                ("applicant", Outcome.UNDETERMINED): "无法判定（缺少事实）",
                ("procedure", Outcome.ELIGIBLE): "程序合规",
                ("procedure", Outcome.INELIGIBLE): "程序不合规",
                ("procedure", Outcome.UNDETERMINED): "无法判定（缺少事实）",
            }
        ),
        "en": MappingProxyType(
            {
                ("applicant", Outcome.ELIGIBLE): "eligible",
                ("applicant", Outcome.INELIGIBLE): "ineligible",
                ("applicant", Outcome.UNDETERMINED): "undetermined (facts missing)",
                ("procedure", Outcome.ELIGIBLE): "procedure compliant",
                ("procedure", Outcome.INELIGIBLE): "procedure not compliant",
                ("procedure", Outcome.UNDETERMINED): "undetermined (facts missing)",
            }
        ),
    }
)
"""A decision in words, by language and (subject, outcome)."""


def worst(
    outcomes: Iterable[RuleOutcome], default: RuleOutcome = RuleOutcome.PASSED
) -> RuleOutcome:
    """The most severe of ``outcomes`` (the largest code; ``default`` when there are none)."""
    return max(outcomes, key=CODES.__getitem__, default=default)


# ---------------------------------------------------------------- a record's decision


def decide(failed: bool, unknown: bool) -> Outcome:
    """The decision, given whether a blocking rule failed and whether one is unknown."""
    if failed:
        return Outcome.INELIGIBLE
    if unknown:
        return Outcome.UNDETERMINED
    return Outcome.ELIGIBLE


OUTCOME_BY_FLAGS: tuple[tuple[Outcome, Outcome], tuple[Outcome, Outcome]] = (
    (decide(False, False), decide(False, True)),
    (decide(True, False), decide(True, True)),
)
""":func:`decide` as a table, ``OUTCOME_BY_FLAGS[failed][unknown]``: the per-record loop
looks its decisions up rather than calling."""

DECISION_BY_CODE: tuple[Outcome, ...] = tuple(
    decide(outcome is RuleOutcome.FAILED, outcome is RuleOutcome.UNKNOWN)
    for outcome in RULE_OUTCOMES_BY_CODE
)
"""The decision by the largest code among the blocking rules (the columnar path's)."""


class Judged(Protocol):
    """A rule's result as :func:`aggregate` reads it (a ``RuleResult``, an audit finding)."""

    @property
    def outcome(self) -> RuleOutcome: ...

    @property
    def severity(self) -> str: ...

    @property
    def missing(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A record's decision from its rules' results: the outcome, the missing facts (sorted)
    and how many blocking rules failed and are unknown."""

    outcome: Outcome
    missing_facts: tuple[str, ...]
    failed: int
    unknown: int


def aggregate(results: Iterable[Judged]) -> Aggregate:
    """The decision the rules' results make (see the module docstring)."""
    failed = unknown = 0
    missing: set[str] = set()
    for result in results:
        if result.severity != "blocking":
            continue
        if result.outcome is RuleOutcome.FAILED:
            failed += 1
        elif result.outcome is RuleOutcome.UNKNOWN:
            unknown += 1
            missing.update(result.missing)
    return Aggregate(
        OUTCOME_BY_FLAGS[failed > 0][unknown > 0], tuple(sorted(missing)), failed, unknown
    )


# ---------------------------------------------------------------- a rule's verdict


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's outcome on a record, the missing facts that left it unknown and the
    exceptions that excused it."""

    outcome: RuleOutcome
    missing: frozenset[str]
    exceptions: tuple[str, ...]

    @property
    def code(self) -> int:
        return CODES[self.outcome]


NOT_APPLICABLE = Verdict(RuleOutcome.NOT_APPLICABLE, frozenset(), ())
PASSED = Verdict(RuleOutcome.PASSED, frozenset(), ())
FAILED = Verdict(RuleOutcome.FAILED, frozenset(), ())


class _Exception(Protocol):
    @property
    def label(self) -> str | None: ...

    @property
    def text(self) -> str: ...

    @property
    def condition(self) -> Callable[[Env], Any]: ...


class Runnable(Protocol):
    """A compiled rule as :func:`run_rule` runs it: three-valued conditions on an
    environment (True, False or :class:`~titlerules.engine.runtime.Unknown`)."""

    @property
    def applies(self) -> Callable[[Env], Any] | None: ...

    @property
    def violation(self) -> Callable[[Env], Any]: ...

    @property
    def exceptions(self) -> tuple[_Exception, ...]: ...


def run_rule(compiled: Runnable, env: Env) -> Verdict:
    """The rule's verdict on the environment's records (the table in the module docstring)."""
    applies: Any = True
    if compiled.applies is not None:
        applies = compiled.applies(env)
        if applies is False:
            return NOT_APPLICABLE
    violation = compiled.violation(env)
    if violation is False:
        return PASSED
    missing: frozenset[str] = violation.paths if type(violation) is Unknown else frozenset()
    exception_missing: frozenset[str] = frozenset()
    for exception in compiled.exceptions:
        held = exception.condition(env)
        if held is True:
            return Verdict(RuleOutcome.PASSED, frozenset(), (exception.label or exception.text,))
        if type(held) is Unknown:
            exception_missing |= held.paths
    missing |= exception_missing
    if type(applies) is Unknown:
        missing |= applies.paths
    if violation is True and applies is True and not exception_missing:
        return FAILED
    return Verdict(RuleOutcome.UNKNOWN, missing, ())
