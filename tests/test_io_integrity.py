"""Nothing lost in reading, nothing destroyed in writing.

* CSV: a record never spans lines, so a stray quote cannot swallow the rows after it: N data
  lines in are N results (the line with the stray quote an error row naming its line), in
  ``titlerules check``, ``validate-records`` and the record-folder reader.
* Output files: never one of the command's inputs (through links too), and written whole or
  not at all: a failure part-way leaves the target as it was and no temporary file behind.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import random
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titlerules import atomic
from titlerules.audit import validate_records
from titlerules.batch.io import read_chunks
from titlerules.batch.schema import applicant_schema
from titlerules.cli import main
from titlerules.csvlines import UNCLOSED_QUOTE, csv_lines
from titlerules.errors import InputFileError, OutputFileError
from titlerules.facts.loading import load_historical_csv

from .conftest import EXAMPLES
from .test_validate_records import HEADER as HISTORICAL_HEADER
from .test_validate_records import _good_row

pl = pytest.importorskip("polars")

CIVIL = """
exclusion civil "公务员不得参加职称评审" {
  cite 二(一) "公务员不得参加职称评审"
  when applicant.employment.is_civil_servant
}
"""
ROWS = 10_000


def _stray_quote(lines: list[str], index: int) -> None:
    """Open a quote at the start of the second cell of ``lines[index]`` and never close it."""
    head, tail = lines[index].split(",", 1)
    lines[index] = f'{head},"{tail}'


def _applicants_csv(path: Path, stray_at: tuple[int, ...]) -> Path:
    """``ROWS`` applicants, no quote anywhere but the stray ones at the given data rows
    (from 1); every third one a civil servant, so each row's decision shows which row it is."""
    lines = ["id,person.name,employment.is_civil_servant\n"]
    lines += [f"A{i},姓名{i},{'true' if i % 3 == 0 else 'false'}\n" for i in range(1, ROWS + 1)]
    for row in stray_at:
        _stray_quote(lines, row)
    path.write_text("".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------- a stray quote swallows nothing


@pytest.mark.parametrize("stray_at", [(100,), (100, 5_100)], ids=["one", "two"])
@pytest.mark.parametrize("chunk_rows", [100_000, 997])
def test_check_a_stray_quote_in_a_10000_row_csv_gives_10000_result_rows(
    tmp_path: Path,
    write_policy: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
    stray_at: tuple[int, ...],
    chunk_rows: int,
) -> None:
    """Before: one stray quote gave 100 result rows, two gave 5,000 rows and exit 0."""
    policy = write_policy(CIVIL, "civil.policy")
    source = _applicants_csv(tmp_path / "in.csv", stray_at)
    out = tmp_path / "out.jsonl"
    arguments = ["check", str(policy), str(source), "--out", str(out)]
    assert main([*arguments, "--json", "--chunk-rows", str(chunk_rows)]) == 2
    assert json.loads(capsys.readouterr().out)["rows"] == ROWS
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == list(range(1, ROWS + 1))
    errors = [r for r in rows if r["outcome"] == "error"]
    assert [r["row"] for r in errors] == list(stray_at)
    for error in errors:  # data row N is line N + 1 (the header is line 1)
        assert f"line {error['row'] + 1}" in error["error"]
        assert UNCLOSED_QUOTE in error["error"]
    for row in rows:  # no row shifted: each decision is its own row's
        if row["outcome"] != "error":
            assert row["id"] == f"A{row['row']}"
            civil = row["row"] % 3 == 0
            assert row["outcome"] == ("ineligible" if civil else "eligible")


def test_a_header_with_a_stray_quote_refuses_the_file_naming_line_1(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write_policy(CIVIL, "civil.policy")
    source = tmp_path / "in.csv"
    source.write_text('id,"employment.is_civil_servant\nA1,true\nA2,false\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["check", str(policy), str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{source}:1: cannot read the header" in err and "[TR002]" in err
    assert not out.exists()


def _historical_csv(path: Path, rows: int, stray_at: tuple[int, ...]) -> Path:
    rng = random.Random(19)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORICAL_HEADER)
    for index in range(1, rows + 1):
        writer.writerow(_good_row(rng, index))
    lines = buffer.getvalue().splitlines(keepends=True)
    for row in stray_at:
        _stray_quote(lines, row)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_validate_records_a_stray_quote_swallows_no_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: 1,000 rows with stray quotes in rows 100 and 600 gave 500 results (with a
    10,000-row file the swallowed cell overflowed the csv module: an internal error)."""
    path = _historical_csv(tmp_path / "historical.csv", 1_000, (100, 600))
    report = validate_records(path)
    assert report.summary.rows == 1_000
    assert [r.row for r in report.rows] == list(range(1, 1_001))
    assert [r.line for r in report.rows] == list(range(2, 1_002))
    assert [r.row for r in report.invalid] == [100, 600]
    assert report.rows[99].errors[0].message == UNCLOSED_QUOTE
    assert report.rows[100].ok and report.rows[100].name == "姓名101"
    assert main(["validate-records", str(path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "1000 rows, 998 valid, 2 invalid" in out
    assert "row 600 (line 601)" in out


def test_record_folders_read_historical_csv_one_record_per_line(tmp_path: Path) -> None:
    """The folder reader (``check POLICY folder/``, ``audit-set``) reads CSV the same way."""
    path = _historical_csv(tmp_path / "historical.csv", 1_000, (100, 600))
    results = load_historical_csv(path)
    assert len(results) == 1_000
    failed = [r for r in results if not r.ok]
    assert [r.record_path for r in failed] == [
        "historical_title_records[99]",
        "historical_title_records[599]",
    ]
    assert f"{path}:601: historical_title_records[599]" in str(failed[1].error)
    assert results[100].ok and results[100].record is not None


def test_csv_lines_keep_quoting_and_line_endings() -> None:
    text = 'a,"b, c","say ""hi"""\r\n\r\nx,y\rlast,"\nnext line\n'
    lines = list(csv_lines(io.StringIO(text, newline="")))
    assert [(line.number, line.cells, line.error) for line in lines] == [
        (1, ["a", "b, c", 'say "hi"'], None),
        (2, [], None),  # a blank line
        (3, ["x", "y"], None),  # a CR-only line ending
        (4, [], UNCLOSED_QUOTE),  # a cell cannot span lines ...
        (5, ["next line"], None),  # ... and the next line is read on its own
    ]


# ---------------------------------------------------------------- never over an input


def _links(tmp_path: Path, source: Path) -> Iterator[tuple[str, Path]]:
    yield "same name", source
    symbolic = tmp_path / f"symbolic{source.suffix}"
    symbolic.symlink_to(source)
    yield "symbolic link", symbolic
    hard = tmp_path / f"hard{source.suffix}"
    os.link(source, hard)
    yield "hard link", hard


def test_check_refuses_to_write_its_results_over_its_input(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``check x.jsonl --out x.jsonl`` replaced the records with the results."""
    policy = write_policy(CIVIL, "civil.policy")
    source = tmp_path / "x.jsonl"
    rows = [{"employment": {"is_civil_servant": i % 2 == 0}} for i in range(5)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    before = source.read_bytes()
    for how, out in _links(tmp_path, source):
        assert main(["check", str(policy), str(source), "--out", str(out)]) == 2, how
        err = capsys.readouterr().err
        assert "[TR003]" in err and "would destroy" in err, how
        assert source.read_bytes() == before, how
    assert not list(tmp_path.glob(".*.tmp"))


def test_every_command_refuses_an_output_that_is_one_of_its_inputs(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write_policy(CIVIL, "civil.policy")
    record = tmp_path / "rec.yaml"
    record.write_text("applicant:\n  employment: {is_civil_servant: false}\n", encoding="utf-8")
    procedure = tmp_path / "procedure.yaml"
    procedure.write_bytes((EXAMPLES / "eryuan-2024" / "procedure.yaml").read_bytes())
    chart = tmp_path / "procedure.svg"
    chart.symlink_to(procedure)
    ics = tmp_path / "policy.ics"
    os.link(policy, ics)
    commands = [
        ["doc", str(policy), "-o", str(policy)],
        ["check", str(policy), str(record), "--log", str(record)],
        ["plan", "eryuan-2024", "--meeting", "2024-10-15", "--procedure", str(procedure),
         "--chart", str(chart)],
        ["plan", str(policy), "--meeting", "2024-10-15", "--ics", str(ics)],
        ["audit", "eryuan-2024", str(procedure), "--chart", str(chart)],
    ]  # fmt: skip
    inputs = {path: path.read_bytes() for path in (policy, record, procedure)}
    for command in commands:
        assert main(command) == 2, command
        assert "[TR003]" in capsys.readouterr().err, command
    assert main(["convert", str(policy), "--to", "dsl", "-o", str(policy)]) == 2
    assert "would destroy" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in inputs} == inputs


# ---------------------------------------------------------------- whole or not at all


def _failing_replace(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Putting a finished file in place fails (a full disk, say) inside ``folder`` only."""
    real = os.replace

    def replace(source: Any, target: Any, **kwargs: Any) -> None:
        if Path(source).parent == folder.resolve():
            raise OSError(errno.ENOSPC, "No space left on device")
        real(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_every_output_file_is_written_whole_or_not_at_all(
    tmp_path: Path,
    write_policy: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each file the command line writes keeps its previous content when the write fails,
    and no temporary file is left: every writer goes through ``titlerules.atomic``."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("icalendar")
    policy = write_policy(CIVIL, "civil.policy")
    source = tmp_path / "in.csv"
    source.write_text("employment.is_civil_servant\ntrue\nfalse\n", encoding="utf-8")
    procedure = EXAMPLES / "eryuan-2024" / "procedure.yaml"
    formatted = tmp_path / "unformatted.policy"
    formatted.write_text(policy.read_text(encoding="utf-8") + "\n\n\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    targets = {
        "check.jsonl": ["check", str(policy), str(source), "--out", str(out / "check.jsonl")],
        "check.parquet": ["check", str(policy), str(source), "--out", str(out / "check.parquet")],
        "doc.md": ["doc", str(policy), "-o", str(out / "doc.md")],
        "convert.yaml": ["convert", str(policy), "-o", str(out / "convert.yaml")],
        "plan.ics": ["plan", "eryuan-2024", "--meeting", "2024-10-15", "--ics",
                     str(out / "plan.ics")],
        "plan.png": ["plan", "eryuan-2024", "--meeting", "2024-10-15", "--chart",
                     str(out / "plan.png")],
        "audit.svg": ["audit", "eryuan-2024", str(procedure), "--chart", str(out / "audit.svg")],
    }  # fmt: skip
    for name in targets:
        (out / name).write_bytes(b"previous content")
    moved = out / "unformatted.policy"
    formatted.rename(moved)
    before = moved.read_bytes()
    _failing_replace(monkeypatch, out)
    for name, command in targets.items():
        main(command)  # plan and audit exit 1 for their findings; the file is what matters
        assert "No space left on device" in capsys.readouterr().err, name
        assert (out / name).read_bytes() == b"previous content", name
    assert main(["fmt", "--write", str(moved)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert moved.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*targets, moved.name])


def test_a_bad_row_part_way_leaves_the_previous_results(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a GBK row at line 5,001 left a result file cut after the rows before it."""
    policy = write_policy(CIVIL, "civil.policy")
    source = _applicants_csv(tmp_path / "in.csv", ())
    lines = source.read_bytes().splitlines(keepends=True)
    lines[5_000] = "A5000,李华,false\n".encode("gbk")
    source.write_bytes(b"".join(lines))
    for suffix in (".jsonl", ".parquet"):
        out = tmp_path / f"out{suffix}"
        out.write_bytes(b"previous results")
        arguments = ["check", str(policy), str(source), "--out", str(out), "--chunk-rows", "1000"]
        assert main(arguments) == 2
        err = capsys.readouterr().err
        assert f"{source}:5001: not valid UTF-8" in err and "[TR002]" in err
        assert out.read_bytes() == b"previous results"
    assert not list(tmp_path.glob(".*.tmp"))


def test_corrupt_parquet_part_way_leaves_no_result_file(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write_policy(CIVIL, "civil.policy")
    source = tmp_path / "in.parquet"
    frame = pl.DataFrame({"employment.is_civil_servant": ["true", "false"] * 5_000})
    frame.write_parquet(source, row_group_size=1_000, compression="uncompressed")
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2_000] = random.Random(7).randbytes(2_000)  # a middle row group
    source.write_bytes(bytes(data))
    out = tmp_path / "out.parquet"
    code = main(["check", str(policy), str(source), "--out", str(out), "--chunk-rows", "1000"])
    capsys.readouterr()
    assert code != 0
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_an_unwritable_output_is_refused_before_any_row_is_read(
    tmp_path: Path,
    write_policy: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: an internal error after every row had been decided."""
    from titlerules.batch import io as batch_io

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("rows read before the output was known to be writable")

    monkeypatch.setattr(batch_io, "read_chunks", never)
    policy = write_policy(CIVIL, "civil.policy")
    source = _applicants_csv(tmp_path / "in.csv", ())
    for out in (tmp_path / "missing" / "out.parquet", tmp_path / "folder.jsonl"):
        if out.suffix == ".jsonl":
            out.mkdir()
        assert main(["check", str(policy), str(source), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"{out}: " in err and "[TR003]" in err


def test_no_rows_give_a_readable_empty_result_file(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a 0-byte .parquet file, which no Parquet reader opens."""
    policy = write_policy(CIVIL, "civil.policy")
    source = tmp_path / "in.csv"
    source.write_text("employment.is_civil_servant\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    assert main(["check", str(policy), str(source), "--out", str(out)]) == 0
    capsys.readouterr()
    result = pl.read_parquet(out)
    assert result.height == 0 and {"row", "outcome", "rule.civil"} <= set(result.columns)


def test_rewriting_keeps_the_file_mode_and_writes_through_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.policy"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.policy"
    link.symlink_to(real)
    atomic.write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    with pytest.raises(OutputFileError, match="would destroy"):
        atomic.write_atomic(link, b"newer", inputs=[real])
    assert real.read_bytes() == b"new"


def test_an_interrupted_stream_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt), atomic.AtomicOutput(target) as output:
        output.handle.write(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputFileError):  # not an output error: only OSErrors become one
        with atomic.AtomicOutput(target):
            raise InputFileError("bad input")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- fuzz: stray quotes anywhere

_CELL = st.text(alphabet='ab," ', max_size=10)
_LINES = st.lists(st.one_of(st.just(""), _CELL), max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_LINES, chunk_rows=st.integers(min_value=1, max_value=7))
def test_fuzz_stray_quotes_every_nonblank_line_is_one_result_row(
    lines: list[str], chunk_rows: int
) -> None:
    """Quotes, commas and blanks anywhere: each non-blank data line is exactly one row (read
    or an error row), numbered in order, and nothing else comes out."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_text("id,person.name\n" + "\n".join(lines) + "\n", encoding="utf-8")
        numbers: list[int] = []
        for chunk in read_chunks(path, applicant_schema(), chunk_rows):
            numbers += [*chunk.rows, *(n for n, _ in chunk.errors)]
    assert sorted(numbers) == list(range(1, sum(1 for line in lines if line) + 1))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_LINES)
def test_fuzz_stray_quotes_validate_records_keeps_every_line(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "historical.csv"
        text = ",".join(HISTORICAL_HEADER) + "\n" + "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")
        report = validate_records(path)
        folder_results = load_historical_csv(path)
    while lines and _blank(lines[-1]):  # blank rows after the data are not rows
        lines = lines[:-1]
    assert [r.line for r in report.rows] == list(range(2, len(lines) + 2))
    assert len(folder_results) == sum(1 for line in lines if not _blank(line))


def _blank(line: str) -> bool:
    """Whether a line, read on its own and closing its quotes, holds only blank cells."""
    reader = csv.reader([line, "sentinel"])
    cells = next(reader)
    return reader.line_num == 1 and not any(cell.strip() for cell in cells)
