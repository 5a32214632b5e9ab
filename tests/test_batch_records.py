"""Batches of dicts and JSON text decided column-wise by ``Policy.evaluate_many``
(titlerules.batch.records): every result is the one the per-record path gives, in order,
errors included; what the table cannot say (unknown rules, provisional calendar years, rows
the fast reader does not read) is left to the per-record path."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

pytest.importorskip("polars")

from titlerules.batch.records import ExportReader, Flattener, decide_batch
from titlerules.batch.schema import applicant_schema, flatten_record, normalize
from titlerules.engine import policy as policy_module
from titlerules.engine.decision import Decision
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import TitleRulesError
from titlerules.facts import Applicant
from titlerules.synthetic import applicants, population, spelled

BUNDLED = ("eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 97 records, every batch column-wise: many batch boundaries."""
    monkeypatch.setattr(policy_module, "BATCH_ROWS", 97)
    monkeypatch.setattr(policy_module, "BATCH_MIN", 1)
    monkeypatch.setattr(policy_module, "BATCH_ROUTE", "table")


def _exported(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as a system exports them: ISO dates, enum values, JSON booleans."""
    return [Applicant.model_validate(r).model_dump(mode="json", exclude_none=True) for r in records]


def _per_record(
    policy: Policy, records: list[Any], as_of: dt.date | None = None
) -> list[Decision | TitleRulesError]:
    """What the per-record loop behind evaluate and evaluate_many gives each record."""
    return list(policy._decisions(records, as_of, False, errors=True))


def _assert_same(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for index, (a, b) in enumerate(zip(got, expected, strict=True)):
        if isinstance(b, TitleRulesError):
            assert type(a) is type(b), index
            assert str(a) == str(b), index
            assert a.location == b.location, index
        else:
            assert isinstance(a, Decision), (index, a)
            assert a == b, index
            assert a.model_dump() == b.model_dump(), index


def _mixed(name: str, seed: int) -> list[Any]:
    """A county-like population, random records with missing facts, messy spellings as
    text, and records that are not applicants, shuffled."""
    records: list[Any] = _exported(population(name, 400, seed=seed))
    records += applicants(150, seed=seed, missing=0.1)
    records += spelled(applicants(150, seed=seed + 1, missing=0.05, messy=True), messy=True)
    rng = random.Random(seed)
    rng.shuffle(records)
    return records


@pytest.mark.parametrize("name", BUNDLED)
def test_batches_decide_as_the_per_record_path(name: str, small_batches: None) -> None:
    policy = load_policy(name)
    records = _mixed(name, seed=5)
    _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))
    # most of a county-like population is decided column-wise
    exported = _exported(population(name, 300, seed=9))
    decided = decide_batch(policy, exported, None)
    columnar = sum(isinstance(item, Decision) for item in decided)
    assert columnar >= 200, columnar
    # a row with a rule unknown column-wise too: that rule is run on the record's model,
    # which names the missing facts
    named = sum(isinstance(item, Decision) and bool(item.missing_facts) for item in decided)
    assert named > 0, named
    _assert_same(
        [
            item if isinstance(item, Decision) else policy.evaluate(item, explain=False)
            for item in decided
        ],
        _per_record(policy, exported),
    )


@pytest.mark.parametrize("name", ["eryuan-2024", "kunming-2020"])
def test_json_text_and_a_given_date(name: str, small_batches: None) -> None:
    policy = load_policy(name)
    records = _mixed(name, seed=8)[:400]
    texts: list[Any] = [
        json.dumps(r, ensure_ascii=False, default=str).encode() for r in records[:200]
    ]
    texts += [json.dumps(r, ensure_ascii=False, default=str) for r in records[200:]]
    texts[3] = b"{not json"
    texts[4] = "[1, 2]"
    texts[5] = b'{"person": {"name": "a"}, "person": {"name": "b"}}'
    texts[6] = b'{"person": {"name": "a", "name": "b"}}'
    texts[7] = b'{"person": {"name": NaN}}'
    texts[8] = "\ufeff" + json.dumps(records[8], ensure_ascii=False, default=str)
    texts[9] = json.dumps(records[9], ensure_ascii=False, default=str).encode("utf-16")
    texts[10] = b'{"person": {"name": "a\\": 1"}}'
    _assert_same(list(policy.evaluate_many(texts)), _per_record(policy, texts))
    as_of = dt.date(2024, 9, 2)
    _assert_same(
        list(policy.evaluate_many(records, as_of=as_of)),
        _per_record(policy, records, as_of=as_of),
    )


def test_anything_else_keeps_its_place(small_batches: None) -> None:
    """Models, wrapped records, procedures and non-records among dicts: N in, N out."""
    policy = load_policy("eryuan-2024")
    records: list[Any] = _exported(population("eryuan-2024", 60, seed=3))
    procedure = json.loads(
        json.dumps(
            {"procedure": {"committee": {"name": "x"}}},
        )
    )
    odd: list[Any] = [
        Applicant.model_validate(records[0]),
        {"applicant": records[1]},
        procedure,
        5,
        None,
        {"person": "not a record"},
        {},
        {"person": {}},
    ]
    for position, item in zip((0, 7, 13, 21, 22, 30, 44, 59), odd, strict=True):
        records.insert(position, item)
    got = list(policy.evaluate_many(records))
    expected = _per_record(policy, records)
    assert len(got) == len(records)
    _assert_same(got, expected)


def test_models_among_dicts_are_decided_in_their_places(small_batches: None) -> None:
    """Models are decided as they come (one per-record loop, fed a model at a time), dicts
    in batches around them, and a model the policy cannot decide gives its error in its
    place: the results, in order, are the per-record loop's."""
    from pydantic import BaseModel

    class Stranger(BaseModel):
        name: str = "not a record"

    policy = load_policy("yuncheng-2024")
    dicts = _exported(population("yuncheng-2024", 150, seed=8))
    models: list[Any] = [Applicant.model_validate(r) for r in dicts[:60]]
    models[7] = Stranger()
    records: list[Any] = [*models[:30], *dicts[60:], *models[30:], *dicts[60:90], models[0]]
    got = list(policy.evaluate_many(records))
    _assert_same(got, _per_record(policy, records))
    assert isinstance(got[7], TitleRulesError)
    assert sum(isinstance(item, Decision) for item in got) == len(records) - 1


@pytest.mark.parametrize("spell", [bytes, str], ids=["bytes", "str"])
def test_json_texts_with_a_rule_unknown_name_its_missing_facts(
    spell: type, small_batches: None
) -> None:
    """A row of JSON text the columns leave a rule unknown for is validated from its text
    (pyarrow's JSON reader refused any key given twice) and the rule run on the model: the
    missing facts are the per-record path's; a text the models refuse is theirs to say."""
    policy = load_policy("eryuan-2024")
    records = _exported(population("eryuan-2024", 120, seed=13))
    for record in records[::3]:
        record["person"].pop("birth_date", None)
    texts = [json.dumps(r, ensure_ascii=False) for r in records]
    texts[5] = texts[5].replace('"id_number": "', '"id_number": "X', 1)  # (a bad check digit)
    batch = [t.encode() if spell is bytes else t for t in texts]
    assert ExportReader(applicant_schema()).frame_json(batch) is not None
    decided = decide_batch(policy, batch, None)
    named = sum(isinstance(item, Decision) and bool(item.missing_facts) for item in decided)
    assert named >= 30, named
    got = list(policy.evaluate_many(batch))
    _assert_same(got, _per_record(policy, batch))
    assert isinstance(got[5], TitleRulesError)


def test_an_exception_that_held_is_listed(small_batches: None) -> None:
    """Rules passed by an exception (unless ...) carry its label, column-wise too."""
    found = 0
    for name in BUNDLED:
        policy = load_policy(name)
        records = _exported(population(name, 600, seed=21))
        expected = _per_record(policy, records)
        decided = decide_batch(policy, records, None)
        for item, reference in zip(decided, expected, strict=True):
            if isinstance(item, Decision):
                assert item == reference
                found += any(r.exceptions_applied for r in item.rules)
    assert found > 0  # the populations have applicants passed by an exception


def test_rows_with_the_same_codes_share_rule_results_not_lists(small_batches: None) -> None:
    """Rows decided alike share their rule results (immutable), each decision with its own
    list of them; the labels, dates and missing facts stay each row's own."""
    policy = load_policy("eryuan-2024")
    records = _exported(population("eryuan-2024", 300, seed=5))
    decided = decide_batch(policy, records, None)
    expected = _per_record(policy, records)
    by_rules: dict[tuple[Any, ...], list[Decision]] = {}
    for item, reference in zip(decided, expected, strict=True):
        if isinstance(item, Decision):
            assert item == reference
            key = tuple((r.id, r.outcome, tuple(r.exceptions_applied)) for r in item.rules)
            by_rules.setdefault(key, []).append(item)
    alike = max(by_rules.values(), key=len)
    assert len(alike) > 1
    first, second = alike[0], alike[1]
    assert first.record != second.record
    assert first.rules is not second.rules
    assert all(a is b for a, b in zip(first.rules, second.rules, strict=True))
    first.rules.pop()  # (a caller changing one decision's list leaves the other's)
    assert len(second.rules) == len(first.rules) + 1


def test_provisional_calendar_years_are_left_to_the_per_record_path(
    small_batches: None,
) -> None:
    """A working-day answer in a year the calendar has no official schedule for names the
    year in the receipt: such rows are decided per record."""
    policy = load_policy("eryuan-2024")
    records = [
        r
        for r in _exported(population("eryuan-2024", 200, seed=4))
        if r.get("unit_publicity") and r.get("application")
    ][:40]
    assert records
    moved = []
    for record in records[:20]:
        record = json.loads(json.dumps(record))
        record["unit_publicity"].update(start="2031-03-02", end="2031-03-10")
        record["application"]["submitted_on"] = "2031-04-01"
        moved.append(record)
    batch = moved + records[20:]
    expected = _per_record(policy, batch)
    assert any(isinstance(d, Decision) and d.receipt.provisional_calendar_years for d in expected)
    decided = decide_batch(policy, batch, None)
    provisional = 0
    for item, reference in zip(decided, expected, strict=True):
        if isinstance(reference, Decision) and reference.receipt.provisional_calendar_years:
            provisional += 1
            assert not isinstance(item, Decision)
    assert provisional > 0
    _assert_same(list(policy.evaluate_many(batch)), expected)


@pytest.mark.parametrize("route", ["auto", "record"])
def test_either_route_gives_the_same_results(route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "auto" times both routes on the first batch (a part per record, the rest
    column-wise) and takes the quicker for the next ones; the results do not depend on it."""
    monkeypatch.setattr(policy_module, "BATCH_ROWS", 400)
    monkeypatch.setattr(policy_module, "BATCH_MIN", 300)
    monkeypatch.setattr(policy_module, "PROBE_ROWS", 64)
    monkeypatch.setattr(policy_module, "BATCH_ROUTE", route)
    policy = Policy(load_policy("xianning-2024").resolved, [])
    records = _mixed("xianning-2024", seed=12)
    assert len(records) == 700  # batches of 400 and 300
    _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))
    costs = policy._route_costs
    if route == "auto":
        assert costs is not None and min(costs) > 0
    else:
        assert costs is None


@pytest.mark.parametrize(
    ("costs", "timed_again"),
    [
        ((1e-6, 1.0, 350), True),  # per record won on a smaller batch: timed on this one
        ((1e-6, 1.0, 500), False),  # ... on a bigger one: per record
        ((1.0, 1e-6, 350), False),  # column-wise won: column-wise
    ],
)
def test_the_routes_are_timed_again_on_a_bigger_batch_while_per_record_wins(
    costs: tuple[float, float, int], timed_again: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column-wise batch has a fixed cost (and the first pays for what is made on first
    use), so a small first batch may find the per-record route quicker: a bigger batch is
    timed again, while a route that won on a batch at least as big is kept."""
    monkeypatch.setattr(policy_module, "BATCH_ROWS", 400)
    monkeypatch.setattr(policy_module, "BATCH_MIN", 300)
    monkeypatch.setattr(policy_module, "PROBE_ROWS", 64)
    calls: list[int] = []
    original = Policy.batch_decider
    assert original is not None

    def counting(policy: Policy, batch: list[Any], as_of: dt.date | None) -> list[Any]:
        calls.append(len(batch))
        assert original is not None
        return original(policy, batch, as_of)

    monkeypatch.setattr(Policy, "batch_decider", counting)
    policy = Policy(load_policy("xianning-2024").resolved, [])
    records = _mixed("xianning-2024", seed=12)[:400]
    policy._route_costs = costs
    _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))
    if timed_again:
        assert policy._route_costs is not None and policy._route_costs[2] == 400
        assert calls == [0, 400 - 64]  # (compiled, then the part after the timed one)
    else:
        assert policy._route_costs == costs
        assert calls == ([] if costs[0] < costs[1] else [400])


