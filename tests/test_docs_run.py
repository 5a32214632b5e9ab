"""Docs that run: every policy snippet in docs/*.md lints (or is marked ``policy fragment``
and parses), every YAML policy shown lints, every command in README.md and docs/ that uses
bundled files runs, and every output shown next to a command is what it prints.  Also: every
shared definition of policies/common is documented, and ``--help`` of every command is plain
text with a help line for every option.

docs/errors.md is left to tests/test_errors_catalogue.py, which runs its examples.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from titlerules.cli import build_parser, main
from titlerules.engine.policy import lint_policy
from titlerules.lang.parser import parse

from .conftest import REPO
from .test_errors_catalogue import _matches

DOCS = sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "errors.md")
PAGES = [REPO / "README.md", *DOCS]
_BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
FRAGMENT_HEADER = 'policy fragment-2024 {\n  title "t" year 2024\n}\n'
BUNDLED_IDS = {p.stem for p in (REPO / "policies").glob("*.policy")}


@dataclass
class Block:
    page: Path
    line: int
    info: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def _blocks(pages: list[Path]) -> list[Block]:
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(page, line, match.group(1).strip(), match.group(2)))
    return found


BLOCKS = _blocks(PAGES)
POLICIES = [b for b in BLOCKS if b.info == "policy"]
FRAGMENTS = [b for b in BLOCKS if b.info == "policy fragment"]
YAML_POLICIES = [b for b in BLOCKS if b.info == "yaml" and b.text.startswith("header:")]


def _errors(path: Path) -> list[str]:
    _, diagnostics = lint_policy(path)
    return [f"{d.code} {d.message}" for d in diagnostics if d.level == "error"]


def test_the_docs_have_policy_snippets() -> None:
    assert len(POLICIES) >= 3 and len(FRAGMENTS) >= 5 and YAML_POLICIES


@pytest.mark.parametrize("block", POLICIES, ids=lambda b: b.where)
def test_policy_snippet_lints(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "snippet.policy"
    path.write_text(block.text, encoding="utf-8")
    assert _errors(path) == [], block.where


@pytest.mark.parametrize("block", YAML_POLICIES, ids=lambda b: b.where)
def test_yaml_policy_lints(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "snippet.yaml"
    path.write_text(block.text, encoding="utf-8")
    assert _errors(path) == [], block.where


@pytest.mark.parametrize("block", FRAGMENTS, ids=lambda b: b.where)
def test_policy_fragment_parses(block: Block) -> None:
    """A fragment (items without their policy) is not linted, but it is valid syntax."""
    starts_whole = re.match(r"\s*(policy|module)\s", block.text)
    parse(block.text if starts_whole else FRAGMENT_HEADER + block.text, block.where)


def test_unmarked_blocks_hold_no_policy() -> None:
    """A policy snippet is marked, so the tests above find it."""
    # (a grammar summary such as `exclusion ID "标题"` is a template, marked text)
    rule = re.compile(r"^\s*(exclusion|requirement|procedure) [a-z_]+ \"", re.MULTILINE)
    unmarked = [b.where for b in BLOCKS if b.info in ("", "text") and rule.search(b.text)]
    assert unmarked == []


def test_the_yaml_spelling_shown_is_what_convert_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dsl,) = [b for b in POLICIES if b.page.name == "formats.md"]
    (shown,) = [b for b in YAML_POLICIES if b.page.name == "formats.md"]
    path = tmp_path / "eryuan.policy"
    path.write_text(dsl.text, encoding="utf-8")
    assert main(["convert", str(path), "--to", "yaml"]) == 0
    assert capsys.readouterr().out == shown.text


# ---------------------------------------------------------------- commands


@dataclass
class Command:
    where: str
    argv: list[str]
    redirect: str | None = None
    expected: list[str] | None = None
    exit_code: int | None = None
    inputs: list[str] = field(default_factory=list)


_OUTPUT_OPTIONS = {"-o", "--output", "--ics", "--chart", "--out", "--log"}


def _command(where: str, line: str) -> Command | None:
    """A command line of the docs, or None when it is a synopsis (placeholders) or reads a
    file the repository does not ship."""
    line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
    if re.search(r"[A-Z]{3,}|\[|\||\.\.\.$", line.replace("--", "")):
        return None  # a synopsis: FILE, [--json], a|b
    words = shlex.split(line)
    redirect = None
    if ">" in words:
        at = words.index(">")
        words, redirect = words[:at], words[at + 1]
    argv = words[1:]
    inputs: list[str] = []
    uses_bundled = False
    for index, word in enumerate(argv):
        if word.startswith("-") or (index and argv[index - 1] in _OUTPUT_OPTIONS):
            continue
        if word in BUNDLED_IDS or word.startswith(("examples/", "policies/")):
            uses_bundled = True
        if "/" in word or re.search(r"\.\w+$", word):
            inputs.append(word)
    if not uses_bundled:
        return None
    if not all(glob.glob(str(REPO / name)) for name in inputs):
        return None
    return Command(where, argv, redirect, inputs=inputs)


def _commands() -> list[Command]:
    """Plain command lines (``titlerules ...``), and shown sessions: ``$ titlerules ...``
    followed by its output, then optionally ``$ echo $?`` and the exit code."""
    found: list[Command] = []
    for block in BLOCKS:
        if block.info not in ("", "console", "sh", "shell"):
            continue
        lines = block.text.splitlines()
        for number, line in enumerate(lines):
            where = f"{block.where}+{number + 1}"
            if line.startswith("titlerules "):
                command = _command(where, line)
                if command is not None:
                    found.append(command)
                continue
            if not line.startswith("$ titlerules "):
                continue
            command = _command(where, line[2:])
            if command is None:
                continue
            rest = lines[number + 1 :]
            end = next((k for k, later in enumerate(rest) if later.startswith("$ ")), len(rest))
            command.expected = rest[:end]
            if end + 1 < len(rest) and rest[end].startswith("$ echo $?"):
                command.exit_code = int(rest[end + 1])
            found.append(command)
    return found


COMMANDS = _commands()


def _line_matches(expected: list[str], actual: list[str]) -> bool:
    """As the error catalogue's match (an indented '...' line too), and '…' inside a line
    stands for any text."""
    expected = ["..." if line.strip() == "..." else line for line in expected]
    pattern = [
        line
        if "…" not in line
        else "\0"
        + "".join(".*?" if part == "…" else re.escape(part) for part in re.split("(…)", line))
        for line in expected
    ]
    shown = list(actual)
    for i, line in enumerate(pattern):
        if line.startswith("\0"):
            regex = re.compile(line[1:] + "$")
            for k, candidate in enumerate(shown):
                if regex.match(candidate.rstrip()):
                    shown[k] = expected[i]
    return _matches(expected, shown)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the commands read (and may write), so the repository stays as it is."""
    root = tmp_path_factory.mktemp("docs-run")
    for name in ("examples", "policies", "docs"):
        shutil.copytree(REPO / name, root / name)
    return root


