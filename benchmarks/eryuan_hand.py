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
ONE_DAY = dt.timedelta(days=1)
SENIOR_POST_DEADLINE = dt.date(2024, 4, 30)
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
LABOUR_CONTRACT_EMPLOYERS = {EK.STATE_OWNED_ENTERPRISE}
# 组通字〔2015〕14号: public sector by kind, or by the record's own flag for the kinds that name
# a location (stationed units, other prefectures' units).
PUBLIC_SECTOR = {EK.PUBLIC_INSTITUTION, EK.GOVERNMENT_AGENCY, EK.PEOPLES_ORGANISATION}
PUBLIC_SECTOR_BY_NATURE = {
    EK.STATIONED_CENTRAL_UNIT,
    EK.STATIONED_PROVINCIAL_UNIT,
    EK.STATIONED_MILITARY_UNIT,
    EK.OTHER_PREFECTURE_UNIT,
}
TL = E.TitleLevel
COUNTY_LEVELS = {TL.CLERK, TL.ASSISTANT, TL.INTERMEDIATE}
ONLINE_LEVELS = {TL.ASSOCIATE_SENIOR, TL.SENIOR}
EVIDENCE_EMPLOYED = {E.ServiceEvidence.parse("人事关系合同"), E.ServiceEvidence.parse("聘书")}
EVIDENCE_NON_PUBLIC = {E.ServiceEvidence.parse("劳动合同"), E.ServiceEvidence.parse("社保缴费证明")}
LABOUR_CONTRACT = E.ServiceEvidence.parse("劳动合同")
AR = E.ApplicationRoute
VACANT = AR.parse("空岗申报")
SPECIAL_TALENT = AR.parse("特殊人才评审")
NO_POST = AR.parse("不占岗位申报")
TRANSFER = AR.parse("转评申报")
PUBLIC_INSTITUTION = EK.PUBLIC_INSTITUTION
ROLE = E.AuthorityRole
STATIONED_LETTER_ISSUERS = {ROLE.parse("驻地单位人事部门"), ROLE.parse("用人单位人事部门")}
COUNTY_HR = ROLE.parse("县级人力资源社会保障部门")
SS = E.SanctionSystem
STAFF_SANCTION_SYSTEMS = {SS.parse("政务处分"), SS.parse("行政处分"), SS.parse("事业单位处分")}
CRIMINAL = SS.parse("刑事处罚")
PARTY = SS.parse("党纪处分")
WARNING = E.SanctionSeverity.parse("警告")
DEMERIT = E.SanctionSeverity.parse("记过")
QUALIFICATION = E.TitleAcquisition.parse("职业资格对应")
COMPETENT = E.AssessmentGrade.parse("合格")
CADRE = E.PersonnelIdentity.parse("干部")
WORKER = E.PersonnelIdentity.parse("工人")
MALE = E.Gender.parse("男")
FEMALE = E.Gender.parse("女")
DEBRIEF_ASSEMBLIES = {E.AssemblyKind.parse("职工大会"), E.AssemblyKind.parse("职工代表大会")}


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


