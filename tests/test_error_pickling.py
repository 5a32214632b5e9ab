"""Every titlerules error survives pickling (multiprocessing) with all it says."""

from __future__ import annotations

import inspect
import pickle

import pytest

import titlerules
import titlerules.errors as errors_module
from titlerules.errors import Location, PolicyCheckError, PolicySyntaxError, TitleRulesError
from titlerules.facts.loading import RecordProblem, RecordValidationError

ERROR_CLASSES = sorted(
    (
        cls
        for cls in vars(errors_module).values()
        if inspect.isclass(cls) and issubclass(cls, TitleRulesError)
    ),
    key=lambda cls: cls.__name__,
)
WHERE = Location(file="a.yaml", line=3, column=7, end_line=3, end_column=9, record_path="x.y")


def _same(first: TitleRulesError, second: TitleRulesError) -> None:
    assert type(second) is type(first)
    assert second.message == first.message
    assert second.code == first.code
    assert second.location == first.location
    assert second.hint == first.hint
    assert str(second) == str(first)


def test_the_classes_are_found() -> None:
    assert len(ERROR_CLASSES) >= 10


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("code", [None, "TR999"])
def test_every_error_class_keeps_its_diagnostics(
    cls: type[TitleRulesError], code: str | None
) -> None:
    error = cls("something is wrong", location=WHERE, hint="do this", code=code)
    _same(error, pickle.loads(pickle.dumps(error)))


def test_a_rendered_error_keeps_its_rendering() -> None:
    error = PolicySyntaxError("bad", location=WHERE)
    error.rendered = "a.policy:3:7: error: bad\n  x = \n      ^"
    error.diagnostics = ("one",)
    copy = pickle.loads(pickle.dumps(error))
    _same(error, copy)
    assert copy.rendered == error.rendered
    assert copy.diagnostics == ("one",)


def test_a_check_error_keeps_its_diagnostics() -> None:
    with pytest.raises(PolicyCheckError) as caught:
        titlerules.load_policy(_bad_policy())
    error = caught.value
    assert error.diagnostics
    copy = pickle.loads(pickle.dumps(error))
    _same(error, copy)
    assert [d.render(None) for d in copy.diagnostics] == [d.render(None) for d in error.diagnostics]  # type: ignore[attr-defined]


def test_a_record_validation_error_keeps_every_problem() -> None:
    problems = [
        RecordProblem(file="r.yaml", record_path="applicant.id", message="bad id", hint="fix"),
        RecordProblem(
            file="r.yaml", record_path="applicant.x", message="unknown", line=4, column=2
        ),
    ]
    error = RecordValidationError(problems)
    copy = pickle.loads(pickle.dumps(error))
    _same(error, copy)
    assert copy.problems == error.problems


def _bad_policy() -> str:
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    path = folder / "bad.policy"
    path.write_text(
        'policy bad-2024 {\n  title "示例" document "示〔2024〕1号" year 2024 source "x.txt" '
        'sha256 "0"\n}\nexclusion x "x" {\n  cite 一 "x"\n  when applicant.no_such_field\n}\n',
        encoding="utf-8",
    )
    return str(path)
