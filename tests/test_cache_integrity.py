"""The compile cache never changes a decision: an entry is used only for the files the policy
resolves to today, and only when its bytes are the bytes written; a module is not a policy."""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from titlerules.cli import main
from titlerules.engine import policy as policy_module
from titlerules.engine.decision import Outcome
from titlerules.engine.policy import Policy, load_policy, load_policy_or_module
from titlerules.errors import PolicyError
from titlerules.lang.loader import resolve, sources_sha256
from titlerules.resources import policies_dir

# A credit record made on 2020-01-01 is out of its 3-year record period (the bundled
# common/credit) by 2024-07-12, and in force under a 10-year period (a local copy).
POLICY = """policy example-2024 {
  title "示例" document "示〔2024〕1号" year 2024 source "example.txt" sha256 "0"
}
import "common/credit"
let submitted = applicant.application.submitted_on
exclusion credit "失信记录期内不得申报" {
  cite 二(一) "失信记录期内不得申报"
  when applicant.credit_records.any(c -> credit_record_in_force(c, submitted))
}
"""
RECORD: dict[str, Any] = {
    "credit_records": [{"recorded_on": "2020-01-01"}],
    "application": {"submitted_on": "2024-07-12"},
}
BUNDLED_CREDIT = policies_dir() / "common" / "credit.policy"


def _ten_year_credit() -> str:
    text = BUNDLED_CREDIT.read_text(encoding="utf-8")
    assert "= 3 years" in text
    return text.replace("= 3 years", "= 10 years")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A disk cache of this test's own, and empty in-memory caches."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TITLERULES_CACHE_DIR", str(folder))
    monkeypatch.delenv("TITLERULES_CACHE", raising=False)
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
    yield folder


