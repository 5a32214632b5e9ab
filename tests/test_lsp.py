"""``titlerules lsp``: a real client session over stdio (the server is a subprocess, spoken to
in JSON-RPC), and the server's answers checked one by one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from titlerules.resources import policies_dir

from .lsp_client import SRC, LspClient

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


def test_changes_sent_together_are_checked_once_with_the_newest_text(
    client: LspClient, tmp_path: Path
) -> None:
    good = POLICY.read_text(encoding="utf-8")
    path = tmp_path / "eryuan-2024.policy"
    uri = _open(client, path, good)
    assert client.wait_for("textDocument/publishDiagnostics", uri, version=1)["diagnostics"] == []
    typo = good.replace("applicant.sanctions", "applicant.santions", 1)
    for version, text in ((2, typo), (3, good), (4, typo)):
        _change(client, uri, version, text)
    last = client.wait_for("textDocument/publishDiagnostics", uri, version=4)
    assert [d["message"] for d in last["diagnostics"]] == ["unknown field 'applicant.santions'"]
    # A request sees the newest text too.
    _change(client, uri, 5, good)
    hover = client.request("textDocument/hover", _doc(uri, _at(good, "applicant.sanctions", 12)))
    assert "`applicant.sanctions`" in hover["contents"]["value"]


def test_diagnostics_of_an_imported_module_are_published_for_it_and_cleared(
    client: LspClient, tmp_path: Path
) -> None:
    common = tmp_path / "common"
    common.mkdir()
    module = common / "local.policy"
    module.write_text("module common/local {\n}\n\nlet bad = applicant.santions\n", "utf-8")
    policy = tmp_path / "p.policy"
    text = 'module p {\n}\n\nimport "common/local"\n'
    uri = _open(client, policy, text)
    module_uri = module.resolve().as_uri()
    [found] = client.wait_for("textDocument/publishDiagnostics", module_uri)["diagnostics"]
    assert found["message"] == "unknown field 'applicant.santions'"
    # The document that imports it says so on its import line.
    [pointer] = client.wait_for("textDocument/publishDiagnostics", uri)["diagnostics"]
    assert pointer["range"]["start"] == {"line": 3, "character": 0}
    assert pointer["message"] == "1 error(s) in local.policy: unknown field 'applicant.santions'"
    assert pointer["relatedInformation"][0]["location"] == {
        "uri": module_uri,
        "range": found["range"],
    }
    _change(client, uri, 2, "module p {\n}\n")
    assert client.wait_for("textDocument/publishDiagnostics", module_uri)["diagnostics"] == []
    assert client.wait_for("textDocument/publishDiagnostics", uri, version=2)["diagnostics"] == []
    # A module that does not parse: its syntax error, and the pointer on the import line.
    module.write_text("module common/local {\n}\n\nlet bad = (1\n", "utf-8")
    _change(client, uri, 3, text)
    [syntax] = client.wait_for("textDocument/publishDiagnostics", module_uri)["diagnostics"]
    assert syntax["code"] == "TR301" and syntax["message"] == "unexpected end of file"
    assert syntax["range"]["start"] == {"line": 3, "character": len("let bad = (1")}
    [pointer] = client.wait_for("textDocument/publishDiagnostics", uri, version=3)["diagnostics"]
    assert pointer["range"]["start"]["line"] == 3 and "local.policy" in pointer["message"]
    # Open in the editor, the module's diagnostics are those of the text the editor holds;
    # checking the document that imports it (from the disk) does not overwrite them.
    _open(client, module, "module common/local {\n}\n")
    assert client.wait_for("textDocument/publishDiagnostics", module_uri)["diagnostics"] == []
    _change(client, uri, 4, text)
    client.wait_for("textDocument/publishDiagnostics", uri, version=4)
    client.request("textDocument/hover", _doc(uri, {"line": 0, "character": 0}))
    published = [n for n in client.notifications if n["params"].get("uri") == module_uri]
    assert published == []


# ---------------------------------------------------------------- the analysis, in process

lsp = pytest.importorskip("lsprotocol.types")


def _analysis(text: str, path: Path | None = None) -> Any:
    from titlerules.lsp.analysis import analyse

    return analyse(path or POLICY, text)


def _pos(text: str, needle: str, offset: int = 0) -> Any:
    where = _at(text, needle, offset)
    return lsp.Position(where["line"], where["character"])


def test_hover_on_cite_a_term_a_def_and_a_list_method() -> None:
    from titlerules.lsp.analysis import hover

    text = POLICY.read_text(encoding="utf-8")
    a = _analysis(text)
    on_cite = hover(a, a.resolved, _pos(text, "  cite 二(一)", 3))
    assert on_cite is not None and on_cite.startswith("**requirement `in_scope_employer`**")
    term = hover(a, a.resolved, _pos(text, "{事业单位,", 1))
    assert term is not None and "**事业单位**" in term and "`EmployerKind`" in term
    def_ = hover(a, a.resolved, _pos(text, "is_promotion_to(level)", 1))
    assert def_ is not None and def_.startswith("**def `is_promotion_to(level)`** = `")
    method = hover(a, a.resolved, _pos(text, "titles.max(", 8))
    assert method is not None and "list method" in method
    assert hover(a, a.resolved, _pos(text, "# 一(一)", 3)) is None  # a comment


def test_hover_on_a_record_path_shows_labels_type_and_vocabulary() -> None:
    from titlerules.lsp.analysis import hover

    text = POLICY.read_text(encoding="utf-8")
    a = _analysis(text)
    shown = hover(a, a.resolved, _pos(text, "applicant.employment.employer_kind", 25))
    assert shown is not None
    assert "`applicant.employment.employer_kind`: `EmployerKind`" in shown
    assert "Vocabulary EmployerKind:" in shown and "事业单位" in shown
    assert shown.startswith("**") and " / " in shown.split("\n")[0]


def test_definitions_of_imports_and_override_targets(tmp_path: Path) -> None:
    from titlerules.lsp.analysis import definition

    kunming = policies_dir() / "kunming-2020.policy"
    text = kunming.read_text(encoding="utf-8")
    a = _analysis(text, kunming)
    [target] = definition(a, a.resolved, _pos(text, "override param credit_record_period", 16))
    assert target.uri.endswith("/common/credit.policy")
    declared = (policies_dir() / "common" / "credit.policy").read_text(encoding="utf-8")
    assert target.range.start == _pos(declared, "param credit_record_period", 6)
    line = next(line for line in text.splitlines() if line.startswith("import "))
    [imported] = definition(a, a.resolved, _pos(text, line, len(line) - 3))
    name = line.split('"')[1]
    assert imported.uri == (policies_dir() / f"{name}.policy").resolve().as_uri()


def test_references_and_the_outline() -> None:
    from titlerules.lsp.analysis import references, symbols

    text = POLICY.read_text(encoding="utf-8")
    a = _analysis(text)
    at = _pos(text, "param in_scope_employers", 6)
    every = references(a, a.resolved, at, True)
    uses = references(a, a.resolved, at, False)
    assert len(every) == len(uses) + 1 == text.count(" in_scope_employers\n") + 1
    outline = {s.name: s for s in symbols(a)}
    assert outline["in_scope_employer"].kind == lsp.SymbolKind.Class
    assert outline["in_scope_employers"].kind == lsp.SymbolKind.Constant
    assert outline["is_promotion_to"].kind == lsp.SymbolKind.Function
    rules = {r.id for r in a.resolved.root_file.rules}
    assert rules <= set(outline)


def _labels(text: str, line_text: str) -> dict[str, Any]:
    from titlerules.lsp.analysis import completion

    lines = text.split("\n")
    line = _at(text, "require applicant.employment.in_jurisdiction")["line"]
    lines[line] = line_text
    edited = "\n".join(lines)
    good = _analysis(text)
    a = _analysis(edited)
    items = completion(a, good.resolved, lsp.Position(line, len(line_text)))
    return {item.label: item for item in items}


def test_completion_of_terms_clauses_items_and_names() -> None:
    text = POLICY.read_text(encoding="utf-8")
    terms = _labels(text, "  require applicant.employment.employer_kind in {事业单位, ")
    assert {"国有企业", "state_owned_enterprise"} <= set(terms) or "国有企业" in terms
    assert all(i.kind == lsp.CompletionItemKind.EnumMember for i in terms.values())
    english = [i for i in terms.values() if i.label.isascii()]
    assert english and all(i.detail.startswith("EmployerKind: ") for i in english)
    clauses = _labels(text, "  cite ")
    assert {"一", "二(一)", "二(二)3"} <= set(clauses)
    assert clauses["二(一)"].detail == "申报评审范围"
    item = _labels(text, "  require applicant.titles.any(t -> t.")
    assert "level" in item and "series" in item
    general = _labels(text, "  require ")
    assert {"coalesce", "applicant", "in_scope_employers", "is_promotion_to", "unless"} <= set(
        general
    )
    assert _labels(text, '  note "applicant.') == {}


def test_yaml_policies_get_the_same_diagnostics(tmp_path: Path) -> None:
    from titlerules.lang.convert import dump, load_text
    from titlerules.lsp.analysis import protocol_diagnostics

    text = POLICY.read_text(encoding="utf-8")
    yaml_text = dump(load_text(text, "dsl"), "yaml").replace(
        "applicant.sanctions", "applicant.santions", 1
    )
    path = tmp_path / "eryuan-2024.yaml"
    a = _analysis(yaml_text, path)
    [found] = protocol_diagnostics(a)[str(path)]
    assert found.message == "unknown field 'applicant.santions'"
    line = yaml_text.split("\n")[found.range.start.line]
    assert "applicant.santions" in line[found.range.start.character :]
    assert found.related_information[0].message == "hint: did you mean 'applicant.sanctions'?"


def test_syntax_errors_have_a_range_and_full_width_punctuation_a_quick_fix() -> None:
    from titlerules.lsp.analysis import formatting, protocol_diagnostics, quick_fixes

    text = POLICY.read_text(encoding="utf-8")
    slip = text.replace("meeting_date, as_of)", "meeting_date，as_of)", 1)
    a = _analysis(slip)
    assert a.resolved is None
    [found] = protocol_diagnostics(a)[str(POLICY)]
    assert found.range.start == _pos(slip, "，")
    assert "full-width comma" in found.related_information[0].message
    [action] = quick_fixes("file:///p.policy", slip, [found])
    [edit] = action.edit.changes["file:///p.policy"]
    assert edit.new_text == "," and edit.range.start == found.range.start
    assert formatting(POLICY, slip) is None  # nothing to format while it does not parse
    assert formatting(POLICY, text) == []  # the bundled policy is formatted


def test_without_the_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from titlerules.cli import main

    monkeypatch.delitem(sys.modules, "titlerules.lsp.server", raising=False)
    for name in ("pygls", "pygls.lsp", "pygls.lsp.server"):
        monkeypatch.setitem(sys.modules, name, None)  # as if pygls were not installed
    assert main(["lsp"]) == 2
    err = capsys.readouterr().err
    assert "needs pygls and lsprotocol" in err and "[TR600]" in err
    assert "pip install 'titlerules[lsp]'" in err


def test_references_of_an_imported_module() -> None:
    from titlerules.lsp.analysis import references

    text = POLICY.read_text(encoding="utf-8")
    a = _analysis(text)
    found = references(a, a.resolved, _pos(text, 'import "common/sanctions"', 12), True)
    assert [(f.uri, f.range.start.line) for f in found] == [
        (POLICY.resolve().as_uri(), _at(text, 'import "common/sanctions"')["line"])
    ]
    kunming = policies_dir() / "kunming-2020.policy"
    other = kunming.read_text(encoding="utf-8")
    b = _analysis(other, kunming)
    line = next(x for x in other.splitlines() if x.startswith('import "common/credit"'))
    uses = references(b, b.resolved, _pos(other, line, 10), True)
    assert POLICY.resolve().as_uri() not in {u.uri for u in uses}
    assert kunming.resolve().as_uri() in {u.uri for u in uses}
