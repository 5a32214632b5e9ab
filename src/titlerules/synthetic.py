"""Seeded synthetic applicant records, for trying the batch path and measuring it (the tests
and benchmarks use them).  Outside the layers: no module of the package imports this one.

:func:`applicants` writes records as a clerk's export would: nested like the YAML examples,
dates as ``YYYY-MM-DD``, vocabulary terms in Chinese, flags ``true``/``false``.  The
distributions are plausible for a county's annual evaluation (most applicants work in public
institutions, hold a bachelor's degree and pass their annual assessments; a few are civil
servants, retired, sanctioned or on a credit blacklist; some facts are left blank).  Every
record validates against the models, unless ``messy`` asks for odd spellings and a share of
malformed values (bad dates, unknown terms, more yes votes than attendees), which the batch
path must turn into the same decisions, or error rows, as the per-record path.

:func:`population` writes a policy's applicants as a county would see them: most eligible,
some ineligible for one common reason each, a few undetermined (each starts from one of the
policy's eligible example applicants).  :func:`flat_rows` spells records as CSV cells (list
cells in natural JSON or quoted, terms in Chinese or English).

Nothing here is real data; the identity numbers are valid GB 11643 numbers made up to
agree with the generated birth dates and genders.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from titlerules.batch.schema import Leaf, TableSchema, applicant_schema
from titlerules.facts import enums as E
from titlerules.facts.idcard import id_check_character

_TEXTS = ("洱源县第一中学", "县人民医院", "县农业农村局", "第二小学", "县文化馆", "水务站")
_REGIONS = ("532930", "530111", "532901", "420102", "140802", "421202")
_COMMITTEES = ("县中小学教师中级评委会", "州卫生系列高级评委会", "县农业系列中级评委会")


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _member(
    rng: random.Random, cls: type[enum.Enum], weights: dict[str, float] | None = None
) -> Any:
    members = list(cls)
    if weights:
        chosen = rng.choices(members, [weights.get(str(m.value), 0.2) for m in members])[0]
    else:
        chosen = rng.choice(members)
    return chosen


def _term(member: Any) -> str:
    return str(getattr(member, "zh", None) or member.value)


class _Generator:
    def __init__(self, seed: int, missing: float, messy: bool) -> None:
        self.rng = random.Random(seed)
        self.missing = missing
        self.messy = messy

    # -------------------------------------------- generic values by kind
    def value(self, leaf: Leaf, context: dict[str, Any]) -> Any:
        rng = self.rng
        if leaf.kind == "bool":
            return rng.random() < 0.85 if leaf.name not in _RARE_FLAGS else rng.random() < 0.04
        if leaf.kind == "date":
            anchor = context.get("anchor", dt.date(2024, 7, 15))
            return _date(rng, anchor - dt.timedelta(days=365 * 12), anchor)
        if leaf.kind == "int":
            low = leaf.ge if leaf.ge is not None else 0
            if leaf.name == "year" or (leaf.ge is not None and leaf.ge >= 1949):
                return rng.randrange(2014, 2025)
            return low + rng.randrange(0, 6)
        if leaf.kind == "decimal":
            return rng.choice((24, 36, 48, 72, 90, 96))
        if leaf.kind == "enum" and leaf.enum is not None:
            return _member(rng, leaf.enum)
        if leaf.kind == "text":
            return rng.choice(_TEXTS)
        return None

    def spell(self, value: Any, kind: str) -> Any:
        """The cell text of a value (canonical; odd spellings when messy)."""
        rng = self.rng
        if value is None:
            return None
        if isinstance(value, bool):
            if self.messy and rng.random() < 0.02:
                return rng.choice(("是", "否", "TRUE", "no", " yes", "1", "0", "maybe"))
            return "true" if value else "false"
        if isinstance(value, dt.date):
            if self.messy and rng.random() < 0.01:
                return rng.choice(
                    (
                        f"{value.year}/{value.month}/{value.day}",
                        f"{value.year}年{value.month}月{value.day}日",
                        f"{value.year}-02-30",
                        "unknown",
                    )
                )
            return value.isoformat()
        if isinstance(value, enum.Enum):
            if self.messy and rng.random() < 0.01:
                return rng.choice(
                    (str(value.value), str(value.value).upper(), "不存在的类别", f" {_term(value)}")
                )
            return _term(value)
        if isinstance(value, int):
            if self.messy and rng.random() < 0.01:
                return rng.choice((f"{value}.0", f" {value}", "-1", "三"))
            return str(value)
        text = str(value)
        if self.messy and rng.random() < 0.005:
            return rng.choice((f" {text}", "  "))
        return text

    def maybe(self, value: Any) -> Any:
        return None if self.rng.random() < self.missing else value

    # -------------------------------------------- one record
    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        year = 2024
        submitted = _date(rng, dt.date(year, 6, 20), dt.date(year, 8, 10))
        birth = _date(rng, dt.date(1962, 1, 1), dt.date(1998, 12, 31))
        gender = rng.choice((E.Gender.MALE, E.Gender.FEMALE))
        career = _date(
            rng,
            birth + dt.timedelta(days=365 * 21),
            min(submitted, birth + dt.timedelta(days=365 * 30)),
        )
        post_start = _date(rng, career, submitted)
        kind = _member(
            rng,
            E.EmployerKind,
            {
                "public_institution": 7.0,
                "state_owned_enterprise": 1.0,
                "private_enterprise": 1.0,
                "freelancer": 0.3,
                "government_agency": 0.1,
            },
        )
        level = _member(
            rng,
            E.TitleLevel,
            {
                "clerk": 0.3,
                "assistant": 1.0,
                "intermediate": 2.0,
                "associate_senior": 1.0,
                "senior": 0.3,
            },
        )
        series = _member(rng, E.TitleSeries)
        education_level = _member(
            rng,
            E.EducationLevel,
            {"bachelor": 6.0, "junior_college": 2.0, "master": 1.5, "doctorate": 0.3},
        )
        attendees = rng.randrange(9, 80)
        yes = rng.randrange(attendees // 2, attendees + 1)
        if self.messy and rng.random() < 0.03:
            yes = attendees + 1  # the model refuses this record
        publicity_start = submitted - dt.timedelta(days=rng.randrange(10, 30))
        publicity_end = publicity_start + dt.timedelta(days=rng.randrange(3, 10))
        number = self.id_number(birth, gender)
        applicant: dict[str, Any] = {
            "id": f"A{index:08d}",
            "person": {
                "name": rng.choice(("李华", "张敏", "王强", "赵丽", "杨军", "段莉")),
                "gender": gender,
                "birth_date": birth,
                "id_type": E.IdType.RESIDENT_ID_CARD,
                "id_number": number,
                "residence_status": E.ResidenceStatus.__members__.get("MAINLAND")
                or next(iter(E.ResidenceStatus)),
            },
            "employment": {
                "employer_name": rng.choice(_TEXTS),
                "employer_kind": kind,
                "is_civil_servant": rng.random() < 0.03,
                "is_civil_servant_managed": rng.random() < 0.03,
                "post_category": _member(rng, E.PostCategory, {"professional_technical": 8.0}),
                "identity": _member(rng, E.PersonnelIdentity, {"cadre": 4.0}),
                "in_post": rng.random() < 0.96,
                "professional_technical_work": rng.random() < 0.95,
                "retired": rng.random() < 0.02,
                "current_post_start": post_start,
                "personnel_file_custodian": _member(rng, E.FileCustodian, {"employer": 6.0}),
                "recommending_unit": rng.choice(_TEXTS),
                "post_series": series,
            },
            "application": {
                "year": year,
                "series": series,
                "level": level,
                "committee": rng.choice(_COMMITTEES),
                "committee_level": _member(rng, E.CommitteeLevel),
                "exceptional": rng.random() < 0.05,
                "route": _member(rng, E.ApplicationRoute),
                "first_application": rng.random() < 0.3,
                "online": rng.random() < 0.9,
                "submitted_on": submitted,
                "material_deadline": dt.date(year, 7, 31),
                "meeting_date": _date(rng, dt.date(year, 9, 1), dt.date(year, 10, 31)),
                "pledge_signed": rng.random() < 0.95,
                "unit_reviewed": rng.random() < 0.95,
                "department_reviewed": rng.random() < 0.9,
                "review_rounds": rng.randrange(0, 5),
            },
            "unit_debrief": {
                "held_on": publicity_start - dt.timedelta(days=rng.randrange(1, 10)),
                "attendees": attendees,
                "yes_votes": yes,
                "secret_ballot": rng.random() < 0.95,
                "recorded_in_form": rng.random() < 0.95,
            },
            "unit_publicity": {
                "kind": next(iter(E.PublicityKind)),
                "start": publicity_start,
                "end": publicity_end,
                "objections": 0 if rng.random() < 0.93 else rng.randrange(1, 3),
                "objections_resolved": rng.random() < 0.8,
            },
            "education": [
                {
                    "level": education_level,
                    "obtained_on": birth + dt.timedelta(days=365 * 22),
                    "full_time": rng.random() < 0.8,
                }
            ],
            "titles": [
                {
                    "series": series,
                    "level": lower,
                    "obtained_on": _date(rng, career, submitted),
                    "how": _member(rng, E.TitleAcquisition),
                    "appointed_on": _date(rng, career, submitted),
                    "disclosed": rng.random() < 0.97,
                }
                for lower in [m for m in E.TitleLevel if m.rank < level.rank][
                    -rng.randrange(0, 3) :
                ]
            ]
            if level.rank > 1
            else [],
            "service": [
                {
                    "start": career,
                    "end": post_start - dt.timedelta(days=1) if post_start > career else None,
                    "ongoing": False,
                    "professional_technical": True,
                    "grassroots": rng.random() < 0.6,
                    "rural": rng.random() < 0.3,
                    "township": rng.random() < 0.3,
                },
                {
                    "start": post_start,
                    "ongoing": True,
                    "professional_technical": True,
                    "grassroots": rng.random() < 0.5,
                    "rural": rng.random() < 0.2,
                },
            ],
            "assessments": [
                {
                    "year": y,
                    "grade": _member(rng, E.AssessmentGrade, {"competent": 6.0, "excellent": 1.5}),
                }
                for y in range(year - rng.randrange(3, 6), year)
            ],
            "continuing_education": [
                {"year": y, "hours": rng.choice((60, 72, 90, 96)), "compliant": rng.random() < 0.93}
                for y in range(year - 3, year)
            ],
            "sanctions": self.sanctions(submitted),
            "credit_records": self.credit_records(submitted),
            "investigations": [],
            "other_applications": [],
            "failed_applications": [],
        }
        if kind in (
            E.EmployerKind.STATIONED_CENTRAL_UNIT,
            E.EmployerKind.STATIONED_PROVINCIAL_UNIT,
        ):
            applicant["employment"]["delegation_letter"] = {
                "issued_on": submitted - dt.timedelta(days=20),
                "hr_approved": rng.random() < 0.9,
            }
        if applicant["employment"]["retired"] or rng.random() < 0.02:
            applicant["employment"]["delayed_retirement"] = {
                "approved": rng.random() < 0.5,
                "start": submitted - dt.timedelta(days=400),
                "end": submitted + dt.timedelta(days=400),
            }
        record: dict[str, Any] = self.blank(applicant)
        return record

    def id_number(self, birth: dt.date, gender: Any) -> str:
        sequence = self.rng.randrange(0, 500) * 2 + (1 if gender is E.Gender.MALE else 0)
        first17 = f"{self.rng.choice(_REGIONS)}{birth:%Y%m%d}{sequence:03d}"
        return first17 + id_check_character(first17)

    def sanctions(self, on: dt.date) -> list[dict[str, Any]]:
        if self.rng.random() > 0.04:
            return []
        start = on - dt.timedelta(days=self.rng.randrange(30, 2000))
        return [
            {
                "system": _member(self.rng, E.SanctionSystem),
                "severity": _member(self.rng, E.SanctionSeverity),
                "start": start,
            }
        ]

    def credit_records(self, on: dt.date) -> list[dict[str, Any]]:
        if self.rng.random() > 0.02:
            return []
        return [
            {
                "kind": _member(self.rng, E.CreditRecordKind),
                "reason": _member(self.rng, E.CreditReason),
                "recorded_on": on - dt.timedelta(days=self.rng.randrange(30, 1500)),
            }
        ]

    def blank(self, data: Any) -> Any:
        """Leave facts out at random (a missing fact is unknown, never false)."""
        if isinstance(data, dict):
            out = {}
            for key, value in data.items():
                if key in ("id", "year"):  # required where it appears in a list
                    out[key] = value
                    continue
                if not isinstance(value, (dict, list)):
                    value = self.maybe(value)
                out[key] = self.blank(value) if value is not None else None
            return {k: v for k, v in out.items() if v is not None}
        if isinstance(data, list):
            return [self.blank(item) for item in data]
        return data


_RARE_FLAGS = frozenset(
    {"is_civil_servant", "is_civil_servant_managed", "retired", "exceptional", "dispatched"}
)


def applicants(
    count: int, *, seed: int = 2024, missing: float = 0.02, messy: bool = False
) -> list[dict[str, Any]]:
    """``count`` applicant records (nested dicts of Python values), reproducible from ``seed``."""
    generator = _Generator(seed, missing, messy)
    return [generator.record(i) for i in range(count)]


def spelled(
    records: list[dict[str, Any]], *, seed: int = 7, messy: bool = False
) -> list[dict[str, Any]]:
    """The records with every value written as text (what a CSV or JSON export holds)."""
    generator = _Generator(seed, 0.0, messy)

    def visit(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: visit(v) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v) for v in value]
        return generator.spell(value, "")

    return [visit(r) for r in records]


def flat_rows(
    records: list[dict[str, Any]],
    schema: TableSchema | None = None,
    *,
    terms: str = "zh",
    quoted: bool = False,
) -> dict[str, list[str | None]]:
    """Text columns by record path (lists as JSON text): the CSV spelling of the records.

    List cells are natural JSON (``{"year": 2021, "full_time": true}``), or with ``quoted``
    every value in them is a JSON string (``{"year": "2021", "full_time": "true"}``).
    Vocabulary terms are written in Chinese (``terms="zh"``) or as their English values
    (``"en"``).
    """
    schema = schema or applicant_schema()
    lists = {field.path for field in schema.lists}
    columns: dict[str, list[str | None]] = {name: [] for name in schema.columns}
    style = _Style(terms, quoted)
    for index, record in enumerate(records):
        flat: dict[str, str | None] = {}
        _flatten(record, "", flat, lists, style)
        for name in flat:
            if name not in columns:
                columns[name] = [None] * index
        for name, column in columns.items():
            column.append(flat.get(name))
    return {name: values for name, values in columns.items() if any(v is not None for v in values)}


class _Style:
    def __init__(self, terms: str, quoted: bool) -> None:
        if terms not in ("zh", "en"):
            raise ValueError(f"terms must be 'zh' or 'en', not {terms!r}")
        self.english = terms == "en"
        self.quoted = quoted

    def term(self, member: Any) -> str:
        return str(member.value) if self.english else _term(member)

    def plain(self, value: Any) -> Any:
        """A list cell's value as JSON: terms in the chosen language (a vocabulary member
        is also a str: json would write its value), dates as text, text with ``quoted``."""
        if isinstance(value, dict):
            return {k: self.plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.plain(v) for v in value]
        if isinstance(value, enum.Enum):
            return self.term(value)
        if isinstance(value, dt.date) or (self.quoted and value is not None):
            return self.text(value)
        return value

    def text(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, enum.Enum):
            return self.term(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


def _flatten(
    value: Any, path: str, out: dict[str, str | None], lists: set[str], style: _Style
) -> None:
    if path in lists:
        out[path] = json.dumps(style.plain(value), ensure_ascii=False, default=str)
    elif isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, out, lists, style)
    else:
        out[path] = style.text(value)


def typed_table(records: list[dict[str, Any]], schema: TableSchema | None = None) -> Any:
    """The records as a typed table (what a Parquet export holds): Boolean, Int64 and Date
    columns, terms as text, lists as lists of structs of typed fields."""
    from titlerules.batch import polars
    from titlerules.batch.schema import leaf_dtype

    pl = polars()
    schema = schema or applicant_schema()
    columns = flat_rows(records, schema)
    text = pl.DataFrame(columns, schema={name: pl.String for name in columns})

    def cast(expr: Any, leaf: Leaf) -> Any:
        if leaf.kind == "bool":
            return expr.replace_strict(
                {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
            )
        if leaf.kind == "date":
            return expr.str.to_date("%Y-%m-%d", strict=False)
        if leaf.kind in ("int", "decimal"):
            return expr.cast(pl.Int64, strict=False)
        return expr

    exprs = []
    for name in text.columns:
        leaf = schema.leaf(name)
        field = schema.list_field(name)
        if leaf is not None:
            exprs.append(cast(pl.col(name), leaf).alias(name))
        elif field is not None:
            raw_type = pl.List(pl.Struct({leaf.name: pl.String for leaf in field.leaves}))
            typed_type = pl.Struct(
                {
                    leaf.name: {"decimal": pl.Int64, "enum": pl.String}.get(
                        leaf.kind, leaf_dtype(leaf)
                    )
                    for leaf in field.leaves
                }
            )
            decoded = pl.col(name).str.json_decode(raw_type)
            element = pl.element()
            exprs.append(
                decoded.list.eval(
                    pl.struct(
                        [
                            cast(element.struct.field(leaf.name), leaf).alias(leaf.name)
                            for leaf in field.leaves
                        ]
                    )
                )
                .cast(pl.List(typed_type))
                .alias(name)
            )
        else:
            exprs.append(pl.col(name))
    return text.select(exprs)


# ---------------------------------------------------------------- a county's population

#: The share of each kind of applicant in :func:`population`: most are eligible; the rest
#: fail one common condition each, or leave a deciding fact blank (undetermined).
POPULATION_MIX = {"eligible": 0.75, "ineligible": 0.20, "undetermined": 0.05}

_NAMES = ("李华", "张敏", "王强", "赵丽", "杨军", "段莉", "陈刚", "刘艳", "周平", "吴霞", "孙磊")


def population(
    policy: str, count: int, *, seed: int = 2024, mix: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """``count`` applicant records for a bundled ``policy``'s evaluation whose outcomes are
    mixed as in a real county (:data:`POPULATION_MIX`): each record starts from one of the
    policy's eligible example applicants (``examples/POLICY/applicants``) with its own name,
    identity number, birth date, votes, assessment grades and education; a fifth then fails
    one common condition (a civil servant, retired, a publicity period or a vote too short,
    a failed assessment, a sanction or a credit record in force, a late submission, no
    professional technical work ...), and one in twenty leaves a deciding fact blank.
    ``mix`` gives other shares (``{"eligible": 0.8, "ineligible": 0.2}``: every deciding
    fact stated).  Reproducible from ``seed``; nested dicts of Python values, as
    :func:`applicants`."""
    templates = _templates(policy)
    rng = random.Random(f"{policy}:{seed}")
    generator = _Generator(seed, 0.0, False)
    generator.rng = rng
    wanted = POPULATION_MIX if mix is None else mix
    unknown = set(wanted) - set(POPULATION_MIX)
    if unknown:
        raise ValueError(f"mix: unknown outcome(s) {sorted(unknown)}; use {list(POPULATION_MIX)}")
    shares = list(wanted.values())
    kinds = list(wanted)
    out = []
    for index in range(count):
        template = rng.choice(templates)
        record = _vary(rng, generator, template.record, index)
        kind = rng.choices(kinds, shares)[0]
        if kind == "ineligible":
            rng.choice(template.defects)(rng, record)
        elif kind == "undetermined":
            rng.choice(template.blanks)(rng, record)
        out.append(record)
    return out


_Change = Callable[[random.Random, dict[str, Any]], None]


@dataclass(frozen=True)
class _Template:
    """An eligible example applicant, and the defects and blanks that make it ineligible
    or undetermined under the policy (tried once on the example itself)."""

    record: dict[str, Any]
    defects: tuple[_Change, ...]
    blanks: tuple[_Change, ...]


@cache
def _templates(policy: str) -> tuple[_Template, ...]:
    from titlerules.engine.policy import load_policy
    from titlerules.facts.loading import load_applicant
    from titlerules.resources import examples_dir

    folder = examples_dir() / policy / "applicants"
    if not folder.is_dir():
        raise ValueError(f"no example applicants for {policy!r} (looked in {folder})")
    loaded = load_policy(policy)

    def outcome(record: dict[str, Any]) -> str:
        return loaded.evaluate(record).outcome.value

    tries = random.Random(0)
    found = []
    for path in sorted(folder.glob("*.yaml")):
        model = load_applicant(path)
        if loaded.evaluate(model).outcome.value != "eligible":
            continue
        record = model.model_dump(mode="python", exclude_none=True)

        def gives(change: _Change, wanted: str, record: dict[str, Any] = record) -> bool:
            changed = _copy(record)
            change(tries, changed)
            return outcome(changed) == wanted

        defects = tuple(d for d in _DEFECTS if gives(d, "ineligible"))
        blanks = tuple(b for b in _BLANKS if gives(b, "undetermined"))
        if defects and blanks:
            found.append(_Template(record, defects, blanks))
    if not found:
        raise ValueError(f"{policy}: none of the example applicants is eligible")
    return tuple(found)


def _vary(
    rng: random.Random, generator: _Generator, template: dict[str, Any], index: int
) -> dict[str, Any]:
    """A copy of ``template`` as another applicant: facts that do not decide eligibility
    drawn afresh (a name, a birth date up to six years later, a matching identity number,
    the vote, the grades of the annual assessments, the degree)."""
    record: dict[str, Any] = _copy(template)
    record["id"] = f"P{index:08d}"
    person = record.setdefault("person", {})
    person["name"] = rng.choice(_NAMES)
    birth = person.get("birth_date", dt.date(1985, 1, 1))
    birth = birth + dt.timedelta(days=rng.randrange(0, 6 * 365))
    gender = rng.choice((E.Gender.MALE, E.Gender.FEMALE))
    if person.get("gender") is not None:
        person["gender"] = gender
    person["birth_date"] = birth
    if person.get("id_type", E.IdType.RESIDENT_ID_CARD) is E.IdType.RESIDENT_ID_CARD:
        person["id_number"] = generator.id_number(birth, gender)
    debrief = record.get("unit_debrief")
    if debrief and "attendees" in debrief:
        attendees = rng.randrange(15, 120)
        debrief["attendees"] = attendees
        debrief["yes_votes"] = rng.randrange(-(-2 * attendees // 3) + 1, attendees + 1)
    for assessment in record.get("assessments", []):
        assessment["grade"] = rng.choices(
            (E.AssessmentGrade.COMPETENT, E.AssessmentGrade.EXCELLENT), (4, 1)
        )[0]
    for education in record.get("education", []):
        if education.get("level") is E.EducationLevel.BACHELOR and rng.random() < 0.2:
            education["level"] = E.EducationLevel.MASTER
    return record


def _copy(value: Any) -> Any:
    """A copy of nested dicts and lists (their leaves are immutable): deepcopy, quicker."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = record
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _application_day(record: dict[str, Any]) -> dt.date:
    application = record.get("application", {})
    return application.get("submitted_on") or dt.date(application.get("year", 2024), 7, 1)


