"""Notebook layer: HTML tables, pandas frames, charts, and examples/auditor.ipynb executed
headless so it never rots."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import titlerules
from titlerules.audit import notebook
from titlerules.audit.notebook import Decisions
from titlerules.errors import TitleRulesError
from titlerules.facts import load_applicant

from .conftest import EXAMPLES, REPO

ERYUAN = EXAMPLES / "eryuan-2024"


@pytest.fixture(scope="module")
def report() -> titlerules.audit.AuditReport:
    return titlerules.audit("eryuan-2024", ERYUAN / "procedure-violations.yaml")


@pytest.fixture(scope="module")
def timeline() -> titlerules.audit.Plan:
    return titlerules.plan("yuncheng-2024", "2024-11-14..2024-11-15")


def test_decision_html_and_frame() -> None:
    policy = titlerules.load_policy("eryuan-2024")
    decision = policy.evaluate(load_applicant(ERYUAN / "applicants" / "zhao-min.yaml"))
    html = decision._repr_html_()
    assert html.startswith("<p><b>赵敏: ")
    assert "<table>" in html and decision.rules[0].id in html
    pytest.importorskip("pandas")
    frame = decision.to_pandas()
    assert list(frame["rule"]) == [r.id for r in decision.rules]
    assert set(frame["outcome"]) <= {"passed", "failed", "unknown", "not_applicable"}


def test_audit_html_escapes_and_shows_the_verdict(report: titlerules.audit.AuditReport) -> None:
    html = report._repr_html_()
    assert "程序不合规（4 项不符合）" in html
    assert "2024-09-12 .. 2024-09-18: 4 working days" in html
    assert "<script" not in html
    pytest.importorskip("pandas")
    frame = report.to_pandas()
    assert len(frame) == len(report.findings)
    failed = frame[frame.outcome == "failed"]
    assert set(failed["rule"]) == {f.rule_id for f in report.failed}


def test_batch_results_render_one_row_per_record() -> None:
    policy = titlerules.load_policy("eryuan-2024")
    paths = sorted((ERYUAN / "applicants").glob("*.yaml"))
    records: list[object] = [load_applicant(p) for p in paths]
    results = Decisions(policy.evaluate_many([*records, {"applicant": {"person": 3}}]))
    assert len(results) == len(paths) + 1
    assert results.counts()["error"] == 1
    html = results._repr_html_()
    assert html.count("<tr>") == len(paths) + 2
    pytest.importorskip("pandas")
    frame = results.to_pandas()
    assert list(frame["outcome"])[-1] == "error"


def test_plan_cross_and_records_render(timeline: titlerules.audit.Plan) -> None:
    assert "results_issued_on" in timeline._repr_html_()
    cross = titlerules.audit_set("eryuan-2024", [ERYUAN / "applicants"])
    assert "cross-record checks" in cross._repr_html_()
    records = titlerules.validate_records(EXAMPLES / "xianning-2024" / "historical-titles.csv")
    assert "6 rows, 6 valid" in records._repr_html_()
    pytest.importorskip("pandas")
    assert len(timeline.to_pandas()) == len(timeline.steps)
    assert len(records.to_pandas()) == 6
    assert list(records.problems_frame()["level"]) == ["warning"]
    assert cross.to_pandas().empty


def test_charts(
    report: titlerules.audit.AuditReport, timeline: titlerules.audit.Plan, tmp_path: Path
) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    figure = report.plot()
    try:
        axes = figure.axes[0]
        labels = [t.get_text() for t in axes.get_yticklabels()]
        assert "1(4)" in labels  # 一(四) in ASCII when no CJK font is installed
    finally:
        plt.close(figure)
    figure = timeline.plot()
    try:
        assert figure.axes[0].get_title().startswith("yuncheng-2024: timeline")
    finally:
        plt.close(figure)
    png = notebook.save_chart("plan", timeline, tmp_path / "plan.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = notebook.save_chart("findings", report, tmp_path / "findings.svg")
    assert b"<svg" in svg.read_bytes()


def test_missing_pandas_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, report: titlerules.audit.AuditReport
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(TitleRulesError) as error:
        report.to_pandas()
    assert error.value.hint is not None and "titlerules[notebook]" in error.value.hint
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(TitleRulesError, match="matplotlib"):
        report.plot()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_auditor_notebook_executes() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    path = REPO / "examples" / "auditor.ipynb"
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    images = [
        o for c in book.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(images) == 2  # findings by clause, the timeline
    tables = [
        o for c in book.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})
    ]
    assert len(tables) >= 8
