"""Laws of the engine, tested with Hypothesis across policies and records.

* Determinism: the same record gives the same decision, whatever was evaluated before it and
  in whichever process (different hash seeds) it is evaluated.
* Information only helps: adding a missing fact turns an undetermined rule or decision into a
  decided one, and never changes or undoes a decision already made (Kleene logic).  This is
  a law of the open-world part of the language; ``known()`` and ``coalesce()`` deliberately
  read a missing fact as a default, so rules using them are outside it.
* Provisional calendar years reach the receipt of every decision that depended on them, and
  no other.
* Redaction masks what it must, keeps what it must, and is idempotent.
* A decision log replays with no differences, and reports exactly the changed decisions
  after a policy edit.

2/3 quorums and the first monotonicity law are in test_engine.py; working-day laws in
test_calendar.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titlerules import calendar as cal
from titlerules.cli import main
from titlerules.decision_log import DecisionLog, decision_changes, read_log, replay
from titlerules.engine.decision import Decision, Outcome, RuleOutcome
from titlerules.engine.policy import Policy, load_policy
from titlerules.facts import (
    Applicant,
    Procedure,
    RecordValidationError,
    load_applicant,
    parse_record,
)
from titlerules.lang import ir
from titlerules.redact import (
    mask_id_number,
    mask_name,
    redact_decision,
    redact_record,
    redact_text,
)

from .conftest import EXAMPLES, HEADER, REPO
from .services import budget


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of generated policies must not fill the user's compile cache."""
    monkeypatch.setenv("TITLERULES_CACHE", "off")


BUNDLED = ("eryuan-2024", "kunming-2020", "xianning-2024", "yuncheng-2024")


def law_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _examples() -> list[dict[str, Any]]:
    found = []
    for policy_id in BUNDLED:
        for path in sorted((EXAMPLES / policy_id / "applicants").glob("*.yaml")):
            found.append(yaml.safe_load(path.read_text("utf-8")))
    return found


APPLICANTS = _examples()
PROCEDURES = [
    yaml.safe_load((EXAMPLES / policy_id / "procedure.yaml").read_text("utf-8"))
    for policy_id in BUNDLED
]
POOL = APPLICANTS + PROCEDURES