def test_a_batch_the_table_cannot_take_is_decided_per_record(
    small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(policy: Policy, batch: list[Any], as_of: dt.date | None) -> list[Any]:
        raise RuntimeError("the table cannot be read")

    monkeypatch.setattr(Policy, "batch_decider", broken)
    policy = load_policy("yuncheng-2024")
    records = _mixed("yuncheng-2024", seed=2)[:200]
    _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))


def test_few_records_and_explanations_take_the_per_record_path() -> None:
    """Below BATCH_MIN records, and with explanations, nothing is batched."""
    policy = load_policy("eryuan-2024")
    records = _exported(population("eryuan-2024", 30, seed=6))
    calls: list[int] = []
    original = Policy.batch_decider

    def counting(policy: Policy, batch: list[Any], as_of: dt.date | None) -> list[Any]:
        calls.append(len(batch))
        assert original is not None
        return original(policy, batch, as_of)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Policy, "batch_decider", counting)
        _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))
        explained = list(policy.evaluate_many(records, explain=True))
    assert calls == []
    assert explained == [policy.evaluate(r) for r in records]


@pytest.mark.parametrize("messy", [False, True])
def test_the_table_holds_the_cells_of_flatten_record(messy: bool) -> None:
    """Row by row the same cells; a list field as structs of the text cells its JSON holds,
    or the row is left to the per-record path."""
    schema = applicant_schema()
    lists = {field.path for field in schema.lists}
    records = spelled(applicants(200, seed=3, missing=0.1, messy=messy), messy=messy)
    records += applicants(100, seed=4, missing=0.1)
    records += _exported(applicants(100, seed=5, missing=0.1))
    records += [{"titles": [{"level": 3}]}, {"titles": [{"nonsense": "x"}]}, {"titles": "x"}]
    frame, bad = Flattener(schema).frame(records)
    assert {len(records) - 3, len(records) - 2, len(records) - 1} <= bad
    rows = frame.to_dicts()
    for row, record in enumerate(records):
        reference = flatten_record(record, schema)
        got = rows[row]
        for path in set(reference) | set(got):
            cell = reference.get(path)
            if path not in lists:
                assert got.get(path) == cell, path
            elif row not in bad:
                expected = None if cell is None else json.loads(cell)
                assert _stated(got.get(path)) == expected, path
    # exported records (ISO dates, enum values) are read by the table whole
    assert not bad & set(range(300, 400))


