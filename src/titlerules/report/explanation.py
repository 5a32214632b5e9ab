"""Report layer: a decision in words, for a clerk — all Chinese or all English.

The engine decides and records why (:class:`~titlerules.engine.decision.RuleResult`: the
outcome, the citation, the facts read, the comparisons that decided with both operands'
values, the ``let`` values, the missing facts); this module words it:

* every record field by its label (:mod:`titlerules.facts.labels`), never by its path —
  except after a missing fact's label, in parentheses, where the clerk must find the field;
* values in words: 是/否 (yes/no), vocabulary terms in the text's language, ``N 项`` /
  ``N items``;
* the comparison that decided, with its values (``同意推荐票数 29，少于 30``);
* exclusions read as exclusions (属于 / 不属于不得申报情形), requirements as requirements
  (符合 / 不符合), advisory findings as notes;
* nothing dropped silently: a long list says how many more there are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cache
from typing import Any, Literal

from titlerules.engine.decision import (
    ComparisonRead,
    Decision,
    Operand,
    Outcome,
    RuleOutcome,
    RuleResult,
)
from titlerules.engine.verdict import DECISION_WORDS
from titlerules.facts.labels import UnknownFieldError, field_label, value_text
from titlerules.lang.messages import fill

Lang = Literal["zh", "en"]

__all__ = ["explain", "missing_text", "outcome_word", "rule_line", "rule_lines"]

_SHOWN = 6  # facts / comparisons shown per rule before "N more"

_RULE_WORDS: dict[str, dict[tuple[str, RuleOutcome], str]] = {
    "zh": {
        ("requirement", RuleOutcome.PASSED): "符合",
        ("requirement", RuleOutcome.FAILED): "不符合",
        ("requirement", RuleOutcome.UNKNOWN): "待查明",
        ("requirement", RuleOutcome.NOT_APPLICABLE): "不适用",
        ("exclusion", RuleOutcome.PASSED): "不属于不得申报情形",
        ("exclusion", RuleOutcome.FAILED): "属于不得申报情形",
        ("exclusion", RuleOutcome.UNKNOWN): "待查明",
        ("exclusion", RuleOutcome.NOT_APPLICABLE): "不适用",
        ("advisory", RuleOutcome.FAILED): "提示",
    },
    "en": {
        ("requirement", RuleOutcome.PASSED): "met",
        ("requirement", RuleOutcome.FAILED): "not met",
        ("requirement", RuleOutcome.UNKNOWN): "undecided",
        ("requirement", RuleOutcome.NOT_APPLICABLE): "not applicable",
        ("exclusion", RuleOutcome.PASSED): "not excluded",
        ("exclusion", RuleOutcome.FAILED): "excluded",
        ("exclusion", RuleOutcome.UNKNOWN): "undecided",
        ("exclusion", RuleOutcome.NOT_APPLICABLE): "not applicable",
        ("advisory", RuleOutcome.FAILED): "note",
    },
}

# A comparison in words, by operator and whether it holds: (numbers, dates).
_RELATIONS: dict[str, dict[tuple[str, bool], tuple[str, str]]] = {
    "zh": {
        (">=", True): ("不少于", "不早于"),
        (">=", False): ("少于", "早于"),
        (">", True): ("多于", "晚于"),
        (">", False): ("不多于", "不晚于"),
        ("<=", True): ("不多于", "不晚于"),
        ("<=", False): ("多于", "晚于"),
        ("<", True): ("少于", "早于"),
        ("<", False): ("不少于", "不早于"),
        ("==", True): ("等于", "为"),
        ("==", False): ("不等于", "不是"),
        ("!=", True): ("不等于", "不是"),
        ("!=", False): ("等于", "为"),
        ("in", True): ("属于", "属于"),
        ("in", False): ("不属于", "不属于"),
        ("not in", True): ("不属于", "不属于"),
        ("not in", False): ("属于", "属于"),
    },
    "en": {
        (">=", True): ("is at least", "is not earlier than"),
        (">=", False): ("is less than", "is earlier than"),
        (">", True): ("is more than", "is later than"),
        (">", False): ("is not more than", "is not later than"),
        ("<=", True): ("is at most", "is not later than"),
        ("<=", False): ("is more than", "is later than"),
        ("<", True): ("is less than", "is earlier than"),
        ("<", False): ("is not less than", "is not earlier than"),
        ("==", True): ("equals", "is"),
        ("==", False): ("does not equal", "is not"),
        ("!=", True): ("does not equal", "is not"),
        ("!=", False): ("equals", "is"),
        ("in", True): ("is one of", "is one of"),
        ("in", False): ("is not one of", "is not one of"),
        ("not in", True): ("is not one of", "is not one of"),
        ("not in", False): ("is one of", "is one of"),
    },
}

# Missing "facts" that are not record fields: what the clerk must supply instead.
_NOT_FIELDS: dict[str, tuple[str, str]] = {
    "as_of": (
        "评估日期（记录未写申报日期 application.submitted_on，也未指定 --as-of）",
        "the evaluation date (the record states no application.submitted_on and no --as-of "
        "was given)",
    ),
    "division by zero": ("除数为零，无法计算", "a division by zero"),
}

# A min/max of an empty list (titlerules.engine.compiler.empty_list_reason): the list to fill.
_EMPTY_LIST = re.compile(r"^(.+): empty, no (min|max)$")

_ITEMS = re.compile(r"^(\d+) item\(s\)$")
_FRACTION = re.compile(r"^(-?\d+)/(\d+)$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NO_END = dt.date.max.isoformat()


def _sep(lang: Lang) -> str:
    return "；" if lang == "zh" else "; "


def _colon(lang: Lang) -> str:
    return "：" if lang == "zh" else ": "


def label(path: str, lang: Lang) -> str | None:
    """A record path's label, or None if it names no record field."""
    root = path.split(".", 1)[0].split("[", 1)[0]
    if root not in ("applicant", "procedure"):
        return None
    try:
        return field_label(path, lang, root=root)
    except UnknownFieldError:
        return None


