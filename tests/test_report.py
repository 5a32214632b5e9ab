"""Report layer: policy pages and policy comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from titlerules.cli import main

BASE = """
param publicity_min: working_days = {days} working_days
procedure results_publicity "评审结果公示" {{
  cite 一(七) "公示时间不少于 5 个工作日"
  require procedure.publicity.all(w -> working_days_between(w.start, w.end) >= publicity_min)
}}
exclusion civil "公务员不得申报" {{
  cite 一 "公务员"
  when applicant.employment.is_civil_servant
  unless "参公人员除外": applicant.employment.is_civil_servant_managed
}}
"""


def test_compare_shows_the_numbers_side_by_side(
    write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_policy(BASE.format(days=5), "a.policy")
    b = write_policy(BASE.format(days=7), "b.policy")
    assert main(["compare", str(a), str(b), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert (
        "| 公示 publicity windows | 评审结果公示 [publicity_min = 5 working_days] "
        "| 评审结果公示 [publicity_min = 7 working_days] |"
    ) in out
    assert "| 排除条件 exclusions | 公务员不得申报 | 公务员不得申报 |" in out


def test_policy_page_lists_rules_quotes_and_readings(
    write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_policy(BASE.format(days=5), "p.policy")
    assert main(["doc", str(path)]) == 0
    page = capsys.readouterr().out
    assert "### `civil`: 公务员不得申报" in page
    assert "> 测〔2024〕1号 一: 「公务员」" in page
    assert "- The applicant is excluded when `applicant.employment.is_civil_servant`." in page
    assert "- Unless (参公人员除外): `applicant.employment.is_civil_servant_managed`." in page
    assert "| `publicity_min` | working_days | `5 working_days` |  |" in page
