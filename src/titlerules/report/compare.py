"""Report layer: how two policies differ, clause family by clause family.

Rules are grouped into families (cutoff dates, publicity windows, filings, votes and
attendance, calendar deadlines, exclusions, other requirements) by the words in their ids
and Chinese titles; each row shows each policy's rules of that family with the parameter
values they use, so a reader sees at a glance "5 working days here, 7 there".
"""

from __future__ import annotations

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
