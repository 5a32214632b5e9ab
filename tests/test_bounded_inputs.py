"""Tiny inputs that used to hang or exhaust memory: each is refused with a clear error.

YAML alias bombs (every YAML reader), defs that double with every line, chains of
hundreds of lets, ratios such as ``1e99999999%``, /dev/zero or a pipe as an input file and
single lines of hundreds of megabytes.  Every case that could hang runs in a forked child
with a time bound, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules.audit import validate_records
from titlerules.calendar.overrides import load_overrides
from titlerules.cli import main
from titlerules.engine.policy import load_policy
from titlerules.errors import TitleRulesError
from titlerules.facts import load_records
from titlerules.lang.expansion import MAX_CHAIN_DEPTH, MAX_EXPANDED_NODES
from titlerules.lang.yaml_io import load_yaml
from titlerules.testing import run_case_file
from titlerules.uniquekeys import MAX_ALIAS_NODES

HEADER = (
    "policy example-2024 {\n"
    '  title "示例" document "示〔2024〕1号" year 2024 source "example.txt" sha256 "0"\n'
    "}\n"
)
RECORD = "applicant:\n  application: {submitted_on: 2024-07-12, year: 2024}\n"
BOUND_SECONDS = 60


def _bounded(fn: Callable[[], Any]) -> tuple[str, str, str]:
    """Run ``fn`` in a forked child for at most BOUND_SECONDS: ("ok", repr, "") or
    ("error", code, message) for a titlerules error, or ("foreign", type, message)."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            result: tuple[str, str, str] = ("ok", repr(fn())[:2000], "")
        except TitleRulesError as error:
            result = ("error", error.code, str(error))
        except BaseException as error:  # reported to the test, which fails
            result = ("foreign", type(error).__name__, str(error)[:2000])
        send.send(result)

    process = ctx.Process(target=child)
    process.start()
    try:
        if not receive.poll(BOUND_SECONDS):
            pytest.fail(f"no answer within {BOUND_SECONDS} s: the input is not bounded")
        answer: tuple[str, str, str] = receive.recv()
        return answer
    finally:
        if process.is_alive():
            process.kill()
        process.join()


