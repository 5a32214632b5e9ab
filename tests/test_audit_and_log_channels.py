"""``audit --redact``; ``check --log`` prints the log's head; a decision log is appended to
only when its whole chain verifies (TR501); an evaluation error in one duplicate group of
``audit-set`` is that group's error, the other groups are still checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from titlerules.audit import audit_set
from titlerules.cli import main
from titlerules.decision_log import DecisionLog, verify_chain
from titlerules.engine.decision import RuleOutcome
from titlerules.errors import DecisionLogError

from .conftest import EXAMPLES, HEADER

PROCEDURE = EXAMPLES / "eryuan-2024" / "procedure-violations.yaml"
APPLICANTS = sorted((EXAMPLES / "eryuan-2024" / "applicants").glob("*.yaml"))
ID_NUMBER = "11010519491231002X"
MEMBER = "杨志明"  # a committee member of the example procedure


def _procedure_naming_people(tmp_path: Path) -> Path:
    """The example procedure with a member's name and an ID number in its committee name,
    which the report prints; the file named after the ID number."""
    text = PROCEDURE.read_text(encoding="utf-8")
    assert "name: 洱源县中小学教师中级职称评审委员会" in text and MEMBER in text
    text = text.replace(
        "name: 洱源县中小学教师中级职称评审委员会", f"name: {MEMBER}{ID_NUMBER}评审委员会"
    )
    path = tmp_path / f"{ID_NUMBER}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("as_json", [False, True])
def test_audit_redact_masks_names_and_id_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    path = _procedure_naming_people(tmp_path)
    extra = ["--json"] if as_json else ["-v"]
    main(["audit", "eryuan-2024", str(path), *extra])
    plain = capsys.readouterr().out
    assert MEMBER in plain and ID_NUMBER in plain  # the report does print them
    code = main(["audit", "eryuan-2024", str(path), *extra, "--redact"])
    masked = capsys.readouterr().out
    assert code == 1  # the example's findings fail, masked or not
    assert MEMBER not in masked and ID_NUMBER not in masked
    assert "杨**" in masked and "1101**********002X" in masked
    # A holiday's name is no person's: kept.
    assert ("Mid-Autumn Festival" in masked) == ("Mid-Autumn Festival" in plain)
    if as_json:
        assert json.loads(masked)["verdict"] == json.loads(plain)["verdict"]


def test_audit_redact_masks_an_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _procedure_naming_people(tmp_path)
    path.write_text(path.read_text("utf-8").replace("abstentions: 0", "abstentions: x"), "utf-8")
    assert main(["audit", "eryuan-2024", str(path), "--redact"]) == 2
    err = capsys.readouterr().err
    assert "[TR100]" in err and ID_NUMBER not in err and "1101**********002X" in err


def test_check_log_prints_the_head_to_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.jsonl"
    assert main(["check", "eryuan-2024", *map(str, APPLICANTS[:2]), "--log", str(log)]) == 0
    first = capsys.readouterr()
    head = verify_chain(log).head
    assert first.err.strip().endswith(f"2 entries appended; head {head}")
    assert head not in first.out  # stdout holds the decisions only
    assert main(["check", "eryuan-2024", str(APPLICANTS[2]), "--log", str(log)]) == 0
    second = capsys.readouterr().err
    new_head = verify_chain(log).head
    assert new_head != head and f"1 entry appended; head {new_head}" in second
    assert main(["replay", str(log), "--head", new_head]) == 0


def _log_of_three(tmp_path: Path) -> tuple[Path, list[str]]:
    log = tmp_path / "log.jsonl"
    main(["check", "eryuan-2024", *map(str, APPLICANTS[:3]), "--log", str(log)])
    return log, log.read_text("utf-8").splitlines()


@pytest.mark.parametrize("damage", ["deleted", "moved", "edited"])
def test_a_log_whose_chain_does_not_verify_is_not_appended_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    log, lines = _log_of_three(tmp_path)
    if damage == "deleted":
        lines = [lines[0], lines[2]]  # the last entry intact: only the chain tells
    elif damage == "moved":
        lines = [lines[1], lines[0], lines[2]]
    else:
        entry = json.loads(lines[1])
        entry["as_of"] = "2024-01-01"
        lines[1] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    before = log.read_bytes()
    with pytest.raises(DecisionLogError, match="chain does not verify") as caught:
        DecisionLog(log)
    assert caught.value.code == "TR501"
    capsys.readouterr()
    assert main(["check", "eryuan-2024", str(APPLICANTS[3]), "--log", str(log)]) == 2
    err = capsys.readouterr().err
    assert "cannot append to a log whose chain does not verify" in err and "[TR501]" in err
    assert log.read_bytes() == before  # nothing appended


def test_a_verified_log_is_appended_to(tmp_path: Path) -> None:
    log, lines = _log_of_three(tmp_path)
    with DecisionLog(log) as writer:
        assert writer.head == json.loads(lines[-1])["hash"]
    assert verify_chain(log).status == "verified"


FAR_POLICY = (
    HEADER
    + """requirement far "远期" {
  cite 一 "远期"
  require applicant.application.submitted_on + 10000000 years > 2024-01-01
}
"""
)


def _applicant(path: Path, id_number: str, committee: str, submitted: bool) -> Path:
    application: dict[str, Any] = {"year": 2024, "committee": committee}
    if submitted:
        application["submitted_on"] = "2024-07-12"
    data = {"applicant": {"person": {"id_number": id_number}, "application": application}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_an_evaluation_error_in_one_duplicate_group_is_that_groups_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "far.policy"
    policy.write_text(FAR_POLICY, encoding="utf-8")
    records = [
        _applicant(tmp_path / "a1.yaml", ID_NUMBER, "甲评委会", submitted=True),
        _applicant(tmp_path / "a2.yaml", ID_NUMBER, "乙评委会", submitted=True),
        _applicant(tmp_path / "b1.yaml", "532930198503120426", "甲评委会", submitted=False),
        _applicant(tmp_path / "b2.yaml", "532930198503120426", "乙评委会", submitted=False),
    ]
    report = audit_set(str(policy), records)
    (finding,) = report.of("duplicate_application")  # the other group is still checked
    assert finding.subject == "532930198503120426"
    assert finding.outcome is RuleOutcome.PASSED
    (error,) = report.errors
    assert error.file == str(records[0]) and error.record_path == "applicant"
    assert f"duplicate-application check of ID {ID_NUMBER}" in error.error
    assert "could not be evaluated" in error.error and "[TR400]" in error.error
    assert report.exit_code == 2
    assert main(["audit-set", str(policy), *map(str, records)]) == 2
    out = capsys.readouterr().out
    assert "TR400" in out and "532930198503120426" in out
