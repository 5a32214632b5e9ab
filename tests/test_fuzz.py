"""Bad input in, only titlerules' own errors out: every public entry point, fuzzed.

Each entry point gets at least 10,000 generated inputs (fewer for the command line, which
is slower per call): grammar-derived text with random mutations, random text and bytes,
truncated files, deep nesting, huge numbers, impossible dates (2024-02-30), invalid UTF-8,
YAML and JSON of the wrong shape and records with fields of every wrong type.  Every error
must be a :class:`~titlerules.errors.TitleRulesError` with a code, a location and (where
the entry point promises one) a hint, and must survive pickling.

The runs are derandomised (a fixed seed per test), so a failure reproduces exactly.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import io
import json
import os
import pickle
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from titlerules import lint
from titlerules.cli import main
from titlerules.decision_log import DecisionLog, read_log, replay
from titlerules.engine.decision import Decision, Outcome, RuleOutcome
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import Location, TitleRulesError
from titlerules.facts import RecordValidationError, load_batch, load_records
from titlerules.lang import yaml_io
from titlerules.lang.exprparse import parse_expr
from titlerules.lang.parser import parse

from .conftest import EXAMPLES, REPO


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of generated policies must not fill the user's compile cache."""
    monkeypatch.setenv("TITLERULES_CACHE", "off")


