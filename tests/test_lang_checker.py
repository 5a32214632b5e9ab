"""Language layer: the checker.  A table of bad policies with their exact messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from titlerules.cli import main
from titlerules.engine.policy import lint_policy
from titlerules.lang.diagnostics import Diagnostic


def _lint(path: Path) -> list[Diagnostic]:
    return lint_policy(path)[1]


# (policy body, [(code, line, column, message, hint)]) — line numbers count the 3-line header.
BAD_POLICIES: list[tuple[str, list[tuple[str, int, int, str, str | None]]]] = [
    (
        'exclusion a "x" {\n  cite 一 "q"\n  when applicant.santions.count() > 0\n}\n',
        [
            (
                "TR311",
                6,
                8,
                "unknown field 'applicant.santions'",
                "did you mean 'applicant.sanctions'?",
            )
        ],
    ),
    (
        'exclusion a "x" { cite 一 "q" when applicant.person.birth_date > 3 }\n',
        [("TR312", 4, 35, "cannot compare date with int", "compare a date with a date")],
    ),
    (
        'procedure p "x" { cite 一 "q"\n'
        "  require working_days_between(procedure.notice.published_on, procedure.meeting.start)"
        " >= 30 }\n",
        [
            (
                "TR312",
                5,
                11,
                "cannot compare working_days with int",
                "give the number a unit, e.g. '30 working_days'",
            )
        ],
    ),
    (
        "param share: fraction = 2/3\n"
        'requirement r "x" { cite 一 "q" require procedure_x > share }\n'
        'requirement r "y" { cite 一 "q" require share + 5 working_days > 1 }\n',
        [
            ("TR310", 5, 40, "unknown name 'procedure_x'", "did you mean 'procedure'?"),
            (
                "TR314",
                6,
                1,
                "duplicate rule 'r'",
                "rename it",
            ),
        ],
    ),
    (
        'exclusion a "x" { when applicant.employment.retired }\n',
        [
            (
                "TR315",
                4,
                1,
                "rule 'a' has no citation",
                'add: cite <clause> "<verbatim quote of the notice>"',
            )
        ],
    ),
    (
        'requirement a "x" { cite 一 "" require applicant.employment.in_post }\n',
        [
            (
                "TR315",
                4,
                21,
                "rule 'a' cites 一 with an empty quote",
                "quote the notice's words verbatim",
            )
        ],
    ),
    (
        "param unused: int = 3\n"
        'exclusion a "x" { cite 一 "q" when applicant.employment.retired }\n',
        [("TR316", 4, 1, "parameter 'unused' is never used", "use it in a rule or remove it")],
    ),
    (
        'override exclusion nothing "x" { cite 一 "q" when applicant.employment.retired }\n',
        [
            (
                "TR317",
                4,
                1,
                "'override' of rule 'nothing', which no imported or extended file declares",
                "remove 'override', or check the name against the base policy",
            )
        ],
    ),
    (
        'exclusion a "x" { cite 一 "q" require applicant.employment.retired }\n',
        [
            (
                "TR318",
                4,
                1,
                "exclusion 'a' has no 'when'",
                "an exclusion says when an applicant is excluded: when <condition>",
            ),
            (
                "TR318",
                4,
                38,
                "exclusion 'a' uses 'require'",
                "exclusions use 'when'; requirements and procedure rules use 'require'",
            ),
        ],
    ),
    (
        'procedure p "x" { cite 一 "q" require windows(procedure) }\n',
        [
            (
                "TR313",
                4,
                38,
                "unknown function 'windows'",
                "see docs/language.md for the built-in functions",
            )
        ],
    ),
    (
        'exclusion a "x" { cite 一 "q" when applicant.employment.retired + 1 }\n',
        [("TR312", 4, 35, "cannot add bool and int", "check the units of both sides")],
    ),
    (
        'procedure a "x" { cite 一 "q" require applicant.employment.retired }\n',
        [
            (
                "TR325",
                4,
                38,
                "a procedure rule reads 'applicant'",
                "procedure rules read the committee's record: 'procedure. ...'",
            )
        ],
    ),
    (
        'import "common/nowhere"\n'
        'exclusion a "x" { cite 一 "q" when applicant.employment.retired }\n',
        [
            (
                "TR320",
                4,
                1,
                "no policy or module named 'common/nowhere'",
                "run 'titlerules policies' for the bundled ids, or give a file path",
            )
        ],
    ),
    (
        'exclusion a "x" { cite 一 "q" when applicant.application.level >= 副高职 }\n',
        [("TR310", 4, 66, "unknown name '副高职'", None)],
    ),
    (
        'requirement a "x" { cite 一 "q" require applicant.assessments.any() }\n',
        [
            (
                "TR313",
                4,
                40,
                ".any() needs a condition",
                "write .any(x -> <condition on x>)",
            )
        ],
    ),
]


@pytest.mark.parametrize(("body", "expected"), BAD_POLICIES)
def test_bad_policies_give_exact_messages(
    write_policy: Callable[[str, str], Path],
    body: str,
    expected: list[tuple[str, int, int, str, str | None]],
) -> None:
    diagnostics = _lint(write_policy(body, "bad.policy"))
    actual = [(d.code, d.span.line, d.span.column, d.message) for d in diagnostics]
    assert actual == [e[:4] for e in expected]
    for diagnostic, (*_, hint) in zip(diagnostics, expected, strict=True):
        if hint is not None:
            assert diagnostic.hint == hint


def test_every_error_in_a_file_is_reported(write_policy: Callable[[str, str], Path]) -> None:
    body = "".join(
        f'exclusion r{i} "x" {{ cite 一 "q" when applicant.employment.retried{i} }}\n'
        for i in range(5)
    )
    diagnostics = _lint(write_policy(body, "many.policy"))
    assert [d.code for d in diagnostics] == ["TR311"] * 5


def test_lint_cli_prints_location_caret_and_hint(
    write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_policy(
        'exclusion a "x" {\n  cite 一 "q"\n  when applicant.santions.count() > 0\n}\n', "p.policy"
    )
    assert main(["lint", str(path)]) == 1
    err = capsys.readouterr().out
    assert f"{path}:6:8: error: unknown field 'applicant.santions' [TR311]" in err
    assert "   6 |   when applicant.santions.count() > 0" in err
    assert "     |        ^^^^^^^^^^^^^^^^^^" in err
    assert "hint: did you mean 'applicant.sanctions'?" in err


def test_lint_clean_file_exits_zero(
    write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_policy(
        'exclusion a "x" { cite 一 "q" when applicant.employment.retired }\n', "ok.policy"
    )
    assert main(["lint", str(path)]) == 0
    assert "ok, 0 warning(s), 1 rule(s)" in capsys.readouterr().out


def test_import_cycle_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text('module a { title "a" }\nimport "b"\n', encoding="utf-8")
    (tmp_path / "b.policy").write_text('module b { title "b" }\nimport "a"\n', encoding="utf-8")
    diagnostics = _lint(tmp_path / "a.policy")
    assert [d.message for d in diagnostics] == ["import cycle: a.policy -> b.policy -> a.policy"]


def test_extends_and_override(tmp_path: Path) -> None:
    header = 'policy {} {{ title "t" document "d" year 2024 source "s" sha256 "0" }}\n'
    (tmp_path / "base.policy").write_text(
        header.format("base-p")
        + "param cutoff: date = 2024-12-31\n"
        + 'exclusion a "x" { cite 一 "q" when applicant.employment.retired }\n'
        + 'exclusion b "y" { cite 一 "q" when applicant.person.birth_date > cutoff }\n',
        encoding="utf-8",
    )
    (tmp_path / "child.policy").write_text(
        header.format("child-p")
        + 'extends "base"\n'
        + "override param cutoff: date = 2025-12-31\n"
        + 'override exclusion a "x2" { cite 一 "q" when applicant.employment.in_post }\n',
        encoding="utf-8",
    )
    resolved, diagnostics = lint_policy(tmp_path / "child.policy")
    assert diagnostics == []
    assert list(resolved.rules) == ["a", "b"]
    assert resolved.rules["a"].item.title == "x2"  # type: ignore[union-attr]
    assert resolved.params["cutoff"].item.value.value.year == 2025  # type: ignore[union-attr]
