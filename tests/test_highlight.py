"""Highlighting of policy files: the Pygments lexer (found through its entry point, every
bundled policy without an error token) and the VS Code extension's TextMate grammar (every
bundled policy tokenised as VS Code does, under node, and compared with the lexer)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from titlerules.lang.parser import parse
from titlerules.resources import policies_dir

pygments = pytest.importorskip("pygments", reason="the lsp extra (make test installs it)")

from pygments.token import Comment, Error, Name, String, _TokenType  # noqa: E402

from titlerules.highlight import PolicyLexer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "titlerules.tmLanguage.json"
POLICIES = sorted(policies_dir().rglob("*.policy"))
# The npm packages VS Code tokenises with, installed for the test into build/tm.
NPM_PACKAGES = ("vscode-textmate@9.4.0", "vscode-oniguruma@2.0.1")


def _tokens(text: str) -> list[tuple[_TokenType, str]]:
    return [(kind, value) for kind, value in PolicyLexer().get_tokens(text)]


def test_there_are_bundled_policies_and_modules() -> None:
    names = {p.name for p in POLICIES}
    assert "eryuan-2024.policy" in names and "sanctions.policy" in names


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_the_lexer_tokenises_every_bundled_policy_without_error(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tokens = _tokens(text)
    assert [value for kind, value in tokens if kind in Error] == []
    assert "".join(value for _, value in tokens).rstrip("\n") == text.rstrip("\n")
    # The names the file declares are the names the lexer marks as declared.
    declared = parse(text, str(path))
    rules = {value for kind, value in tokens if kind is Name.Class}
    params = {value for kind, value in tokens if kind is Name.Constant}
    assert rules == {r.id for r in declared.rules}
    assert params == {p.name for p in declared.params}


def test_the_lexer_marks_what_is_not_the_language_as_an_error() -> None:
    text = "param n: int = 1\nlet x = max(n，2)\nlet y = n ; 2\n"
    assert [v for k, v in _tokens(text) if k in Error] == ["，", ";"]


def test_pygments_finds_the_lexer_through_the_entry_point(tmp_path: Path) -> None:
    """The entry point as pyproject.toml declares it, in a distribution Pygments' plugin
    lookup sees: ``pygmentize -l titlerules`` (``python -m pygments``) highlights a policy."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry = declared["project"]["entry-points"]["pygments.lexers"]
    assert entry == {"titlerules": "titlerules.highlight:PolicyLexer"}
    dist = tmp_path / "titlerules_lexer_probe-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: titlerules-lexer-probe\nVersion: 0\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {target}\n" for name, target in entry.items())
    (dist / "entry_points.txt").write_text(f"[pygments.lexers]\n{lines}", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src")])}
    policy = policies_dir() / "eryuan-2024.policy"
    for alias in ("titlerules", "policy"):
        shown = subprocess.run(
            [sys.executable, "-m", "pygments", "-l", alias, "-f", "raw", str(policy)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        assert "Token.Name.Class\t'in_scope_employer'" in shown
        assert "Token.Error" not in shown
    guessed = subprocess.run(
        [sys.executable, "-m", "pygments", "-N", str(policy)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert guessed.strip() == "titlerules"


# ---------------------------------------------------------------- the TextMate grammar


def test_the_vscode_folder_declares_the_language_grammar_and_server() -> None:
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [language] = package["contributes"]["languages"]
    assert language["id"] == "titlerules" and language["extensions"] == [".policy"]
    [grammar] = package["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).resolve() == GRAMMAR
    assert json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"] == grammar["scopeName"]
    configuration = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert configuration["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in configuration["brackets"] and ["(", ")"] in configuration["brackets"]
    settings = package["contributes"]["configuration"]["properties"]
    assert settings["titlerules.server.command"]["default"] == ["titlerules", "lsp"]
    main = (VSCODE / package["main"]).read_text(encoding="utf-8")
    assert "vscode-languageclient/node" in main and "server.command" in main
    assert "vscode-languageclient" in package["dependencies"]


@pytest.fixture(scope="module")
def node_modules() -> Iterator[Path]:
    """vscode-textmate and vscode-oniguruma under build/tm (installed from npm once)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the TextMate grammar is not tokenised")
    folder = ROOT / "build" / "tm"
    modules = folder / "node_modules"
    wanted = {name.rsplit("@", 1)[0]: name.rsplit("@", 1)[1] for name in NPM_PACKAGES}
    installed = {}
    for name in wanted:
        manifest = modules / name / "package.json"
        if manifest.is_file():
            installed[name] = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    if installed != wanted:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", *NPM_PACKAGES],
            check=True,
            capture_output=True,
            timeout=600,
        )
    yield modules


def _textmate(node_modules: Path, files: list[Path]) -> dict[str, list[list[object]]]:
    shown = subprocess.run(
        ["node", str(VSCODE / "test" / "tokenize.js"), str(GRAMMAR), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(node_modules)},
    ).stdout
    found: dict[str, list[list[object]]] = json.loads(shown)
    return found


def _utf16_columns(line: str) -> list[int]:
    """For each UTF-16 code unit of a line, the character it belongs to."""
    out = []
    for index, char in enumerate(line):
        out.extend([index] * (2 if ord(char) > 0xFFFF else 1))
    return out


def _lexer_kinds(text: str) -> list[list[str]]:
    """Per line, per character: comment, string or code, as the Pygments lexer says."""
    kinds: list[list[str]] = [[]]
    for kind, value in _tokens(text):
        word = "comment" if kind in Comment else "string" if kind in String else "code"
        for char in value:
            if char == "\n":
                kinds.append([])
            else:
                kinds[-1].append(word)
    return kinds


def test_the_textmate_grammar_tokenises_every_bundled_policy(node_modules: Path) -> None:
    """Every character outside white space gets a scope of the grammar (none is
    ``invalid``); comments and strings are where the Pygments lexer finds them; the rules
    declared are the names scoped as rule names."""
    tokenised = _textmate(node_modules, POLICIES)
    assert set(tokenised) == {str(p) for p in POLICIES}
    for path in POLICIES:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        expected = _lexer_kinds(text)
        rules = set()
        for number, start, end, scopes in tokenised[str(path)]:
            assert isinstance(number, int) and isinstance(start, int) and isinstance(end, int)
            assert isinstance(scopes, list)
            line = lines[number]
            columns = _utf16_columns(line)
            piece = "".join(line[c] for c in sorted(set(columns[start:end])))
            where = f"{path.name}:{number + 1}:{start + 1} {piece!r} {scopes}"
            assert not any(s.startswith("invalid") for s in scopes), where
            if piece.strip():
                assert len(scopes) > 1, f"no scope: {where}"
            word = (
                "comment"
                if any(s.startswith("comment") for s in scopes)
                else "string"
                if any(s.startswith("string") for s in scopes)
                else "code"
            )
            for column in set(columns[start:end]):
                if not line[column].isspace():
                    assert expected[number][column] == word, where
            if "entity.name.type.rule.titlerules" in scopes:
                rules.add(piece)
        assert rules == {r.id for r in parse(text, str(path)).rules}, path.name


def test_the_textmate_grammar_marks_stray_characters_invalid(
    node_modules: Path, tmp_path: Path
) -> None:
    stray = tmp_path / "stray.policy"
    stray.write_text("let x = max(n，2)\n", encoding="utf-8")
    tokens = _textmate(node_modules, [stray])[str(stray)]
    invalid = [t for t in tokens if any(str(s).startswith("invalid") for s in list(t[3]))]
    assert [(t[1], t[2]) for t in invalid] == [(13, 14)]


def test_the_extension_script_and_the_word_pattern_are_valid_javascript(
    node_modules: Path,
) -> None:
    subprocess.run(["node", "--check", str(VSCODE / "extension.js")], check=True)
    script = (
        "const c = require(process.argv[1]);"
        "const word = new RegExp(c.wordPattern);"
        "new RegExp(c.indentationRules.increaseIndentPattern);"
        "new RegExp(c.indentationRules.decreaseIndentPattern);"
        "const words = ['事业单位', 'applicant.employment', '二(一)'];"
        "console.log(words.map(w => w.match(word)[0]).join(' '));"
    )
    shown = subprocess.run(
        ["node", "-e", script, str(VSCODE / "language-configuration.json")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.split() == ["事业单位", "applicant", "二"]
