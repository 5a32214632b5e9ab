"""audit layer: cross-record checks — rules over a whole set of records, not one.

* **Duplicate applications** (重复申报).  Applicants are matched by ID number and application
  year.  Each applicant of a group is evaluated again with the group's other applications put
  into its record's ``other_applications`` (where the applicant did not declare them); the
  policy's own rules on other applications (洱源 二(一) "同时向两个及以上评委会报送", 咸宁 一(五)
  "同一年度不得申报两个及以上系列") then decide, with their citations.  So the check is the
  policy's, not this module's: a group the policy does not forbid is listed and passes.
* **Vacancies** (Xianning attachment 1).  For each post table (空岗情况 = 设岗 − 已聘): the
  table's 空岗申报 per level must not exceed the vacancies, nor may the applicants of the set
  recommended by that unit who apply for a vacant post (route 空岗申报); 不占岗位申报 do not
  take a post.  Cited by the policy's rules that name these routes, where it has them.
* **Sign-offs of the post table** (attachment 1, "主管部门审核意见（盖章）年月日", "事业单位人事
  管理部门审核意见（盖章）年月日").  Each table carries both approvals, each dated on or after
  the day the table was filled in; a date the table does not state leaves it unknown.
* **Pass rate**.  For each procedure record: the pass rate (评审通过人数 / 参评人数, exactly)
  against the committee's planned rate, the passes in the review records against the
  reported number, and the applicants of the set who name the committee against the
  reported number of applicants.

Nothing is dropped: records that cannot be read are listed as errors, applicants without an
ID number as unmatched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from titlerules.argcheck import checked
from titlerules.audit.common import as_policy, make_receipt
from titlerules.engine.decision import Receipt, RuleOutcome
from titlerules.engine.policy import Policy
from titlerules.engine.runtime import jsonable
from titlerules.engine.verdict import worst
from titlerules.errors import TitleRulesError
from titlerules.facts import (
    Applicant,
    OtherApplication,
    PostTable,
    Procedure,
    Record,
    RecordResult,
    load_batch,
)
from titlerules.facts.enums import ApplicationRoute, TitleLevel, ZhEnum
from titlerules.lang import ir

__all__ = [
    "CrossFinding",
    "CrossRecordReport",
    "RecordRef",
    "RuleRef",
    "audit_set",
]

CheckKind = Literal["duplicate_application", "vacancies", "table_approvals", "pass_rate"]

_LEVEL_FIELDS: dict[TitleLevel, str] = {
    TitleLevel.INTERMEDIATE: "intermediate",
    TitleLevel.ASSOCIATE_SENIOR: "associate_senior",
    TitleLevel.SENIOR: "senior",
}

# Record fields and vocabulary terms that tie a policy rule to a cross-record check.
_VACANCY_TERMS = (
    ApplicationRoute.VACANT_POST,
    ApplicationRoute.OUTSIDE_POST_QUOTA,
    "post_table_submitted",
    "post_in_structure_quota",
)
_PASS_RATE_TERMS: tuple[str | ZhEnum, ...] = ("planned_pass_rate", "passed_count", "评审通过率设定")


class RecordRef(BaseModel):
    """Where a record is and what identifies it."""

    model_config = ConfigDict(frozen=True)

    file: str | None
    record_path: str
    kind: str
    name: str | None = None
    id_number: str | None = None
    year: int | None = None
    committee: str | None = None
    series: str | None = None
    specialty: str | None = None
    level: str | None = None
    unit: str | None = None
    declared: bool | None = None

    @property
    def where(self) -> str:
        return f"{self.file}: {self.record_path}" if self.file else self.record_path


class RuleRef(BaseModel):
    """A policy rule a cross-record finding rests on, with its outcome there."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    title_en: str | None = None
    document: str | None = None
    clause: str | None = None
    quote: str | None = None
    outcome: RuleOutcome | None = None
    record: str | None = None


