"""Output a program can trust: ``--json`` is JSON on stdout even for errors, one error format
on stderr for every command, ``check --json`` of one shape, ``--fail-on``, folders for
``lint`` and ``fmt``, ``fmt --diff``, and no silent success on an empty folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from titlerules.cli import main

from .conftest import EXAMPLES, HEADER

BROKEN_DSL = HEADER + 'requirement r "q" {\n  cite 一 "q"\n  require applicant.age +\n}\n'
BROKEN_YAML = "header:\n  kind: policy\n  id: x-2024\n  title： t\n"
LI_HUA = EXAMPLES / "eryuan-2024" / "applicants" / "li-hua.yaml"
ERYUAN = EXAMPLES / "eryuan-2024" / "applicants"
# The one error format: first line ends with the code, the hint on the next line.
ERROR_LINE = re.compile(r"^titlerules: error: .+ \[TR\d{3}\]$")


def _error_object(out: str) -> dict[str, object]:
    payload = json.loads(out)
    assert set(payload) == {"error"}
    error = payload["error"]
    assert set(error) >= {"code", "message", "location", "hint"}
    assert re.fullmatch(r"TR\d{3}", error["code"])
    return dict(error)


def _one_format(err: str) -> list[str]:
    lines = err.splitlines()
    assert ERROR_LINE.match(lines[0]), err
    return lines


# ---------------------------------------------------------------- --json is JSON


def test_lint_json_on_a_syntax_error_is_only_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text(BROKEN_DSL, encoding="utf-8")
    assert main(["lint", "--json", str(broken)]) == 1
    out, err = capsys.readouterr()
    (finding,) = json.loads(out)
    assert (finding["file"], finding["line"], finding["code"]) == (str(broken), 7, "TR301")
    assert "^" in err  # the caret text went to stderr


def test_lint_exits_the_same_for_a_syntax_error_in_dsl_and_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsl = tmp_path / "broken.policy"
    dsl.write_text(BROKEN_DSL, encoding="utf-8")
    yml = tmp_path / "broken.yaml"
    yml.write_text(BROKEN_YAML, encoding="utf-8")
    assert main(["lint", str(dsl)]) == main(["lint", str(yml)]) == 1
    capsys.readouterr()
    assert main(["lint", "--json", str(yml)]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["file"] == str(yml) and (finding["line"], finding["column"]) == (4, 8)
    assert finding["message"] == "not valid YAML: a full-width colon '：' after the key 'title'"


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--json", "eryuan-2024", "no-such-file.yaml"],
        ["audit-set", "--json", "eryuan-2024", "no-such-file.yaml", "--bogus"],
        ["check", "--jsonl", "no-such-policy", str(LI_HUA)],
        ["plan", "--json", "eryuan-2024"],
        ["calendar", "day", "--json", "2024-13-01"],
        ["test", "--json", "no-such-folder"],
        ["compare", "--json", "eryuan-2024", "no-such-policy"],
        ["clauses", "--json", "no-such-policy"],
        ["replay", "--json", "no-such-log.jsonl"],
        ["validate-records", "--json", "no-such-table.csv"],
        ["policies", "--json", "--bogus"],
        ["lint", "--json", "no-such-policy"],
        ["fmt", "--json", "no-such.policy"],
    ],
)
def test_every_json_command_prints_a_json_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    error = _error_object(out)
    lines = _one_format(err)
    assert str(error["code"]) in lines[0]


def test_jsonl_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--jsonl", "no-such-policy", str(LI_HUA)]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["error"]["code"] == "TR320"
    assert main(["check", "--jsonl", str(LI_HUA), "--bogus"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["error"]["code"] == "TR001"


def test_check_json_names_the_failing_record(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "eryuan-2024", "no-such-file.yaml"]) == 2
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["file"] == "no-such-file.yaml"
    assert entry["error"]["code"] == "TR002"


# ---------------------------------------------------------------- one error format


def test_fmt_convert_and_records_share_the_error_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text(BROKEN_DSL, encoding="utf-8")
    bad_record = tmp_path / "bad.yaml"
    bad_record.write_text("applicant: {employment: 3}\n", encoding="utf-8")
    for argv in (
        ["fmt", str(broken)],
        ["convert", str(broken), "--to", "yaml"],
        ["check", "eryuan-2024", str(bad_record)],
        ["audit-set", "eryuan-2024", str(bad_record)],
    ):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        lines = _one_format(err)
        assert "titlerules: error" not in out, argv
        assert any(line.lstrip().startswith("hint: ") for line in lines[1:]), argv


def test_syntax_error_reads_without_a_second_error_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text(BROKEN_DSL, encoding="utf-8")
    assert main(["check", str(broken), str(LI_HUA)]) == 2
    first = _one_format(capsys.readouterr().err)[0]
    assert first.startswith(f"titlerules: error: {broken}:7:1: ") and ": error:" not in first[18:]


def test_usage_error_is_one_of_ours(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    lines = _one_format(capsys.readouterr().err)
    assert lines[0].endswith("[TR001]") and lines[1] == "  hint: run 'titlerules check --help'"


# ---------------------------------------------------------------- check's one shape


def test_check_json_is_a_list_for_one_record(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "eryuan-2024", str(LI_HUA)]) == 0
    (decision,) = json.loads(capsys.readouterr().out)
    assert decision["file"] == str(LI_HUA) and decision["record_path"] == "applicant"
    assert decision["outcome"] == "eligible"


def test_check_jsonl_one_line_per_record(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--jsonl", "eryuan-2024", str(ERYUAN)]) == 0
    lines = capsys.readouterr().out.splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == len(list(ERYUAN.glob("*.yaml")))
    assert [Path(e["file"]).name for e in entries] == sorted(p.name for p in ERYUAN.glob("*.yaml"))


def test_check_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--jsonl", "eryuan-2024", str(ERYUAN)]) == 0
    outcomes = {json.loads(line)["outcome"] for line in capsys.readouterr().out.splitlines()}
    assert {"ineligible", "undetermined", "eligible"} <= outcomes
    assert main(["check", "--fail-on", "ineligible", "eryuan-2024", str(ERYUAN)]) == 1
    assert main(["check", "--fail-on", "undetermined", "eryuan-2024", str(ERYUAN)]) == 1
    # li-hua is eligible: nothing to fail on.
    assert main(["check", "--fail-on", "ineligible", "eryuan-2024", str(LI_HUA)]) == 0
    assert main(["check", "--fail-on", "nothing", "eryuan-2024", str(LI_HUA)]) == 2


def test_empty_folder_is_an_error_not_a_silent_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a record\n", encoding="utf-8")
    assert main(["check", "eryuan-2024", str(empty)]) == 2
    assert "no record file in the folder" in _one_format(capsys.readouterr().err)[0]
    assert main(["lint", str(empty)]) == 2
    assert "no .policy file in the folder" in capsys.readouterr().err


def test_a_record_of_another_year_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.yaml"
    text = LI_HUA.read_text(encoding="utf-8")
    assert "year: 2024" in text
    old.write_text(text.replace("year: 2024", "year: 2023"), encoding="utf-8")
    assert main(["check", "--json", "eryuan-2024", str(old)]) == 0
    out, err = capsys.readouterr()
    (decision,) = json.loads(out)
    assert decision["warnings"] == [
        "application.year is 2023, but the policy is for 2024: check the policy"
    ]
    assert err.startswith(f"titlerules: warning: {old}: applicant: application.year is 2023")
    assert main(["check", "eryuan-2024", str(LI_HUA)]) == 0
    assert "warning" not in capsys.readouterr().err


# ---------------------------------------------------------------- folders and --diff


def test_lint_and_fmt_take_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    good = tmp_path / "a.policy"
    good.write_text(HEADER, encoding="utf-8")
    assert main(["fmt", "--write", str(good)]) == 0  # in canonical layout
    messy = tmp_path / "sub" / "b.policy"
    messy.write_text(HEADER.replace("{\n  title", "{   title"), encoding="utf-8")
    capsys.readouterr()
    assert main(["lint", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{good}: ok" in out and f"{messy}: ok" in out
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy}\n"


def test_fmt_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = tmp_path / "b.policy"
    messy.write_text(HEADER.replace("{\n  title", "{   title"), encoding="utf-8")
    before = messy.read_text(encoding="utf-8")
    assert main(["fmt", "--diff", str(messy)]) == 1
    diff = capsys.readouterr().out
    assert diff.startswith(f"--- {messy} (as written)\n+++ {messy} (formatted)\n@@ ")
    assert "\n-policy test-policy {   title" in diff and "\n+  title" in diff
    assert messy.read_text(encoding="utf-8") == before  # --diff changes nothing
    assert main(["fmt", "--write", str(messy)]) == 0
    capsys.readouterr()
    assert main(["fmt", "--diff", str(messy)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("name", "text", "where", "caret_line"),
    [
        ("p.yaml", BROKEN_YAML, "p.yaml:4:8", "   4 |   title： t"),
        (
            "p.json",
            '{"header": {"kind": "policy",}}',
            "p.json:1:30",
            '   1 | {"header": {"kind": "policy",}}',
        ),
    ],
)
def test_yaml_and_json_syntax_errors_show_the_line_and_a_caret(
    name: str,
    text: str,
    where: str,
    caret_line: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(text, encoding="utf-8")
    assert main(["lint", name]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{where}: error: not valid ") and lines[0].endswith("[TR002]")
    assert lines[1] == caret_line and lines[2].lstrip().startswith("|") and "^" in lines[2]
    assert main(["convert", name, "--to", "dsl"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"titlerules: error: {where}: not valid ") and err[1] == caret_line
