"""Language layer: the numbered clauses of a notice, found in its text.

A notice numbers its parts 一、 (sections), （一） (clauses), 1. (items) and lists its
attachments (附件：1. … 2. …, then 附件 1: … with the attachment's own text).  A clause path is
written as the notice numbers it, with ASCII brackets: ``一``, ``一(一)``, ``二(二)3``, ``三1``
(an item directly under a section), ``附件4``.  Every path that a policy cites, and every
path of its clause map, must be one of :func:`clauses`; a quote must be found in the text.

The texts were extracted from PDFs: a number counts only at the start of a line (page breaks
split sentences, never numbers), and numbers inside an attachment's own text (its 备注 1. …)
belong to the attachment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from titlerules.boundedread import read_at_most
from titlerules.lang.convert import MAX_SOURCE_BYTES
from titlerules.resources import policies_dir

_NUMERALS = "一二三四五六七八九十"
_SECTION = re.compile(r"^([一二三四五六七八九十]+)、\s*(.*)$")
_CLAUSE = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.*)$")
_ITEM = re.compile(r"^(\d{1,2})\s*[.．、]\s*(.*)$")
_ATTACHMENT_LIST = re.compile(r"^附件\s*[:：]\s*(\d{1,2})\s*[.．、]?\s*(.*)$")
_ATTACHMENT_BODY = re.compile(r"^附件\s*(\d{1,2})\s*[:：]?\s*$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered part of a notice: its path, its heading words and where it starts."""

    path: str
    parent: str | None
    heading: str
    line: int
    text: str


def flatten(text: str) -> str:
    """Text with every white space removed and brackets made ASCII, for finding quotes."""
    return _SPACE.sub("", text).replace("（", "(").replace("）", ")")


def normal_path(path: str) -> str:
    """A clause path as it is compared: ASCII brackets, no spaces."""
    return flatten(path)


def clauses(text: str) -> list[Clause]:
    """The numbered parts of a notice in the order they stand."""
    found: list[tuple[str, str | None, str, int]] = []
    section: str | None = None
    clause: str | None = None
    attachments_listed = False
    in_attachment = False
    last_item: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("#-*> ").strip()
        if not line:
            continue
        body = _ATTACHMENT_BODY.match(line)
        if body:
            in_attachment = True
            found.append((f"附件{int(body[1])}", None, "", number))
            continue
        listed = _ATTACHMENT_LIST.match(line)
        if listed and not in_attachment:
            attachments_listed = True
            last_item["附件"] = int(listed[1])
            found.append((f"附件{int(listed[1])}", None, listed[2], number))
            continue
        if in_attachment:
            continue
        item = _ITEM.match(line)
        # An item number counts only as the next one of its list ("2.2020年以前…" is item 2).
        key = "附件" if attachments_listed else (clause or section or "")
        if item and int(item[1]) != last_item.get(key, 0) + 1:
            item = None
        if attachments_listed:
            if item:
                last_item["附件"] = int(item[1])
                found.append((f"附件{int(item[1])}", None, item[2], number))
            continue
        if match := _SECTION.match(line):
            section, clause = match[1], None
            found.append((section, None, match[2], number))
        elif (match := _CLAUSE.match(line)) and section is not None:
            clause = f"{section}({match[1]})"
            found.append((clause, section, match[2], number))
        elif item and section is not None:
            parent = clause or section
            last_item[parent] = int(item[1])
            found.append((f"{parent}{int(item[1])}", parent, item[2], number))
    lines = text.splitlines()
    # An attachment is listed first and its own text follows later: one clause, both parts.
    merged: dict[str, Clause] = {}
    for index, (path, above, heading, start) in enumerate(found):
        end = found[index + 1][3] if index + 1 < len(found) else len(lines) + 1
        own = "\n".join(lines[start - 1 : end - 1])
        if path in merged:
            first = merged[path]
            merged[path] = Clause(path, above, first.heading, first.line, f"{first.text}\n{own}")
        else:
            merged[path] = Clause(path, above, _heading(heading), start, own)
    return list(merged.values())


def _heading(words: str) -> str:
    """The clause's heading: its words up to the first colon or full stop, at most 40."""
    cut = re.split(r"[:：。]", words, maxsplit=1)[0].strip()
    return cut[:40]


def subtree_text(found: list[Clause], path: str) -> str:
    """The text of a clause with every clause under it."""
    by_path = {c.path: c for c in found}
    parts = [c.text for c in found if c.path == path or _is_under(c, path, by_path)]
    return "\n".join(parts)


def _is_under(clause: Clause, ancestor: str, by_path: dict[str, Clause]) -> bool:
    parent = clause.parent
    while parent is not None:
        if parent == ancestor:
            return True
        parent = by_path[parent].parent if parent in by_path else None
    return False


def find_quote(text: str, quote: str) -> bool:
    """Whether the quote stands in the text, white space and bracket widths aside."""
    return bool(flatten(quote)) and flatten(quote) in flatten(text)


def clauses_quoting(found: list[Clause], quote: str) -> list[str]:
    """The paths of the innermost clauses whose own text holds the quote."""
    return [c.path for c in found if find_quote(c.text, quote)]


def source_path(source: str, policy_path: str | None) -> Path | None:
    """The notice file a policy header names: next to the policy, in a ``sources/`` folder
    next to it, or among the bundled notices."""
    candidates = []
    if policy_path:
        folder = Path(policy_path).parent
        candidates += [folder / source, folder / "sources" / source]
    candidates.append(policies_dir() / "sources" / source)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=16)
def _read(path: str) -> str:
    # A notice is a few pages: bounded as a policy file is, counted while reading.
    return read_at_most(path, MAX_SOURCE_BYTES, what="notice file").decode("utf-8")


def read_source(path: Path) -> str:
    """A notice's text (cached: notices do not change while a process runs)."""
    return _read(str(path))
