"""Notebook layer: HTML tables, pandas frames, charts, and examples/auditor.ipynb executed
headless so it never rots."""

from __future__ import annotations

import re
import sys
import warnings
from html import escape, unescape
from pathlib import Path

import pytest

import titlerules
from titlerules.audit import notebook
from titlerules.audit.notebook import Decisions
from titlerules.engine.decision import Decision
from titlerules.errors import TitleRulesError, UsageError
from titlerules.facts import load_applicant
from titlerules.report.explanation import explain, rule_line

from .conftest import EXAMPLES, REPO

ERYUAN = EXAMPLES / "eryuan-2024"


@pytest.fixture(scope="module")
def report() -> titlerules.audit.AuditReport:
    return titlerules.audit("eryuan-2024", ERYUAN / "procedure-violations.yaml")


@pytest.fixture(scope="module")
def timeline() -> titlerules.audit.Plan:
    return titlerules.plan("yuncheng-2024", "2024-11-14..2024-11-15")


def _plain(html: str) -> str:
    """An HTML view's text, tags removed (dates are wrapped to keep them on one line)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def _outcomes_in_order(outcomes: list[str]) -> bool:
    """Failed first, then unknown, then passed, then not applicable."""
    rank = {"failed": 0, "unknown": 1, "passed": 2, "not_applicable": 3}
    ranks = [rank[o] for o in outcomes]
    return ranks == sorted(ranks)


def test_decision_html_and_frame() -> None:
    policy = titlerules.load_policy("eryuan-2024")
    decision = policy.evaluate(load_applicant(ERYUAN / "applicants" / "zhao-min.yaml"))
    html = decision._repr_html_()
    assert html.startswith("<p><b>赵敏：")
    assert "<table>" in html and decision.rules[0].id in html
    assert "不符合申报条件" in html and ">说明</th>" in html
    # The failed rule is the table's first row, though the policy lists it later.
    assert decision.failed and decision.rules[0].outcome.value != "failed"
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    # An exclusion that applies reads as one (属于不得申报情形), never as a double negative.
    assert decision.failed[0].id in first_row and "属于不得申报情形" in first_row
    assert "不符合" not in first_row
    assert escape(rule_line(decision.failed[0], "zh")) in first_row
    english = notebook.view(decision, "en")._repr_html_()
    assert ">explanation</th>" in english and "ineligible" in english
    assert "不符合申报条件" not in english and ">说明</th>" not in english
    pytest.importorskip("pandas")
    frame = decision.to_pandas()
    assert frame["outcome"].iloc[0] == "failed"
    assert _outcomes_in_order(list(frame["outcome"]))
    assert sorted(frame["rule"]) == sorted(r.id for r in decision.rules)
    by_id = {r.id: r for r in decision.rules}
    # The explanation is the engine's own rule line, in the frame's language.
    assert list(frame["explanation"]) == [rule_line(by_id[r], "zh") for r in frame["rule"]]
    english_frame = notebook.decision_frame(decision, "en", failures_first=False)
    assert list(english_frame["rule"]) == [r.id for r in decision.rules]
    assert list(english_frame["explanation"]) == [rule_line(r, "en") for r in decision.rules]
    assert "title_en" not in frame.columns


def test_audit_html_escapes_and_shows_the_verdict(report: titlerules.audit.AuditReport) -> None:
    html = report._repr_html_()
    assert "程序不合规（4 项不符合）" in html
    assert "2024-09-12 .. 2024-09-18：4 个工作日（7 天）" in _plain(html)
    assert "<script" not in html
    pytest.importorskip("pandas")
    frame = report.to_pandas()
    assert len(frame) == len(report.findings)
    failed = frame[frame.outcome == "failed"]
    assert set(failed["rule"]) == {f.rule_id for f in report.failed}


def test_audit_tables_list_failures_first(report: titlerules.audit.AuditReport) -> None:
    html = report._repr_html_()
    rows = html.split("<tbody>")[1].split("</tr>")
    assert len(report.failed) == 4
    for row, finding in zip(rows, report.failed, strict=False):
        assert escape(finding.title) in row and "不符合" in row
    assert "不符合" not in "".join(rows[4:])
    in_policy_order = notebook.audit_html(report, failures_first=False)
    first = in_policy_order.split("<tbody>")[1].split("</tr>")[0]
    assert report.findings[0].outcome.value == "passed"
    assert escape(report.findings[0].title) in first
    pytest.importorskip("pandas")
    frame = report.to_pandas()
    assert list(frame["outcome"])[:4] == ["failed"] * 4
    assert _outcomes_in_order(list(frame["outcome"]))
    kept = report.to_pandas(failures_first=False)
    assert list(kept["rule"]) == [f.rule_id for f in report.findings]


def test_audit_html_speaks_one_language(report: titlerules.audit.AuditReport) -> None:
    zh = report._repr_html_()
    en = notebook.view(report, "en")._repr_html_()
    verdict_zh = escape(report.verdict.text("zh", report.rule_titles("zh")))
    verdict_en = escape(report.verdict.text("en", report.rule_titles("en")))
    # The verdict once, in the table's language.
    assert zh.count(verdict_zh) == 1 and verdict_en not in zh
    assert en.count(verdict_en) == 1 and verdict_zh not in en
    # The working-day column: its header and its values in the table's language.
    assert ">工作日</th>" in zh and "2024-09-12 .. 2024-09-18：4 个工作日（7 天）" in _plain(zh)
    assert "working days" not in zh
    assert ">working days</th>" in en
    assert "2024-09-12 .. 2024-09-18: 4 working days" in _plain(en)
    # A date is kept on one line (its hyphens are no place to wrap).
    assert '<span style="white-space:nowrap">2024-09-18</span>' in zh
    assert "：4 个工作日" not in en and ">工作日</th>" not in en  # quotes stay verbatim
    # The facts by their field labels, the path after each.
    assert "(meeting.attendees) = 5" in zh and "(meeting.attendees) = 5" in en
    assert "procedure.meeting.attendees" not in zh
    # The title column keeps a readable width and wraps.
    title_header = zh.split("<thead>")[1].split("</th>")[2]
    assert "规则名称" in title_header and "min-width:14em" in title_header
    assert "white-space:normal" in title_header
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        notebook.view(report, "fr")
    pytest.importorskip("pandas")
    frame_zh, frame_en = report.to_pandas(), report.to_pandas("en")
    publicity = "results_publicity_length"
    (days_zh,) = frame_zh[frame_zh.rule == publicity]["working_days"]
    (days_en,) = frame_en[frame_en.rule == publicity]["working_days"]
    assert days_zh.startswith("2024-09-12 .. 2024-09-18：4 个工作日")
    assert days_en.startswith("2024-09-12 .. 2024-09-18: 4 working days")
    finding = report.finding(publicity)
    assert finding.title_en and finding.title_en != finding.title
    assert list(frame_en[frame_en.rule == publicity]["title"]) == [finding.title_en]
    assert list(frame_zh[frame_zh.rule == publicity]["title"]) == [finding.title]


def test_batch_results_render_one_row_per_record() -> None:
    policy = titlerules.load_policy("eryuan-2024")
    paths = sorted((ERYUAN / "applicants").glob("*.yaml"))
    records: list[object] = [load_applicant(p) for p in paths]
    results = Decisions(policy.evaluate_many([*records, {"applicant": {"person": 3}}]))
    assert len(results) == len(paths) + 1
    assert results.counts()["error"] == 1
    html = results._repr_html_()
    assert html.count("<tr>") == len(paths) + 2
    assert ">说明</th>" in html and "不符合申报条件" in html and ">错误</th>" in html
    # An error column only where a record has an error.
    assert ">错误</th>" not in Decisions(policy.evaluate_many(records))._repr_html_()
    english = notebook.view(results, "en")._repr_html_()
    assert ">explanation</th>" in english and "不符合申报条件" not in english
    pytest.importorskip("pandas")
    frame = results.to_pandas()
    assert list(frame["outcome"])[-1] == "error"
    decided = [r for r in results if isinstance(r, Decision)]
    # The explanation is the engine's, its first line (record, outcome) left to the columns.
    for lang in ("zh", "en"):
        explanations = list(results.to_pandas(lang)["explanation"])[:-1]
        assert explanations == [
            " | ".join(line.strip() for line in explain(d, lang).splitlines()[1:]) for d in decided
        ]
    ineligible = next(i for i, d in enumerate(decided) if d.failed)
    assert rule_line(decided[ineligible].failed[0], "zh") in frame["explanation"][ineligible]


def test_plan_cross_and_records_render(timeline: titlerules.audit.Plan) -> None:
    assert "results_issued_on" in timeline._repr_html_()
    assert "会前" in timeline._repr_html_() and "wd before" in notebook.plan_html(timeline, "en")
    cross = titlerules.audit_set("eryuan-2024", [ERYUAN / "applicants"])
    assert "跨记录核查" in cross._repr_html_()
    assert "cross-record checks" in notebook.view(cross, "en")._repr_html_()
    records = titlerules.validate_records(EXAMPLES / "xianning-2024" / "historical-titles.csv")
    assert "共 6 行，合格 6 行" in records._repr_html_()
    assert "6 rows, 6 valid" in notebook.view(records, "en")._repr_html_()
    pytest.importorskip("pandas")
    assert len(timeline.to_pandas()) == len(timeline.steps)
    assert len(records.to_pandas()) == 6
    assert list(records.problems_frame()["level"]) == ["warning"]
    assert cross.to_pandas().empty
    twice = titlerules.audit_set(
        "eryuan-2024", [ERYUAN / "applicants", ERYUAN / "applicants" / "li-hua.yaml"]
    )
    assert [f.check for f in twice.findings] == ["duplicate_application"]
    messages = twice.to_pandas()["message"]
    assert list(messages) == [f.message_zh for f in twice.findings]
    assert list(twice.to_pandas("en")["message"]) == [f.message for f in twice.findings]
    assert "message_zh" not in twice.to_pandas().columns


def test_plan_frame_keeps_working_days_as_integers(timeline: titlerules.audit.Plan) -> None:
    pd = pytest.importorskip("pandas")
    frame = timeline.to_pandas()
    for column, offsets in (
        ("earliest_working_days", [s.earliest_to_meeting for s in timeline.steps]),
        ("latest_working_days", [s.latest_to_meeting for s in timeline.steps]),
    ):
        assert pd.api.types.is_integer_dtype(frame[column].dtype), frame[column].dtype
        expected = [
            None if o is None else (-o.working_days if o.relation == "before" else o.working_days)
            for o in offsets
        ]
        assert any(x is None for x in expected) and any(x is not None for x in expected)
        got = [None if pd.isna(x) else x for x in frame[column]]
        assert got == expected
        assert all(isinstance(x, int) for x in frame[column].dropna().tolist())
    assert list(timeline.to_pandas("en")["label"]) == [s.label_en for s in timeline.steps]


@pytest.fixture
def chinese_font(monkeypatch: pytest.MonkeyPatch) -> str:
    """The installed font with Chinese glyphs; without one, a stand-in name (the labels are
    then Chinese text drawn without the glyphs, which is all these tests read)."""
    pytest.importorskip("matplotlib")
    font = notebook.cjk_font() or "DejaVu Sans"
    monkeypatch.setattr(notebook, "cjk_font", lambda: font)
    return font


def _texts(figure: object) -> tuple[list[str], str, list[str]]:
    axes = figure.axes[0]  # type: ignore[attr-defined]
    ticks = [t.get_text() for t in axes.get_yticklabels()]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    return ticks, axes.get_title(), legend


@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")
def test_charts_label_in_the_language_asked(
    report: titlerules.audit.AuditReport,
    timeline: titlerules.audit.Plan,
    chinese_font: str,
    tmp_path: Path,
) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    figure = report.plot()  # Chinese, as the command line's --lang
    try:
        ticks, title, legend = _texts(figure)
        assert "一(四)" in ticks and "1(4)" not in ticks
        assert title == "eryuan-2024：按条款的审计结果"
        assert legend == ["符合", "不符合"]
        # The font is the figure's own, not a setting that lapses before the notebook draws.
        assert figure.axes[0].get_yticklabels()[0].get_fontfamily()[0] == chinese_font
    finally:
        plt.close(figure)
    figure = report.plot(lang="en")
    try:
        ticks, title, legend = _texts(figure)
        assert "1(4)" in ticks and not any("一" in t for t in ticks)
        assert title == "eryuan-2024: findings by clause"
        assert legend == ["passed", "failed"]
    finally:
        plt.close(figure)
    steps = [s for s in timeline.steps if s.earliest is not None or s.latest is not None]
    figure = timeline.plot()
    try:
        ticks, title, legend = _texts(figure)
        assert ticks == [s.label for s in steps]
        assert title.startswith("yuncheng-2024：评审会议 2024-11-14..2024-11-15")
        assert legend == ["允许的日期", "评审会议", "节假日", "调休上班"]
    finally:
        plt.close(figure)
    figure = timeline.plot(lang="en")
    try:
        ticks, title, legend = _texts(figure)
        assert ticks == [s.label_en for s in steps]
        assert title.startswith("yuncheng-2024: timeline")
        assert legend[0] == "allowed dates"
    finally:
        plt.close(figure)
    png = notebook.save_chart("plan", timeline, tmp_path / "plan.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = notebook.save_chart("findings", report, tmp_path / "findings.svg", lang="en")
    assert b"<svg" in svg.read_bytes()


def test_a_chart_without_a_chinese_font_warns_and_labels_in_english(
    report: titlerules.audit.AuditReport,
    timeline: titlerules.audit.Plan,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(notebook, "cjk_font", lambda: None)
    with pytest.warns(notebook.CJKFontWarning, match="apt-get install fonts-noto-cjk") as caught:
        figure = report.plot()
    try:
        assert "pip install mplfonts" in str(caught[0].message)
        ticks, title, _ = _texts(figure)
        assert "1(4)" in ticks and title == "eryuan-2024: findings by clause"
    finally:
        plt.close(figure)
    with pytest.warns(notebook.CJKFontWarning):
        figure = timeline.plot()
    plt.close(figure)
    with pytest.warns(notebook.CJKFontWarning):
        notebook.save_chart("plan", timeline, tmp_path / "plan.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # English asks for no Chinese font
        plt.close(report.plot(lang="en"))


def test_a_chinese_font_installed_after_the_font_cache_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    font_manager = pytest.importorskip("matplotlib.font_manager")
    files = [f for f in font_manager.findSystemFonts() if "cjk" in Path(f).name.lower()]
    if not files:
        pytest.skip("no Noto CJK font file on this machine (Debian: fonts-noto-cjk)")
    stale = font_manager.FontManager()  # as matplotlib's cache before the font came
    stale.ttflist = [f for f in stale.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert "CJK" in (notebook._find_cjk_font() or "")
    assert any("CJK" in f.name for f in stale.ttflist)


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


def test_the_command_line_says_when_a_chart_cannot_be_in_chinese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from titlerules.cli import main

    monkeypatch.setattr(notebook, "cjk_font", lambda: None)
    chart = tmp_path / "plan.png"
    # A warning in the command line's own format, not a Python warning (which pytest raises).
    assert main(["plan", "eryuan-2024", "--meeting", "2024-09-10", "--chart", str(chart)]) == 0
    err = capsys.readouterr().err
    assert "titlerules: warning: no font with Chinese glyphs is installed" in err
    assert "fonts-noto-cjk" in err
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert (
        main(
            [
                "plan",
                "eryuan-2024",
                "--meeting",
                "2024-09-10",
                "--lang",
                "en",
                "--chart",
                str(chart),
            ]
        )
        == 0
    )
    assert "warning" not in capsys.readouterr().err