def _forget_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process knows: the disk cache only."""
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())


def _written(folder: Path) -> Path:
    """The test policy, written to a file of ``folder``."""
    path = folder / "p.policy"
    path.write_text(POLICY, encoding="utf-8")
    return path


def _uncached(path: Path | str, monkeypatch: pytest.MonkeyPatch) -> Policy:
    with monkeypatch.context() as patch:
        patch.setenv("TITLERULES_CACHE", "off")
        patch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
        return load_policy(path)


# ---------------------------------------------------------------- which files imports reach


@pytest.mark.parametrize("level", ["memory", "disk"])
@pytest.mark.parametrize("importer", ["policy", "module"])
def test_a_module_shadowing_the_bundled_one_is_not_served_from_the_cache(
    level: str, importer: str, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import is written in the policy itself, or in a local module the policy imports:
    # either way the file it reaches changes when a local common/credit appears beside it.
    folder = tmp_path / "policies"
    folder.mkdir()
    path = folder / "p.policy"
    if importer == "policy":
        path.write_text(POLICY, encoding="utf-8")
        shadow = folder / "common" / "credit.policy"
    else:
        path.write_text(POLICY.replace('"common/credit"', '"lib/base"'), encoding="utf-8")
        (folder / "lib").mkdir()
        (folder / "lib" / "base.policy").write_text(
            'module lib/base {\n  title "基础"\n}\nimport "common/credit"\n', encoding="utf-8"
        )
        shadow = folder / "lib" / "common" / "credit.policy"
    before = load_policy(path)
    assert before.evaluate(RECORD).outcome is Outcome.ELIGIBLE
    assert str(BUNDLED_CREDIT) in [str(Path(name).resolve()) for name in before.resolved.sources]

    shadow.parent.mkdir()
    shadow.write_text(_ten_year_credit(), encoding="utf-8")
    if level == "disk":
        _forget_in_memory(monkeypatch)
    after = load_policy(path)
    fresh = _uncached(path, monkeypatch)
    assert fresh.evaluate(RECORD).outcome is Outcome.INELIGIBLE
    assert after.evaluate(RECORD).outcome is Outcome.INELIGIBLE
    # The receipt names the files decided with: the local module's text, not the bundled one's.
    receipt = after.evaluate(RECORD).receipt
    assert receipt.policy_sha256 == fresh.sha256 == after.sha256 != before.sha256
    files = [Path(name).resolve() for name in after.resolved.sources]
    assert shadow.resolve() in files and BUNDLED_CREDIT not in files
    assert receipt.policy_sha256 == sources_sha256(
        (str(file), file.read_text(encoding="utf-8")) for file in files
    )

    shadow.unlink()  # and back: the bundled module decides again
    if level == "disk":
        _forget_in_memory(monkeypatch)
    assert load_policy(path).evaluate(RECORD).outcome is Outcome.ELIGIBLE


def test_a_relative_path_loaded_from_another_folder_reads_its_own_files(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two copies of one policy, each with its own common/credit: what a load read is kept
    # with absolute paths, so a load of the first from the second's folder reads the first's.
    strict, lenient = tmp_path / "strict", tmp_path / "lenient"
    for folder, credit in ((strict, _ten_year_credit()), (lenient, BUNDLED_CREDIT.read_text())):
        (folder / "common").mkdir(parents=True)
        (folder / "p.policy").write_text(POLICY, encoding="utf-8")
        (folder / "common" / "credit.policy").write_text(credit, encoding="utf-8")
    monkeypatch.chdir(strict)
    assert load_policy("p.policy").evaluate(RECORD).outcome is Outcome.INELIGIBLE
    monkeypatch.chdir(lenient)
    assert load_policy("p.policy").evaluate(RECORD).outcome is Outcome.ELIGIBLE
    assert load_policy("../strict/p.policy").evaluate(RECORD).outcome is Outcome.INELIGIBLE
    _forget_in_memory(monkeypatch)
    assert load_policy("../strict/p.policy").evaluate(RECORD).outcome is Outcome.INELIGIBLE
    assert load_policy("p.policy").evaluate(RECORD).outcome is Outcome.ELIGIBLE


def test_the_command_line_decides_with_the_shadowing_module(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _written(tmp_path)
    (tmp_path / "rec.yaml").write_text(
        "applicant:\n  credit_records: [{recorded_on: 2020-01-01}]\n"
        "  application: {submitted_on: 2024-07-12}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "p.policy", "rec.yaml"]) == 0
    assert capsys.readouterr().out.startswith("符合申报条件")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "credit.policy").write_text(_ten_year_credit(), encoding="utf-8")
    _forget_in_memory(monkeypatch)  # a second run of the command: a new process
    assert main(["check", "p.policy", "rec.yaml"]) == 0
    assert capsys.readouterr().out.startswith("不符合申报条件")


# ---------------------------------------------------------------- damaged entries


def _fingerprint(policy: Policy) -> tuple[Any, ...]:
    """Everything a loaded policy is made of, and how it decides."""
    decision = policy.evaluate(RECORD | {"person": {"name": "甲"}})
    return (
        policy.sha256,
        repr(policy.resolved),
        repr(policy.diagnostics),
        [(r.id, r.citation) for r in policy.rules],
        decision.model_dump(mode="json"),
    )


def _corrupt(data: bytes, rng: random.Random) -> bytes:
    family = rng.choice(["flip", "truncate", "append", "overwrite"])
    damaged = bytearray(data)
    if family == "flip":
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    elif family == "truncate":
        del damaged[rng.randrange(len(damaged)) :]
    elif family == "append":
        damaged += rng.randbytes(rng.randint(1, 64))
    else:
        start = rng.randrange(len(damaged))
        damaged[start : start + rng.randint(1, 16)] = rng.randbytes(rng.randint(1, 16))
    return bytes(damaged)


def _entry(cache: Path, policy: Policy) -> Path:
    (entry,) = cache.glob(f"{policy.sha256}-*.pickle")
    return entry


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """A list that grows by one at each call of ``module.name`` (patched)."""
    calls: list[int] = []
    real = getattr(module, name)

    def counting(resolved: Any) -> Any:
        calls.append(1)
        return real(resolved)

    monkeypatch.setattr(module, name, counting)
    return calls


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return _count_calls(monkeypatch, policy_module, "_check")


def _check_corruptions(
    target: Callable[[], Path],
    load: Callable[[], Policy],
    genuine: Policy,
    count: int,
    seed: int,
    monkeypatch: pytest.MonkeyPatch,
) -> int:
    """Damage the file ``target()`` names ``count`` times; every load must give the genuine
    policy, from the entry only when its bytes are intact.  Returns how many were refused."""
    expected = _fingerprint(genuine)
    compiles = _count_compiles(monkeypatch)
    rng = random.Random(seed)
    refused = 0
    for _ in range(count):
        file = target()
        original = file.read_bytes()
        damaged = _corrupt(original, rng)
        file.write_bytes(damaged)
        _forget_in_memory(monkeypatch)
        before = len(compiles)
        policy = load()  # never an error
        recompiled = len(compiles) > before
        assert _fingerprint(policy) == expected
        if damaged != original:
            # A changed entry is refused and written again, whole.
            assert recompiled
            assert target().read_bytes() == original
            refused += 1
        else:
            assert not recompiled
    return refused


def test_damaged_cache_entries_are_recompiled_never_loaded(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path)
    genuine = load_policy(path)
    assert _fingerprint(genuine) == _fingerprint(_uncached(path, monkeypatch))
    refused = _check_corruptions(
        lambda: _entry(cache, genuine), lambda: load_policy(path), genuine, 300, 19, monkeypatch
    )
    assert refused > 250


def test_a_damaged_entry_of_a_bundled_policy_is_recompiled(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = load_policy("kunming-2020")
    refused = _check_corruptions(
        lambda: _entry(cache, genuine),
        lambda: load_policy("kunming-2020"),
        genuine,
        24,
        2026,
        monkeypatch,
    )
    assert refused > 20


def test_a_damaged_index_is_recompiled_never_followed(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path)
    genuine = load_policy(path)

    def index() -> Path:
        (file,) = cache.glob("*.sources.json")
        return file

    refused = _check_corruptions(index, lambda: load_policy(path), genuine, 120, 7, monkeypatch)
    assert refused > 100


def test_an_intact_entry_of_another_policy_is_not_loaded(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bytes that pass their checksum but hold another policy (a file copied over the entry).
    path, other = tmp_path / "p.policy", tmp_path / "other.policy"
    path.write_text(POLICY, encoding="utf-8")
    other.write_text(POLICY.replace("失信记录期内不得申报", "失信期间不得申报"), encoding="utf-8")
    genuine, foreign = load_policy(path), load_policy(other)
    _entry(cache, genuine).write_bytes(_entry(cache, foreign).read_bytes())
    _forget_in_memory(monkeypatch)
    compiles = _count_compiles(monkeypatch)
    assert _fingerprint(load_policy(path)) == _fingerprint(genuine)
    assert compiles


def test_an_entry_from_before_checksums_is_recompiled(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    path = _written(tmp_path)
    genuine = load_policy(path)
    _entry(cache, genuine).write_bytes(pickle.dumps((genuine.resolved, genuine.diagnostics)))
    _forget_in_memory(monkeypatch)
    compiles = _count_compiles(monkeypatch)
    assert _fingerprint(load_policy(path)) == _fingerprint(genuine)
    assert compiles


def test_an_intact_entry_skips_parsing(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path)
    genuine = load_policy(path)
    _forget_in_memory(monkeypatch)
    compiles = _count_compiles(monkeypatch)
    again = load_policy(path)
    assert again is not genuine and not compiles
    assert _fingerprint(again) == _fingerprint(genuine)


def _count_lowerings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from titlerules.core import lower

    return _count_calls(monkeypatch, lower, "lower_policy")


def test_an_intact_entry_holds_the_lowered_policy(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path)
    genuine = load_policy(path)
    _forget_in_memory(monkeypatch)
    lowerings = _count_lowerings(monkeypatch)
    again = load_policy(path)
    assert not lowerings
    assert again.core.resolved is again.resolved  # unpickled with the IR it was made of
    assert repr(again.core.rules) == repr(genuine.core.rules)
    assert _fingerprint(again) == _fingerprint(genuine)


def test_an_entry_without_the_lowered_policy_is_lowered_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import marshal
    import pickle

    path = _written(tmp_path)
    genuine = load_policy(path)
    code = marshal.dumps(dict(genuine.code))
    for core in (None, "not a core"):
        payload = (genuine.resolved, genuine.diagnostics, importlib.util.MAGIC_NUMBER, code, core)
        policy_module._write_checked(_entry(cache, genuine), pickle.dumps(payload))
        _forget_in_memory(monkeypatch)
        lowerings = _count_lowerings(monkeypatch)
        compiles = _count_compiles(monkeypatch)
        again = load_policy(path)
        assert lowerings and not compiles  # from the cache, lowered again
        assert _fingerprint(again) == _fingerprint(genuine)
        monkeypatch.undo()
        monkeypatch.setenv("TITLERULES_CACHE_DIR", str(cache))
        monkeypatch.delenv("TITLERULES_CACHE", raising=False)


# ---------------------------------------------------------------- a module is not a policy


def test_load_policy_refuses_a_module(cache: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy("common/credit")
    assert caught.value.code == "TR327"
    assert "'common/credit' is a module, not a policy" in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.file == str(policies_dir() / "common" / "credit.policy")


def test_a_module_cannot_be_made_a_policy_directly() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy(resolve(BUNDLED_CREDIT), [])
    assert caught.value.code == "TR327"


def test_a_module_is_refused_also_when_its_compiled_form_is_cached(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache filled by a version that loaded modules as policies: still refused.
    module = tmp_path / "shared.policy"
    module.write_text('module shared {\n  title "共用"\n}\nparam n: int = 1\n', encoding="utf-8")
    resolved = resolve(module)
    fake = Policy.__new__(Policy)
    fake.diagnostics = []
    monkeypatch.setattr(policy_module, "_check", lambda resolved: [])
    policy_module._remember(module, resolved, fake, store=True)
    _forget_in_memory(monkeypatch)
    with pytest.raises(PolicyError) as caught:
        load_policy(module)
    assert caught.value.code == "TR327"


COMMANDS = [
    ["check", "common/credit", "{record}"],
    ["check", "common/credit", "{table}"],
    ["check", "common/credit", "{table}", "--out", "{out}"],
    ["audit", "common/credit", "{procedure}"],
    ["audit-set", "common/credit", "{record}"],
    ["plan", "common/credit", "--meeting", "2024-09-20"],
    ["test", "{cases}"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]) + c[-1][:6])
def test_every_command_that_evaluates_refuses_a_module(
    command: list[str], tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec.yaml"
    record.write_text("applicant:\n  application: {submitted_on: 2024-07-12}\n", encoding="utf-8")
    table = tmp_path / "rec.csv"
    table.write_text("application.submitted_on\n2024-07-12\n", encoding="utf-8")
    procedure = tmp_path / "proc.yaml"
    procedure.write_text("procedure:\n  meeting: {start: 2024-09-20}\n", encoding="utf-8")
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "policy: common/credit\ncases:\n  - name: any\n    base: rec.yaml\n"
        "    expect: {outcome: eligible}\n",
        encoding="utf-8",
    )
    places = {
        "record": record,
        "table": table,
        "procedure": procedure,
        "cases": cases,
        "out": tmp_path / "out.jsonl",
    }
    argv = [part.format(**places) for part in command]
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0
    assert "[TR327]" in captured.err + captured.out
    assert "符合" not in captured.out
    assert not (tmp_path / "out.jsonl").exists()


def test_doc_and_compare_still_describe_a_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_policy_or_module("common/credit").header.kind == "module"
    assert load_policy_or_module("kunming-2020").header.kind == "policy"
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main(["doc", "common/credit"]) == 0
    assert out.getvalue().startswith("# common/credit")