@cache
def _terms() -> dict[str, Any]:
    """Each vocabulary member by its Chinese term (the spelling decisions hold)."""
    from titlerules.facts.enums import ENUMS

    found: dict[str, Any] = {}
    for cls in ENUMS.values():
        for member in cls:
            found.setdefault(member.zh, member)
    return found


def words(value: Any, lang: Lang) -> str:
    """A value as a decision holds it (JSON-friendly), in words."""
    if value == _NO_END:  # the last date there is: a period that does not end (开除)
        return "无期限（不届满）" if lang == "zh" else "none (it does not end)"
    if isinstance(value, str):
        items = _ITEMS.match(value)
        if items:
            return value_text(range(int(items.group(1))), lang)
        fraction = _FRACTION.match(value)
        if fraction:
            approx = int(fraction.group(1)) / int(fraction.group(2))
            return (
                f"{value}（约 {approx:.2f}）" if lang == "zh" else f"{value} (about {approx:.2f})"
            )
        member = _terms().get(value)
        if member is not None:
            return value_text(member, lang)
        return value
    if isinstance(value, list):
        shown = _limited([words(v, lang) for v in value], lang)
        return ("、" if lang == "zh" else ", ").join(shown)
    return value_text(value, lang)


def missing_text(path: str, lang: Lang) -> str:
    """A missing fact in words: its label and, in parentheses, where the clerk finds it."""
    if path in _NOT_FIELDS:
        zh, en = _NOT_FIELDS[path]
        return zh if lang == "zh" else en
    empty = _EMPTY_LIST.match(path)
    if empty:
        listed = missing_text(empty.group(1), lang)
        if lang == "zh":
            return f"{listed}：没有符合条件的项（须补充）"
        return f"{listed}: no item that qualifies (to be supplied)"
    name = label(path, lang)
    if name is None:
        return path if lang == "en" else f"（{path}）"
    where = path.split(".", 1)[1] if "." in path else path
    return f"{name} ({where})"


