"""The decision log is a hash chain: replay finds entries deleted, moved, copied or edited,
a log cut short at its end (against a published head), a different policy version, and
loads the logged policy only from the policy folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from titlerules.cli import main
from titlerules.decision_log import GENESIS, DecisionLog, entry_hash, replay, verify_chain
from titlerules.engine.policy import load_policy
from titlerules.errors import DecisionLogError
from titlerules.facts import load_applicant

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "eryuan-2024" / "applicants"
RECORDS = sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The lines of a log of the five example applicants under the bundled eryuan-2024."""
    log = tmp_path_factory.mktemp("log") / "log.jsonl"
    policy = load_policy("eryuan-2024")
    with DecisionLog(log) as writer:
        for record in RECORDS:
            writer.evaluate(policy, load_applicant(record), source=record.name)
    return log.read_text("utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _breaks(path: Path, head: str | None = None) -> list[tuple[int | None, str]]:
    report = verify_chain(path, head=head)
    assert (report.status == "broken") == bool(report.breaks)
    return report.breaks


def test_a_log_as_written_is_verified(lines: list[str], tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", lines)
    chain = verify_chain(log)
    assert chain.status == "verified" and chain.entries == len(RECORDS) == 5
    assert json.loads(lines[0])["prev"] == GENESIS
    assert [json.loads(line)["prev"] for line in lines[1:]] == [
        json.loads(line)["hash"] for line in lines[:-1]
    ]
    assert chain.head == json.loads(lines[-1])["hash"]
    report = replay(log, head=chain.head)
    assert report.verified and report.differences == []


def test_one_entry_deleted_replay_exits_1_naming_the_line(
    lines: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(tmp_path / "deleted.jsonl", lines[:2] + lines[3:])
    assert main(["replay", str(log)]) == 1
    out = capsys.readouterr().out
    assert f"{log}:3: chain broken: the entry does not follow line 2" in out
    assert main(["replay", str(log), "--json"]) == 1
    chain = json.loads(capsys.readouterr().out)["chain"]
    assert chain["status"] == "broken" and chain["breaks"][0]["line"] == 3


def test_first_entry_deleted(lines: list[str], tmp_path: Path) -> None:
    ((line, problem),) = _breaks(_write(tmp_path / "log.jsonl", lines[1:]))
    assert line == 1 and "entries before it are missing" in problem


def test_entries_moved_or_copied(lines: list[str], tmp_path: Path) -> None:
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    assert [b[0] for b in _breaks(_write(tmp_path / "swapped.jsonl", swapped))] == [2, 3, 4]
    copied = [*lines[:3], lines[2], *lines[3:]]
    found = _breaks(_write(tmp_path / "copied.jsonl", copied))
    assert found[0] == (4, "the entry follows line 2, not line 3: entries moved or copied")


def _edited(line: str, edit: str) -> str:
    entry = json.loads(line)
    if edit == "outcome":  # record and decision edited together, consistently
        entry["record"]["applicant"]["employment"]["is_civil_servant"] = True
        entry["decision"]["outcome"] = "ineligible"
    elif edit == "receipt":
        entry["decision"]["receipt"]["policy_sha256"] = "0" * 64
    elif edit == "subject":
        entry["decision"]["subject"] = "someone else"
    elif edit == "policy":
        entry["policy_sha256"] = "f" * 64
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("edit", ["outcome", "receipt", "subject", "policy"])
def test_an_edited_entry_breaks_the_chain(lines: list[str], tmp_path: Path, edit: str) -> None:
    edited = [lines[0], _edited(lines[1], edit), *lines[2:]]
    assert _breaks(_write(tmp_path / "edited.jsonl", edited)) == [
        (2, "the entry does not match its hash: edited after it was written")
    ]


def test_a_rehashed_edit_is_caught_by_the_published_head(lines: list[str], tmp_path: Path) -> None:
    """Whoever rewrites the chain from an entry to the end keeps it consistent: the head
    published when the log was written no longer matches."""
    published = json.loads(lines[-1])["hash"]
    rewritten = list(lines[:1])
    for line in lines[1:]:
        entry = json.loads(_edited(line, "subject") if line is lines[1] else line)
        entry["prev"] = json.loads(rewritten[-1])["hash"]
        entry["hash"] = entry_hash(entry)
        rewritten.append(json.dumps(entry, ensure_ascii=False))
    log = _write(tmp_path / "rewritten.jsonl", rewritten)
    assert _breaks(log) == []
    ((line, problem),) = _breaks(log, head=published)
    assert line is None and "not in the log" in problem


def test_last_entry_deleted_is_caught_by_the_head(
    lines: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = json.loads(lines[-1])["hash"]
    log = _write(tmp_path / "cut.jsonl", lines[:-1])
    assert main(["replay", str(log)]) == 0  # nothing inside the file says it was longer
    capsys.readouterr()
    assert main(["replay", str(log), "--head", published]) == 1
    assert "chain broken: the head is" in capsys.readouterr().out
    # The head published earlier is found inside a log appended to since.
    ((_line, problem),) = _breaks(
        _write(tmp_path / "full.jsonl", lines), head=json.loads(lines[2])["hash"]
    )
    assert "is line 3: the entries after it were added since" in problem


def test_appending_continues_the_chain(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    for record in RECORDS[:2]:
        assert main(["check", "eryuan-2024", str(record), "--log", str(log)]) in (0, 1)
    with DecisionLog(log) as writer:
        head = writer.head
        writer.evaluate(load_policy("eryuan-2024"), load_applicant(RECORDS[2]))
        assert writer.head != head
    chain = verify_chain(log)
    assert chain.status == "verified" and chain.entries == 3 and chain.head == writer.head


def _unchained(lines: list[str]) -> list[str]:
    old = []
    for line in lines:
        entry = json.loads(line)
        del entry["prev"], entry["hash"]
        entry["version"] = 1
        old.append(json.dumps(entry, ensure_ascii=False))
    return old


def test_a_version_1_log_replays_but_is_unverifiable(
    lines: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(tmp_path / "old.jsonl", _unchained(lines))
    report = replay(log)
    assert report.chain is not None and report.chain.status == "unverifiable"
    assert report.differences == [] and not report.verified
    assert main(["replay", str(log)]) == 1
    assert "chain unverifiable" in capsys.readouterr().out
    with pytest.raises(DecisionLogError, match="unchained"):
        DecisionLog(log)  # new entries would vouch for the old ones
    mixed = _write(tmp_path / "mixed.jsonl", [*lines[:2], _unchained(lines)[2]])
    assert _breaks(mixed) == [(3, "an unchained (version 1) entry inside a chained log")]


def _policy_in(folder: Path, policy_id: str = "eryuan-2024") -> Path:
    folder.mkdir()
    text = (Path(load_policy("eryuan-2024").resolved.path)).read_text("utf-8")
    path = folder / "mine.policy"
    path.write_text(text.replace("policy eryuan-2024 {", f"policy {policy_id} {{", 1), "utf-8")
    return path


def test_a_different_policy_version_is_a_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _policy_in(tmp_path / "folder")
    log = tmp_path / "log.jsonl"
    with DecisionLog(log) as writer:
        writer.evaluate(load_policy(path), load_applicant(RECORDS[0]))
    folder = ["--policy-dir", str(tmp_path / "folder")]
    assert main(["replay", str(log), *folder]) == 0
    capsys.readouterr()
    path.write_text(path.read_text("utf-8") + "\n# edited\n", encoding="utf-8")
    assert main(["replay", str(log), *folder]) == 1
    assert "policy edited since" in capsys.readouterr().out
    assert main(["replay", str(log), *folder, "--allow-policy-change"]) == 0
    assert "(allowed)" in capsys.readouterr().out


def test_the_logged_policy_is_loaded_only_from_the_policy_folders(tmp_path: Path) -> None:
    path = _policy_in(tmp_path / "elsewhere", "mine-2024")
    log = tmp_path / "log.jsonl"
    with DecisionLog(log) as writer:
        writer.evaluate(load_policy(path), load_applicant(RECORDS[0]))
    (entry,) = replay(log).entries
    assert entry.status == "error" and "not in the policy folders" in (entry.error or "")
    assert replay(log, policy_dirs=[tmp_path / "elsewhere"]).entries[0].status == "same"
    # A path named in the log is not a way out: neither as source nor as id.
    logged = json.loads(log.read_text("utf-8"))
    for source, policy_id in [(str(path), str(path)), (None, "../elsewhere/mine")]:
        logged.update(policy_source=source, policy_id=policy_id)
        logged["hash"] = entry_hash(logged)
        _write(log, [json.dumps(logged, ensure_ascii=False)])
        (entry,) = replay(log).entries
        assert entry.status == "error" and "not in the policy folders" in (entry.error or "")


def test_a_bundled_id_logged_from_elsewhere_replays_against_the_bundled_policy(
    tmp_path: Path,
) -> None:
    path = _policy_in(tmp_path / "elsewhere")
    log = tmp_path / "log.jsonl"
    with DecisionLog(log) as writer:
        writer.evaluate(load_policy(path), load_applicant(RECORDS[0]))
    (entry,) = replay(log).entries
    assert entry.status == "same"
    assert entry.current_sha256 == load_policy("eryuan-2024").sha256