def _alias_bomb(levels: int = 9) -> list[str]:
    """About 500 bytes that stand for 10**levels scalars."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return lines


# ---------------------------------------------------------------- YAML aliases


def _records_bomb(tmp_path: Path) -> Callable[[], object]:
    path = tmp_path / "bomb.yaml"
    body = "".join(f"    {line}\n" for line in _alias_bomb())
    path.write_text(RECORD + "  extra:\n" + body, encoding="utf-8")
    return lambda: load_records(path)


def _policy_bomb(tmp_path: Path) -> Callable[[], object]:
    text = "\n".join(_alias_bomb()) + "\n"
    return lambda: load_yaml(text, "bomb.yaml")


def _overrides_bomb(tmp_path: Path) -> Callable[[], object]:
    path = tmp_path / "2026.yaml"
    path.write_text("\n".join(_alias_bomb()) + "\n", encoding="utf-8")
    return lambda: load_overrides(path)


def _cases_bomb(tmp_path: Path) -> Callable[[], object]:
    path = tmp_path / "cases.yaml"
    path.write_text("\n".join(_alias_bomb()) + "\n", encoding="utf-8")
    return lambda: run_case_file(path)


@pytest.mark.parametrize("reader", [_records_bomb, _policy_bomb, _overrides_bomb, _cases_bomb])
def test_an_alias_bomb_is_refused_by_every_yaml_reader(
    tmp_path: Path, reader: Callable[[Path], Callable[[], object]]
) -> None:
    kind, code, message = _bounded(reader(tmp_path))
    assert (kind, code) == ("error", "TR002"), message
    assert f"more than {MAX_ALIAS_NODES:,} nodes" in message


def test_a_merge_bomb_is_refused(tmp_path: Path) -> None:
    # `<<` copies the merged mapping: each level doubles what the one before holds.
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(20)) + "}"]
    for i in range(1, 20):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], own{i}: 1}}")
    path = tmp_path / "merge.yaml"
    path.write_text(RECORD + "  extra:\n" + "".join(f"    {x}\n" for x in lines), "utf-8")
    kind, code, message = _bounded(lambda: load_records(path))
    assert (kind, code) == ("error", "TR002"), message
    assert "aliases" in message


def test_shared_anchors_within_the_bound_still_load(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(
        "- applicant: &base\n"
        "    application: {submitted_on: 2024-07-12, year: 2024}\n"
        "    employment: {is_civil_servant: false}\n"
        "- applicant:\n"
        "    <<: *base\n"
        "    employment: {is_civil_servant: true}\n",
        encoding="utf-8",
    )
    records = load_records(path)
    assert len(records) == 2
    flags = [r.employment.is_civil_servant for r in records]  # type: ignore[union-attr]
    assert flags == [False, True]


# ---------------------------------------------------------------- def and let chains


def _doubling_defs(levels: int) -> str:
    defs = "def h0(x) = x\n" + "".join(
        f"def h{i}(x) = h{i - 1}(x) + h{i - 1}(x)\n" for i in range(1, levels)
    )
    rule = (
        'requirement r "r" {\n  cite 一 "r"\n'
        f"  require h{levels - 1}(applicant.application.year) == {2 ** (levels - 1)} * 2024\n}}\n"
    )
    return HEADER + defs + rule


def test_doubling_defs_are_refused_where_they_cross_the_limit(tmp_path: Path) -> None:
    policy = tmp_path / "defs.policy"
    policy.write_text(_doubling_defs(40), encoding="utf-8")
    kind, found, _ = _bounded(
        lambda: [(d.code, d.message, d.span.line) for d in titlerules.lint(policy)]
    )
    assert kind == "ok", found
    # Reported once, at the first def that grows past the limit (h15: 2**16 + ... nodes).
    assert found.count("TR307") == 1
    assert f"'h15' grows to more than {MAX_EXPANDED_NODES:,}" in found
    kind, code, message = _bounded(lambda: load_policy(policy))
    assert (kind, code) == ("error", "TR302"), message
    assert "[TR307]" in message


def test_defs_below_the_limit_evaluate_to_their_value(tmp_path: Path) -> None:
    policy = tmp_path / "defs.policy"
    policy.write_text(_doubling_defs(10), encoding="utf-8")
    record = tmp_path / "good.yaml"
    record.write_text(RECORD, encoding="utf-8")
    decision = load_policy(policy).evaluate(load_records(record)[0])
    assert decision.outcome == "eligible"


def _let_chain(length: int) -> str:
    lets = "let l0 = applicant.application.year\n" + "".join(
        f"let l{i} = l{i - 1} + 1\n" for i in range(1, length)
    )
    rule = (
        'requirement r "r" {\n  cite 一 "r"\n'
        f"  require l{length - 1} == applicant.application.year + {length - 1}\n}}\n"
    )
    return HEADER + lets + rule


def test_600_chained_lets_are_a_policy_error_not_a_recursion_error(tmp_path: Path) -> None:
    policy = tmp_path / "lets.policy"
    policy.write_text(_let_chain(600), encoding="utf-8")
    kind, found, _ = _bounded(lambda: [(d.code, d.message) for d in titlerules.lint(policy)])
    assert kind == "ok", found
    assert found.count("TR304") == 1
    assert f"more than {MAX_CHAIN_DEPTH} levels deep" in found
    record = tmp_path / "good.yaml"
    record.write_text(RECORD, encoding="utf-8")
    kind, code, message = _bounded(lambda: load_policy(policy).evaluate(load_records(record)[0]))
    assert (kind, code) == ("error", "TR302"), message
    assert "[TR304]" in message and "recursion" not in message


@pytest.mark.parametrize("codegen", ["1", "0"])
def test_a_let_chain_within_the_limit_evaluates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, codegen: str
) -> None:
    monkeypatch.setenv("TITLERULES_CODEGEN", codegen)
    policy = tmp_path / f"lets{codegen}.policy"
    policy.write_text(_let_chain(90), encoding="utf-8")
    record = tmp_path / "good.yaml"
    record.write_text(RECORD, encoding="utf-8")
    assert [d for d in titlerules.lint(policy) if d.level == "error"] == []
    decision = load_policy(policy).evaluate(load_records(record)[0])
    assert decision.outcome == "eligible"


def test_bundled_policies_stay_far_below_the_limits() -> None:
    for policy_id, _ in titlerules.bundled_policies():
        codes = {d.code for d in titlerules.lint(policy_id)}
        assert not codes & {"TR304", "TR307"}, policy_id


# ---------------------------------------------------------------- ratios


@pytest.mark.parametrize("rate", ["1e99999999%", "1e99999999", "1e-99999", "1/1e99999999"])
def test_a_ratio_with_a_huge_exponent_is_a_record_error(tmp_path: Path, rate: str) -> None:
    path = tmp_path / "procedure.yaml"
    path.write_text(f'procedure:\n  planned_pass_rate: "{rate}"\n', encoding="utf-8")
    kind, code, message = _bounded(lambda: load_records(path))
    assert (kind, code) == ("error", "TR100"), message
    assert "invalid fraction" in message


@pytest.mark.parametrize(("rate", "value"), [("30%", "3/10"), ("3/10", "3/10"), ("0.25", "1/4")])
def test_ordinary_ratios_still_read(tmp_path: Path, rate: str, value: str) -> None:
    path = tmp_path / "procedure.yaml"
    path.write_text(f'procedure:\n  planned_pass_rate: "{rate}"\n', encoding="utf-8")
    (record,) = load_records(path)
    assert str(record.planned_pass_rate) == value  # type: ignore[union-attr]


# ---------------------------------------------------------------- unbounded reads


def _endless_pipe(tmp_path: Path) -> Path:
    """A named pipe a thread keeps writing to until the reader goes away."""
    fifo = tmp_path / "endless.yaml"
    os.mkfifo(fifo)

    def write() -> None:
        try:
            with open(fifo, "wb") as handle:
                while True:
                    handle.write(b"# " + b"x" * 65_000 + b"\n")
        except (BrokenPipeError, OSError):
            pass

    threading.Thread(target=write, daemon=True).start()
    return fifo


def test_dev_zero_as_a_record_file_is_refused_while_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("titlerules.facts.loading.MAX_FILE_BYTES", 1_000_000)
    kind, code, message = _bounded(lambda: load_records("/dev/zero"))
    assert (kind, code) == ("error", "TR002"), message
    assert "larger than 1,000,000 bytes" in message


def test_a_pipe_as_a_record_file_is_refused_while_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("titlerules.facts.loading.MAX_FILE_BYTES", 1_000_000)
    fifo = _endless_pipe(tmp_path)
    kind, code, message = _bounded(lambda: load_records(fifo))
    assert (kind, code) == ("error", "TR002"), message
    assert "larger than 1,000,000 bytes" in message


def test_dev_zero_as_an_override_file_is_refused() -> None:
    kind, code, message = _bounded(lambda: load_overrides("/dev/zero"))
    assert (kind, code) == ("error", "TR002"), message
    assert "override file is larger than" in message


def test_dev_zero_to_validate_records_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("titlerules.facts.loading.MAX_FILE_BYTES", 1_000_000)
    monkeypatch.setattr("titlerules.audit.historical.MAX_FILE_BYTES", 1_000_000)
    kind, code, message = _bounded(lambda: validate_records("/dev/zero"))
    assert (kind, code) == ("error", "TR002"), message
    assert "larger than 1,000,000 bytes" in message


def test_a_huge_single_line_to_validate_records_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("titlerules.audit.historical.MAX_FILE_BYTES", 1_000_000)
    path = tmp_path / "records.csv"
    path.write_bytes(b"name," + b"x" * 2_000_000 + b"\n")
    kind, code, message = _bounded(lambda: validate_records(path))
    assert (kind, code) == ("error", "TR002"), message
    assert "larger than 1,000,000 bytes" in message


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_huge_single_line_table_is_refused_naming_the_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    monkeypatch.setattr("titlerules.batch.io.MAX_LINE_BYTES", 100_000)
    source = tmp_path / f"rows{suffix}"
    if suffix == ".jsonl":
        good = '{"applicant": {"application": {"submitted_on": "2024-07-12"}}}\n'
        long = '{"applicant": {"person": {"name": "' + "x" * 200_000 + '"}}}\n'
    else:
        good = "applicant.application.submitted_on\n2024-07-12\n"
        long = "x" * 200_000 + "\n"
    source.write_text(good + long, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["check", "eryuan-2024", str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    line = 2 if suffix == ".jsonl" else 3
    assert f"line {line} is longer than 100,000 bytes" in err
    assert "[TR002]" in err