def _side(operand: Operand, lang: Lang) -> str:
    """One side of a comparison: what it is and its value."""
    value = words(operand.value, lang) if operand.value is not None else None
    named = operand.label if lang == "zh" else operand.label_en
    if named:  # a labelled let or def gave the value: said in words, not as written
        if value is not None:
            return f"{named} {value}"
        return f"{named} 未知" if lang == "zh" else f"{named} (unknown)"
    if operand.path == "as_of":
        evaluation = "评估日期" if lang == "zh" else "the evaluation date"
        return f"{evaluation} {value}" if value else evaluation
    name = label(operand.path, lang) if operand.path else None
    if name is not None:
        return f"{name} {value}" if value is not None else name
    if operand.param is not None:
        required = "规定" if lang == "zh" else "the required"
        return f"{required} {value}"
    if value is None:
        unknown = "未知值" if lang == "zh" else "an unknown value"
        return f"{unknown}（{operand.text}）" if lang == "zh" else f"{unknown} ({operand.text})"
    if _literal(operand):
        return value
    if lang == "zh":
        return f"{value}（{operand.text}）"
    # The expression as written may hold Chinese terms: an English text says "computed".
    shown = operand.text if operand.text.isascii() else "computed"
    return f"{value} ({shown})"


def _literal(operand: Operand) -> bool:
    """Whether the operand is written as its value (``3``, ``2024-12-31``, a set of terms
    ``{民营企业, 个体工商户}``): then its value in words says it all."""
    text = operand.text or ""
    if text == str(operand.value) or _ISO.match(text):
        return True
    if not (isinstance(operand.value, list) and text.startswith("{") and text.endswith("}")):
        return False
    items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
    # (a term may be written with its vocabulary, RecommenderRole.人事代理机构; text quoted)
    written = sorted(item.rsplit(".", 1)[-1].strip('"') for item in items)
    return written == sorted(str(v) for v in operand.value)


def _dated(operand: Operand) -> bool:
    value = operand.value
    return isinstance(value, str) and bool(_ISO.match(value))


def comparison_text(comparison: ComparisonRead, lang: Lang) -> str:
    """The comparison that decided, with its values: ``同意推荐票数 29，少于规定 30``."""
    left, right = _side(comparison.left, lang), _side(comparison.right, lang)
    if comparison.holds is None:
        if lang == "zh":
            return f"{left} 与 {right} 无法比较（缺少事实）"
        return f"{left} and {right} cannot be compared (facts missing)"
    dated = _dated(comparison.left) or _dated(comparison.right)
    relation = _RELATIONS[lang].get((comparison.op, comparison.holds))
    if relation is None:
        return f"{left} {comparison.op} {right}"
    verb = relation[1 if dated else 0]
    return f"{left}，{verb}{right}" if lang == "zh" else f"{left} {verb} {right}"


def _message(result: RuleResult, lang: Lang) -> str | None:
    """A failed rule's message template, filled with its values; None if the rule has no
    message in this language (the general phrasing is used then)."""
    template = result.message if lang == "zh" else result.message_en
    if template is None or result.outcome is not RuleOutcome.FAILED or not result.message_values:
        return None
    values = {v.path: v.value for v in result.message_values}

    def value(name: str, spec: str | None) -> str:
        found = values.get(name)
        if found is None:
            return "未知" if lang == "zh" else "unknown"
        if spec and isinstance(found, str) and _ISO.match(found):
            return dt.date.fromisoformat(found).strftime(spec)
        if isinstance(found, list) and (spec or not found):
            return _items_text(found, spec or "", lang)
        return words(found, lang)

    return fill(template, value)