class CrossFinding(BaseModel):
    """One cross-record check on one group of records."""

    model_config = ConfigDict(frozen=True)

    check: CheckKind
    subject: str
    outcome: RuleOutcome
    records: list[RecordRef] = []
    rules: list[RuleRef] = []
    counts: dict[str, Any] = {}
    message: str
    message_zh: str


class RecordErrorRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str | None
    record_path: str
    error: str


class CrossRecordReport(BaseModel):
    """Every cross-record check over a set of records."""

    model_config = ConfigDict(frozen=True)

    policy_id: str
    records: int
    applicants: int
    procedures: int
    post_tables: int
    findings: list[CrossFinding]
    unmatched: list[RecordRef] = []
    errors: list[RecordErrorRef] = []
    receipt: Receipt

    @property
    def failed(self) -> list[CrossFinding]:
        return [f for f in self.findings if f.outcome is RuleOutcome.FAILED]

    def of(self, check: CheckKind) -> list[CrossFinding]:
        return [f for f in self.findings if f.check == check]

    @property
    def exit_code(self) -> int:
        """2 when a record could not be read, else 1 when a check failed, else 0."""
        if self.errors:
            return 2
        return 1 if self.failed else 0

    def text(self, lang: str = "zh") -> str:
        from titlerules.audit.render import cross_text

        return cross_text(self, lang)

    def __str__(self) -> str:
        return self.text("zh")

    def _repr_html_(self) -> str:
        from titlerules.audit.notebook import cross_html

        return cross_html(self)

    def to_pandas(self, lang: str = "zh") -> Any:
        """One row per finding, its message in ``lang`` (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import cross_frame

        return cross_frame(self, lang)


# ---------------------------------------------------------------- entry point


@checked
def audit_set(
    policy: Policy | str | Path,
    sources: Iterable[str | Path | Record | RecordResult] | str | Path,
) -> CrossRecordReport:
    """The cross-record checks over records from files, folders or objects."""
    loaded = as_policy(policy)
    results = list(_results(sources))
    errors = [
        RecordErrorRef(file=r.file, record_path=r.record_path, error=str(r.error))
        for r in results
        if r.error is not None
    ]
    applicants = [r for r in results if isinstance(r.record, Applicant)]
    procedures = [r for r in results if isinstance(r.record, Procedure)]
    tables = [r for r in results if isinstance(r.record, PostTable)]
    findings: list[CrossFinding] = []
    duplicates, unmatched, group_errors = _duplicates(loaded, applicants)
    findings.extend(duplicates)
    errors.extend(group_errors)
    for table in tables:
        findings.extend(_vacancies(loaded, table, applicants))
        findings.append(_table_approvals(loaded, table))
    for procedure in procedures:
        finding = _pass_rate(loaded, procedure, applicants)
        if finding is not None:
            findings.append(finding)
    return CrossRecordReport(
        policy_id=loaded.id,
        records=len(results),
        applicants=len(applicants),
        procedures=len(procedures),
        post_tables=len(tables),
        findings=findings,
        unmatched=unmatched,
        errors=errors,
        receipt=make_receipt(loaded, loaded.calendar, None, set()),
    )


def _results(
    sources: Iterable[str | Path | Record | RecordResult] | str | Path,
) -> Iterable[RecordResult]:
    if isinstance(sources, (str, Path)):
        sources = [sources]
    for index, source in enumerate(sources):
        if isinstance(source, RecordResult):
            yield source
        elif isinstance(source, (str, Path)):
            yield from load_batch(Path(source))
        else:
            yield RecordResult(None, f"[{index}]", record=source)


# ---------------------------------------------------------------- duplicates


def _term(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "zh", None) or value)


def _applicant_ref(result: RecordResult, declared: bool | None = None) -> RecordRef:
    applicant = result.record
    assert isinstance(applicant, Applicant)
    person, app, job = applicant.person, applicant.application, applicant.employment
    return RecordRef(
        file=result.file,
        record_path=result.record_path,
        kind="applicant",
        name=person.name if person else None,
        id_number=person.id_number if person else None,
        year=app.year if app else None,
        committee=app.committee if app else None,
        series=_term(app.series) if app else None,
        specialty=app.specialty if app else None,
        level=_term(app.level) if app else None,
        unit=(job.recommending_unit or job.employer_name) if job else None,
        declared=declared,
    )


def _as_other(applicant: Applicant) -> OtherApplication | None:
    app = applicant.application
    if app is None:
        return None
    return OtherApplication(
        year=app.year,
        series=app.series,
        specialty=app.specialty,
        level=app.level,
        committee=app.committee,
        committee_level=app.committee_level,
        submitted_on=app.submitted_on,
    )


def _same(a: OtherApplication, b: OtherApplication) -> bool:
    keys = ("year", "series", "specialty", "level", "committee")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _duplicates(
    policy: Policy, applicants: list[RecordResult]
) -> tuple[list[CrossFinding], list[RecordRef], list[RecordErrorRef]]:
    """The duplicate-application findings, the applicants without an ID number, and an
    error for each group one of whose records could not be evaluated (TR400)."""
    groups: dict[tuple[str, int | None], list[RecordResult]] = {}
    unmatched: list[RecordRef] = []
    for result in applicants:
        applicant = result.record
        assert isinstance(applicant, Applicant)
        number = applicant.person.id_number if applicant.person else None
        if not number:
            unmatched.append(_applicant_ref(result))
            continue
        year = applicant.application.year if applicant.application else None
        groups.setdefault((number.strip().upper(), year), []).append(result)
    findings: list[CrossFinding] = []
    errors: list[RecordErrorRef] = []
    for (number, year), members in groups.items():
        if len(members) > 1:
            try:
                findings.append(_duplicate_group(policy, number, year, members))
            except _GroupError as failure:  # this group's error; the other groups are checked
                errors.append(failure.ref)
    return findings, unmatched, errors


class _GroupError(Exception):
    """A record of a duplicate group could not be evaluated: the group's error row."""

    def __init__(self, ref: RecordErrorRef) -> None:
        super().__init__(ref.error)
        self.ref = ref


