"""The applicant rules of eryuan-2024 written by hand in plain Python: the baseline the
policy engine is measured against.

Same rules, same three-valued logic (None is an unknown fact; ``False and None`` is False,
``True or None`` is True), same rule outcomes (passed / failed / not applicable / unknown)
and the same decision.  It reads the same validated :class:`~titlerules.facts.Applicant`
models the engine reads, and uses the same calendar functions (working days, statutory
retirement dates, default sanction periods).  ``benchmarks/run.py`` checks that its
decisions agree with the engine's, record by record, and reports the agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from titlerules import calendar as cal
from titlerules.errors import TitleRulesError
from titlerules.facts import enums as E

K = bool | None  # a three-valued truth value

CUTOFF = dt.date(2024, 12, 31)
SENIOR_POST_DEADLINE = dt.date(2024, 4, 30)
COUNTY_HR_BUREAU = "洱源县人力资源和社会保障局"
DEBRIEF_SHARE = Fraction(2, 3)
EK = E.EmployerKind
IN_SCOPE = {
    EK.PUBLIC_INSTITUTION,
    EK.STATE_OWNED_ENTERPRISE,
    EK.PRIVATE_ENTERPRISE,
    EK.INDIVIDUAL_BUSINESS,
    EK.SOCIAL_ORGANISATION,
    EK.FREELANCER,
    EK.FLEXIBLE_EMPLOYMENT,
    EK.STATIONED_CENTRAL_UNIT,
    EK.STATIONED_PROVINCIAL_UNIT,
}
STATIONED = {EK.STATIONED_CENTRAL_UNIT, EK.STATIONED_PROVINCIAL_UNIT}
NON_PUBLIC = {
    EK.PRIVATE_ENTERPRISE,
    EK.INDIVIDUAL_BUSINESS,
    EK.SOCIAL_ORGANISATION,
    EK.FREELANCER,
    EK.FLEXIBLE_EMPLOYMENT,
}
NO_UNIT = {EK.FREELANCER, EK.FLEXIBLE_EMPLOYMENT}
TL = E.TitleLevel
COUNTY_LEVELS = {TL.CLERK, TL.ASSISTANT, TL.INTERMEDIATE}
ONLINE_LEVELS = {TL.ASSOCIATE_SENIOR, TL.SENIOR}
KEY_WORK_SERIES = {E.TitleSeries.SCHOOL_TEACHER, E.TitleSeries.HEALTH}
EVIDENCE_EMPLOYED = {E.ServiceEvidence.parse("人事关系合同"), E.ServiceEvidence.parse("聘书")}
EVIDENCE_NON_PUBLIC = {E.ServiceEvidence.parse("劳动合同"), E.ServiceEvidence.parse("社保缴费证明")}
AR = E.ApplicationRoute
VACANT = AR.parse("空岗申报")
SPECIAL_TALENT = AR.parse("特殊人才评审")
NO_POST = AR.parse("不占岗位申报")
TRANSFER = AR.parse("转评申报")
PUBLIC_INSTITUTION = EK.PUBLIC_INSTITUTION
PARTY_SANCTION = E.SanctionSystem.parse("党纪处分")
DEMERIT = E.SanctionSeverity.parse("记过")
QUALIFICATION = E.TitleAcquisition.parse("职业资格对应")
COMPETENT = E.AssessmentGrade.parse("合格")
CADRE = E.PersonnelIdentity.parse("干部")
WORKER = E.PersonnelIdentity.parse("工人")


# ---------------------------------------------------------------- three-valued helpers


def k_and(*values: K) -> K:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def k_or(*values: K) -> K:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def k_not(value: K) -> K:
    return None if value is None else not value


def cmp(a: Any, b: Any, op: str) -> K:
    """A comparison; None if either side is unknown; ranked terms compare by rank."""
    if a is None or b is None:
        return None
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    ra, rb = getattr(a, "rank", a), getattr(b, "rank", b)
    if ra is None or rb is None:
        return False
    if op == "<=":
        return ra <= rb
    if op == "<":
        return ra < rb
    if op == ">=":
        return ra >= rb
    return ra > rb


def k_in(value: Any, options: set[Any]) -> K:
    return None if value is None else value in options


def k_any(items: Iterable[Any] | None, test: Callable[[Any], K]) -> K:
    if items is None:
        return None
    results = [test(item) for item in items]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def k_all(items: Iterable[Any] | None, test: Callable[[Any], K]) -> K:
    if items is None:
        return None
    results = [test(item) for item in items]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def k_where(items: list[Any] | None, test: Callable[[Any], K]) -> list[Any] | None:
    if items is None:
        return None
    results = [test(item) for item in items]
    if any(r is None for r in results):
        return None
    return [item for item, r in zip(items, results, strict=True) if r]


def attr(obj: Any, name: str) -> Any:
    return None if obj is None else getattr(obj, name)


def outcome(applies: K, violation: K, exceptions: tuple[K, ...] = ()) -> str:
    if applies is False:
        return "not_applicable"
    if violation is False or any(e is True for e in exceptions):
        return "passed"
    if violation is True and applies is True and all(e is not None for e in exceptions):
        return "failed"
    return "unknown"


def require(applies: K, *required: K, unless: tuple[K, ...] = ()) -> str:
    return outcome(applies, k_not(k_and(*required)), unless)


# ---------------------------------------------------------------- calendar facts


def retirement(birth: Any, gender: Any, category: Any) -> dt.date | None:
    if birth is None or gender is None:
        return None
    if category is None:
        if gender.value != "male":
            return None
    try:
        return cal.retirement_date(
            birth, gender.value, None if category is None else category.value
        )
    except TitleRulesError:
        return None


def sanction_end(start: dt.date, severity: Any) -> dt.date | None:
    term = getattr(severity, "zh", None) or severity.value
    for system in ("institution", "administrative", "party"):
        try:
            end = cal.sanction_end(start, term, system)
        except TitleRulesError:
            continue
        return end if end is not None else dt.date.max
    return None


# ---------------------------------------------------------------- the rules


def decide(a: Any) -> tuple[str, list[str], list[str]]:
    """(decision, failed rule ids, unknown rule ids) of one applicant."""
    p, e, app = a.person, a.employment, a.application
    kind = attr(e, "employer_kind")
    level = attr(app, "level")
    as_of = attr(app, "submitted_on")
    day = attr(app, "meeting_date") or as_of
    titles = a.titles

    if titles is None or not titles or any(t.level is None for t in titles):
        highest = None
    else:
        highest = max((t.level for t in titles), key=lambda m: m.rank)

    def promotion_to(lvl: Any) -> K:
        return k_or(None if titles is None else len(titles) == 0, cmp(lvl, highest, ">"))

    same_year = k_where(a.other_applications, lambda o: cmp(o.year, attr(app, "year"), "=="))
    letter = attr(e, "delegation_letter")
    delayed = attr(e, "delayed_retirement")
    debrief, publicity = a.unit_debrief, a.unit_publicity
    unit_rule = k_not(k_in(kind, NO_UNIT))

    def retired_or_of_age(on: Any) -> K:
        birth, gender = attr(p, "birth_date"), attr(p, "gender")
        cadre = retirement(birth, gender, CADRE)
        worker = retirement(birth, gender, WORKER)
        own = retirement(birth, gender, attr(e, "identity"))
        reached = k_or(cmp(cadre, on, "<="), k_and(cmp(worker, on, "<="), cmp(own, on, "<=")))
        return k_or(attr(e, "retired"), reached)

    def delayed_in_force(on: Any) -> K:
        return k_and(
            attr(delayed, "approved"),
            cmp(attr(delayed, "start"), on, "<="),
            cmp(on, attr(delayed, "end"), "<="),
        )

    def sanction_in_force(s: Any, on: Any) -> K:
        end = s.end
        if end is None:
            end = (
                None if s.start is None or s.severity is None else sanction_end(s.start, s.severity)
            )
        lifted = True if s.lifted_on is None else cmp(on, s.lifted_on, "<")
        return k_and(cmp(s.start, on, "<="), cmp(on, end, "<="), lifted)

    def counted(period: Any) -> K:
        return cmp(period.start, CUTOFF, "<=")

    def qualification_titles(t: Any) -> K:
        return k_and(cmp(t.level, highest, "=="), cmp(t.how, QUALIFICATION, "=="))

    promotion = promotion_to(level)
    unit_publicity_days = (
        None
        if attr(publicity, "start") is None or attr(publicity, "end") is None
        else cal.working_days_between(publicity.start, publicity.end)
    )
    votes, attendees = attr(debrief, "yes_votes"), attr(debrief, "attendees")
    service = a.service

    def key_work(period: Any) -> K:
        return k_or(period.rural_revitalisation, period.erhai_protection)

    def years_assessed(period: Any) -> Callable[[Any], K]:
        first = None if period.start is None else period.start.year
        last = (period.end or CUTOFF).year
        return lambda x: k_and(cmp(x.year, first, ">="), cmp(x.year, last, "<="))

    rules: dict[str, tuple[str, bool]] = {
        "in_scope_employer": (require(True, k_in(kind, IN_SCOPE)), True),
        "professional_technical_work": (
            require(True, attr(e, "professional_technical_work")),
            True,
        ),
        "stationed_unit_letter": (
            require(k_in(kind, STATIONED), cmp(attr(letter, "issued_on"), as_of, "<=")),
            True,
        ),
        "local_committee_for_local_series": (
            require(
                k_and(k_in(level, COUNTY_LEVELS), attr(app, "series_offered_locally")),
                attr(app, "local_committee"),
            ),
            True,
        ),
        "county_letter_for_other_series": (
            require(
                k_and(
                    k_in(level, COUNTY_LEVELS),
                    cmp(attr(app, "series_offered_locally"), False, "=="),
                ),
                cmp(attr(letter, "issued_by"), COUNTY_HR_BUREAU, "=="),
                cmp(attr(letter, "issued_on"), as_of, "<="),
            ),
            True,
        ),
        "second_promotion_in_year": (
            outcome(True, k_and(promotion, k_any(same_year, lambda o: promotion_to(o.level)))),
            True,
        ),
        "applied_to_two_committees": (
            outcome(
                True, k_any(same_year, lambda o: cmp(o.committee, attr(app, "committee"), "!="))
            ),
            True,
        ),
        "concealed_title": (
            outcome(
                True,
                k_any(
                    titles,
                    lambda t: k_and(
                        cmp(t.disclosed, False, "=="),
                        k_or(
                            cmp(t.series, attr(app, "series"), "!="),
                            cmp(t.specialty, attr(app, "specialty"), "!="),
                        ),
                    ),
                ),
            ),
            True,
        ),
        "retired": (outcome(True, retired_or_of_age(day), (delayed_in_force(day),)), True),
        "civil_servant": (outcome(True, attr(e, "is_civil_servant")), True),
        "sanctioned_staff": (
            outcome(
                cmp(kind, PUBLIC_INSTITUTION, "=="),
                k_any(
                    a.sanctions,
                    lambda s: k_and(
                        cmp(s.system, PARTY_SANCTION, "!="),
                        cmp(s.severity, DEMERIT, ">="),
                        k_or(sanction_in_force(s, as_of), sanction_in_force(s, day)),
                    ),
                ),
            ),
            True,
        ),
        "vacant_post": (
            require(
                cmp(kind, PUBLIC_INSTITUTION, "=="),
                cmp(attr(app, "route"), VACANT, "=="),
                unless=(
                    cmp(attr(app, "route"), SPECIAL_TALENT, "=="),
                    k_and(
                        cmp(attr(app, "route"), NO_POST, "=="),
                        attr(app, "post_exemption_recognised"),
                    ),
                    cmp(attr(app, "route"), TRANSFER, "=="),
                ),
            ),
            True,
        ),
        "non_public_department_review": (
            require(k_in(kind, NON_PUBLIC), attr(app, "department_reviewed")),
            True,
        ),
        "continuing_education": (
            require(
                True,
                None if a.continuing_education is None else len(a.continuing_education) >= 1,
                k_all(a.continuing_education, lambda c: c.compliant),
            ),
            True,
        ),
        "transfer_unit_assessment": (
            require(
                cmp(attr(app, "route"), TRANSFER, "=="),
                attr(a.series_transfer, "unit_assessed_competent"),
            ),
            True,
        ),
        "transfer_to_current_post_series": (
            require(
                cmp(attr(app, "route"), TRANSFER, "=="),
                cmp(attr(app, "series"), attr(e, "post_series"), "=="),
            ),
            True,
        ),
        "transfer_same_level": (
            require(cmp(attr(app, "route"), TRANSFER, "=="), cmp(level, highest, "==")),
            True,
        ),
        "senior_post_reported": (
            require(
                k_and(cmp(level, TL.SENIOR, "=="), cmp(kind, PUBLIC_INSTITUTION, "==")),
                cmp(attr(app, "senior_post_reported_on"), SENIOR_POST_DEADLINE, "<="),
            ),
            True,
        ),
        "integrity_pledge": (require(True, attr(app, "pledge_signed")), True),
        "debrief_vote": (
            require(
                k_and(promotion, unit_rule),
                None if votes is None or attendees is None else votes >= DEBRIEF_SHARE * attendees,
            ),
            True,
        ),
        "debrief_secret_ballot": (
            require(k_and(promotion, unit_rule), attr(debrief, "secret_ballot")),
            True,
        ),
        "debrief_recorded": (
            require(k_and(promotion, unit_rule), attr(debrief, "recorded_in_form")),
            True,
        ),
        "unit_review": (require(unit_rule, attr(app, "unit_reviewed")), True),
        "unit_publicity_length": (
            require(unit_rule, None if unit_publicity_days is None else unit_publicity_days >= 5),
            True,
        ),
        "unit_publicity_no_objection": (
            require(
                unit_rule,
                k_or(
                    cmp(attr(publicity, "objections"), 0, "=="),
                    attr(publicity, "objections_resolved"),
                ),
            ),
            True,
        ),
        "department_review": (
            require(k_not(k_in(kind, NON_PUBLIC)), attr(app, "department_reviewed")),
            True,
        ),
        "qualification_basis_appointed": (
            require(
                k_and(promotion, k_any(titles, qualification_titles)),
                k_any(
                    k_where(titles, qualification_titles),
                    lambda t: cmp(t.appointed_on, as_of, "<="),
                ),
            ),
            False,
        ),
        "key_work_priority": (
            require(
                k_any(service, key_work),
                k_all(
                    k_where(service, key_work),
                    lambda s: k_any(a.assessments, years_assessed(s)),
                ),
                k_all(
                    k_where(service, key_work),
                    lambda s: k_all(
                        k_where(a.assessments, years_assessed(s)),
                        lambda x: cmp(x.grade, COMPETENT, ">="),
                    ),
                ),
            ),
            False,
        ),
        "service_evidence": (
            require(
                k_not(k_in(kind, NON_PUBLIC)),
                k_all(k_where(service, counted), lambda s: k_in(s.evidence, EVIDENCE_EMPLOYED)),
            ),
            True,
        ),
        "service_evidence_non_public": (
            require(
                k_in(kind, NON_PUBLIC),
                k_all(k_where(service, counted), lambda s: k_in(s.evidence, EVIDENCE_NON_PUBLIC)),
            ),
            True,
        ),
        "online_by_level": (
            require(
                True,
                cmp(attr(app, "online"), k_in(level, ONLINE_LEVELS), "=="),
                unless=(attr(app, "committee_self_run"),),
            ),
            True,
        ),
    }
    failed = [rule for rule, (result, _) in rules.items() if result == "failed"]
    unknown = [rule for rule, (result, _) in rules.items() if result == "unknown"]
    if any(rules[r][1] for r in failed):
        return "ineligible", failed, unknown
    if any(rules[r][1] for r in unknown):
        return "undetermined", failed, unknown
    return "eligible", failed, unknown
