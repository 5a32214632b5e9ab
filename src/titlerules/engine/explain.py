"""Engine layer: render a :class:`~titlerules.engine.decision.Decision` as text (zh / en)."""

from __future__ import annotations

from titlerules.engine.decision import Decision, Outcome, RuleOutcome, RuleResult
from titlerules.engine.verdict import DECISION_WORDS, RULE_WORDS


def _cite(result: RuleResult, lang: str) -> str:
    if result.citation is None:
        return ""
    doc = result.citation.document or ""
    if lang == "zh":
        return f"（{doc} {result.citation.clause}）"
    return f" ({doc} {result.citation.clause})"


def _facts(result: RuleResult, lang: str) -> str:
    if not result.facts:
        return ""
    seen: dict[str, object] = {}
    for fact in result.facts:
        seen.setdefault(fact.path, fact.value)
    parts = [f"{path} = {value}" for path, value in list(seen.items())[:8]]
    return ("；" if lang == "zh" else "; ").join(parts)


def rule_line(result: RuleResult, lang: str = "zh") -> str:
    """One line for one rule, e.g. ``不符合：<title>（<document> <clause>）: <facts>``."""
    title = result.title if lang == "zh" or not result.title_en else result.title_en
    word = RULE_WORDS[lang][result.outcome]
    sep = "：" if lang == "zh" else ": "
    line = f"{word}{sep}{title}{_cite(result, lang)}"
    details = _facts(result, lang)
    if result.outcome is RuleOutcome.UNKNOWN and result.missing:
        label = "缺少" if lang == "zh" else "missing"
        details = f"{label} {', '.join(result.missing)}"
    if result.exceptions_applied:
        label = "例外适用" if lang == "zh" else "exception applied"
        details = (
            (details + "; " if details else "")
            + f"{label}: "
            + ", ".join(result.exceptions_applied)
        )
    if details:
        line += f": {details}"
    if result.severity == "advisory":
        line += "（提示）" if lang == "zh" else " (advisory)"
    return line


def explain(decision: Decision, lang: str = "zh", verbose: bool = False) -> str:
    """The decision as text: the outcome, then the rules that decided it."""
    if lang not in DECISION_WORDS:
        lang = "zh"
    header = DECISION_WORDS[lang][(decision.subject, decision.outcome)]
    who = f"{decision.record}: " if decision.record else ""
    lines = [f"{who}{header}  [{decision.receipt.policy_id}]"]
    # An ineligible decision is explained by its failed rules; the rules that could not be
    # decided are then only counted (they cannot change the outcome).
    shown = (
        (RuleOutcome.FAILED,)
        if decision.outcome is Outcome.INELIGIBLE
        else (RuleOutcome.FAILED, RuleOutcome.UNKNOWN)
    )
    hidden = 0
    for result in decision.rules:
        if verbose or result.outcome in shown or result.exceptions_applied:
            lines.append("  " + rule_line(result, lang))
        elif result.outcome is RuleOutcome.UNKNOWN:
            hidden += 1
    if hidden:
        lines.append(
            f"  另有 {hidden} 条规则因缺少事实尚无法判定（--verbose 查看）"
            if lang == "zh"
            else f"  {hidden} more rule(s) could not be decided for missing facts (see --verbose)"
        )
    if decision.missing_facts and decision.outcome is not Outcome.INELIGIBLE:
        label = "需补充的事实" if lang == "zh" else "facts needed"
        lines.append(f"  {label}: {', '.join(decision.missing_facts)}")
    if decision.receipt.provisional_calendar_years:
        years = ", ".join(str(y) for y in decision.receipt.provisional_calendar_years)
        note = (
            f"  注意：{years} 年的法定节假日安排尚未公布，工作日按暂定日历计算"
            if lang == "zh"
            else f"  note: the official holiday schedule for {years} is not published; "
            "working days are provisional"
        )
        lines.append(note)
    return "\n".join(lines)