# Inputs per entry point.  The default run (`make test`) tries 1,000, the same ones every
# run (derandomized); `make fuzz` sets TITLERULES_FUZZ_EXAMPLES=10000 (at least 10,000 per
# entry point: the fuzz families below scale with it).
FUZZ_EXAMPLES = int(os.environ.get("TITLERULES_FUZZ_EXAMPLES", "1000"))
# Secondary entry points (the lone-expression parser, evaluate_many, decision logs) and the
# command line, which is slower per call, get fewer.
SECONDARY_EXAMPLES = max(FUZZ_EXAMPLES // 5, 50)
CLI_EXAMPLES = max(FUZZ_EXAMPLES // 40, 50)


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


_CODE = re.compile(r"^TR\d{3}$")


def check_error(exc: BaseException, *, hint: bool = True, location: bool = True) -> None:
    """The error is ours, says where, says what to do, and pickles."""
    assert isinstance(exc, TitleRulesError), f"foreign exception {type(exc).__name__}: {exc}"
    assert _CODE.match(exc.code), exc.code
    text = str(exc)
    assert text.strip()
    if location:
        assert exc.location is not None and str(exc.location), f"no location: {text}"
    if hint:
        assert exc.hint, f"no hint: {text}"
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc) and clone.code == exc.code


def run_counted(test: Callable[[], None], counter: list[int], minimum: int) -> None:
    test()
    assert counter[0] >= minimum, f"only {counter[0]} inputs were generated"


# ---------------------------------------------------------------- policy text

HEADER = (
    'policy fuzz-policy {\n  title "模糊测试" en "Fuzz" document "测〔2024〕1号" year 2024\n'
    '  source "x.txt" sha256 "0"\n}\n'
)

POLICY_BODIES = [
    """param share: fraction = 2/3
requirement vote "述职推荐须达三分之二" {
  cite 二(三)2 "同意推荐票数达参会人数的三分之二及以上者方可推荐上报"
  require applicant.unit_debrief.yes_votes >= share * applicant.unit_debrief.attendees
}
""",
    """exclusion civil "公务员不得参加职称评审" en "Civil servants" {
  cite 二(一) "公务员不得参加职称评审"
  applies applicant.employment.employer_kind == 事业单位
  when applicant.employment.is_civil_servant or applicant.employment.is_civil_servant_managed
  unless "按规定批准": not applicant.employment.retired
  severity advisory
  note "说明"
}
""",
    """param cutoff: date = 2024-12-31
let years = years_between(applicant.person.birth_date, cutoff, floor)
def older(a, n) = years_between(a.person.birth_date, cutoff, floor) >= n
requirement age "年龄" {
  cite 一 "年龄"
  require if older(applicant, 30) then years > 1 else known(applicant.person.gender)
}
""",
    """param levels: set[TitleLevel] = {副高级, 正高级}
exclusion sanction "受处分期间不得申报" {
  cite 二(一) "在受处分期间不得申报参加职称评审"
  when applicant.sanctions.any(s -> s.severity >= 记过 and s.start <= 2024-12-31)
   and applicant.application.level in levels
}
""",
    """param publicity_min: working_days = 5 working_days
procedure results "评审结果公示不少于5个工作日" {
  cite 一(七) "公示时间不少于 5 个工作日"
  require procedure.publicity.where(w -> w.kind == PublicityKind.results)
    .all(w -> working_days_between(w.start, w.end) >= publicity_min)
  require procedure.members.count() >= 7 and add_working_days(2024-10-01, 3) > 2024-10-01
}
""",
    """import "common/sanctions"
override param dummy: int = -3
requirement count "计数" {
  cite 三 "计数"
  require applicant.assessments.count(a -> a.grade == AssessmentGrade.合格) + 1 - 2 * 3 / 4 >= 1
  require coalesce(applicant.unit_debrief.attendees, 0) != 0
}
""",
]

POLICY_SEEDS = [HEADER + body for body in POLICY_BODIES] + [
    'module common/fuzz {\n  description "共享"\n}\nparam n: int = 3\nlet m = n + 1\n',
    HEADER + 'extends "other-policy"\noverride exclusion x "t" { cite 一 "q" when true }\n',
]

SNIPPETS = [
    "(",
    ")",
    "{",
    "}",
    '"',
    "“",
    "”",
    "（",
    "）",
    "'",
    ",",
    ".",
    ":",
    "=",
    "->",
    "#",
    "\n",
    " and ",
    " or ",
    " not ",
    " in ",
    " if ",
    " then ",
    " else ",
    "policy",
    "module",
    "param",
    "let",
    "def",
    "import",
    "extends",
    "override",
    "exclusion",
    "requirement",
    "procedure",
    "cite",
    "when",
    "require",
    "unless",
    "applies",
    "severity",
    "note",
    "blocking",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "9999-12-31",
    "99999-01-01",
    "9" * 40,
    "9" * 5000,
    "0",
    "-1",
    "2/0",
    "1/3",
    "5 working_days",
    "3 years",
    "12 months",
    "applicant.",
    "applicant.person.birth_date",
    "procedure.members",
    "as_of",
    "记过",
    "合格",
    "\x00",
    "\ud800",
    "\ufeff",
    "\u202e",
    "😀",
    "\t",
    "\r\n",
    "\\",
    '\\"',
    "{副高级, 1}",
    'import "/etc/passwd"',
    'import "../secret"',
    'import "common/sanctions"',
    "known(",
    "coalesce(",
    "date(9999, 12, 31) + 1 days",
    "add_working_days(2099-12-31, 9)",
]
GRAMMAR_CHARS = [*list('abcxyz_0123456789 \n(){}[]"#.,:=<>!+-*/'), "记", "过", "（"]


def random_char(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.6:
        return rnd.choice(GRAMMAR_CHARS)
    if roll < 0.9:
        return chr(rnd.randrange(0x20, 0x3000))
    return chr(rnd.randrange(0, 0x110000))  # any code point, lone surrogates included


def mutate(rnd: random.Random, text: str, snippets: list[str], edits: int = 5) -> str:
    """Up to ``edits`` random edits: cut, insert a snippet, duplicate, truncate, replace."""
    for _ in range(rnd.randrange(edits + 1)):
        op = rnd.randrange(5)
        i = rnd.randrange(len(text) + 1)
        j = min(len(text), i + rnd.randrange(41))
        if op == 0:
            text = text[:i] + text[j:]
        elif op == 1:
            text = text[:i] + rnd.choice(snippets) + text[i:]
        elif op == 2:
            text = text[:j] + text[i:j] + text[j:]
        elif op == 3:
            text = text[:i]
        else:
            text = text[:i] + random_char(rnd) + text[i + 1 :]
    return text


NEST_KINDS = ["paren", "not", "neg", "and", "plus", "attr", "if", "set", "call", "lambda"]


def _nest(kind: str, depth: int) -> str:
    if kind == "paren":
        return "(" * depth + "1" + ")" * depth
    if kind == "not":
        return "not " * depth + "true"
    if kind == "neg":
        return "-" * depth + "1"
    if kind == "and":
        return " and ".join(["true"] * depth)
    if kind == "plus":
        return " + ".join(["1"] * depth)
    if kind == "attr":
        return "applicant" + ".person" * depth
    if kind == "if":
        return "if true then 1 else " * depth + "1"
    if kind == "set":
        return "{" * depth + "}" * depth
    if kind == "call":
        return "min(" * depth + "1" + ", 2)" * depth
    return "x.any(y -> " * depth + "true" + ")" * depth


def deep_expression(rnd: random.Random) -> str:
    """Nesting around the parser's limit, now and then far beyond it (deep inputs are slow
    to parse: the dedicated limit tests below cover every kind at five times the limit)."""
    depth = rnd.randrange(400) if rnd.random() < 0.1 else rnd.randrange(80, 130)
    return _nest(rnd.choice(NEST_KINDS), depth)


def random_text(rnd: random.Random, size: int) -> str:
    return "".join(random_char(rnd) for _ in range(rnd.randrange(size)))


def policy_text(rnd: random.Random) -> str:
    """Grammar-derived text with mutations, random text, deep nesting, huge numbers, and
    dates that do not exist."""
    family = rnd.randrange(40)
    if family >= 9:
        return mutate(rnd, rnd.choice(POLICY_SEEDS), SNIPPETS)
    if family in (5, 6):
        return HEADER + random_text(rnd, 120)
    if family in (3, 4):
        return random_text(rnd, 120)
    if family == 7:
        return HEADER + f"let x = {deep_expression(rnd)}\n"
    if family in (1, 8):
        return HEADER + "param n: int = " + "7" * rnd.randrange(1, 6000) + "\n"
    year, month, day = rnd.randrange(100000), rnd.randrange(100), rnd.randrange(100)
    return HEADER + f"param d: date = {year:04d}-{month:02d}-{day:02d}\n"


def seeded(generate: Callable[[random.Random], Any]) -> st.SearchStrategy[Any]:
    """Inputs made by ``generate`` from a Random that Hypothesis seeds: one draw per input,
    so that tens of thousands of inputs stay fast; the failing input is printed in full."""
    return st.randoms(use_true_random=True).map(generate)


def test_parse_fuzz() -> None:
    count = [0]

    @fuzz_settings(FUZZ_EXAMPLES)
    @given(text=seeded(policy_text))
    def run(text: str) -> None:
        count[0] += 1
        try:
            parse(text, "fuzz.policy")
        except Exception as exc:
            check_error(exc)
            assert isinstance(exc, TitleRulesError) and exc.location is not None
            assert exc.location.line is not None  # a syntax error points at its line

    run_counted(run, count, FUZZ_EXAMPLES)


EXPRESSION_SEEDS = [body.split("require ", 1)[-1].split("\n")[0] for body in POLICY_BODIES]


def expression_text(rnd: random.Random) -> str:
    family = rnd.randrange(30)
    if family >= 5:
        return mutate(rnd, rnd.choice(EXPRESSION_SEEDS), SNIPPETS)
    if family == 0:
        return deep_expression(rnd)
    if family in (1, 2):
        return random_text(rnd, 80)
    return rnd.choice(SNIPPETS)


def test_parse_expression_fuzz() -> None:
    """The expression parser that the YAML and JSON spellings use."""
    count = [0]

    @fuzz_settings(SECONDARY_EXAMPLES)
    @given(text=seeded(expression_text))
    def run(text: str) -> None:
        count[0] += 1
        try:
            parse_expr(text)
        except Exception as exc:
            check_error(exc)

    run_counted(run, count, SECONDARY_EXAMPLES)


# ---------------------------------------------------------------- lint a policy file

YAML_POLICY_SEEDS = [yaml_io.dump_yaml(parse(text)) for text in POLICY_SEEDS[:5]]
JSON_POLICY_SEEDS = [yaml_io.dump_json(parse(text)) for text in POLICY_SEEDS[:3]]
YAML_SNIPPETS = [*SNIPPETS, ": ", "- ", "[", "]", "!!python/object:os.system", "&a ", "*a", "~"]


def random_bytes(rnd: random.Random, size: int) -> bytes:
    return rnd.randbytes(rnd.randrange(size))


def policy_file(rnd: random.Random) -> tuple[str, bytes]:
    family = rnd.randrange(10)
    if family < 5:
        return ".policy", mutate(rnd, rnd.choice(POLICY_SEEDS), SNIPPETS).encode("utf-8", "replace")
    if family == 5:
        return ".policy", random_bytes(rnd, 200)
    if family == 6:  # cut short, possibly inside a UTF-8 sequence
        data = rnd.choice(POLICY_SEEDS).encode()
        return ".policy", data[: rnd.randrange(len(data) + 1)]
    if family == 7:
        return ".yaml", mutate(rnd, rnd.choice(YAML_POLICY_SEEDS), YAML_SNIPPETS).encode(
            "utf-8", "replace"
        )
    if family == 8:
        return ".json", mutate(rnd, rnd.choice(JSON_POLICY_SEEDS), SNIPPETS).encode(
            "utf-8", "replace"
        )
    return rnd.choice([".yaml", ".json"]), random_bytes(rnd, 100)


_APPLICANT = yaml.safe_load((EXAMPLES / "eryuan-2024/applicants/li-hua.yaml").read_text("utf-8"))


def test_lint_fuzz(tmp_path: Path) -> None:
    """``titlerules.lint`` (resolve, imports, checker); clean policies are also compiled and
    evaluated."""
    count = [0]
    compiled = [0]

    @fuzz_settings(FUZZ_EXAMPLES)
    @given(case=seeded(policy_file))
    def run(case: tuple[str, bytes]) -> None:
        count[0] += 1
        suffix, data = case
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            diagnostics = lint(path)
        except Exception as exc:
            check_error(exc)
            return
        for diagnostic in diagnostics:
            assert _CODE.match(diagnostic.code)
            assert diagnostic.file, diagnostic
            if suffix == ".policy":  # the YAML and JSON spellings carry no line numbers
                assert diagnostic.span.line >= 1, diagnostic
        if any(d.level == "error" for d in diagnostics):
            return
        try:
            policy = load_policy(path)
            compiled[0] += 1
            decision = policy.evaluate(copy.deepcopy(_APPLICANT))
        except Exception as exc:
            check_error(exc)
            return
        decision.model_dump_json()

    run_counted(run, count, FUZZ_EXAMPLES)
    assert compiled[0] > count[0] // 100  # the mutations also reach the compiler and evaluator


# ---------------------------------------------------------------- records from text

RECORD_SEEDS = [
    "applicant:\n  person: {name: 李华, birth_date: 1985-03-02, gender: 男}\n"
    "  unit_debrief: {attendees: 9, yes_votes: 6}\n  sanctions: []\n",
    "applicant:\n  employment: {employer_kind: 事业单位, is_civil_servant: false}\n"
    "  application: {level: 副高级, submitted_on: 2024-07-01, year: 2024}\n",
    "applicants:\n  - {person: {name: 甲}}\n  - {assessments: [{year: 2023, grade: 合格}]}\n",
    "procedure:\n  members: [{name: 王五, role: 主任委员}]\n  meeting: {start: 2024-10-15}\n",
    "- applicant: {person: {id_type: 居民身份证, id_number: '11010519491231002X'}}\n",
    '{"applicant": {"person": {"name": "李华", "birth_date": "1985-03-02"},'
    ' "unit_debrief": {"attendees": 9, "yes_votes": 6}}}',
]
RECORD_CSV_SEED = (EXAMPLES / "xianning-2024/historical-titles.csv").read_text("utf-8")[:600]
RECORD_SNIPPETS = [
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "\n  ",
    "\t",
    "!!python/object:os.system",
    "!!binary aGk=",
    "&a ",
    "*a",
    "<<: ",
    "? ",
    "2024-02-30",
    "2024-13-01",
    "99999-01-01",
    "9" * 50,
    "9" * 5000,
    "1e999",
    "-1",
    ".nan",
    "null",
    "~",
    "true",
    "yes",
    "是",
    "否",
    "applicant",
    "procedure",
    "attendees",
    "birth_date",
    "sanctions",
    "\x00",
    "\ufeff",
    "\x85",
]
RECORD_KEYS = ["applicant", "procedure", "applicants", "post_table", "historical_title_record"]


def junk(rnd: random.Random, depth: int = 0, *, plain: bool = False) -> Any:
    """A value of a random type: the wrong type for almost every field.  ``plain``: only
    what YAML and JSON can spell."""
    roll = rnd.randrange(14 if depth < 3 else 11)
    if plain and roll in (8, 9):
        roll = 10
    if roll == 0:
        return None
    if roll == 1:
        return rnd.random() < 0.5
    if roll == 2:
        return rnd.randrange(-(10**6), 10**6)
    if roll == 3:
        return rnd.randrange(10**30, 10**40)
    if roll == 4:
        return rnd.choice([float("nan"), float("inf"), -0.0, 1.5, 1e308])
    if roll == 5:
        return random_text(rnd, 12)
    if roll == 6:
        return rnd.choice(["2024-02-30", "2024-13-01", "0001-01-01", "9999-12-31", "", "记过"])
    if roll == 7:
        return rnd.choice(["男", "合格", "事业单位", "副高级", "true", "是", "2024-10-01"])
    if roll == 8:
        return rnd.choice([b"bytes", bytearray(b"x"), 1 + 2j, (1, 2), frozenset({1})])
    if roll == 9:
        return object()
    if roll == 10:
        return rnd.randrange(-5, 200)
    if roll < 13:
        return [junk(rnd, depth + 1, plain=plain) for _ in range(rnd.randrange(4))]
    return {
        random_text(rnd, 8) or "k": junk(rnd, depth + 1, plain=plain)
        for _ in range(rnd.randrange(4))
    }


def record_file(rnd: random.Random) -> tuple[str, bytes]:
    family = rnd.randrange(10)
    if family < 4:
        text = mutate(rnd, rnd.choice(RECORD_SEEDS), RECORD_SNIPPETS, edits=4)
        # PyYAML is slow: YAML gets a third of the mutated records, JSON the rest.
        return rnd.choice([".yaml", ".json", ".json"]), text.encode("utf-8", "replace")
    if family == 4:
        return rnd.choice([".yaml", ".json", ".csv"]), random_bytes(rnd, 120)
    if family == 5:
        data = {rnd.choice(RECORD_KEYS): junk(rnd, plain=True)}
        if rnd.random() < 0.5:
            return ".json", json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")
        return ".yaml", yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "replace")
    if family == 6:
        depth = rnd.randrange(3000)
        return ".json", ('{"applicant": ' + "[" * depth + "]" * depth + "}").encode()
    if family == 7:  # beyond PyYAML's recursion limit: test_regression_record_files (slow)
        depth = rnd.randrange(40)
        return ".yaml", ("applicant: " + "[" * depth + "]" * depth).encode()
    if family == 8:
        i = rnd.randrange(len(RECORD_CSV_SEED) + 1)
        text = RECORD_CSV_SEED[:i] + rnd.choice(RECORD_SNIPPETS) + RECORD_CSV_SEED[i:]
        return ".csv", text.encode()
    data_bytes = rnd.choice(RECORD_SEEDS).encode()
    return rnd.choice([".yaml", ".json"]), data_bytes[: rnd.randrange(len(data_bytes) + 1)]


def test_record_loading_fuzz(tmp_path: Path) -> None:
    """``load_batch`` (one result per record, errors in place) and ``load_records``."""
    count = [0]

    @fuzz_settings(FUZZ_EXAMPLES)
    @given(case=seeded(record_file))
    def run(case: tuple[str, bytes]) -> None:
        count[0] += 1
        suffix, data = case
        path = tmp_path / f"record{suffix}"
        path.write_bytes(data)
        if count[0] % 2:  # one result per record, errors in place
            for result in load_batch(path):
                assert (result.record is None) != (result.error is None)
                if result.error is not None:
                    check_error(result.error, hint=False)  # see test_every_record_error_has_a_hint
            return
        try:  # every record, or one error listing every problem
            load_records(path)
        except Exception as exc:
            check_error(exc, hint=False)

    run_counted(run, count, FUZZ_EXAMPLES)


# ---------------------------------------------------------------- evaluate dicts


def _example(relative: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / relative).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


APPLICANT_EXAMPLES = [
    _example(f"{folder}/applicants/{path.name}")
    for folder in ("eryuan-2024", "kunming-2020", "xianning-2024", "yuncheng-2024")
    for path in sorted((EXAMPLES / folder / "applicants").glob("*.yaml"))[:2]
]
PROCEDURE_EXAMPLES = [
    _example(f"{folder}/procedure.yaml") for folder in ("eryuan-2024", "xianning-2024")
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


APPLICANT_PATHS = [list(_paths(example)) for example in APPLICANT_EXAMPLES]
PROCEDURE_PATHS = [list(_paths(example)) for example in PROCEDURE_EXAMPLES]


def broken_record(rnd: random.Random, procedure: bool = False) -> Any:
    """An example record with one to four fields deleted or given a value of a wrong type;
    sometimes bare (no top-level key), sometimes no record at all."""
    family = rnd.randrange(1 if procedure else 0, 10)
    if family == 0:
        return junk(rnd)
    examples, paths = (
        (PROCEDURE_EXAMPLES, PROCEDURE_PATHS)
        if procedure or family == 1
        else (APPLICANT_EXAMPLES, APPLICANT_PATHS)
    )
    which = rnd.randrange(len(examples))
    record = copy.deepcopy(examples[which])
    for _ in range(rnd.randrange(1, 5)):
        path = rnd.choice(paths[which])
        try:
            parent = record
            for step in path[:-1]:
                parent = parent[step]
            if rnd.random() < 0.3:
                del parent[path[-1]]
            else:
                parent[path[-1]] = junk(rnd)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the parent
    if family == 2 and record and not procedure:
        return record[next(iter(record))]  # bare, without the top-level key
    return record


def _policies() -> list[Policy]:
    return [load_policy(name) for name in ("eryuan-2024", "xianning-2024", "kunming-2020")]


def _check_decision(decision: Decision) -> None:
    blocking = [r for r in decision.rules if r.severity == "blocking"]
    if any(r.outcome is RuleOutcome.FAILED for r in blocking):
        assert decision.outcome is Outcome.INELIGIBLE
    elif any(r.outcome is RuleOutcome.UNKNOWN for r in blocking):
        assert decision.outcome is Outcome.UNDETERMINED
        assert decision.missing_facts
    else:
        assert decision.outcome is Outcome.ELIGIBLE
    assert decision.missing_facts == sorted(set(decision.missing_facts))
    json.loads(decision.model_dump_json())  # every value read is plain JSON


def test_evaluate_fuzz() -> None:
    """``Policy.evaluate`` on dicts with missing fields and fields of every wrong type."""
    count = [0]
    decided = [0]
    policies = _policies()

    @fuzz_settings(FUZZ_EXAMPLES)
    @given(case=seeded(lambda rnd: (broken_record(rnd), rnd.randrange(len(policies)))))
    def run(case: tuple[Any, int]) -> None:
        count[0] += 1
        record, which = case
        try:
            decision = policies[which].evaluate(record, explain=which == 0)
        except RecordValidationError as exc:
            check_error(exc, hint=False)  # see test_every_record_error_has_a_hint
            return
        except Exception as exc:
            check_error(exc)
            return
        decided[0] += 1
        _check_decision(decision)

    run_counted(run, count, FUZZ_EXAMPLES)
    assert decided[0] > count[0] // 10  # many broken records validate: the evaluator ran


def test_evaluate_many_fuzz() -> None:
    """``Policy.evaluate_many`` (the batch path of the engine): exactly one result per
    record, in order, errors in place."""
    count = [0]
    policy = load_policy("eryuan-2024")

    @fuzz_settings(SECONDARY_EXAMPLES // 6)
    @given(records=seeded(lambda rnd: [broken_record(rnd) for _ in range(rnd.randrange(4, 13))]))
    def run(records: list[Any]) -> None:
        count[0] += len(records)
        results = list(policy.evaluate_many(records))
        assert len(results) == len(records)
        for result in results:
            if isinstance(result, Decision):
                _check_decision(result)
            else:
                check_error(result, hint=not isinstance(result, RecordValidationError))

    run_counted(run, count, SECONDARY_EXAMPLES)


def _exported_population() -> list[dict[str, Any]]:
    from titlerules.facts import Applicant
    from titlerules.synthetic import population

    return [
        Applicant.model_validate(r).model_dump(mode="json", exclude_none=True)
        for r in population("eryuan-2024", 60, seed=31)
    ]


def _json_texts(rnd: random.Random, records: list[dict[str, Any]]) -> list[Any]:
    """A batch of exported records as JSON texts (bytes or str), one to three of them with
    a field deleted, or given a value of another type, or a key added."""
    batch = [copy.deepcopy(r) for r in rnd.sample(records, rnd.randrange(10, 30))]
    for _ in range(rnd.randrange(1, 4)):
        record = rnd.choice(batch)
        path = rnd.choice(list(_paths(record)))
        parent: Any = record
        for step in path[:-1]:
            parent = parent[step]
        roll = rnd.random()
        if roll < 0.2:
            del parent[path[-1]]
        elif roll < 0.3 and isinstance(parent, dict):
            parent[random_text(rnd, 6)] = junk(rnd, plain=True)
        else:
            parent[path[-1]] = junk(rnd, plain=True)
    texts: list[Any] = []
    for record in batch:
        text = json.dumps(record, ensure_ascii=rnd.random() < 0.5)
        texts.append(text if rnd.random() < 0.3 else text.encode("utf-8", "surrogatepass"))
    return texts


def test_evaluate_many_json_texts_fuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of JSON texts, and of the dicts they spell, decided column-wise (pyarrow's
    JSON reader or conversion, or the flattener when they refuse one) give every record the
    per-record path's decision or error, in order."""
    pytest.importorskip("polars")
    from titlerules.engine import policy as policy_module

    monkeypatch.setattr(policy_module, "BATCH_MIN", 1)
    monkeypatch.setattr(policy_module, "BATCH_ROUTE", "table")
    policy = load_policy("eryuan-2024")
    records = _exported_population()
    count = [0]

    @fuzz_settings(max(SECONDARY_EXAMPLES // 20, 10))
    @given(texts=seeded(lambda rnd: _json_texts(rnd, records)))
    def run(texts: list[Any]) -> None:
        count[0] += 1
        dicts = [json.loads(text) for text in texts]
        for batch in (texts, dicts):
            got = list(policy.evaluate_many(batch))
            expected = list(policy._decisions(batch, None, False, errors=True))
            assert len(got) == len(expected)
            for a, b in zip(got, expected, strict=True):
                if isinstance(b, Decision):
                    assert isinstance(a, Decision) and a == b
                else:
                    assert type(a) is type(b) and str(a) == str(b)

    run_counted(run, count, max(SECONDARY_EXAMPLES // 20, 10))


def test_audit_fuzz() -> None:
    """``titlerules.audit.audit`` on procedure records with fields of every wrong type."""
    audit_module = pytest.importorskip("titlerules.audit")
    count = [0]
    policy = load_policy("xianning-2024")

    @fuzz_settings(FUZZ_EXAMPLES)
    @given(record=seeded(lambda rnd: broken_record(rnd, procedure=True)))
    def run(record: Any) -> None:
        count[0] += 1
        try:
            audit_module.audit(policy, record)
        except RecordValidationError as exc:
            check_error(exc, hint=False)
        except Exception as exc:
            check_error(exc)

    run_counted(run, count, FUZZ_EXAMPLES)


@functools.cache
def _batch_pool() -> list[dict[str, Any]]:
    """Synthetic applicants, every value spelled as text (as a CSV or JSON export holds)."""
    synthetic = pytest.importorskip("titlerules.synthetic")
    records: list[dict[str, Any]] = synthetic.spelled(synthetic.applicants(120, seed=5))
    return records


BATCH_ROWS = 500
CELL_JUNK = [
    "",
    "2024-02-30",
    "2024-13-01",
    "99999-01-01",
    "9" * 40,
    "9" * 5000,
    "-1",
    "1e999",
    "nan",
    "true",
    "是",
    "记过",
    "[",
    "[{",
    '[{"year": "x"}]',
    "{}",
    "null",
    "\x00",
    "\ud800",
    "😀",
    '"',
    "a,b",
    "0.5",
    "2/0",
]


def batch_table(rnd: random.Random) -> tuple[str, bytes, int]:
    """A CSV or JSON Lines table of BATCH_ROWS applicants with junk in random cells, now and
    then a row of the wrong width, an unknown column, a line that is not a record."""
    from titlerules.synthetic import flat_rows

    pool = _batch_pool()
    records = [copy.deepcopy(rnd.choice(pool)) for _ in range(BATCH_ROWS)]
    if rnd.random() < 0.5:
        columns = flat_rows(records)
        header = list(columns)
        rows = [[columns[name][i] or "" for name in header] for i in range(BATCH_ROWS)]
        for _ in range(rnd.randrange(1, 12)):
            at, column = rnd.randrange(BATCH_ROWS), rnd.randrange(len(header))
            rows[at][column] = rnd.choice(CELL_JUNK) if rnd.random() < 0.8 else random_text(rnd, 9)
        if rnd.random() < 0.1:
            header[rnd.randrange(len(header))] = rnd.choice(["x.y", "person.nam", "", "person"])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            # a row of the wrong width (never empty: a blank line is not a row)
            writer.writerow(row[: rnd.randrange(1, len(row))] if rnd.random() < 0.03 else row)
        return ".csv", out.getvalue().encode("utf-8", "replace"), BATCH_ROWS
    lines = []
    for record in records:
        paths = list(_paths(record))
        for _ in range(rnd.randrange(1, 3) if rnd.random() < 0.1 else 0):
            path = rnd.choice(paths)
            try:
                parent = record
                for step in path[:-1]:
                    parent = parent[step]
                parent[path[-1]] = junk(rnd, plain=True)
            except (KeyError, IndexError, TypeError):
                continue
        if rnd.random() < 0.03:
            lines.append(rnd.choice(["{", "[1, 2]", "null", '{"person": ', "7"]))
        else:
            lines.append(json.dumps(record, ensure_ascii=False, default=str))
    return ".jsonl", ("\n".join(lines) + "\n").encode("utf-8", "replace"), BATCH_ROWS


def test_batch_fuzz(tmp_path: Path) -> None:
    """The columnar batch path (``run_file`` on CSV and JSON Lines tables): one result row
    per input row, a bad row's error in its own row, never an exception of another kind."""
    io_module = pytest.importorskip("titlerules.batch.io")
    runner = pytest.importorskip("titlerules.batch.runner")
    columnar = runner.ColumnarPolicy(load_policy("eryuan-2024"))
    count = [0]

    @fuzz_settings(FUZZ_EXAMPLES // BATCH_ROWS)
    @given(case=seeded(batch_table))
    def run(case: tuple[str, bytes, int]) -> None:
        suffix, data, rows = case
        count[0] += rows
        path = tmp_path / f"table{suffix}"
        path.write_bytes(data)
        try:
            summary, table = io_module.run_file(columnar, path, chunk_rows=rows // 2 + 1)
        except Exception as exc:
            check_error(exc)
            return
        assert table.height == summary.rows == rows, (summary.rows, rows, data[:2000])
        assert table["row"].to_list() == list(range(1, rows + 1))

    run_counted(run, count, FUZZ_EXAMPLES)


# ---------------------------------------------------------------- decision logs and replay


def _log_seed(tmp_path: Path) -> list[str]:
    policy_path = tmp_path / "logged.policy"
    policy_path.write_text(POLICY_SEEDS[0] + POLICY_BODIES[1], encoding="utf-8")
    log_path = tmp_path / "seed.jsonl"
    policy = load_policy(policy_path)
    with DecisionLog(log_path) as log:
        for record in APPLICANT_EXAMPLES[:3]:
            log.evaluate(policy, record)
    return log_path.read_text("utf-8").splitlines()


LOG_SNIPPETS = [
    '"',
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "1e999",
    "9" * 5000,
    "\\u0000",
    "-",
    '"redacted":false',
    '"version":2',
    '"as_of":"2024-02-30"',
]


def test_decision_log_fuzz(tmp_path: Path) -> None:
    """``read_log`` and ``replay`` on logs cut short, edited by hand or not logs at all."""
    count = [0]
    seeds = _log_seed(tmp_path)

    def log_bytes(rnd: random.Random) -> tuple[bytes, bool]:
        full = rnd.randrange(20) == 0  # replay is slower: evaluate again one time in twenty
        family = rnd.randrange(4)
        if family == 0:
            return random_bytes(rnd, 200), full
        line = rnd.choice(seeds)
        if family == 1:
            return line.encode()[: rnd.randrange(len(line) + 1)], full
        for _ in range(rnd.randrange(1, 4)):
            i = rnd.randrange(len(line) + 1)
            j = min(len(line), i + rnd.randrange(31))
            line = line[:i] + rnd.choice(LOG_SNIPPETS) + line[j:]
        return (line + "\n" + rnd.choice(seeds)).encode("utf-8", "replace"), full

    @fuzz_settings(SECONDARY_EXAMPLES)
    @given(case=seeded(log_bytes))
    def run(case: tuple[bytes, bool]) -> None:
        count[0] += 1
        data, full = case
        path = tmp_path / "fuzz.jsonl"
        path.write_bytes(data)
        try:
            if full:
                report = replay(path)
                for entry in report.entries:
                    assert entry.status in ("same", "changed", "error")
            else:
                for line, _entry in read_log(path):
                    assert line >= 1
        except Exception as exc:
            check_error(exc)

    run_counted(run, count, SECONDARY_EXAMPLES)


# ---------------------------------------------------------------- the command line

_BAD_FILES: dict[str, bytes] = {
    "empty.policy": b"",
    "binary.policy": bytes(range(256)),
    "latin1.policy": 'policy p { title "caf\xe9" }'.encode("latin-1"),
    "truncated.policy": (HEADER + POLICY_BODIES[0]).encode()[:-30],
    "deep.policy": (HEADER + "let x = " + "not " * 3000 + "true\n").encode(),
    "huge.policy": (HEADER + "param n: int = " + "9" * 9000 + "\n").encode(),
    "cycle.policy": (HEADER + 'import "cycle"\n').encode(),
    "escape.policy": (HEADER + 'import "/etc/hostname"\n').encode(),
    "feb30.yaml": b"applicant: {person: {birth_date: 2024-02-30}}\n",
    "types.yaml": b"applicant: {unit_debrief: {attendees: [1], yes_votes: {a: 1}}, sanctions: 7}\n",
    "deep.json": b'{"applicant": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "bad.json": b'{"applicant": {"person": ',
    "tags.yaml": b"applicant: !!python/object/apply:os.system [echo]\n",
    "bom.yaml": b"\xef\xbb\xbfapplicant: {}\n",
    "bad.csv": b'"a\n\x00,"',
    "notalog.jsonl": b'{"format": "x"}\n',
    "cut.jsonl": b'{"format": "titlerules-decision-log", "version": 1',
    "folder": b"",
    "good.policy": (HEADER + POLICY_BODIES[0]).encode(),
    "good.yaml": b"applicant: {unit_debrief: {attendees: 9, yes_votes: 6}}\n",
}

_FLAGS = [
    "--json",
    "--verbose",
    "--redact",
    "--as-of",
    "2024-02-30",
    "--as-of",
    "x",
    "--lang",
    "xx",
    "--debug",
    "--strict",
    "--check",
    "--to",
    "yaml",
    "--policy",
    "nope",
    "-o",
]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(
        st.sampled_from(["check", "lint", "replay", "fmt", "convert", "calendar", "test", "nope"])
    )
    files = [*list(_BAD_FILES), "missing.policy", "../x"]
    argv = [command]
    if command == "check":
        argv.append(draw(st.sampled_from(["good.policy", *files])))
    if command == "calendar":
        argv.append(draw(st.sampled_from(["working-days", "add", "day", "retirement", "x"])))
        argv.extend(
            draw(
                st.lists(
                    st.sampled_from(["2024-02-30", "2024-10-01", "-5", "9" * 30, "x"]), max_size=3
                )
            )
        )
    else:
        # At least one file: 'test' with none runs every bundled policy test.
        argv.extend(draw(st.lists(st.sampled_from(files), min_size=1, max_size=2)))
    argv.extend(draw(st.lists(st.sampled_from(_FLAGS), max_size=2)))
    if draw(st.booleans()):
        argv.append(draw(st.text(max_size=10)))
    return [a for a in argv if a != "--debug"]


def test_cli_fuzz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``main([...])``: exit 0, 1 or 2, one clean message, never a traceback or an internal
    error (exit 3)."""
    for name, data in _BAD_FILES.items():
        if name == "folder":
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    count = [0]

    @fuzz_settings(CLI_EXAMPLES)
    @given(argv=command_lines())
    def run(argv: list[str]) -> None:
        count[0] += 1
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        errors = err.getvalue()
        assert code in (0, 1, 2), (argv, code, errors)
        assert "Traceback" not in errors and "internal error" not in errors, (argv, errors)
        if code == 2 and "titlerules: error:" in errors:
            # One error per command; `check` reports each record that fails in its place.
            if argv[0] != "check":
                assert errors.count("titlerules: error:") == 1, errors
            heads = [line for line in errors.splitlines() if line.startswith("titlerules: error:")]
            assert all(re.search(r" \[TR\d{3}\]$", line) for line in heads), errors

    run_counted(run, count, CLI_EXAMPLES)


def test_cli_internal_error_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import titlerules.cli.policies_cmd as policies_cmd

    def broken(args: Any) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(policies_cmd, "run", broken)
    assert main(["policies"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "--debug" in err
    with pytest.raises(KeyError):
        main(["--debug", "policies"])


def test_cli_error_exit_2_without_traceback_unless_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.policy"
    path.write_text(HEADER + "let x = (1 +\n", encoding="utf-8")
    assert main(["lint", str(path)]) == 1
    assert main(["check", str(path), str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{path}:5:" in err
    with pytest.raises(TitleRulesError):
        main(["--debug", "check", str(path), str(tmp_path / "none.yaml")])


# ---------------------------------------------------------------- limits


def test_limit_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from titlerules.lang import convert, parser

    with pytest.raises(TitleRulesError) as info:
        parse(HEADER + "#" * parser.MAX_SOURCE_CHARS, "big.policy")
    assert info.value.code == "TR303"
    path = tmp_path / "big.policy"
    path.write_text(HEADER + "# padding\n" * 20, encoding="utf-8")
    monkeypatch.setattr(convert, "MAX_SOURCE_BYTES", 100)
    with pytest.raises(TitleRulesError) as info:
        lint(path)
    assert info.value.code == "TR303" and info.value.location == Location(file=str(path))


@pytest.mark.parametrize("kind", [k for k in NEST_KINDS if k != "paren"])
def test_limit_nesting_depth(kind: str, make_policy: Callable[[str], Policy]) -> None:
    from titlerules.lang.parser import MAX_NESTING_DEPTH

    with pytest.raises(TitleRulesError) as info:
        parse(HEADER + f"let x = {_nest(kind, 5 * MAX_NESTING_DEPTH)}\n", "deep.policy")
    assert info.value.code == "TR304"
    assert "nested too deeply" in str(info.value)
    # Well inside the limit, every pass (parse, check, compile, evaluate) copes.
    body = f"let x = {_nest('and', MAX_NESTING_DEPTH // 2)}\n"
    body += 'exclusion r "r" { cite 一 "q" when not x }\n'
    assert make_policy(body).evaluate(copy.deepcopy(_APPLICANT)).outcome is Outcome.ELIGIBLE


def test_limit_nesting_through_lets(make_policy: Callable[[str], Policy]) -> None:
    lets = "".join(f"let l{i} = l{i + 1}\n" for i in range(1500)) + "let l1500 = true\n"
    with pytest.raises(TitleRulesError) as info:
        make_policy(lets + 'exclusion r "r" { cite 一 "q" when l0 }\n')
    assert info.value.code == "TR304" and info.value.hint


def test_limit_number_of_rules(make_policy: Callable[[str], Policy]) -> None:
    from titlerules.errors import PolicyCheckError
    from titlerules.lang.loader import MAX_RULES

    rules = "".join(
        f'exclusion r{i} "r" {{ cite 一 "q" when false }}\n' for i in range(MAX_RULES + 5)
    )
    with pytest.raises(PolicyCheckError) as info:
        make_policy(rules)
    codes = [d.code for d in info.value.diagnostics]  # type: ignore[attr-defined]
    assert codes == ["TR306"]
    assert f"more than {MAX_RULES} rules" in str(info.value)


def test_limit_huge_numbers() -> None:
    with pytest.raises(TitleRulesError) as info:
        parse(HEADER + "param n: int = " + "9" * 5000 + "\n", "n.policy")
    assert info.value.code == "TR305"
    assert info.value.location is not None and info.value.location.line == 5


def test_import_cycle_names_the_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text('module a {\n}\nimport "b"\n', encoding="utf-8")
    (tmp_path / "b.policy").write_text('module b {\n}\nimport "a"\n', encoding="utf-8")
    (tmp_path / "main.policy").write_text(HEADER + 'import "a"\n', encoding="utf-8")
    diagnostics = lint(tmp_path / "main.policy")
    assert [d.code for d in diagnostics if d.level == "error"] == ["TR322"]
    assert "a.policy -> b.policy -> a.policy" in diagnostics[0].message


def test_imports_cannot_escape_the_policy_folders(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.policy").write_text("module evil {\n}\n", encoding="utf-8")
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "link.policy").symlink_to(outside / "evil.policy")
    main_file = inside / "main.policy"
    for target in [str(outside / "evil.policy"), "../outside/evil.policy", "link"]:
        main_file.write_text(HEADER + f'import "{target}"\n', encoding="utf-8")
        errors = [d for d in lint(main_file) if d.level == "error"]
        assert [d.code for d in errors] == ["TR320"], target
        assert errors[0].hint


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "r.yaml"
    path.write_text(
        f"applicant: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    with pytest.raises(TitleRulesError) as info:
        load_records(path)
    assert info.value.code == "TR002" and not marker.exists()
    policy = tmp_path / "p.yaml"
    policy.write_text(
        f"header: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    with pytest.raises(TitleRulesError):
        lint(policy)
    assert not marker.exists()


def test_repo_examples_still_load() -> None:
    """The fuzz seeds come from real examples; they must themselves be valid."""
    assert (REPO / "policies").is_dir()
    for record in APPLICANT_EXAMPLES + PROCEDURE_EXAMPLES:
        decision = _policies()[0].evaluate(copy.deepcopy(record))
        _check_decision(decision)


# ---------------------------------------------------------------- regressions found by fuzzing


@pytest.mark.parametrize(
    ("name", "data", "code", "words"),
    [
        # TypeError: a YAML mapping key that is a list
        ("unhashable.yaml", b"applicant: {? [a, b] : 1}\n", "TR002", "unhashable key"),
        # KeyError: a top-level key that is null or a number
        ("nullkey.yaml", b"{null: 1}\n", "TR100", "unknown record kind 'None'"),
        ("intkey.yaml", b"{1: {2: 3}}\n", "TR100", "unknown record kind '1'"),
        # RecursionError: nesting beyond the parsers' stack
        ("deep.yaml", b"applicant: " + b"[" * 600 + b"]" * 600, "TR002", "nested too deeply"),
        ("deep.json", b'{"applicant": ' + b"[" * 5000 + b"]" * 5000 + b"}", "TR002", "nested"),
        # ValueError: an integer longer than Python converts
        (
            "bigint.json",
            b'{"applicant": {"unit_debrief": {"attendees": ' + b"9" * 5000 + b"}}}",
            "TR002",
            "invalid JSON",
        ),
        # silent drop: JSON keeps the last of two equal keys
        ("dup.json", b'{"applicant": {}, "applicant": {"person": {}}}', "TR002", "duplicate key"),
        # csv.Error: a cell beyond the csv module's field limit (131,072) is read; one beyond
        # titlerules' own bound is refused in its words
        ("big.csv", "姓名\n".encode() + b"x" * 1_000_001 + b"\n", "TR002", "longer than 1,000,000"),
        # OverflowError: a ratio of .inf
        ("inf.yaml", b"procedure: {planned_pass_rate: .inf}\n", "TR100", "invalid fraction"),
        # UnicodeEncodeError: text with a lone surrogate, from a JSON escape (refused by the
        # reader, where the file is read)
        (
            "surrogate.json",
            b'{"applicant": {"person": {"gender": "\\ud800"}}}',
            "TR002",
            "half of a surrogate pair",
        ),
    ],
)
def test_regression_record_files(
    tmp_path: Path, name: str, data: bytes, code: str, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    # The csv module's field limit is process-wide; the batch reader raises it.
    limit = csv.field_size_limit(128 * 1024)
    try:
        with pytest.raises(TitleRulesError) as info:
            load_records(path)
    finally:
        csv.field_size_limit(limit)
    check_error(info.value, hint=False)
    assert info.value.code == code and words in str(info.value)


def test_regression_folder_that_cannot_be_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titlerules.facts import loading

    def denied(directory: Path) -> list[Path]:
        raise PermissionError(13, "Permission denied", str(directory / "private"))

    monkeypatch.setattr(loading, "_record_files", denied)
    (result,) = load_batch(tmp_path)
    assert result.error is not None and result.error.code == "TR002"
    check_error(result.error)


def test_regression_policy_test_case_with_an_impossible_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("policy: eryuan-2024\ncases:\n  - as_of: 2024-02-30\n", encoding="utf-8")
    assert main(["test", str(cases)]) == 2
    err = capsys.readouterr().err
    assert "invalid YAML" in err and "[TR002]" in err and "Traceback" not in err


def test_regression_parameter_out_of_range_at_load(make_policy: Callable[[str], Policy]) -> None:
    with pytest.raises(TitleRulesError) as info:
        make_policy("param d: date = 9999-12-31 + 1 days\n")
    assert info.value.code == "TR330" and info.value.location is not None
    check_error(info.value)


def test_regression_evaluation_errors_say_which_rule(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(
        'requirement far "远期" { cite 一 "远期"\n'
        "  require applicant.application.submitted_on + 10000000 years > 2024-01-01 }\n"
    )
    with pytest.raises(TitleRulesError) as info:
        policy.evaluate({"applicant": {"application": {"submitted_on": "2024-07-12"}}})
    assert info.value.code == "TR400"
    assert info.value.location is not None and info.value.location.line == 4
    check_error(info.value)


# ---------------------------------------------------------------- every record error has a hint


def test_every_record_error_has_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "record.yaml"
    path.write_text("applicant: {unit_debrief: {attendees: many}}\n", encoding="utf-8")
    with pytest.raises(TitleRulesError) as info:
        load_records(path)
    check_error(info.value)


# ---------------------------------------------------------------- audit errors say where


def test_audit_of_something_that_is_no_record_says_where() -> None:
    audit_module = pytest.importorskip("titlerules.audit")
    with pytest.raises(TitleRulesError) as info:
        audit_module.audit(load_policy("xianning-2024"), 42)
    check_error(info.value)


def test_audit_errors_say_which_rule() -> None:
    audit_module = pytest.importorskip("titlerules.audit")
    record = copy.deepcopy(PROCEDURE_EXAMPLES[1])
    record["procedure"]["publicity"] = [
        {
            "kind": "results",
            "channel": "information_platform",
            "start": "2024-10-01",
            "end": "9999-12-31",
        }
    ]
    with pytest.raises(TitleRulesError) as info:
        audit_module.audit(load_policy("xianning-2024"), record)
    check_error(info.value)


# ---------------------------------------------------------------- adversarial families
#
# The families an adversarial run found faults in: alias bombs, def chains, stray CSV quotes,
# keys given twice, deep nesting, special line endings, NUL paths and lone surrogates.  Each
# is generated from a fixed seed, small enough that a run takes a few seconds, and fed to every
# reader it concerns; only titlerules errors may come out.

ADVERSARIAL_EXAMPLES = max(FUZZ_EXAMPLES // 100, 40)

_RECORD_YAML = (
    "applicant:\n"
    "  person: {name: 李华, gender: 女}\n"
    "  employment: {is_civil_servant: false}\n"
    "  application: {submitted_on: 2024-07-12, year: 2024}\n"
)
_OVERRIDES_YAML = "year: 2030\nsource: 通知\nholidays: []\nworkdays: []\n"
_CASES_YAML = (
    "policy: eryuan-2024\ncases:\n  - name: c\n"
    "    applicant: {employment: {is_civil_servant: true}}\n"
    "    expect: {outcome: ineligible}\n"
)
_POLICY_BODY = (
    'exclusion civil "公务员不得参加职称评审" {\n  cite 二(一) "公务员不得参加职称评审"\n'
    "  when applicant.employment.is_civil_servant\n}\n"
)


def _yaml_policy_text() -> str:
    return yaml_io.dump_yaml(parse(HEADER + _POLICY_BODY))


def _readers() -> dict[str, tuple[str, Callable[[Path], Any]]]:
    """Every reader of a YAML file of user input: (suffix, read)."""
    from titlerules.calendar import load_overrides
    from titlerules.testing import run_case_file

    return {
        "policy": (".yaml", load_policy),
        "record": (".yaml", load_records),
        "overrides": (".yaml", load_overrides),
        "test cases": (".yaml", run_case_file),
    }


def _read_each(folder: Path, texts: dict[str, str]) -> list[BaseException | None]:
    """Each reader on its text: None when it read it, else the error (only ours)."""
    outcomes: list[BaseException | None] = []
    for index, (name, (suffix, read)) in enumerate(_readers().items()):
        if name not in texts:
            continue
        path = folder / f"in{index}{suffix}"
        path.write_text(texts[name], encoding="utf-8")
        try:
            read(path)
        except TitleRulesError as error:
            check_error(error, hint=False)
            outcomes.append(error)
        else:
            outcomes.append(None)
    return outcomes


def _bases() -> dict[str, str]:
    return {
        "policy": _yaml_policy_text(),
        "record": _RECORD_YAML,
        "overrides": _OVERRIDES_YAML,
        "test cases": _CASES_YAML,
    }


def test_fuzz_alias_bombs(tmp_path: Path) -> None:
    rng = random.Random(1901)
    refused = 0
    for _ in range(ADVERSARIAL_EXAMPLES):
        width, depth = rng.randint(2, 12), rng.randint(2, 9)
        lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
        lines += [
            f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth)
        ]
        bomb = "\n".join(lines) + "\n"
        nested = "bomb:\n" + "".join(f"  {line}\n" for line in lines)
        texts = {name: text + nested for name, text in _bases().items()}
        texts["record"] = bomb  # a document of aliases only
        outcomes = _read_each(tmp_path, texts)
        if width**depth > 200_000:  # far past the bound: every reader refuses
            assert all(o is not None and "aliases" in str(o) for o in outcomes), outcomes
            refused += 1
    assert refused


def test_fuzz_def_chains(tmp_path: Path) -> None:
    rng = random.Random(1902)
    for _ in range(ADVERSARIAL_EXAMPLES // 4):
        levels = rng.randint(2, 40)
        calls = rng.randint(1, 3)
        defs = "def h0(x) = x\n" + "".join(
            f"def h{i}(x) = " + " + ".join([f"h{i - 1}(x)"] * calls) + "\n"
            for i in range(1, levels)
        )
        rule = (
            'requirement r "r" {\n  cite 一 "r"\n'
            f"  require h{levels - 1}(applicant.application.year) > 0\n}}\n"
        )
        path = tmp_path / "defs.policy"
        path.write_text(HEADER + defs + rule, encoding="utf-8")
        diagnostics = lint(path)
        grows = calls > 1 and calls ** (levels - 1) > 100_000
        assert grows == any(d.code == "TR307" for d in diagnostics), (levels, calls)
        try:
            policy = load_policy(path)
        except TitleRulesError as error:
            check_error(error, hint=False, location=False)  # the diagnostics say where
            assert grows
        else:
            assert not grows
            policy.evaluate({"applicant": {"application": {"year": 2024}}}, explain=False)


def test_fuzz_stray_csv_quotes(tmp_path: Path) -> None:
    from titlerules import validate_records

    rng = random.Random(1903)
    header = (
        "姓名,性别,证件类型,证件号码,出生日期,职称系列,"
        "专业名称,职称名称,评审组织,批准单位,批准文号,批准日期"
    )
    cells = ["李华", "女", '"', '""', '"a,b"', 'x"y', ",", "", "2024-01-01", '"open']
    for _ in range(ADVERSARIAL_EXAMPLES):
        lines = [
            ",".join(rng.choice(cells) for _ in range(rng.randint(1, 14)))
            for _ in range(rng.randint(1, 12))
        ]
        path = tmp_path / "h.csv"
        path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
        try:
            report = validate_records(path)
        except TitleRulesError as error:
            check_error(error, hint=False)
            continue
        # One result per line, blank lines too; only blank lines after the last data line
        # are not rows (a line of empty cells, '"",,', is blank too).
        written = [i for i, line in enumerate(lines, 1) if re.search(r'[^,"]', line)]
        assert (written[-1] if written else 0) <= len(report.rows) <= len(lines)


def _with_duplicate(text: str, rng: random.Random) -> str:
    """The YAML text with one of its `key: value` lines written twice."""
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if re.match(r"^\s*[a-z_]+: \S", line)]
    index = rng.choice(candidates)
    return "\n".join([*lines[: index + 1], lines[index], *lines[index + 1 :]]) + "\n"


def test_fuzz_duplicate_keys(tmp_path: Path) -> None:
    rng = random.Random(1904)
    for _ in range(ADVERSARIAL_EXAMPLES // 2):
        texts = {name: _with_duplicate(text, rng) for name, text in _bases().items()}
        for outcome in _read_each(tmp_path, texts):
            assert outcome is not None and "duplicate key" in str(outcome), outcome
    for _ in range(ADVERSARIAL_EXAMPLES // 2):
        key = rng.choice(["a", "id", "person", "名"])
        data = json.dumps({"applicant": {"x": 1}})
        twice = data[:-2] + f', "{key}": 1, "{key}": 2}}}}'
        path = tmp_path / "r.json"
        path.write_text(twice, encoding="utf-8")
        with pytest.raises(TitleRulesError, match=f"duplicate key '{key}'"):
            load_records(path)


def test_fuzz_deep_nesting(tmp_path: Path) -> None:
    rng = random.Random(1905)
    for _ in range(ADVERSARIAL_EXAMPLES // 8):
        depth = rng.choice([10, 100, 600, 1500])
        open_, close = rng.choice([("[", "]"), ("{a: ", "}")])
        nested = open_ * depth + "1" + close * depth
        texts = {name: text + f"deep: {nested}\n" for name, text in _bases().items()}
        _read_each(tmp_path, texts)
        path = tmp_path / "deep.json"
        path.write_text('{"applicant": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        try:
            load_records(path)
        except TitleRulesError as error:
            check_error(error, hint=False)


def test_fuzz_special_line_endings(tmp_path: Path) -> None:
    rng = random.Random(1906)
    endings = ["\r", "\r\n", "\u0085", "\u2028", "\u2029", "\n"]
    for round_ in range(ADVERSARIAL_EXAMPLES // 2):
        texts = {}
        for name, text in _bases().items():
            parts = text.split("\n")
            texts[name] = "".join(part + rng.choice(endings) for part in parts[:-1]) + parts[-1]
        _read_each(tmp_path, texts)
        if round_ % 4:
            continue
        csv_path = tmp_path / "t.csv"
        ending = rng.choice(endings)
        csv_path.write_text(
            ending.join(
                ["applicant.id,applicant.employment.is_civil_servant", "a,false", "b,true"]
            ),
            encoding="utf-8",
            newline="",
        )
        assert main(["check", "eryuan-2024", str(csv_path)]) in (0, 1, 2)


def test_fuzz_nul_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import titlerules
    from titlerules.calendar import load_overrides
    from titlerules.testing import run_case_file

    rng = random.Random(1907)
    readers: list[Callable[[str], Any]] = [
        titlerules.load_policy,
        titlerules.lint,
        titlerules.validate_records,
        load_records,
        load_overrides,
        read_log,
        lambda path: run_case_file(Path(path)),
        lambda path: titlerules.audit("eryuan-2024", path),
        lambda path: titlerules.audit_set("eryuan-2024", [path]),
        lambda path: DecisionLog(path),
    ]
    for _ in range(ADVERSARIAL_EXAMPLES):
        name = "".join(rng.choice("ab/.\0_") for _ in range(rng.randint(1, 12)))
        if "\0" not in name:
            name += "\0"
        for read in readers:
            with pytest.raises(TitleRulesError) as caught:
                result = read(str(tmp_path / name))
                if isinstance(result, Iterator):
                    list(result)
            check_error(caught.value, location=False)
        assert main(["check", "eryuan-2024", str(tmp_path / name)]) == 2
        assert "internal error" not in capsys.readouterr().err


def test_fuzz_lone_surrogates(tmp_path: Path) -> None:
    from titlerules.batch import ColumnarPolicy, run_file

    rng = random.Random(1908)
    columnar = ColumnarPolicy(load_policy("eryuan-2024"))
    for _ in range(ADVERSARIAL_EXAMPLES // 4):
        code = rng.randint(0xD800, 0xDFFF)
        escape = rng.choice([f"\\u{code:04x}", f"\\u{code:04X}"])
        texts = {
            name: text + f'note: "{rng.choice(["", "李", "a"])}{escape}"\n'
            for name, text in _bases().items()
        }
        for outcome in _read_each(tmp_path, texts):
            assert outcome is not None and "surrogate" in str(outcome), outcome
        path = tmp_path / "r.json"
        path.write_text(f'{{"applicant": {{"person": {{"name": "{escape}"}}}}}}', "utf-8")
        with pytest.raises(TitleRulesError, match="surrogate"):
            load_records(path)
        rows = tmp_path / "rows.jsonl"
        rows.write_text(f'{{"id": "{escape}"}}\n{{"id": "b"}}\n', encoding="utf-8")
        summary, table = run_file(columnar, rows)
        assert summary.rows == 2 and table["outcome"].to_list()[0] == "error"