def test_the_docs_run_commands() -> None:
    assert len(COMMANDS) >= 20
    assert any(c.expected for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.where)
def test_documented_command_runs(
    command: Command, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    argv = [m for word in command.argv for m in (sorted(glob.glob(word)) or [word])]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if command.redirect:
        (workdir / command.redirect).write_text(out.getvalue(), encoding="utf-8")
    allowed = {command.exit_code} if command.exit_code is not None else {0}
    if command.argv[0] in ("audit", "clauses") and command.exit_code is None:
        allowed.add(1)  # findings are what these commands show
    assert code in allowed, (command.where, code, err.getvalue()[-2000:])
    if command.expected:
        actual = out.getvalue().splitlines()
        assert _line_matches(command.expected, actual), (
            f"{command.where}: expected\n"
            + "\n".join(command.expected)
            + "\n--- but printed\n"
            + "\n".join(actual)
        )


# ---------------------------------------------------------------- reference completeness


def test_every_shared_definition_is_documented() -> None:
    language = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    names = [
        match.group(1)
        for path in sorted((REPO / "policies" / "common").glob("*.policy"))
        for match in re.finditer(r"^(?:def|param) (\w+)", path.read_text("utf-8"), re.M)
    ]
    assert len(names) >= 20
    missing = [n for n in names if f"`{n}" not in language]
    assert missing == []


def test_the_remainder_operator_is_documented() -> None:
    language = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    assert "`a % b`" in language and "`+ - * / %`" in language


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(child, f"{name} {sub}")

    walk(build_parser(), "titlerules")
    return found


PARSERS = _parsers()


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[n for n, _ in PARSERS])
def test_help_is_plain_and_complete(name: str, parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert "``" not in text and not re.search(r":\w+:`", text), text
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name}: {action.option_strings or action.dest} has no help"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [n.split()[1] for n, _ in PARSERS if len(n.split()) == 2]
    assert len(commands) >= 14
    for command in commands:
        assert main([command, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: titlerules {command}")