def _civil_servant(rng: random.Random, record: dict[str, Any]) -> None:
    _set(record, "employment.is_civil_servant", True)


def _retired(rng: random.Random, record: dict[str, Any]) -> None:
    _set(record, "employment.retired", True)
    record["employment"].pop("delayed_retirement", None)


def _no_professional_work(rng: random.Random, record: dict[str, Any]) -> None:
    _set(record, "employment.professional_technical_work", False)


def _short_publicity(rng: random.Random, record: dict[str, Any]) -> None:
    publicity = record.get("unit_publicity")
    if publicity and publicity.get("start"):
        publicity["end"] = publicity["start"] + dt.timedelta(days=rng.randrange(0, 2))
    else:
        _failed_assessment(rng, record)


def _short_vote(rng: random.Random, record: dict[str, Any]) -> None:
    debrief = record.get("unit_debrief")
    if debrief and debrief.get("attendees"):
        debrief["yes_votes"] = debrief["attendees"] // 2
    else:
        _late(rng, record)


def _failed_assessment(rng: random.Random, record: dict[str, Any]) -> None:
    assessments = record.get("assessments")
    if assessments:
        assessments[-1]["grade"] = E.AssessmentGrade.INCOMPETENT
    else:
        _sanctioned(rng, record)


def _sanctioned(rng: random.Random, record: dict[str, Any]) -> None:
    day = _application_day(record)
    record["sanctions"] = [
        {
            "system": E.SanctionSystem.ADMINISTRATIVE,
            "severity": E.SanctionSeverity.DEMERIT,
            "start": day - dt.timedelta(days=rng.randrange(30, 300)),
        }
    ]