def _duplicate_group(
    policy: Policy, number: str, year: int | None, members: list[RecordResult]
) -> CrossFinding:
    rules: dict[tuple[str, str], RuleRef] = {}
    refs: list[RecordRef] = []
    for result in members:
        applicant = result.record
        assert isinstance(applicant, Applicant)
        declared_list = list(applicant.other_applications or [])
        added: list[OtherApplication] = []
        declared = True
        for other in members:
            if other is result:
                continue
            assert isinstance(other.record, Applicant)
            entry = _as_other(other.record)
            if entry is None:
                continue
            if any(_same(entry, d) for d in declared_list):
                continue
            declared = False
            added.append(entry)
        refs.append(_applicant_ref(result, declared))
        enriched = applicant.model_copy(update={"other_applications": declared_list + added})
        try:
            decision = policy.evaluate(enriched, explain=True)
        except TitleRulesError as error:
            raise _GroupError(
                RecordErrorRef(
                    file=result.file,
                    record_path=result.record_path,
                    error=(
                        f"the duplicate-application check of ID {number} "
                        f"({year if year is not None else '?'}) could not evaluate this "
                        f"record with the group's other applications: {error} [{error.code}]"
                    ),
                )
            ) from None
        for rule in decision.rules:
            reads_others = any(".other_applications" in f.path for f in rule.facts) or any(
                ".other_applications" in m for m in rule.missing
            )
            if not reads_others or rule.outcome not in (RuleOutcome.FAILED, RuleOutcome.UNKNOWN):
                continue
            where = _applicant_ref(result).where
            rules[(rule.id, where)] = RuleRef(
                rule_id=rule.id,
                title=rule.title,
                title_en=rule.title_en,
                document=rule.citation.document if rule.citation else None,
                clause=rule.citation.clause if rule.citation else None,
                quote=rule.citation.quote if rule.citation else None,
                outcome=rule.outcome,
                record=where,
            )
    # Only failed and unknown rules are kept: the worst of them, or passed when none is.
    outcome = worst(r.outcome for r in rules.values() if r.outcome is not None)
    committees = sorted({r.committee or "?" for r in refs})
    series = sorted({f"{r.series or '?'}/{r.specialty or '?'}" for r in refs})
    undeclared = sum(1 for r in refs if r.declared is False)
    year_text = str(year) if year is not None else "?"
    if outcome is RuleOutcome.PASSED:
        tail_en, tail_zh = "no rule of the policy forbids them", "本政策没有禁止的规则"
    else:
        ids = ", ".join(sorted({r.rule_id for r in rules.values()}))
        tail_en, tail_zh = f"rules: {ids}", f"规则: {ids}"
    return CrossFinding(
        check="duplicate_application",
        subject=number,
        outcome=outcome,
        records=refs,
        rules=sorted(rules.values(), key=lambda r: (r.rule_id, r.record or "")),
        counts={
            "applications": len(refs),
            "committees": len(committees),
            "series": len(series),
            "undeclared": undeclared,
        },
        message=(
            f"ID {number}: {len(refs)} applications in {year_text} "
            f"({', '.join(committees)}; {', '.join(series)}); {undeclared} not declared; "
            f"{tail_en}"
        ),
        message_zh=(
            f"证件号码 {number}：{year_text} 年度申报 {len(refs)} 次（{'、'.join(committees)}；"
            f"{'、'.join(series)}），其中 {undeclared} 份未申明其他申报；{tail_zh}"
        ),
    )