def retirement(birth: Any, gender: Any, category: Any, senior: K) -> dt.date | None:
    """The statutory retirement date (``retirement_date``): a man's depends on neither his
    identity nor 组通字〔2015〕14号; a woman's needs to know whether that notice covers her
    (``senior``) and, if it does not, her identity (干部/工人)."""
    if birth is None or gender is None:
        return None
    if gender is MALE:
        category, senior = None, False
    elif senior is None or (category is None and not senior):
        return None
    try:
        return cal.retirement_date(
            birth,
            gender.value,
            None if category is None else category.value,
            senior_professional=senior,
        )
    except TitleRulesError:
        return None


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` months on; the month's last day where it has no such day."""
    year, index = divmod(d.year * 12 + d.month - 1 + months, 12)
    last = (dt.date(year + 1, 1, 1) if index == 11 else dt.date(year, index + 2, 1)) - ONE_DAY
    return dt.date(year, index + 1, min(d.day, last.day))


def years_between(start: dt.date | None, end: dt.date | None, exact: bool) -> Any:
    """Years from start to end (``years_between``): whole calendar months, truncated towards
    zero, make whole years (floored); ``exact`` adds the days left over as a fraction of the
    following year."""
    if start is None or end is None:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if end >= start:
        if add_months(start, months) > end:
            months -= 1
    elif add_months(start, months) < end:
        months += 1
    whole = months // 12
    if not exact:
        return whole
    anchor = add_months(start, whole * 12)
    return whole + Fraction((end - anchor).days, (add_months(anchor, 12) - anchor).days)


def sanction_period_end(s: Any) -> dt.date | None:
    """The end of the 处分期: the record's own end, else the default period of its system's
    table (a party sanction by party_severity, a bare 警告 read as the party warning); none for
    a criminal penalty without its end; 开除 never ends."""
    if s.end is not None:
        return s.end
    system = s.system
    if system is None or system is CRIMINAL or s.start is None:
        return None
    if system is PARTY:
        kind = s.party_severity
        if kind is None:
            if s.severity is not WARNING:
                return None
            term = "警告"
        else:
            term = kind.zh
    else:
        if s.severity is None:
            return None
        term = s.severity.zh
    try:
        end = cal.sanction_end(s.start, term, system.value)
    except TitleRulesError:
        return None
    return dt.date.max if end is None else end


def sanction_in_force(s: Any, on: Any) -> K:
    """The day is inside the 处分期 and the sanction was not lifted before it."""
    lifted = True if s.lifted_on is None else cmp(on, s.lifted_on, "<")
    return k_and(cmp(s.start, on, "<="), cmp(on, sanction_period_end(s), "<="), lifted)


# ---------------------------------------------------------------- the rules


def decide(a: Any) -> tuple[str, list[str], list[str]]:
    """(decision, failed rule ids, unknown rule ids) of one applicant."""
    p, e, app = a.person, a.employment, a.application
    kind = attr(e, "employer_kind")
    level = attr(app, "level")
    as_of = attr(app, "submitted_on")  # the evaluation date: the submission date
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
    # held: false states that no debrief / no publicity took place; unstated, it did.
    debrief_held = attr(debrief, "held")
    debrief_held = True if debrief_held is None else debrief_held
    publicity_held = attr(publicity, "held")
    publicity_held = True if publicity_held is None else publicity_held

    # -------- retirement (common/retirement)
    birth, gender = attr(p, "birth_date"), attr(p, "gender")

    if kind is None:
        public_sector: K = None
    elif kind in PUBLIC_SECTOR:
        public_sector = True
    elif kind in PUBLIC_SECTOR_BY_NATURE:
        public_sector = attr(e, "public_sector_employer")
    else:
        public_sector = False
    senior_woman = k_and(
        cmp(gender, FEMALE, "=="),
        public_sector,
        k_any(titles, lambda t: cmp(t.level, TL.ASSOCIATE_SENIOR, ">=")),
    )

    def reached_retirement_age(on: Any) -> K:
        # A woman: of age once the latest possible date is reached (60, unless she is known
        # not to be covered by 组通字〔2015〕14号, then 干部), not before the earliest (工人).
        return k_or(
            cmp(retirement(birth, gender, CADRE, True), on, "<="),
            k_and(k_not(senior_woman), cmp(retirement(birth, gender, CADRE, False), on, "<=")),
            k_and(
                cmp(retirement(birth, gender, WORKER, False), on, "<="),
                cmp(retirement(birth, gender, attr(e, "identity"), senior_woman), on, "<="),
            ),
        )

    def retired_on_day(on: Any) -> K:
        retired_on = attr(e, "retired_on")
        return k_and(attr(e, "retired"), k_or(retired_on is None, cmp(retired_on, on, "<=")))

    def delayed_in_force(on: Any) -> K:
        return k_and(
            k_not(retired_on_day(on)),
            attr(delayed, "approved"),
            cmp(attr(delayed, "start"), on, "<="),
            cmp(on, attr(delayed, "end"), "<="),
        )

    # -------- other derived facts (common/applications)
    # The last day this application is pending: its meeting, else the end of its year.
    pending_until = attr(app, "meeting_date")
    if pending_until is None and attr(app, "year") is not None:
        pending_until = dt.date(app.year, 12, 31)

    def concurrent_elsewhere(o: Any) -> K:
        # Not concluded before this one was submitted, submitted while this one is pending.
        concluded = pending_until if o.concluded_on is None else o.concluded_on
        return k_and(
            cmp(o.committee, attr(app, "committee"), "!="),
            cmp(concluded, attr(app, "submitted_on"), ">="),
            cmp(o.submitted_on, pending_until, "<="),
        )

    def qualification_titles(t: Any) -> K:
        return k_and(cmp(t.level, highest, "=="), cmp(t.how, QUALIFICATION, "=="))

    promotion = promotion_to(level)
    debriefs = k_and(promotion, unit_rule)
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

    def before_cutoff(period: Any) -> K:
        return cmp(period.start, CUTOFF, "<=")

    def period_proved(period: Any) -> K:
        # By the kind of the period's own employer, else the current one.
        employer = kind if period.employer_kind is None else period.employer_kind
        if employer is None:
            return None
        if employer in NON_PUBLIC:
            return k_in(period.evidence, EVIDENCE_NON_PUBLIC)
        return k_or(
            k_in(period.evidence, EVIDENCE_EMPLOYED),
            k_and(
                employer in LABOUR_CONTRACT_EMPLOYERS,
                cmp(period.evidence, LABOUR_CONTRACT, "=="),
            ),
        )

    def counted(period: Any) -> K:
        return k_and(before_cutoff(period), period_proved(period))

    def counted_years(period: Any) -> Any:
        # Up to the cutoff, the last day of the period (or the cutoff) counted.
        end = CUTOFF if period.end is None else min(period.end, CUTOFF)
        return years_between(period.start, end + ONE_DAY, True)

    def professional_service_years() -> Any:
        periods = k_where(service, lambda s: k_and(counted(s), s.professional_technical))
        if periods is None:
            return None
        years = [counted_years(s) for s in periods]
        return None if any(y is None for y in years) else sum(years)

    def tenure_years_at_cutoff() -> Any:
        # From the earliest title at the highest level held, the cutoff day counted.
        if highest is None:
            return None
        since = [t.obtained_on for t in titles if t.level is highest]
        if any(d is None for d in since):
            return None
        return years_between(min(since), CUTOFF + ONE_DAY, False)

    # A stated requirement of 0 years is met whatever the years; an unstated one is unknown
    # whatever they are: the years are counted only against a stated number above 0.
    required_work = attr(app, "required_work_years")
    if required_work is None or required_work == 0:
        work_years_met: K = None if required_work is None else True
    else:
        work_years_met = cmp(professional_service_years(), required_work, ">=")
    required_tenure = attr(app, "required_tenure_years")
    if required_tenure is None or required_tenure == 0:
        tenure_years_met: K = None if required_tenure is None else True
    else:
        tenure_years_met = k_and(
            None if titles is None else len(titles) >= 1,
            cmp(tenure_years_at_cutoff(), required_tenure, ">="),
        )

    rules: dict[str, tuple[str, bool]] = {
        "in_scope_employer": (require(True, k_in(kind, IN_SCOPE)), True),
        "works_in_county": (require(True, attr(e, "in_jurisdiction")), True),
        "professional_technical_work": (
            require(True, attr(e, "professional_technical_work")),
            True,
        ),
        "stationed_unit_letter": (
            require(
                k_in(kind, STATIONED),
                attr(letter, "issued"),
                k_in(attr(letter, "issuer_role"), STATIONED_LETTER_ISSUERS),
                cmp(attr(letter, "issued_on"), as_of, "<="),
            ),
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
                attr(letter, "issued"),
                cmp(attr(letter, "issuer_role"), COUNTY_HR, "=="),
                cmp(attr(letter, "issued_on"), as_of, "<="),
            ),
            True,
        ),
        "second_promotion_in_year": (
            outcome(True, k_and(promotion, k_any(same_year, lambda o: promotion_to(o.level)))),
            True,
        ),
        "applied_to_two_committees": (outcome(True, k_any(same_year, concurrent_elsewhere)), True),
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
        "retired": (
            outcome(
                True,
                k_or(retired_on_day(day), reached_retirement_age(day)),
                (delayed_in_force(day),),
            ),
            True,
        ),
        "civil_servant": (
            outcome(True, k_or(attr(e, "is_civil_servant"), attr(e, "is_civil_servant_managed"))),
            True,
        ),
        "sanctioned_staff": (
            outcome(
                k_or(
                    cmp(kind, PUBLIC_INSTITUTION, "=="),
                    k_and(k_in(kind, STATIONED), attr(e, "public_sector_employer")),
                ),
                k_any(
                    a.sanctions,
                    lambda s: k_and(
                        k_in(s.system, STAFF_SANCTION_SYSTEMS),
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
        "service_years_at_cutoff": (require(promotion, work_years_met, tenure_years_met), True),
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
        "debrief_at_staff_assembly": (
            require(
                debriefs,
                debrief_held,
                k_in(attr(debrief, "assembly_kind"), DEBRIEF_ASSEMBLIES),
            ),
            True,
        ),
        "debrief_vote": (
            require(
                debriefs,
                debrief_held,
                None if votes is None or attendees is None else votes >= DEBRIEF_SHARE * attendees,
            ),
            True,
        ),
        "debrief_secret_ballot": (
            require(debriefs, debrief_held, attr(debrief, "secret_ballot")),
            True,
        ),
        "debrief_recorded": (
            require(debriefs, debrief_held, attr(debrief, "recorded_in_form")),
            True,
        ),
        "unit_review": (require(unit_rule, attr(app, "unit_reviewed")), True),
        "unit_publicity_length": (
            require(
                unit_rule,
                publicity_held,
                None if unit_publicity_days is None else unit_publicity_days >= 5,
            ),
            True,
        ),
        "unit_publicity_no_objection": (
            require(
                unit_rule,
                publicity_held,
                k_or(
                    cmp(attr(publicity, "objections"), 0, "=="),
                    attr(publicity, "objections_resolved"),
                ),
            ),
            True,
        ),
        "unit_publicity_before_submission": (
            require(
                unit_rule,
                publicity_held,
                cmp(attr(publicity, "end"), attr(app, "submitted_on"), "<"),
                cmp(attr(publicity, "end"), day, "<"),
            ),
            True,
        ),
        "debrief_before_unit_publicity": (
            require(
                debriefs,
                debrief_held,
                publicity_held,
                cmp(attr(debrief, "held_on"), attr(publicity, "start"), "<="),
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
            require(True, k_all(k_where(service, before_cutoff), period_proved)),
            False,
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
