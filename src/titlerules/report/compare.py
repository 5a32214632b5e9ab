"""Report layer: how two policies differ, clause family by clause family.

Rules are grouped into families (cutoff dates, publicity windows, filings, votes and
attendance, calendar deadlines, exclusions, other requirements) by the words in their ids
and Chinese titles; each row shows each policy's rules of that family with the parameter
values they use, so a reader sees at a glance "5 working days here, 7 there".  As text for a
terminal (:func:`compare_text`, wrapped to its width) or as a Markdown table
(:func:`compare_markdown`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from titlerules.lang import ir
from titlerules.lang.loader import ResolvedPolicy
from titlerules.lang.printer import format_expr

# (family key, heading, words in a rule id, words in a Chinese title); first match wins.
FAMILIES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "cutoff",
        "年限计算截止 service and tenure cutoff",
        ("cutoff", "tenure", "service_years"),
        ("截止", "年限"),
    ),
    ("publicity", "公示 publicity windows", ("publicity",), ("公示",)),
    (
        "filing",
        "备案与报告 filings and reports",
        ("filing", "refil", "report", "plan"),
        ("备案", "报送", "报告"),
    ),
    (
        "votes",
        "投票、出席与评审 votes, attendance, reviewers",
        ("vote", "attend", "quorum", "reviewer", "committee_size", "selection"),
        ("三分之二", "2/3", "出席", "投票", "抽取", "专家"),
    ),
    (
        "deadline",
        "时间节点 calendar deadlines",
        ("deadline", "notice", "by_", "finish", "year"),
        ("前", "时间", "跨年"),
    ),
    ("exclusion", "排除条件 exclusions", (), ()),
    ("requirement", "其他申报条件 other requirements", (), ()),
    ("procedure", "其他程序要求 other procedure", (), ()),
)


@dataclass(frozen=True)
class FamilyRow:
    key: str
    heading: str
    left: tuple[str, ...]
    right: tuple[str, ...]


def family_of(rule: ir.Rule) -> str:
    for key, _, id_words, title_words in FAMILIES:
        if any(w in rule.id for w in id_words) or any(w in rule.title for w in title_words):
            return key
    return rule.kind


def _describe(rule: ir.Rule, policy: ResolvedPolicy) -> str:
    names = {
        node.id
        for expr in ir.rule_expressions(rule)
        for node in ir.walk(expr)
        if isinstance(node, ir.Name) and node.id in policy.params
    }
    values = []
    for name in sorted(names):
        param = policy.params[name].item
        assert isinstance(param, ir.Param)
        values.append(f"{name} = {format_expr(param.value)}")
    suffix = f" [{'; '.join(values)}]" if values else ""
    return f"{rule.title}{suffix}"


def compare(left: ResolvedPolicy, right: ResolvedPolicy) -> list[FamilyRow]:
    rows = []
    for key, heading, _, _ in FAMILIES:
        cells = []
        for policy in (left, right):
            rules = [s.item for s in policy.rules.values() if isinstance(s.item, ir.Rule)]
            cells.append(tuple(_describe(r, policy) for r in rules if family_of(r) == key))
        if cells[0] or cells[1]:
            rows.append(FamilyRow(key, heading, cells[0], cells[1]))
    return rows


def compare_markdown(left: ResolvedPolicy, right: ResolvedPolicy) -> str:
    lines = [
        f"| family | {left.header.id} | {right.header.id} |",
        "|---|---|---|",
    ]
    for row in compare(left, right):
        a = "<br>".join(row.left) or "—"
        b = "<br>".join(row.right) or "—"
        lines.append(f"| {row.heading} | {a} | {b} |")
    return "\n".join(lines) + "\n"


def compare_text(left: ResolvedPolicy, right: ResolvedPolicy, width: int = 100) -> str:
    """The comparison for a terminal: one section per family, each policy's rules under it,
    every line wrapped to ``width`` display columns (a Chinese character takes two)."""
    width = max(width, 40)
    ids = (left.header.id, right.header.id)
    lines = [f"{ids[0]}  vs  {ids[1]}"]
    for row in compare(left, right):
        lines.append("")
        lines.append(f"== {row.heading} ==")
        for ident, rules in zip(ids, (row.left, row.right), strict=True):
            lines.append(f"  {ident}:")
            if not rules:
                lines.append("    —")
            for rule in rules:
                lines.extend(wrap_display(rule, width, first="    - ", rest="      "))
    return "\n".join(lines) + "\n"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide (CJK) character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap_display(text: str, width: int, *, first: str = "", rest: str = "") -> list[str]:
    """``text`` wrapped to ``width`` display columns, breaking at spaces where there are some
    and between Chinese characters otherwise; ``first`` and ``rest`` begin the lines."""
    lines: list[str] = []
    prefix = first
    current = ""
    for word in _pieces(text):
        candidate = current + word
        if current and display_width(prefix + candidate.rstrip()) > width:
            lines.append((prefix + current).rstrip())
            prefix, current = rest, word.lstrip()
        else:
            current = candidate
    lines.append((prefix + current).rstrip())
    return lines


def _pieces(text: str) -> list[str]:
    """Units a line may break between: a word with its following space, or one wide character."""
    pieces: list[str] = []
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            if word:
                pieces.append(word)
                word = ""
            pieces.append(ch)
        elif ch == " ":
            pieces.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        pieces.append(word)
    return pieces