# ---------------------------------------------------------------- vacancies


def _mentions(policy: Policy, kinds: Sequence[str], terms: Sequence[str | ZhEnum]) -> list[RuleRef]:
    """Rules of the given kinds whose expressions name one of ``terms`` (a record field, or
    a vocabulary member in any of its spellings)."""
    spellings: set[str] = set()
    for term in terms:
        if isinstance(term, ZhEnum):
            spellings.update(term.terms)
            spellings.update(term.english_names)
        else:
            spellings.add(term)
    out: list[RuleRef] = []
    for rule in policy.rules:
        if rule.kind not in kinds:
            continue
        names: set[str] = set()
        for expr in ir.rule_expressions(rule):
            for node in ir.walk(expr):
                if isinstance(node, ir.Name):
                    names.add(node.id)
                elif isinstance(node, ir.Attr):
                    names.add(node.name)
        if names & spellings:
            out.append(
                RuleRef(
                    rule_id=rule.id,
                    title=rule.title,
                    title_en=rule.title_en,
                    document=policy.header.document,
                    clause=rule.citation.clause if rule.citation else None,
                    quote=rule.citation.quote if rule.citation else None,
                )
            )
    return out


def _vacancies(
    policy: Policy, table_result: RecordResult, applicants: list[RecordResult]
) -> list[CrossFinding]:
    table = table_result.record
    assert isinstance(table, PostTable)
    basis = _mentions(policy, ("exclusion", "requirement"), _VACANCY_TERMS)
    table_ref = RecordRef(
        file=table_result.file,
        record_path=table_result.record_path,
        kind="post_table",
        unit=table.unit,
    )
    findings: list[CrossFinding] = []
    for level, field in _LEVEL_FIELDS.items():
        counts = getattr(table, field)
        if counts is None:
            continue
        vacancies = counts.computed_vacancies
        if vacancies is None:
            vacancies = counts.vacancies
        refs: list[RecordRef] = []
        vacant = outside = undecided = 0
        for result in applicants:
            applicant = result.record
            assert isinstance(applicant, Applicant)
            ref = _applicant_ref(result)
            if table.unit is None or ref.unit != table.unit:
                continue
            if applicant.application is None or applicant.application.level is not level:
                continue
            route = applicant.application.route
            refs.append(ref)
            if route is ApplicationRoute.VACANT_POST:
                vacant += 1
            elif route is ApplicationRoute.OUTSIDE_POST_QUOTA:
                outside += 1
            elif route is None:
                undecided += 1
        declared = counts.vacant_post_applications
        problems_en: list[str] = []
        problems_zh: list[str] = []
        unknown = False
        if vacancies is None:
            unknown = True
        else:
            if declared is not None and declared > vacancies:
                problems_en.append(
                    f"the table's {declared} vacant-post applications exceed {vacancies} vacancies"
                )
                problems_zh.append(f"核定表空岗申报 {declared} 人，超过空岗 {vacancies} 个")
            if vacant > vacancies:
                problems_en.append(
                    f"{vacant} applicants of the set apply for a vacant post, {vacancies} vacancies"
                )
                problems_zh.append(f"本批记录中空岗申报 {vacant} 人，超过空岗 {vacancies} 个")
            elif vacant + undecided > vacancies:
                unknown = True
        if declared is not None and vacant > declared:
            problems_en.append(
                f"{vacant} vacant-post applicants in the set, the table reports {declared}"
            )
            problems_zh.append(f"本批记录中空岗申报 {vacant} 人，多于核定表填报的 {declared} 人")
        if counts.vacant_post_applications is None and not refs:
            continue
        outcome = (
            RuleOutcome.FAILED
            if problems_en
            else RuleOutcome.UNKNOWN
            if unknown
            else RuleOutcome.PASSED
        )
        level_zh = level.zh
        summary_en = "; ".join(problems_en) or (
            "vacancies unknown" if vacancies is None else "within the vacancies"
        )
        summary_zh = "；".join(problems_zh) or (
            "空岗数不明" if vacancies is None else "未超过空岗数"
        )
        if outcome is RuleOutcome.UNKNOWN and vacancies is not None:
            summary_en = f"{undecided} applicants state no route; they may exceed the vacancies"
            summary_zh = f"{undecided} 名申报人未写明申报途径，可能超过空岗数"
        findings.append(
            CrossFinding(
                check="vacancies",
                subject=f"{table.unit or '?'} {level_zh}",
                outcome=outcome,
                records=[table_ref, *refs],
                rules=basis,
                counts={
                    "posts": counts.posts,
                    "appointed": counts.appointed,
                    "vacancies": vacancies,
                    "table_vacant_post_applications": declared,
                    "table_outside_quota_applications": counts.outside_quota_applications,
                    "set_vacant_post_applicants": vacant,
                    "set_outside_quota_applicants": outside,
                    "set_route_unknown": undecided,
                },
                message=f"{table.unit or '?'} {level.value}: {summary_en}",
                message_zh=f"{table.unit or '?'} {level_zh}：{summary_zh}",
            )
        )
    return findings