def _credit_record(rng: random.Random, record: dict[str, Any]) -> None:
    day = _application_day(record)
    record["credit_records"] = [
        {
            "kind": E.CreditRecordKind.BLACKLIST,
            "reason": E.CreditReason.FRAUD,
            "recorded_on": day - dt.timedelta(days=rng.randrange(30, 300)),
        }
    ]


def _late(rng: random.Random, record: dict[str, Any]) -> None:
    application = record.setdefault("application", {})
    deadline = application.get("material_deadline")
    if deadline is not None:
        application["submitted_on"] = deadline + dt.timedelta(days=rng.randrange(1, 20))
    else:
        _civil_servant(rng, record)


_DEFECTS = (
    _civil_servant,
    _retired,
    _no_professional_work,
    _short_publicity,
    _short_vote,
    _failed_assessment,
    _sanctioned,
    _credit_record,
    _late,
)


def _blank(path: str) -> Callable[[random.Random, dict[str, Any]], None]:
    def blank(rng: random.Random, record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = record
        for part in parents:
            target = target.get(part) or {}
        if isinstance(target, dict):
            target.pop(last, None)

    blank.__name__ = f"blank {path}"
    return blank


_BLANKS = (
    _blank("employment.is_civil_servant"),
    _blank("employment.in_post"),
    _blank("employment.professional_technical_work"),
    _blank("application.pledge_signed"),
)