def _stated(elements: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if elements is None:
        return None
    return [{k: v for k, v in e.items() if v is not None} for e in elements]


def _change(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``record`` with ``path`` (dotted; ``[i]`` for a list element) set."""
    changed = json.loads(json.dumps(record))
    target: Any = changed
    *heads, last = path.split(".")
    for head in heads:
        name, _, index = head.partition("[")
        target = target.setdefault(name, {}) if not index else target[name][int(index[:-1])]
    target[last] = value
    return changed


# What pyarrow would read otherwise than the models (a fraction in a whole number, a tuple
# as a record, a string as a list, a key the records do not have, an empty record), and
# spellings it refuses itself (a number as text, text as a number, a bool as a number).
_NOT_EXPORTED = [
    ("application.year", 2024.5),
    ("application.year", 2024.0),
    ("application.year", True),
    ("application.year", "2024"),
    ("unit_debrief.attendees", 2**70),
    ("assessments[0].year", 2021.5),
    ("assessments[0].nonsense", None),
    ("application.nonsense", None),
    ("nonsense", 1),
    ("unit_debrief", {}),
    ("person", ("x", "y")),
    ("assessments", "x"),
    ("assessments", ({"year": 2021, "grade": "合格"},)),
    ("person.name", 5),
    ("employment.in_post", 1),
    ("person.name", "\ud800"),
]


@pytest.mark.parametrize(("path", "value"), _NOT_EXPORTED)
def test_a_batch_spelled_otherwise_than_exported_is_not_read_by_pyarrow(
    path: str, value: Any, small_batches: None
) -> None:
    schema = applicant_schema()
    records = _exported(population("eryuan-2024", 40, seed=8))
    assert ExportReader(schema).frame(records) is not None  # as exported: read whole
    records[7] = _change(records[7], path, value)
    assert ExportReader(schema).frame(records) is None
    policy = load_policy("eryuan-2024")
    _assert_same(list(policy.evaluate_many(records)), _per_record(policy, records))


def test_the_export_reader_reads_the_cells_the_flattener_reads() -> None:
    """Every value the same, as typed columns (whole numbers, true/false) or text."""
    schema = applicant_schema()
    records = _exported(applicants(300, seed=5, missing=0.1))
    read = ExportReader(schema).frame(records)
    assert read is not None
    frame, bad = read
    assert bad == set()
    flat, flat_bad = Flattener(schema).frame(records)
    assert flat_bad == set()
    normalized = normalize(frame, schema)
    assert normalized.equals(normalize(flat, schema))


def _texts(records: list[dict[str, Any]]) -> list[Any]:
    """Records as JSON texts, every other one as str, the rest as UTF-8 bytes."""
    texts = [json.dumps(r, ensure_ascii=False) for r in records]
    return [text if k % 2 else text.encode() for k, text in enumerate(texts)]


def test_json_texts_are_read_as_the_export_reader_reads_their_records(
    small_batches: None,
) -> None:
    schema = applicant_schema()
    records = _exported(applicants(200, seed=6, missing=0.1))
    texts = _texts(records)
    read, from_dicts = ExportReader(schema).frame_json(texts), ExportReader(schema).frame(records)
    assert read is not None and from_dicts is not None
    assert read[1] == set()
    assert normalize(read[0], schema).equals(normalize(from_dicts[0], schema))
    policy = load_policy("eryuan-2024")
    _assert_same(list(policy.evaluate_many(texts)), _per_record(policy, texts))


# (JSON has no tuple: a tuple of records is written as the list it is read as.)
_NOT_EXPORTED_JSON = [
    (path, value)
    for path, value in _NOT_EXPORTED
    if not (isinstance(value, tuple) and all(isinstance(item, dict) for item in value))
]


@pytest.mark.parametrize(("path", "value"), _NOT_EXPORTED_JSON)
def test_json_texts_spelled_otherwise_than_exported_are_not_read_by_pyarrow(
    path: str, value: Any, small_batches: None
) -> None:
    schema = applicant_schema()
    texts = _texts(_exported(population("eryuan-2024", 40, seed=8)))
    record = json.loads(texts[7])
    texts[7] = json.dumps(_change(record, path, value)).encode()  # (a lone surrogate escaped)
    assert ExportReader(schema).frame_json(texts) is None
    policy = load_policy("eryuan-2024")
    _assert_same(list(policy.evaluate_many(texts)), _per_record(policy, texts))


def _pretty(text: bytes) -> bytes:
    return json.dumps(json.loads(text), ensure_ascii=False, indent=1).encode()


def _null_element(text: bytes) -> bytes:
    record = json.loads(text)
    record["assessments"] = [None, *record.get("assessments", [])]
    return json.dumps(record).encode()


def _null_record(text: bytes) -> bytes:
    return json.dumps({**json.loads(text), "unit_debrief": {"attendees": None}}).encode()


def _name_twice(text: bytes) -> bytes:
    return text.replace(b'"person": {', b'"person": {"name": "x", ', 1)


# JSON texts the reader leaves to the per-text reader: not one object on one line, or
# read by pyarrow otherwise than by the models.
_NOT_ONE_LINE = [
    ("over several lines", _pretty),
    ("a byte-order mark", lambda text: b"\xef\xbb\xbf" + text),
    ("a key given twice", _name_twice),
    ("a null in a list of records", _null_element),
    ("a sub-record of nulls", _null_record),
    ("two objects", lambda text: text + b" " + text),
    ("blank", lambda text: b"  "),
    ("NaN", lambda text: text.replace(b'"id": ', b'"id": NaN, "x": ', 1)),
    ("UTF-16", lambda text: text.decode().encode("utf-16")),
    ("not an object", lambda text: b"[" + text + b"]"),
]


@pytest.mark.parametrize(("why", "spell"), _NOT_ONE_LINE, ids=[w for w, _ in _NOT_ONE_LINE])
def test_json_texts_the_reader_cannot_read_alike_go_to_the_per_text_reader(
    why: str, spell: Any, small_batches: None
) -> None:
    schema = applicant_schema()
    records = _exported(population("eryuan-2024", 40, seed=9))
    texts = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    assert ExportReader(schema).frame_json(texts) is not None
    texts[11] = spell(texts[11])
    if why == "two objects":
        texts[12] = b"   "  # (as many rows as texts: still refused)
    assert ExportReader(schema).frame_json(texts) is None
    policy = load_policy("eryuan-2024")
    _assert_same(list(policy.evaluate_many(texts)), _per_record(policy, texts))


def test_a_rule_unknown_column_wise_is_run_on_the_model() -> None:
    """decision_from_codes runs the rules coded unknown on the record's model: the decision
    is the per-record path's, and None when such a rule touches a provisional calendar year
    (the receipt names the years)."""
    policy = load_policy("eryuan-2024")
    applicant_rules = [c.rule.id for c in policy.compiled_rules(policy_module.APPLICANT_KINDS)]
    position = applicant_rules.index("unit_publicity_length")
    records = [
        r
        for r in _exported(population("eryuan-2024", 200, seed=4))
        if r.get("unit_publicity", {}).get("end") and r.get("application")
    ][:10]
    moved = json.loads(json.dumps(records[0]))
    moved["unit_publicity"].update(start="2031-03-02", end="2031-03-10")
    moved["application"]["submitted_on"] = "2031-04-01"
    for record in [*records, moved]:
        model = Applicant.model_validate(record)
        reference = policy.evaluate(model, explain=False)
        coded = [result.outcome.code for result in reference.rules]
        coded[position] = 2  # as if the columns could not say it
        codes = tuple(coded)
        made = policy.decision_from_codes(
            codes,
            {},
            as_of=reference.receipt.as_of,
            as_of_given=False,
            record=reference.record,
            model=model,
        )
        if reference.receipt.provisional_calendar_years:
            assert made is None
        else:
            assert made == reference
        assert (
            policy.decision_from_codes(
                codes, {}, as_of=reference.receipt.as_of, as_of_given=False, record=None
            )
            is None
        )
    assert policy.evaluate(moved, explain=False).receipt.provisional_calendar_years


# A record's empty text is a value the models refuse, where a table's empty cell is a
# missing fact: such a row is decided per record (RECORDS_ONLY), whichever reader read it.
_EMPTY_TEXTS = [
    ("person.name", ""),  # text
    ("person.gender", ""),  # a term
    ("application.submitted_on", ""),  # a date
    ("education[0].level", ""),  # a term in a list's element
    ("titles[0].title_name", ""),  # text in a list's element
    ("unit_debrief", ""),  # text where a record is expected
]


@pytest.mark.parametrize(("path", "value"), _EMPTY_TEXTS)
@pytest.mark.parametrize("spelling", ["dicts", "messy dicts", "json"])
def test_an_empty_text_is_the_models_to_read(
    path: str, value: Any, spelling: str, small_batches: None
) -> None:
    schema = applicant_schema()
    records = [
        r
        for r in _exported(population("eryuan-2024", 60, seed=8))
        if r.get("education") and r.get("assessments") and r.get("titles")
    ][:40]
    records[7] = _change(records[7], path, value)
    batch: list[Any] = [json.loads(json.dumps(r)) for r in records]
    if spelling == "messy dicts":  # (the flattener reads such a batch)
        batch[0]["application"]["year"] = str(batch[0]["application"]["year"])
        assert ExportReader(schema).frame(batch) is None
    elif spelling == "json":
        batch = [json.dumps(r, ensure_ascii=False).encode() for r in batch]
        # (text where a record is expected: the JSON reader refuses the batch itself)
        read = ExportReader(schema).frame_json(batch)
        assert (read is None) == (path == "unit_debrief")
    policy = load_policy("eryuan-2024")
    expected = _per_record(policy, batch)
    assert isinstance(expected[7], TitleRulesError)
    _assert_same(list(policy.evaluate_many(batch)), expected)