def _table_approvals(policy: Policy, table_result: RecordResult) -> CrossFinding:
    """Both sign-offs of a post table, each on or after the day it was filled in."""
    table = table_result.record
    assert isinstance(table, PostTable)
    ref = RecordRef(
        file=table_result.file,
        record_path=table_result.record_path,
        kind="post_table",
        unit=table.unit,
    )
    approvals = {
        "department_approved_on": (table.department_approved_on, "主管部门审核", "department"),
        "personnel_department_approved_on": (
            table.personnel_department_approved_on,
            "事业单位人事管理部门审核",
            "personnel department",
        ),
    }
    missing_zh = [zh for day, zh, _ in approvals.values() if day is None]
    missing_en = [en for day, _, en in approvals.values() if day is None]
    early_zh: list[str] = []
    early_en: list[str] = []
    if table.filled_on is not None:
        for day, zh, en in approvals.values():
            if day is not None and day < table.filled_on:
                early_zh.append(f"{zh}日期 {day} 早于填报时间 {table.filled_on}")
                early_en.append(f"{en} approval {day} before the table was filled in")
    if early_en:
        outcome, text_en, text_zh = RuleOutcome.FAILED, "; ".join(early_en), "；".join(early_zh)
    elif missing_en:
        outcome = RuleOutcome.UNKNOWN
        text_en = "no date of the " + " and ".join(missing_en) + " approval"
        text_zh = "、".join(missing_zh) + "日期未写明"
    else:
        outcome, text_en, text_zh = RuleOutcome.PASSED, "both approvals dated", "两级审核均已签署"
    return CrossFinding(
        check="table_approvals",
        subject=table.unit or "?",
        outcome=outcome,
        records=[ref],
        rules=_mentions(policy, ("exclusion", "requirement"), ("post_table_submitted",)),
        counts={},
        message=f"{table.unit or '?'}: {text_en}",
        message_zh=f"{table.unit or '?'}：{text_zh}",
    )


