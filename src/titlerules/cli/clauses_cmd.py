"""``titlerules clauses POLICY [--json]``: the policy's clause map against its notice.

Every clause of the notice, as the notice numbers it, with the rules that encode it and the
reasons the policy gives for what no rule encodes (not machine-checkable, exhortation,
definition, heading).  Exit 1 when a clause is not accounted for, or when the policy names a
clause the notice does not have.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from titlerules.errors import UsageError

if TYPE_CHECKING:
    from titlerules.lang.citations import ClauseMap

_KIND_WORDS = {
    "not_checkable": ("不可机器判定", "not machine-checkable"),
    "exhortation": ("倡导性要求", "exhortation"),
    "definition": ("定义或计算", "definition"),
    "heading": ("标题", "heading"),
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "clauses",
        help="the policy's clause map: every clause of the notice, its rules or the reason",
        description=__doc__,
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument("--json", action="store_true", help="a list of {clause, rules, reason}")
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.lang.citations import clause_map
    from titlerules.lang.loader import find_policy, resolve

    path = find_policy(args.policy)
    resolved = resolve(Path(path))
    table = clause_map(resolved)
    if not table.found:
        raise UsageError(
            f"{path}: the notice '{resolved.header.source}' is not found",
            hint='a policy names its notice in the header (source "FILE" sha256 "…"); put the '
            "file next to the policy or in its sources/ folder",
        )
    if args.json:
        print(json.dumps([e.as_json() for e in table.entries], ensure_ascii=False, indent=2))
    else:
        _print_table(table, args.lang)
    return 1 if table.missing or table.unknown else 0


def _print_table(table: ClauseMap, lang: str) -> None:
    zh = lang == "zh"
    width = max((len(e.clause) for e in table.entries), default=0) * 2
    for entry in table.entries:
        parts = [*entry.rules, *(f"⇒ {name}" for name in entry.consequences)]
        parts += [f"[{_KIND_WORDS[kind][0 if zh else 1]}] {text}" for kind, text in entry.reasons]
        described = "; ".join(parts) if parts else ("未说明" if zh else "NOT ACCOUNTED FOR")
        print(f"{_pad(entry.clause, width)}  {_pad(_cut(entry.heading, 32), 32)}  {described}")
    if zh:
        print(
            f"{len(table.entries)} 条：有规则 {table.with_rules}，仅有说明 {table.reason_only}，"
            f"未说明 {len(table.missing)}"
        )
    else:
        print(
            f"{len(table.entries)} clauses: encoded by rules {table.with_rules}, reason only "
            f"{table.reason_only}, not accounted for {len(table.missing)}"
        )
    for clause in table.unknown:
        print(f"{'通知中没有条款' if zh else 'no such clause in the notice'}: {clause}")


def _columns(text: str) -> int:
    """The display width of a text (CJK characters take two columns)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """Pad to a display width."""
    return text + " " * max(0, width - _columns(text))


def _cut(text: str, width: int) -> str:
    """At most ``width`` display columns, an ellipsis marking a cut."""
    if _columns(text) <= width:
        return text
    while _columns(text) > width - 1:
        text = text[:-1]
    return text + "…"
