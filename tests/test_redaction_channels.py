"""Names and ID numbers masked on every output channel: text and JSON decisions, errors,
table results (stdout and ``--out``), decision logs (``source``, the record's id and free
text), ``audit-set`` and ``validate-records``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from titlerules.cli import main
from titlerules.decision_log import read_log
from titlerules.redact import redact_error_text, redact_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ZHANG = EXAMPLES / "yuncheng-2024/applicants/zhang-wei.yaml"
ID = "140802198207060355"
MASKED_ID = "1408**********0355"
NAME = "张伟"
HISTORICAL = EXAMPLES / "xianning-2024/historical-titles.csv"


def _applicant() -> dict:
    data = yaml.safe_load(ZHANG.read_text("utf-8"))["applicant"]
    assert data["person"]["id_number"] == ID and data["person"]["name"] == NAME
    return json.loads(json.dumps(data, default=str))


def _record_named_after_id(folder: Path) -> Path:
    """A record file named after the ID number, whose id is the ID number and whose free
    text holds the ID number and the name."""
    data = _applicant()
    data["id"] = ID
    data["achievements"][0]["description"] = f"{NAME}（身份证 {ID}）主持的项目"
    path = folder / f"{ID}.yaml"
    path.write_text(yaml.safe_dump({"applicant": data}, allow_unicode=True), "utf-8")
    return path


def _table(folder: Path) -> Path:
    """Two rows: one decided, one an error that echoes the name (put in the gender field)."""
    good = _applicant()
    good["id"] = ID
    bad = json.loads(json.dumps(good))
    bad["person"]["gender"] = NAME
    path = folder / "rows.jsonl"
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in (good, bad)), "utf-8"
    )
    return path


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_table_out_is_redacted(tmp_path: Path, suffix: str) -> None:
    import polars as pl

    out = tmp_path / f"result{suffix}"
    args = ["check", "yuncheng-2024", str(_table(tmp_path)), "--out", str(out), "--explain"]
    assert main([*args, "--redact"]) == 2  # the error row
    rows = pl.read_ndjson(out) if suffix == ".jsonl" else pl.read_parquet(out)
    assert rows["id"].to_list() == [MASKED_ID, MASKED_ID]
    dumped = json.dumps(rows.to_dicts(), ensure_ascii=False, default=str)
    assert ID not in dumped and NAME not in dumped
    assert "'张*'" in rows["error"][1]
    # Without --redact the same file keeps them: the masking is what removed them.
    assert main(args) == 2
    plain = pl.read_ndjson(out) if suffix == ".jsonl" else pl.read_parquet(out)
    assert plain["id"].to_list() == [ID, ID] and NAME in plain["error"][1]


def test_table_stdout_is_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "yuncheng-2024", str(_table(tmp_path)), "--redact"]) == 2
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["id"] for row in rows] == [MASKED_ID, MASKED_ID]
    assert ID not in out and NAME not in out


# ---------------------------------------------------------------- records and errors


def test_record_errors_mask_file_names_and_echoed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _record_named_after_id(tmp_path)
    data = yaml.safe_load(path.read_text("utf-8"))
    data["applicant"]["person"]["gender"] = NAME
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for extra in ([], ["--json"]):
        assert main(["check", "yuncheng-2024", str(path), "--redact", *extra]) == 2
        captured = capsys.readouterr()
        for shown in (captured.err, captured.out) if extra else (captured.err,):
            assert ID not in shown and NAME not in shown, shown
            assert MASKED_ID in shown and "'张*'" in shown
    assert main(["check", "yuncheng-2024", str(path)]) == 2
    err = capsys.readouterr().err
    assert ID in err and f"'{NAME}'" in err


def test_command_error_is_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent" / f"{ID}.yaml"
    assert main(["check", "yuncheng-2024", str(missing), "--redact"]) == 2
    captured = capsys.readouterr()
    assert ID not in captured.out + captured.err and MASKED_ID in captured.out + captured.err
    assert main(["validate-records", str(tmp_path / f"{ID}.csv"), "--redact"]) == 2
    err = capsys.readouterr().err
    assert ID not in err and MASKED_ID in err


# ---------------------------------------------------------------- decision logs


def test_log_masks_source_record_id_and_free_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _record_named_after_id(tmp_path)
    log = tmp_path / "decisions.jsonl"
    assert main(["check", "yuncheng-2024", str(record), "--log", str(log)]) == 0
    text = log.read_text("utf-8")
    assert ID not in text and NAME not in text
    [(_, entry)] = list(read_log(log))
    assert entry.redacted
    assert entry.source is not None and MASKED_ID in entry.source
    applicant = entry.record["applicant"]
    assert applicant["id"] == MASKED_ID
    assert applicant["achievements"][0]["description"] == f"张*（身份证 {MASKED_ID}）主持的项目"
    # The masked log still replays to the same decision.
    capsys.readouterr()
    assert main(["replay", str(log)]) == 0
    # Unredacted on request only.
    plain = tmp_path / "plain.jsonl"
    main(["check", "yuncheng-2024", str(record), "--log", str(plain), "--log-unredacted"])
    assert ID in plain.read_text("utf-8") and NAME in plain.read_text("utf-8")


# ---------------------------------------------------------------- reports


def test_audit_set_redact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):  # the same person applying twice: a cross-record finding
        (tmp_path / f"{name}.yaml").write_text(ZHANG.read_text("utf-8"), "utf-8")
    main(["audit-set", "yuncheng-2024", str(tmp_path)])
    assert ID in capsys.readouterr().out  # the finding names the ID number
    for extra in ([], ["--json"]):
        main(["audit-set", "yuncheng-2024", str(tmp_path), "--redact", *extra])
        out = capsys.readouterr().out
        assert ID not in out and NAME not in out and MASKED_ID in out


def test_validate_records_redact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = HISTORICAL.read_text("utf-8").splitlines()
    name, _, _, number = lines[2].split(",")[:4]
    # A name in the gender column and a 17-digit ID number: both echoed as values.
    broken = lines[2].replace(f"{name},男", f"{name},{name}").replace(number, number[:-1])
    csv = tmp_path / "titles.csv"
    csv.write_text("\n".join([*lines[:2], broken, *lines[3:]]) + "\n", "utf-8")
    people = [line.split(",") for line in lines[1:]]
    main(["validate-records", str(csv), "--json"])
    assert number[:-1] in capsys.readouterr().out
    for extra in ([], ["--json"]):
        assert main(["validate-records", str(csv), "--redact", *extra]) == 1
        out = capsys.readouterr().out
        for cells in people:
            assert cells[0] not in out and cells[3] not in out, cells
        assert number[:-1] not in out and f"{name[0]}**" in out


# ---------------------------------------------------------------- the masking itself


def test_redact_text_masks_known_values_and_id_patterns() -> None:
    known = {NAME: "name", "42120219680114113": "id_number"}
    text = f"{NAME}的证件号码 42120219680114113 与 {ID} 不符；张伟伟不是本人"
    assert redact_text(text, known) == (
        "张*的证件号码 4212*********4113 与 1408**********0355 不符；张*伟不是本人"
    )
    assert redact_text(redact_text(text, known), known) == redact_text(text, known)


def test_redact_error_text_keeps_what_is_wrong() -> None:
    text = (
        "person.gender: 'Zhang Wei' is not a valid Gender; unknown field 'nmae'; "
        "invalid date '2024-13-01'; check digit should be '5', got '6'; the applicant's file"
    )
    assert redact_error_text(text) == (
        "person.gender: 'Z**** ***' is not a valid Gender; unknown field 'nmae'; "
        "invalid date '2024-13-01'; check digit should be '5', got '6'; the applicant's file"
    )