# ---------------------------------------------------------------- pass rate


def _pass_rate(
    policy: Policy, result: RecordResult, applicants: list[RecordResult]
) -> CrossFinding | None:
    procedure = result.record
    assert isinstance(procedure, Procedure)
    committee = procedure.committee.name if procedure.committee else None
    ref = RecordRef(
        file=result.file,
        record_path=result.record_path,
        kind="procedure",
        committee=committee,
        year=procedure.year,
    )
    in_set = [
        r
        for r in applicants
        if committee is not None
        and isinstance(r.record, Applicant)
        and r.record.application is not None
        and r.record.application.committee == committee
        and (procedure.year is None or r.record.application.year in (None, procedure.year))
    ]
    total, passed, planned = (
        procedure.applicants_count,
        procedure.passed_count,
        procedure.planned_pass_rate,
    )
    reviews = procedure.reviews or []
    reviewed_passes = sum(1 for r in reviews if r.passed)
    rate = Fraction(passed, total) if total and passed is not None else None
    problems_en: list[str] = []
    problems_zh: list[str] = []
    if rate is not None and planned is not None and rate > planned:
        problems_en.append(f"pass rate {_percent(rate)} exceeds the planned {_percent(planned)}")
        problems_zh.append(f"通过率 {_percent(rate)} 超过设定的 {_percent(planned)}")
    if passed is not None and reviewed_passes > passed:
        problems_en.append(f"{reviewed_passes} passes in the reviews, {passed} reported")
        problems_zh.append(f"评议记录中通过 {reviewed_passes} 人，多于报告的 {passed} 人")
    if total is not None and len(in_set) > total:
        problems_en.append(
            f"{len(in_set)} applicants of the set name the committee, {total} reported"
        )
        problems_zh.append(
            f"本批记录中 {len(in_set)} 名申报人报送该评委会，多于报告的参评 {total} 人"
        )
    if rate is None and planned is None and not problems_en:
        if total is None and passed is None:
            return None
    decided = rate is not None and planned is not None
    outcome = (
        RuleOutcome.FAILED
        if problems_en
        else RuleOutcome.PASSED
        if decided
        else RuleOutcome.UNKNOWN
    )
    if problems_en:
        text_en, text_zh = "; ".join(problems_en), "；".join(problems_zh)
    elif decided:
        assert rate is not None and planned is not None
        text_en = f"pass rate {_percent(rate)} within the planned {_percent(planned)}"
        text_zh = f"通过率 {_percent(rate)}，未超过设定的 {_percent(planned)}"
    else:
        text_en, text_zh = "the pass rate or the planned rate is unknown", "通过率或设定通过率不明"
    return CrossFinding(
        check="pass_rate",
        subject=committee or procedure.id or "?",
        outcome=outcome,
        records=[ref, *(_applicant_ref(r) for r in in_set)],
        rules=_mentions(policy, ("procedure",), _PASS_RATE_TERMS),
        counts={
            "applicants": total,
            "passed": passed,
            "pass_rate": jsonable(rate) if rate is not None else None,
            "planned_pass_rate": jsonable(planned) if planned is not None else None,
            "reviews_passed": reviewed_passes,
            "set_applicants": len(in_set),
        },
        message=f"{committee or '?'}: {text_en}",
        message_zh=f"{committee or '?'}：{text_zh}",
    )


def _percent(value: Fraction) -> str:
    percent = value * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    tenths = round(percent * 10)
    return f"{tenths // 10}.{tenths % 10}%"
