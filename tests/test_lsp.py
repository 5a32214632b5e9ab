"""``titlerules lsp``: a real client session over stdio (the server is a subprocess, spoken to
in JSON-RPC), and the server's answers checked one by one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp_client import SRC, LspClient
from titlerules.resources import policies_dir

pytest.importorskip("pygls", reason="the lsp extra (make test installs it)")

POLICY = policies_dir() / "eryuan-2024.policy"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[LspClient]:
    session = LspClient(tmp_path)
    result = session.request(
        "initialize",
        {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
    )
    capabilities = result["capabilities"]
    assert capabilities["hoverProvider"] and capabilities["definitionProvider"]
    assert capabilities["documentFormattingProvider"] and "completionProvider" in capabilities
    session.notify("initialized", {})
    yield session
    assert session.close() == 0


def _open(client: LspClient, path: Path, text: str) -> str:
    uri = path.resolve().as_uri()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "titlerules", "version": 1, "text": text}},
    )
    return uri


def _change(client: LspClient, uri: str, version: int, text: str) -> None:
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
    )


def _at(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """The position of ``needle``'s first occurrence (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return {"line": line, "character": column}


def _doc(uri: str, position: dict[str, int]) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": position}


def test_a_session_shows_diagnostics_hover_completion_definition_and_formatting(
    client: LspClient, tmp_path: Path
) -> None:
    good = POLICY.read_text(encoding="utf-8")
    typo = good.replace("applicant.sanctions", "applicant.santions", 1)
    assert typo != good
    path = tmp_path / "eryuan-2024.policy"
    path.write_text(good, encoding="utf-8")

    # Open with a typo: the diagnostic, its range, the did-you-mean as related information.
    uri = _open(client, path, typo)
    published = client.wait_for("textDocument/publishDiagnostics", uri, version=1)
    [diagnostic] = published["diagnostics"]
    assert diagnostic["message"] == "unknown field 'applicant.santions'"
    assert diagnostic["severity"] == 1 and diagnostic["code"] == "TR311"
    start = _at(typo, "applicant.santions")
    assert diagnostic["range"]["start"] == start
    assert diagnostic["range"]["end"] == {**start, "character": start["character"] + 18}
    [related] = diagnostic["relatedInformation"]
    assert related["message"] == "hint: did you mean 'applicant.sanctions'?"

    # The quick fix the hint describes: replace the path with the suggestion.
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        },
    )
    [action] = actions
    [edit] = action["edit"]["changes"][uri]
    assert edit == {"range": diagnostic["range"], "newText": "applicant.sanctions"}

    # Fixed: the diagnostics are cleared.
    _change(client, uri, 2, good)
    assert client.wait_for("textDocument/publishDiagnostics", uri, version=2)["diagnostics"] == []

    # Hover on a rule id: its titles, the clause and the quote with the notice's sentence.
    hover = client.request(
        "textDocument/hover", _doc(uri, _at(good, "requirement in_scope_employer", 14))
    )
    shown = hover["contents"]["value"]
    assert "**requirement `in_scope_employer`**" in shown
    assert "在我县企事业单位、非公经济组织或为自由职业者" in shown
    assert "Works for an eligible employer in the county" in shown
    assert "**Clause 二(一)**" in shown
    quote = "申报评审人员必须是在我县企事业单位、民营企业、非公经济组织、自由职业者从事专业技术工作"
    assert f"> {quote}" in shown
    assert f"**{quote}**" in shown.split("Notice: ", 1)[1]  # the quote inside its sentence

    # Hover on a param, a record path and a function.
    param_hover = client.request(
        "textDocument/hover", _doc(uri, _at(good, "in in_scope_employers", 4))
    )["contents"]["value"]
    assert param_hover.startswith("**param `in_scope_employers`**: `set[EmployerKind]` = `{")
    field_hover = client.request(
        "textDocument/hover", _doc(uri, _at(good, "applicant.employment.in_jurisdiction", 25))
    )["contents"]["value"]
    assert "`applicant.employment.in_jurisdiction`: `bool`" in field_hover
    function_hover = client.request("textDocument/hover", _doc(uri, _at(good, "coalesce(", 2)))[
        "contents"
    ]["value"]
    assert function_hover.startswith("**function** `coalesce(")

    # Completion after `applicant.employment.`: the fields of the employment record.
    line = _at(good, "applicant.employment.in_jurisdiction")["line"]
    lines = good.split("\n")
    lines[line] = "  require applicant.employment."
    edited = "\n".join(lines)
    _change(client, uri, 3, edited)
    client.wait_for("textDocument/publishDiagnostics", uri, version=3)
    position = {"line": line, "character": len(lines[line])}
    completion = client.request("textDocument/completion", _doc(uri, position))
    labels = {item["label"]: item for item in completion["items"]}
    assert "is_civil_servant" in labels and "employer_kind" in labels
    assert "是否公务员" in labels["is_civil_servant"]["detail"]
    assert "applicant" not in labels  # fields only, no keywords or names
    _change(client, uri, 4, good)
    client.wait_for("textDocument/publishDiagnostics", uri, version=4)

    # Go to the definition of a param from where a rule uses it.
    use = _at(good, "in in_scope_employers", 5)
    [location] = client.request("textDocument/definition", _doc(uri, use))
    declared = _at(good, "param in_scope_employers", 6)
    assert location["uri"] == uri
    assert location["range"]["start"] == declared
    assert location["range"]["end"] == {
        **declared,
        "character": declared["character"] + len("in_scope_employers"),
    }

    # Formatting gives what `titlerules fmt` prints.
    messy = good.replace("param selectors_min: int = 3", "param   selectors_min :int=3", 1)
    assert messy != good
    _change(client, uri, 5, messy)
    client.wait_for("textDocument/publishDiagnostics", uri, version=5)
    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    path.write_text(messy, encoding="utf-8")
    fmt = subprocess.run(
        [sys.executable, "-m", "titlerules.cli", "fmt", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    )
    assert _apply(messy, edits) == fmt.stdout
    assert "param selectors_min: int = 3" in fmt.stdout


def _apply(text: str, edits: list[dict[str, Any]]) -> str:
    """The text with protocol edits applied (positions in UTF-16 units)."""
    lines = text.split("\n")

    def offset(position: dict[str, int]) -> int:
        before = sum(len(line) + 1 for line in lines[: position["line"]])
        line = lines[position["line"]] if position["line"] < len(lines) else ""
        units, column = 0, 0
        while units < position["character"] and column < len(line):
            units += 2 if ord(line[column]) > 0xFFFF else 1
            column += 1
        return before + column

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text
