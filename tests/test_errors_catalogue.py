"""docs/errors.md: every error code is catalogued, and every example prints what it shows.

Each ``## TRnnn`` section of the catalogue holds example files (a line `` `name`: `` before
a code block), then either a ``console`` block (``$ titlerules ...`` and its output) or a
``python`` block followed by a ``text`` block (its output).  The examples run in a fresh
folder; the output must match line for line, where a line ``...`` stands for any number of
lines.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from titlerules.cli import main

from .conftest import REPO

CATALOGUE = REPO / "docs" / "errors.md"
# Base classes: never raised with their own code; their examples show catching them.
BASE_CODES = {"TR000", "TR300"}

_HEADING = re.compile(r"^## (TR\d{3})\s*$", re.MULTILINE)
_BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_FILE_LABEL = re.compile(r"`([^`]+)`:\s*$")


@dataclass
class Example:
    code: str
    files: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    python: str | None = None
    expected: list[str] = field(default_factory=list)


def _sections() -> dict[str, str]:
    text = CATALOGUE.read_text(encoding="utf-8")
    found = list(_HEADING.finditer(text))
    return {
        match.group(1): text[match.end() : found[i + 1].start() if i + 1 < len(found) else None]
        for i, match in enumerate(found)
    }


def _example(code: str, body: str) -> Example:
    example = Example(code)
    awaiting_output = False
    for block in _BLOCK.finditer(body):
        lang, content = block.group(1), block.group(2)
        before = body[: block.start()].rstrip().splitlines()
        label = _FILE_LABEL.match(before[-1].strip()) if before else None
        if label is not None:
            example.files[label.group(1)] = content
        elif lang == "console":
            first, *rest = content.rstrip("\n").splitlines()
            assert first.startswith("$ titlerules "), first
            example.command = shlex.split(first)[2:]
            example.expected = rest
        elif lang == "python":
            example.python = content
            awaiting_output = True
        elif lang == "text" and awaiting_output:
            example.expected = content.rstrip("\n").splitlines()
            awaiting_output = False
    return example


SECTIONS = _sections()


def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "src" / "titlerules").rglob("*.py"):
        codes.update(re.findall(r"\"(TR\d{3})\"", path.read_text(encoding="utf-8")))
    return codes


def test_every_code_is_catalogued() -> None:
    missing = sorted(_codes_in_source() - set(SECTIONS))
    assert not missing, f"codes without an entry in docs/errors.md: {missing}"
    table = CATALOGUE.read_text(encoding="utf-8").split("\n## ", 1)[0]
    for code in SECTIONS:
        assert f"[{code}](#{code.lower()})" in table, f"{code} is missing from the table"


def test_catalogue_is_in_order_and_complete() -> None:
    assert list(SECTIONS) == sorted(SECTIONS)
    for code, body in SECTIONS.items():
        example = _example(code, body)
        assert example.command or example.python, f"{code} has no example"
        assert example.expected, f"{code} shows no output"
        if code not in BASE_CODES:
            assert "**Fix:**" in body, f"{code} does not say how to fix it"
            assert any(code in line for line in example.expected), (
                f"the example of {code} does not print {code}"
            )


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line for line; a line '...' in ``expected`` stands for any number of lines."""
    expected = [line.rstrip() for line in expected]
    actual = [line.rstrip() for line in actual]

    def match(e: int, a: int) -> bool:
        if e == len(expected):
            return a == len(actual)
        if expected[e] == "...":
            return any(match(e + 1, k) for k in range(a, len(actual) + 1))
        return a < len(actual) and actual[a] == expected[e] and match(e + 1, a + 1)

    return match(0, 0)


def _run(example: Example, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, content in example.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    if example.command is not None:
        monkeypatch.chdir(folder)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            main(example.command)
        return buffer.getvalue()
    assert example.python is not None
    result = subprocess.run(
        [sys.executable, "-c", example.python],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_example_prints_what_the_catalogue_shows(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example(code, SECTIONS[code])
    output = _run(example, tmp_path, monkeypatch)
    assert _matches(example.expected, output.splitlines()), (
        f"docs/errors.md, {code}: expected\n"
        + "\n".join(example.expected)
        + "\n--- but the example printed\n"
        + output
    )


def test_matching_of_elided_lines() -> None:
    assert _matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert _matches(["...", "c"], ["a", "b", "c"])
    assert not _matches(["a", "c"], ["a", "b", "c"])
    assert not _matches(["a"], ["a", "b"])