def _leaves(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every fact in a record: scalars, and lists/mappings as a whole."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _leaves(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, dict):
                yield from _leaves(value, (*prefix, index))


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _without(record: dict[str, Any], paths: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The record with the facts at ``paths`` missing (set to null)."""
    out = copy.deepcopy(record)
    for path in paths:
        try:
            parent = _get(out, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue  # inside a fact already removed
        if isinstance(parent, dict) and path[-1] in parent:
            parent[path[-1]] = None
    return out


def _as_json(decision: Decision) -> str:
    return json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


@functools.cache
def removable(which: int) -> list[tuple[Any, ...]]:
    """Facts of ``POOL[which]`` that the record models let be missing (None)."""
    record = POOL[which]
    model = Procedure if "procedure" in record else Applicant
    key = next(iter(record))
    found = []
    for path in _leaves(record):
        try:
            parse_record(model, _without(record, [path])[key])
        except RecordValidationError:
            continue
        found.append(path)
    return found


# ---------------------------------------------------------------- determinism


def _mutated_records(seed: int, count: int) -> list[dict[str, Any]]:
    """Example records with random facts removed (some making the record invalid: errors
    must be as reproducible as decisions)."""
    rnd = random.Random(seed)
    records = []
    for _ in range(count):
        record = rnd.choice(POOL)
        paths = list(_leaves(record))
        records.append(_without(record, rnd.sample(paths, k=rnd.randrange(min(6, len(paths))))))
    return records


_CHILD = """
import json, sys
from titlerules.engine.policy import load_policy
from titlerules.errors import TitleRulesError

def outcome(policy, record):
    try:
        decision = policy.evaluate(record)
    except TitleRulesError as error:
        return json.dumps({"error": error.code, "message": str(error)}, ensure_ascii=False)
    return json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)

if __name__ == "__main__":
    records = json.load(open(sys.argv[1], encoding="utf-8"))
    policies = [load_policy(name) for name in sys.argv[2:]]
    for record in records:
        for policy in policies:
            print(outcome(policy, record))
"""


def test_same_record_same_decision_across_processes(tmp_path: Path) -> None:
    records = _mutated_records(seed=20240712, count=40)
    data = tmp_path / "records.json"
    # YAML gave dates as date objects; the child reads them back as YYYY-MM-DD text.
    data.write_text(json.dumps(records, ensure_ascii=False, default=str), encoding="utf-8")
    policies = [load_policy(name) for name in BUNDLED]
    namespace: dict[str, Any] = {}
    exec(_CHILD, namespace)  # the same function, in this process
    here = [namespace["outcome"](p, copy.deepcopy(r)) for r in records for p in policies]
    assert any('"error"' in line for line in here) and any('"outcome"' in line for line in here)
    cache = tmp_path / "cache"
    # Different hash seeds; the compile cache off, then filled, then read from.
    for hash_seed, cache_setting in (("0", "off"), ("4242", "on"), ("99", "on")):
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "TITLERULES_CACHE": cache_setting,
            "TITLERULES_CACHE_DIR": str(cache),
        }
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(data), *BUNDLED],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=REPO,
            timeout=300,
            check=True,
        )
        there = child.stdout.splitlines()
        assert len(there) == len(here)
        for index, (mine, theirs) in enumerate(zip(here, there, strict=True)):
            assert mine == theirs, (
                f"record {index // len(BUNDLED)} differs with hash seed {hash_seed}"
            )


@law_settings(150)
@given(
    first=st.integers(0, len(APPLICANTS) - 1),
    between=st.lists(st.integers(0, len(APPLICANTS) + len(PROCEDURES) - 1), max_size=4),
    policy_id=st.sampled_from(BUNDLED),
    explain=st.booleans(),
)
def test_same_record_same_decision_whatever_came_before(
    first: int, between: list[int], policy_id: str, explain: bool
) -> None:
    policy = load_policy(policy_id)
    pool = POOL
    before = _as_json(policy.evaluate(copy.deepcopy(pool[first]), explain=explain))
    for index in between:
        policy.evaluate(copy.deepcopy(pool[index]), explain=not explain)
    after = _as_json(policy.evaluate(copy.deepcopy(pool[first]), explain=explain))
    assert before == after
    many = list(policy.evaluate_many([pool[i] for i in [first, *between, first]], explain=explain))
    assert isinstance(many[0], Decision) and isinstance(many[-1], Decision)
    assert _as_json(many[0]) == _as_json(many[-1]) == before


# ---------------------------------------------------------------- adding a missing fact

# A rule decided with fewer facts stays decided the same way: failed stays failed, and a
# rule that did not fail (passed, or not applicable) never fails.  (Passed may become not
# applicable: a rule that held whether or not it applied is then known not to apply.)
_VERDICT = {
    RuleOutcome.FAILED: "failed",
    RuleOutcome.PASSED: "ok",
    RuleOutcome.NOT_APPLICABLE: "ok",
    RuleOutcome.UNKNOWN: None,
}

# Open-world conditions over an applicant's record: every construct but known()/coalesce().
_ATOMS = [
    "applicant.employment.is_civil_servant",
    "applicant.employment.retired",
    "applicant.employment.in_post == false",
    "applicant.application.exceptional",
    "applicant.unit_debrief.yes_votes >= 2/3 * applicant.unit_debrief.attendees",
    "applicant.unit_debrief.attendees > 10",
    "applicant.person.birth_date < 1980-01-01",
    "years_between(applicant.person.birth_date, 2024-12-31, floor) >= 45",
    "working_days_between(applicant.application.submitted_on, 2024-12-31) > 100 working_days",
    "applicant.application.submitted_on + 5 working_days <= 2024-07-20",
    "applicant.employment.employer_kind == 事业单位",
    "applicant.application.level in {副高级, 正高级}",
    "applicant.application.level >= 中级",
    "applicant.assessments.any(a -> a.grade == 合格 and a.year >= 2022)",
    "applicant.assessments.all(a -> a.grade >= 合格)",
    "applicant.assessments.count(a -> a.year >= 2021) >= 3",
    "applicant.assessments.where(a -> a.year >= 2022).count() >= 1",
    "applicant.sanctions.any(s -> s.severity >= 记过 and s.start <= 2024-12-31)",
    "applicant.sanctions.count() == 0",
    "applicant.titles.any(t -> t.level == 中级 and t.obtained_on <= 2019-12-31)",
    "applicant.application.year == 2024",
]


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0, atoms: tuple[str, ...] = tuple(_ATOMS)) -> str:
    choice = draw(st.integers(0, 5 if depth < 2 else 0))
    if choice <= 1:
        return draw(st.sampled_from(atoms))
    if choice == 2:
        return f"not ({draw(conditions(depth + 1, atoms))})"
    if choice == 3:
        return f"({draw(conditions(depth + 1, atoms))}) and ({draw(conditions(depth + 1, atoms))})"
    if choice == 4:
        return f"({draw(conditions(depth + 1, atoms))}) or ({draw(conditions(depth + 1, atoms))})"
    a, b, c = (draw(conditions(depth + 1, atoms)) for _ in range(3))
    return f"if {a} then {b} else {c}"


def rule_blocks(
    draw: st.DrawFn, condition: st.SearchStrategy[str], count: int, *, advisory: bool
) -> list[str]:
    """``count`` exclusion or requirement rules over random conditions (some with
    ``applies``, ``unless`` exceptions and, if ``advisory``, an advisory severity)."""
    rules = []
    for index in range(count):
        kind = draw(st.sampled_from(["exclusion", "requirement"]))
        lines = [f'{kind} r{index} "规则{index}" {{', '  cite 一 "条文"']
        if draw(st.booleans()):
            lines.append(f"  applies {draw(condition)}")
        lines.append(f"  {'when' if kind == 'exclusion' else 'require'} {draw(condition)}")
        for _ in range(draw(st.integers(0, 2))):
            lines.append(f"  unless {draw(condition)}")
        if advisory and draw(st.integers(0, 4)) == 0:
            lines.append("  severity advisory")
        rules.append("\n".join([*lines, "}"]))
    return rules


@st.composite
def open_world_policies(draw: st.DrawFn) -> str:
    rules = rule_blocks(draw, conditions(), draw(st.integers(1, 4)), advisory=True)
    return "\n".join(rules) + "\n"


def _assert_more_facts_only_decide(less: Decision, more: Decision, where: str) -> None:
    before = {r.id: r for r in less.rules}
    for rule in more.rules:
        old = before[rule.id]
        if _VERDICT[old.outcome] is not None:
            assert _VERDICT[rule.outcome] == _VERDICT[old.outcome], (
                where,
                rule.id,
                old.outcome,
                rule.outcome,
            )
    if less.outcome is not Outcome.UNDETERMINED:
        assert more.outcome is less.outcome, (where, less.outcome, more.outcome)


_POLICY_CACHE: dict[str, Policy] = {}


def _policy_from(body: str, folder: Path) -> Policy:
    if body not in _POLICY_CACHE:
        path = folder / f"p{len(_POLICY_CACHE)}.policy"
        path.write_text(HEADER + body, encoding="utf-8")
        _POLICY_CACHE[body] = load_policy(path)
    return _POLICY_CACHE[body]


def test_adding_a_missing_fact_never_undoes_a_decision(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Random open-world policies, random records, random facts missing: restoring some of
    them never turns a decided rule or decision into anything else."""
    folder = tmp_path_factory.mktemp("open-world")

    @law_settings(budget(100, 400))  # 400 under make test-long
    @given(
        body=open_world_policies(),
        which=st.integers(0, len(APPLICANTS) - 1),
        data=st.data(),
    )
    def run(body: str, which: int, data: st.DataObject) -> None:
        policy = _policy_from(body, folder)
        record = APPLICANTS[which]
        paths = removable(which)
        missing = data.draw(st.lists(st.sampled_from(paths), max_size=8, unique=True))
        restored = data.draw(st.lists(st.sampled_from(missing), unique=True)) if missing else []
        less = policy.evaluate(_without(record, missing))
        more = policy.evaluate(_without(record, [p for p in missing if p not in restored]))
        full = policy.evaluate(copy.deepcopy(record))
        _assert_more_facts_only_decide(less, more, body)
        _assert_more_facts_only_decide(more, full, body)

    run()


def _reads_defaults(policy: Policy) -> set[str]:
    """Rules whose conditions reach known() or coalesce(), directly or through lets/defs:
    they read a missing fact as a default on purpose (closed world)."""
    resolved = policy.resolved
    memo: dict[str, bool] = {}

    def expr_uses(expr: ir.Expr, seen: frozenset[str]) -> bool:
        for node in ir.walk(expr):
            if isinstance(node, ir.Call):
                if node.func in ("known", "coalesce"):
                    return True
                if node.func in resolved.defs and uses(f"def:{node.func}", seen):
                    return True
            if isinstance(node, ir.Name) and node.id in resolved.lets:
                if uses(f"let:{node.id}", seen):
                    return True
        return False

    def uses(key: str, seen: frozenset[str]) -> bool:
        if key in memo:
            return memo[key]
        if key in seen:
            return False
        kind, name = key.split(":", 1)
        item = (resolved.defs if kind == "def" else resolved.lets)[name].item
        body = item.body if isinstance(item, ir.Def) else item.value  # type: ignore[union-attr]
        memo[key] = expr_uses(body, seen | {key})
        return memo[key]

    closed = set()
    for rule in policy.rules:
        exprs = [*rule.require, *(e.condition for e in rule.unless)]
        exprs += [e for e in (rule.when, rule.applies) if e is not None]
        if any(expr_uses(e, frozenset()) for e in exprs):
            closed.add(rule.id)
    return closed


@pytest.mark.parametrize("policy_id", BUNDLED)
def test_adding_a_missing_fact_in_bundled_policies(policy_id: str) -> None:
    """The same law, rule by rule, on the real policies' open-world rules."""
    policy = load_policy(policy_id)
    closed = _reads_defaults(policy)
    open_rules = {r.id for r in policy.rules} - closed
    assert open_rules, "no open-world rule left to test"

    @law_settings(150)
    @given(which=st.integers(0, len(POOL) - 1), data=st.data())
    def run(which: int, data: st.DataObject) -> None:
        record = POOL[which]
        paths = removable(which)
        missing = data.draw(st.lists(st.sampled_from(paths), max_size=8, unique=True))
        restored = data.draw(st.lists(st.sampled_from(missing), unique=True)) if missing else []
        less = policy.evaluate(_without(record, missing))
        more = policy.evaluate(_without(record, [p for p in missing if p not in restored]))
        before = {r.id: r for r in less.rules}
        for rule in more.rules:
            old = before[rule.id]
            if rule.id in open_rules and _VERDICT[old.outcome] is not None:
                assert _VERDICT[rule.outcome] == _VERDICT[old.outcome], (
                    policy_id,
                    rule.id,
                    old.outcome,
                    rule.outcome,
                    missing,
                    restored,
                )

    run()


# ---------------------------------------------------------------- provisional calendar years

PROVISIONAL = """
param later: date = add_working_days(2027-03-01, 10)
let window_days = working_days_between(procedure.meeting.start, procedure.meeting.end)
def shifted(d) = d + 3 working_days
procedure direct "直接" {
  cite 一 "直接"
  applies procedure.year == 2001
  require working_days_between(procedure.notice.published_on, procedure.notice.application_end)
    >= 1 working_days
}
procedure through_let "经由let" {
  cite 一 "let"
  applies procedure.year == 2002
  require window_days >= 0 working_days
}
procedure through_def "经由def" {
  cite 一 "def"
  applies procedure.year == 2003
  require shifted(procedure.meeting.start) > procedure.meeting.start
}
procedure through_param "经由参数" {
  cite 一 "param"
  applies procedure.year == 2004
  require procedure.meeting.start <= later
}
procedure is_working "工作日" {
  cite 一 "is_working_day"
  applies procedure.year == 2005
  require is_working_day(procedure.meeting.start) or true
}
"""

_DAYS = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2029, 12, 31))


