"""``titlerules fmt`` and ``titlerules convert``, and the file loader behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_lang_printer import COMMENT_SAMPLE, FULL_SAMPLE
from titlerules.cli import main
from titlerules.errors import InputFileError, PolicySyntaxError, UsageError
from titlerules.lang.convert import dump, load_policy_file
from titlerules.lang.parser import parse
from titlerules.lang.printer import format_policy


def run(argv: list[str]) -> int:
    """Run one of the two commands through the command line's entry point."""
    return main(argv)


@pytest.fixture
def unformatted(tmp_path: Path) -> Path:
    path = tmp_path / "p.policy"
    path.write_text(FULL_SAMPLE, encoding="utf-8")
    return path


def test_fmt_prints_canonical_text(unformatted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["fmt", str(unformatted)]) == 0
    out = capsys.readouterr().out
    assert out == format_policy(parse(FULL_SAMPLE))
    assert unformatted.read_text(encoding="utf-8") == FULL_SAMPLE  # untouched


def test_fmt_check_and_write(unformatted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["fmt", "--check", str(unformatted)]) == 1
    assert capsys.readouterr().out == f"would reformat {unformatted}\n"
    assert run(["fmt", "--write", str(unformatted)]) == 0
    assert capsys.readouterr().out == f"reformatted {unformatted}\n"
    assert unformatted.read_text(encoding="utf-8") == format_policy(parse(FULL_SAMPLE))
    assert run(["fmt", "--check", str(unformatted)]) == 0
    assert capsys.readouterr().out == ""
    assert run(["fmt", "--write", str(unformatted)]) == 0  # nothing left to do
    assert capsys.readouterr().out == ""


def test_fmt_check_json(unformatted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["fmt", "--check", "--json", str(unformatted)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == [
        {"file": str(unformatted), "formatted": False, "written": False, "error": None}
    ]


def test_fmt_errors_exit_2_and_check_the_rest(
    unformatted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text("policy x {}\nlet a = (b\n", encoding="utf-8")
    missing = tmp_path / "missing.policy"
    code = run(["fmt", "--check", str(bad), str(missing), str(unformatted)])
    assert code == 2
    captured = capsys.readouterr()
    assert f"would reformat {unformatted}" in captured.out
    assert f"titlerules: error: {bad}:2:11: unexpected end of file" in captured.err
    assert "   2 | let a = (b" in captured.err
    assert f"titlerules: error: {missing}: no such file [TR002]" in captured.err


def test_fmt_refuses_several_files_without_a_mode(
    unformatted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["fmt", str(unformatted), str(unformatted)]) == 2
    assert "give --check, --diff or --write" in capsys.readouterr().err


def test_fmt_keeps_the_spelling_of_yaml_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pf = parse(COMMENT_SAMPLE)
    for spelling, suffix in (("yaml", ".yaml"), ("json", ".json")):
        path = tmp_path / f"p{suffix}"
        path.write_text(dump(pf, spelling), encoding="utf-8")
        assert run(["fmt", "--check", str(path)]) == 0
        assert run(["fmt", str(path)]) == 0
        assert capsys.readouterr().out == dump(pf, spelling)


def test_fmt_bad_yaml_reports_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    text = "header: {kind: policy, id: x}\nitems: [{kind: let, name: 1, value: 2}]\n"
    path.write_text(text, encoding="utf-8")
    assert run(["fmt", str(path)]) == 2
    assert f"{path}: items[0].name: expected a string" in capsys.readouterr().err


@pytest.mark.parametrize("to", ["dsl", "yaml", "json"])
def test_convert_loses_nothing(
    to: str, unformatted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = parse(COMMENT_SAMPLE)
    source = tmp_path / "c.policy"
    source.write_text(COMMENT_SAMPLE, encoding="utf-8")
    assert run(["convert", str(source), "--to", to]) == 0
    text = capsys.readouterr().out
    suffix = {"dsl": ".policy", "yaml": ".yaml", "json": ".json"}[to]
    converted = tmp_path / f"converted{suffix}"
    converted.write_text(text, encoding="utf-8")
    assert load_policy_file(converted) == original
    # and back to DSL, through the command again
    assert run(["convert", str(converted), "--to", "dsl"]) == 0
    assert capsys.readouterr().out == format_policy(original)


def test_convert_output_file_and_inferred_spelling(unformatted: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yml"
    assert run(["convert", str(unformatted), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("header:\n  kind: policy\n")
    assert load_policy_file(out) == parse(FULL_SAMPLE)


def test_convert_usage_errors(
    unformatted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["convert", str(unformatted)]) == 2
    assert "give --to dsl, yaml or json" in capsys.readouterr().err
    assert run(["convert", str(unformatted), "-o", str(tmp_path / "out.txt")]) == 2
    assert "cannot tell the policy format" in capsys.readouterr().err
    assert run(["convert", str(unformatted), "--to", "xml"]) == 2
    assert "titlerules: error: argument --to: invalid choice" in capsys.readouterr().err


def test_convert_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text('policy x {\n  titel "a"\n}\n', encoding="utf-8")
    assert run(["convert", str(bad), "--to", "yaml"]) == 2
    assert f"titlerules: error: {bad}:2:3: " in capsys.readouterr().err


# ---------------------------------------------------------------- the loader


def test_load_policy_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        load_policy_file(tmp_path / "missing.policy")
    assert str(info.value).startswith(f"{tmp_path / 'missing.policy'}: no such file")
    assert info.value.hint
    gbk = tmp_path / "gbk.policy"
    gbk.write_bytes('policy x { title "洱源" }'.encode("gbk"))
    with pytest.raises(InputFileError) as info:
        load_policy_file(gbk)
    assert "not valid UTF-8" in str(info.value)
    assert info.value.hint and "UTF-8" in info.value.hint
    with pytest.raises(InputFileError, match="cannot tell the policy format"):
        load_policy_file(tmp_path / "p.txt")
    folder = tmp_path / "dir.policy"
    folder.mkdir()
    with pytest.raises(InputFileError, match="is a folder"):
        load_policy_file(folder)


def test_load_policy_file_keeps_line_ends_and_drops_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "crlf.policy"
    path.write_bytes(b'\xef\xbb\xbfpolicy x {\r\n  title "a"  # t\r\n}\r\n')
    pf = load_policy_file(path)
    assert pf.header.title == "a"
    assert pf.path == str(path)
    assert format_policy(pf) == 'policy x {\n  title "a"\n}\n'.replace("policy", "# t\npolicy")


def test_load_policy_file_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.policy"
    path.write_text("policy x {", encoding="utf-8")
    with pytest.raises(PolicySyntaxError) as info:
        load_policy_file(path)
    assert str(info.value).startswith(f"{path}:1:")


def test_dump_rejects_unknown_spelling() -> None:
    with pytest.raises(UsageError):
        dump(parse("policy x {}"), "toml")


def test_the_loader_reads_policy_files_as_the_formatter_does(tmp_path: Path) -> None:
    """One reader for both: a byte-order mark is dropped, and a file that cannot be read
    is named once in the message."""
    from titlerules.lang.loader import parse_file

    path = tmp_path / "bom.policy"
    path.write_bytes(b'\xef\xbb\xbfpolicy x {\r\n  title "a"\r\n}\r\n')
    policy, text = parse_file(path)
    assert policy.header.title == "a" and not text.startswith("\ufeff")
    folder = tmp_path / "dir.policy"
    folder.mkdir()
    with pytest.raises(InputFileError) as info:
        parse_file(folder)
    assert str(info.value).startswith(f"{folder}: is a folder, not a policy file\n")
