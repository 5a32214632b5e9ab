"""``titlerules compare``: readable in a terminal (no ``<br>``, wrapped to its width), the
Markdown table with ``--format markdown``, JSON with ``--format json``."""

from __future__ import annotations

import json

import pytest

from titlerules.cli import main
from titlerules.report.compare import display_width, wrap_display


@pytest.mark.parametrize("width", [60, 100])
def test_text_is_wrapped_to_the_width(width: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "eryuan-2024", "xianning-2024", "--width", str(width)]) == 0
    out = capsys.readouterr().out
    assert "<br>" not in out and "|---|" not in out
    lines = out.splitlines()
    assert lines[0] == "eryuan-2024  vs  xianning-2024"
    assert max(display_width(line) for line in lines) <= width
    assert "== 公示 publicity windows ==" in lines
    # Every rule of both policies is listed under its family, nothing cut.
    assert "5 working_days]" in out


def test_markdown_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "eryuan-2024", "xianning-2024", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("| family | eryuan-2024 | xianning-2024 |\n|---|---|---|\n")
    assert main(["compare", "eryuan-2024", "xianning-2024", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"family", "heading", "eryuan-2024", "xianning-2024"} <= set(rows[0])


def test_wrap_breaks_between_chinese_characters_and_at_spaces() -> None:
    lines = wrap_display("一二三四五六七八 nine ten", 12, first="- ", rest="  ")
    assert lines == ["- 一二三四五", "  六七八", "  nine ten"]
    assert all(display_width(line) <= 12 for line in lines)