def _items_text(items: list[Any], spec: str, lang: Lang) -> str:
    """A list a message names, by the fields ``spec`` names (``year+grade``) of each item;
    whole numbers in a row (years) as a range, ``2017–2023``; none as 无 / none."""
    if not items:
        return "无" if lang == "zh" else "none"
    fields = [f.strip() for f in spec.split("+") if f.strip()]
    picked = [
        [item.get(f) for f in fields] if isinstance(item, dict) and fields else [item]
        for item in items
    ]
    numbers = [
        p[0] for p in picked if len(p) == 1 and isinstance(p[0], int) and not isinstance(p[0], bool)
    ]
    if len(numbers) == len(picked):
        return _ranges(sorted(numbers), lang)
    texts = [" ".join(words(v, lang) for v in p if v is not None) for p in picked]
    return ("、" if lang == "zh" else ", ").join(_limited(texts, lang))


def _ranges(numbers: list[int], lang: Lang) -> str:
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        elif not runs or number != runs[-1][-1]:
            runs.append([number])
    texts = [str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs]
    return ("、" if lang == "zh" else ", ").join(texts)


def _title(result: RuleResult, lang: Lang) -> str:
    return result.title if lang == "zh" or not result.title_en else result.title_en


def _cite(result: RuleResult, lang: Lang) -> str:
    if result.citation is None:
        return ""
    doc = result.citation.document or ""
    if lang == "zh":
        return f"（{doc} {result.citation.clause}）"
    return f" ({doc} {result.citation.clause})"


def outcome_word(result: RuleResult, lang: str = "zh") -> str:
    """What a rule's outcome means, in words: 符合/不符合 for a requirement, 属于/不属于不得申报情形
    for an exclusion, 提示 for an advisory rule's failure, 待查明, 不适用."""
    tongue: Lang = "en" if lang == "en" else "zh"
    kind = "exclusion" if result.kind == "exclusion" else "requirement"
    if result.severity == "advisory" and result.outcome is RuleOutcome.FAILED:
        kind = "advisory"
    return _RULE_WORDS[tongue][(kind, result.outcome)]


def _limited(parts: list[str], lang: Lang) -> list[str]:
    shown = parts[:_SHOWN]
    more = len(parts) - len(shown)
    if more > 0:
        shown.append(f"另有 {more} 项" if lang == "zh" else f"{more} more")
    return shown


def _facts(result: RuleResult, lang: Lang, skip: set[str]) -> list[str]:
    parts: list[str] = []
    seen: set[str] = set()
    for fact in result.facts:
        if fact.path in seen or fact.path in skip:
            continue
        seen.add(fact.path)
        name = label(fact.path, lang)
        if name is None:
            continue
        parts.append(f"{name} {words(fact.value, lang)}")
    return parts


def rule_lines(result: RuleResult, lang: Lang = "zh") -> list[str]:
    """A rule's result in words: its head (``不符合：<title>（<document> <clause>）``), then
    why — the comparisons that decided, the facts read, the missing facts, the exception
    that applied — one line each."""
    head = f"{outcome_word(result, lang)}{_colon(lang)}{_title(result, lang)}{_cite(result, lang)}"
    if result.severity == "advisory" and result.outcome is not RuleOutcome.FAILED:
        head += "（提示）" if lang == "zh" else " (advisory)"
    lines = [head]
    message = _message(result, lang)
    because = [message] if message else [comparison_text(c, lang) for c in result.comparisons]
    shown_paths = {c.left.path for c in result.comparisons if c.left.path}
    shown_paths |= {c.right.path for c in result.comparisons if c.right.path}
    if because:
        lines.append(
            ("因为：" if lang == "zh" else "because: ") + _sep(lang).join(_limited(because, lang))
        )
    if result.outcome is RuleOutcome.UNKNOWN and result.missing:
        missing = [missing_text(p, lang) for p in result.missing]
        lines.append(
            ("缺少：" if lang == "zh" else "missing: ") + _sep(lang).join(_limited(missing, lang))
        )
    facts = _facts(result, lang, shown_paths)
    if facts and result.outcome in (RuleOutcome.FAILED, RuleOutcome.UNKNOWN):
        lines.append(
            ("依据：" if lang == "zh" else "facts: ") + _sep(lang).join(_limited(facts, lang))
        )
    if result.exceptions_applied:
        label_ = "例外适用：" if lang == "zh" else "exception applied: "
        applied = result.exceptions_applied
        if lang == "en" and result.exceptions_applied_en:
            applied = result.exceptions_applied_en
        lines.append(label_ + _sep(lang).join(applied))
    return lines