def _years(calendar: cal.Calendar, *days: dt.date) -> list[int]:
    low, high = min(d.year for d in days), max(d.year for d in days)
    return [y for y in range(low, high + 1) if calendar.is_provisional_year(y)]


def test_provisional_years_reach_every_decision_that_used_them(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(PROVISIONAL)
    calendar = policy.calendar
    later = calendar.add_working_days(dt.date(2027, 3, 1), 10)
    assert calendar.is_provisional_year(2027) and not calendar.is_provisional_year(2024)

    @law_settings(300)
    @given(route=st.integers(1, 6), a=_DAYS, b=_DAYS)
    def run(route: int, a: dt.date, b: dt.date) -> None:
        start, end = min(a, b), max(a, b)
        record = {
            "procedure": {
                "year": 2000 + route,  # which rule applies; 2006: none
                "notice": {"published_on": start.isoformat(), "application_end": end.isoformat()},
                "meeting": {"start": start.isoformat(), "end": end.isoformat()},
            }
        }
        decision = policy.evaluate(record, as_of=dt.date(2024, 1, 1))
        expected: list[int]
        if route in (1, 2):
            expected = _years(calendar, start, end)
        elif route == 3:
            expected = _years(calendar, start, calendar.add_working_days(start, 3))
        elif route == 4:
            expected = _years(calendar, dt.date(2027, 3, 1), later)
        elif route == 5:
            expected = _years(calendar, start)
        else:  # no rule applies: no working day was counted
            expected = []
        assert decision.receipt.provisional_calendar_years == expected, route
        if expected:
            assert str(expected[0]) in decision.explain("zh")

    run()


def test_provisional_years_do_not_leak_between_records(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(PROVISIONAL)

    def record(day: str) -> dict[str, Any]:
        return {
            "procedure": {
                "year": 2001,
                "notice": {"published_on": day, "application_end": day},
                "meeting": {"start": day, "end": day},
            }
        }

    results = list(policy.evaluate_many([record("2028-05-08"), record("2024-05-08")] * 3))
    years = [r.receipt.provisional_calendar_years for r in results if isinstance(r, Decision)]
    assert years == [[2028], []] * 3


def test_provisional_years_survive_the_decision_log(
    make_policy: Callable[[str], Policy], tmp_path: Path
) -> None:
    policy = make_policy(PROVISIONAL)
    log = tmp_path / "log.jsonl"
    with DecisionLog(log) as writer:
        writer.evaluate(
            policy,
            {"procedure": {"year": 2004, "meeting": {"start": "2024-05-08", "end": "2024-05-09"}}},
        )
    ((_line, entry),) = list(read_log(log))
    assert entry.decision.receipt.provisional_calendar_years == [2027]
    assert replay(log, policy_dirs=[Path(policy.resolved.path).parent]).differences == []


# ---------------------------------------------------------------- redaction


@given(number=st.from_regex(r"\A[0-9]{17}[0-9X]\Z"))
@law_settings(200)
def test_masked_id_number_keeps_first_and_last_four(number: str) -> None:
    masked = mask_id_number(number)
    assert masked == number[:4] + "*" * 10 + number[-4:]
    assert mask_id_number(masked) == masked
    assert redact_text(f"证件号码{number}有误") == f"证件号码{masked}有误"


@given(name=st.text(min_size=1, max_size=8).filter(lambda s: s.strip() == s))
@law_settings(200)
def test_masked_name_keeps_one_character(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert mask_name(masked) == masked
    assert masked[0] == name[0] or len(name) == 1


def test_masking_examples() -> None:
    assert mask_id_number("532930198709300289") == "5329**********0289"
    assert mask_name("李华") == "李*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("阿卜杜拉·买买提") == "阿***·***"
    assert mask_name("欧阳") == "欧*"


def test_redacted_record_keeps_everything_but_names_and_id_numbers() -> None:
    model = load_applicant(EXAMPLES / "eryuan-2024/applicants/duan-li.yaml")
    data = redact_record(model)["applicant"]
    assert data["person"]["name"] == "段*"
    assert data["person"]["id_number"] == "5329**********0289"
    assert model.employment is not None and model.application is not None
    assert data["employment"]["employer_name"] == model.employment.employer_name
    assert data["application"]["committee"] == model.application.committee
    procedure = yaml.safe_load((EXAMPLES / "eryuan-2024/procedure.yaml").read_text("utf-8"))
    redacted = redact_record(procedure)["procedure"]
    for before, after in zip(procedure["procedure"]["members"], redacted["members"], strict=True):
        assert after["name"] == mask_name(before["name"]) != before["name"]
    assert redacted["committee"]["name"] == procedure["procedure"]["committee"]["name"]


@pytest.mark.parametrize("policy_id", BUNDLED)
def test_redacted_decisions_hold_no_name_or_id_number(policy_id: str) -> None:
    policy = load_policy(policy_id)
    for record in APPLICANTS + PROCEDURES:
        decision = policy.evaluate(copy.deepcopy(record))
        redacted = redact_decision(decision)
        text = _as_json(redacted) + redacted.explain("zh") + redacted.explain("en")
        body = record.get("applicant", {})
        person = body.get("person") or {}
        for value in (person.get("name"), person.get("id_number")):
            if value and len(value) > 1:
                assert value not in text
        for member in (record.get("procedure") or {}).get("members") or []:
            if member.get("name") and len(member["name"]) > 1:
                assert member["name"] not in text
        # Nothing but personal data changes.
        assert redacted.outcome is decision.outcome
        assert [r.outcome for r in redacted.rules] == [r.outcome for r in decision.rules]
        assert redact_decision(redacted) == redacted


def test_check_redact_and_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = EXAMPLES / "eryuan-2024/applicants/duan-li.yaml"
    data = yaml.safe_load(record.read_text("utf-8"))["applicant"]["person"]
    log = tmp_path / "log.jsonl"
    assert main(["check", "eryuan-2024", str(record), "--redact", "--json", "--log", str(log)]) == 0
    out = capsys.readouterr().out
    assert data["name"] not in out and data["id_number"] not in out
    assert "段*" in out
    logged = log.read_text("utf-8")
    assert data["name"] not in logged and data["id_number"] not in logged
    assert "5329**********0289" in logged
    plain = tmp_path / "plain.jsonl"
    main(["check", "eryuan-2024", str(record), "--log", str(plain), "--log-unredacted"])
    assert data["id_number"] in plain.read_text("utf-8")
    assert replay(plain).differences == [] and replay(log).differences == []


# ---------------------------------------------------------------- replay


def _thousand(tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    folder = tmp_path / "policies"
    folder.mkdir()
    policy_path = folder / "vote.policy"
    policy_path.write_text(
        HEADER
        + """param share: fraction = 2/3
requirement vote "述职推荐须达参会人数三分之二" {
  cite 二(三)2 "同意推荐票数达参会人数的三分之二及以上者方可推荐上报"
  require applicant.unit_debrief.yes_votes >= share * applicant.unit_debrief.attendees
}
exclusion civil "公务员不得参加职称评审" {
  cite 二(一) "公务员不得参加职称评审"
  when applicant.employment.is_civil_servant
}
""",
        encoding="utf-8",
    )
    rnd = random.Random(1000)
    records = []
    for index in range(1000):
        attendees = rnd.randrange(1, 60)
        record = {
            "applicant": {
                "person": {"name": f"申报人{index}"},
                "employment": {"is_civil_servant": rnd.random() < 0.1},
                "unit_debrief": {
                    "attendees": attendees,
                    "yes_votes": None if index % 50 == 0 else rnd.randrange(attendees + 1),
                },
                "application": {"submitted_on": "2024-07-12"},
            }
        }
        records.append(record)
    log = tmp_path / "decisions.jsonl"
    policy = load_policy(policy_path)
    with DecisionLog(log) as writer:
        for index, record in enumerate(records):
            writer.evaluate(policy, record, source=f"records.yaml: applicants[{index}]")
    return policy_path, log, records


def test_replay_of_a_thousand_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy_path, log, records = _thousand(tmp_path)
    assert len(list(read_log(log))) == 1000
    folder = ["--policy-dir", str(policy_path.parent)]  # the logged policy is not bundled
    report = replay(log, policy_dirs=[policy_path.parent])
    assert len(report.entries) == 1000 and report.differences == []
    assert main(["replay", str(log), *folder]) == 0
    assert "replayed 1000 decision(s), 0 difference(s)" in capsys.readouterr().out

    # The bureau raises the quorum to 3/4: exactly the decisions that change are reported.
    old_policy = load_policy(policy_path)
    policy_path.write_text(
        policy_path.read_text("utf-8").replace("= 2/3", "= 3/4"), encoding="utf-8"
    )
    new_policy = load_policy(policy_path)
    expected: set[int] = set()  # log lines whose decision, or one of its rules, changes
    outcome_changed: set[int] = set()
    for index, record in enumerate(records):
        before = old_policy.evaluate(copy.deepcopy(record))
        after = new_policy.evaluate(copy.deepcopy(record))
        if [r.outcome for r in before.rules] != [r.outcome for r in after.rules]:
            expected.add(index + 1)
        if before.outcome != after.outcome:
            outcome_changed.add(index + 1)
    assert 0 < len(outcome_changed) < len(expected) < 1000
    # Every entry was logged under the old version: a difference unless allowed.
    assert len(replay(log, policy_dirs=[policy_path.parent]).differences) == 1000
    report = replay(log, policy_dirs=[policy_path.parent], allow_policy_change=True)
    changed = {entry.line for entry in report.differences}
    assert changed == expected
    assert {
        e.line for e in report.differences if e.changes[0].startswith("outcome: ")
    } == outcome_changed
    assert all(entry.policy_changed for entry in report.entries)
    first = report.differences[0]
    assert first.status == "changed" and "rule vote: passed -> failed" in first.changes
    assert main(["replay", str(log), *folder, "--allow-policy-change"]) == 1
    out = capsys.readouterr().out
    assert f"{len(expected)} difference(s)" in out and "policy edited since" in out
    assert main(["replay", str(log), *folder, "--allow-policy-change", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["differences"] == len(expected)


def test_replay_reports_a_record_that_no_longer_validates(tmp_path: Path) -> None:
    policy_path, log, _records = _thousand(tmp_path)
    lines = log.read_text("utf-8").splitlines()[:3]
    entry = json.loads(lines[1])
    entry["record"]["applicant"]["unit_debrief"]["attendees"] = "many"
    lines[1] = json.dumps(entry, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay(log, policy=policy_path)
    assert [e.status for e in report.entries] == ["same", "error", "same"]
    assert "attendees" in (report.entries[1].error or "")


def test_decision_changes_in_words() -> None:
    policy = load_policy("eryuan-2024")
    record = copy.deepcopy(APPLICANTS[0])
    before = policy.evaluate(record)
    record["applicant"]["employment"]["is_civil_servant"] = True
    after = policy.evaluate(record)
    changes = decision_changes(before, after)
    assert "rule civil_servant: passed -> failed" in changes
    assert decision_changes(before, before) == []
    record = copy.deepcopy(APPLICANTS[1])
    eligible_or_not = policy.evaluate(record)
    record["applicant"]["employment"]["is_civil_servant"] = True
    changes = decision_changes(eligible_or_not, policy.evaluate(record))
    if eligible_or_not.outcome is not Outcome.INELIGIBLE:
        assert changes[0] == f"outcome: {eligible_or_not.outcome} -> ineligible"