def rule_line(result: RuleResult, lang: str = "zh") -> str:
    """A rule's result in words on one line (a table cell): :func:`rule_lines` joined."""
    tongue: Lang = "en" if lang == "en" else "zh"
    first, *rest = rule_lines(result, tongue)
    if not rest:
        return first
    return first + ("　" if tongue == "zh" else " — ") + _sep(tongue).join(rest)


def _shown(decision: Decision, verbose: bool) -> Iterable[RuleResult]:
    shown = (
        (RuleOutcome.FAILED,)
        if decision.outcome is Outcome.INELIGIBLE
        else (RuleOutcome.FAILED, RuleOutcome.UNKNOWN)
    )
    for result in decision.rules:
        if verbose or result.outcome in shown or result.exceptions_applied:
            yield result


def explain(decision: Decision, lang: str = "zh", verbose: bool = False) -> str:
    """The decision in words: the outcome, then the rules that decided it and why."""
    tongue: Lang = "en" if lang == "en" else "zh"
    header = DECISION_WORDS[tongue][(decision.subject, decision.outcome)]
    who = f"{decision.record}{_colon(tongue)}" if decision.record else ""
    lines = [f"{who}{header}  [{decision.receipt.policy_id}]"]
    shown = list(_shown(decision, verbose))
    # Blocking rules first (they decide), then the advisory notes.
    shown.sort(key=lambda r: r.severity == "advisory")
    for result in shown:
        first, *rest = rule_lines(result, tongue)
        lines.append("  " + first)
        lines.extend("    " + line for line in rest)
    listed = {id(r) for r in shown}
    hidden = sum(
        1 for r in decision.rules if r.outcome is RuleOutcome.UNKNOWN and id(r) not in listed
    )
    if hidden:
        lines.append(
            f"  另有 {hidden} 条规则因缺少事实尚无法判定（--verbose 查看）"
            if tongue == "zh"
            else f"  {hidden} more rule(s) could not be decided for missing facts (see --verbose)"
        )
    if decision.missing_facts and decision.outcome is not Outcome.INELIGIBLE:
        needed = [missing_text(p, tongue) for p in decision.missing_facts]
        label_ = "需补充：" if tongue == "zh" else "facts needed: "
        lines.append("  " + label_ + _sep(tongue).join(needed))
    if decision.receipt.provisional_calendar_years:
        years = ", ".join(str(y) for y in decision.receipt.provisional_calendar_years)
        lines.append(
            f"  注意：{years} 年的法定节假日安排尚未公布，工作日按暂定日历计算"
            if tongue == "zh"
            else f"  note: the official holiday schedule for {years} is not published; "
            "working days are provisional"
        )
    if decision.receipt.as_of is not None:
        when = decision.receipt.as_of
        day = when.isoformat() if isinstance(when, dt.date) else str(when)
        source = decision.receipt.as_of_from
        if source is None:
            whence = "（调用时指定）" if tongue == "zh" else " (given)"
        else:
            whence = (
                f"（{label(source, tongue) or source}）"
                if tongue == "zh"
                else f" ({label(source, tongue) or source})"
            )
        lines.append(
            f"  评估日期：{day}{whence}" if tongue == "zh" else f"  evaluated as of {day}{whence}"
        )
    return "\n".join(lines)


Decision.renderer = explain
RuleResult.renderer = rule_line
