"""Statutory retirement age and date (calendar layer: pure, knows nothing of policies).

Before 2025 the statutory retirement age (法定退休年龄) was 60 for men, 55 for women cadres
(女干部) and 50 for women workers (女工人). From 2025-01-01 it rises month by month:

* 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13), and its
  annex 国务院关于渐进式延迟法定退休年龄的办法, 第二条:
  - original age 60 (men): one month later for every four months of birth, up to 63;
  - original age 55 (women cadres): one month later for every four months, up to 58;
  - original age 50 (women workers): one month later for every two months, up to 55.

Women holding a senior title (具有高级职称的女性专业技术人员) in 党政机关, 人民团体 and 事业单位
retire at 60 (中共中央组织部 人力资源社会保障部《关于机关事业单位县处级女干部和具有高级职称的
女性专业技术人员退休年龄问题的通知》, 组通字〔2015〕14号: "年满60周岁退休"; "如本人申请，可以在
年满55周岁时自愿退休" -- a retirement actually taken, which records state as such, not a
statutory age). Under the reform the 办法 第二条 names only 男职工 and the women whose original
age is 55 or 50 and adds "国家另有规定的，从其规定". No provision giving these women a schedule
of their own is applied here; their schedule is a documented reading, flagged on the result
(:data:`SENIOR_WOMEN_READING`): original age 60, delayed as the 办法 delays the original age 60
(men's schedule, up to 63). The alternative reading (60 with no delay) is earlier by the
delay months for women born from 1965-01.

The first cohort is the one that would have retired in January 2025 under the old age
(men born in January 1965, women cadres born in January 1970, women workers born in January
1975); its delay is one month. The annex's tables (附件1-3) follow from the rule: a man born
in 1965-01..1965-04 retires at 60 years 1 month, one born 1965-05..1965-08 at 60 years 2
months, and so on until the cap of 63 years from birth month 1976-09.

The retirement date returned is the date the person reaches that age: birth date plus the
age in years and months, with the day clamped to the end of a shorter month (a 31st birthday
in a 30-day month becomes the 30th). Retirement takes effect in that month. Flexible early or
late retirement (弹性退休, 办法 第三条) is an individual choice and is not modelled.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from functools import lru_cache

from titlerules.argcheck import checked
from titlerules.calendar._dates import add_months, check_date
from titlerules.errors import CalendarError, UsageError

SENIOR_WOMEN_RULE = (
    "中共中央组织部 人力资源社会保障部《关于机关事业单位县处级女干部和"
    "具有高级职称的女性专业技术人员退休年龄问题的通知》（组通字〔2015〕14号）: "
    "具有高级职称的女性专业技术人员年满60周岁退休"
)
SENIOR_WOMEN_READING = (
    "documented reading: 办法 第二条 delays the original ages 60 (男职工), 55 and 50 and says "
    '"国家另有规定的，从其规定"; for women retiring at 60 under 组通字〔2015〕14号 the original '
    "age 60 is delayed on the 60-year schedule (one month per four months of birth from 1965-01, "
    "up to 63); alternative considered: 60 with no delay"
)
REFORM_DECISION = (
    "全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日）"
    "及附件《国务院关于渐进式延迟法定退休年龄的办法》第二条"
)
PRE_REFORM_RULE = (
    "国务院关于安置老弱病残干部的暂行办法、国务院关于工人退休、退职的暂行办法"
    "（国发〔1978〕104号）: 男60周岁，女干部55周岁，女工人50周岁"
)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class StaffCategory(StrEnum):
    """Whether a woman retires under the cadre (干部) or the worker (工人) rule."""

    CADRE = "cadre"
    WORKER = "worker"


_GENDER_ALIASES = {
    "male": Gender.MALE,
    "m": Gender.MALE,
    "man": Gender.MALE,
    "男": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "女": Gender.FEMALE,
}
_CATEGORY_ALIASES = {
    "cadre": StaffCategory.CADRE,
    "干部": StaffCategory.CADRE,
    "worker": StaffCategory.WORKER,
    "工人": StaffCategory.WORKER,
}


@dataclass(frozen=True, slots=True)
class _Scheme:
    original_years: int
    first_cohort: tuple[int, int]  # (year, month) of the first birth month delayed
    months_per_step: int
    max_delay_months: int


_MEN = _Scheme(60, (1965, 1), 4, 36)
_WOMEN_CADRES = _Scheme(55, (1970, 1), 4, 36)
_WOMEN_WORKERS = _Scheme(50, (1975, 1), 2, 60)
# 组通字〔2015〕14号: original age 60; its delay is a documented reading (SENIOR_WOMEN_READING).
_SENIOR_WOMEN = _Scheme(60, (1965, 1), 4, 36)


@dataclass(frozen=True, slots=True)
class Retirement:
    """A statutory retirement: the age reached and the date it is reached."""

    birth: date
    gender: Gender
    category: StaffCategory | None
    original_age_years: int
    delay_months: int
    age_years: int
    age_months: int
    date: date
    citation: str
    # True for a woman retiring under 组通字〔2015〕14号 (senior title, public sector).
    senior_professional: bool = False
    # Set when the age rests on a documented reading rather than a provision (see module doc).
    reading: str | None = None


def _normalise(
    value: object, aliases: dict[str, Gender] | dict[str, StaffCategory], argument: str
) -> Gender | StaffCategory:
    text = value.value if isinstance(value, Enum) else value
    if isinstance(text, str):
        found = aliases.get(text.strip().lower())
        if found is not None:
            return found
    choices = " or ".join(sorted({str(v) for v in aliases.values()}))
    raise UsageError(f"unknown {argument} {value!r}", hint=f"use {choices}")


def parse_gender(value: Gender | str) -> Gender:
    """``value`` as a :class:`Gender` (accepts male/female, m/f, 男/女, or an enum)."""
    result = _normalise(value, _GENDER_ALIASES, "gender")
    assert isinstance(result, Gender)
    return result


def parse_category(value: StaffCategory | str) -> StaffCategory:
    """``value`` as a :class:`StaffCategory` (accepts cadre/worker, 干部/工人, or an enum)."""
    result = _normalise(value, _CATEGORY_ALIASES, "category")
    assert isinstance(result, StaffCategory)
    return result


@checked
def retirement(
    birth: date,
    gender: Gender | str,
    category: StaffCategory | str | None = None,
    *,
    senior_professional: bool = False,
) -> Retirement:
    """The statutory retirement of a person born on ``birth``.

    ``category`` is required for women (cadre 55 / worker 50 before the reform) and
    ignored for men. ``senior_professional`` is true for a woman holding a senior title
    (副高级 or 正高级) in a 党政机关, 人民团体 or 事业单位 (组通字〔2015〕14号: 60); her
    category is then not needed. Ignored for men.
    """
    birth = check_date(birth, "birth")
    sex = parse_gender(gender)
    staff: StaffCategory | None = None
    senior = False
    if sex is Gender.MALE:
        scheme = _MEN
    elif senior_professional:
        scheme = _SENIOR_WOMEN
        senior = True
        if category is not None:
            staff = parse_category(category)
    else:
        if category is None:
            raise UsageError(
                "a woman's retirement age depends on her category",
                hint="pass category='cadre' (干部, 55 before 2025) or 'worker' (工人, 50)",
            )
        staff = parse_category(category)
        scheme = _WOMEN_CADRES if staff is StaffCategory.CADRE else _WOMEN_WORKERS
    months_after_first = (birth.year - scheme.first_cohort[0]) * 12 + (
        birth.month - scheme.first_cohort[1]
    )
    reading: str | None = None
    if months_after_first < 0:
        delay = 0
        citation = SENIOR_WOMEN_RULE if senior else PRE_REFORM_RULE
    else:
        delay = min(months_after_first // scheme.months_per_step + 1, scheme.max_delay_months)
        citation = f"{SENIOR_WOMEN_RULE}; {REFORM_DECISION}" if senior else REFORM_DECISION
        if senior:
            reading = SENIOR_WOMEN_READING
    total_months = scheme.original_years * 12 + delay
    try:
        retires = add_months(birth, total_months)
    except ValueError:  # the retirement would fall after 9999-12-31, the last date there is
        raise CalendarError(
            f"a person born on {birth.isoformat()} would retire after {date.max.isoformat()}, "
            "the last date there is",
            hint="check the date of birth (YYYY-MM-DD)",
        ) from None
    return Retirement(
        birth=birth,
        gender=sex,
        category=staff,
        original_age_years=scheme.original_years,
        delay_months=delay,
        age_years=total_months // 12,
        age_months=total_months % 12,
        date=retires,
        citation=citation,
        senior_professional=senior,
        reading=reading,
    )


@checked
def retirement_age(
    birth: date,
    gender: Gender | str,
    category: StaffCategory | str | None = None,
    *,
    senior_professional: bool = False,
) -> tuple[int, int]:
    """The statutory retirement age as (years, months), e.g. ``(60, 1)``."""
    result = retirement(birth, gender, category, senior_professional=senior_professional)
    return result.age_years, result.age_months


@checked
def retirement_date(
    birth: date,
    gender: Gender | str,
    category: StaffCategory | str | None = None,
    *,
    senior_professional: bool = False,
) -> date:
    """The date the statutory retirement age is reached (see the module docstring)."""
    return retirement(birth, gender, category, senior_professional=senior_professional).date


@lru_cache(maxsize=4096)
def known_retirement_date(
    birth: date, gender: str, category: str | None, senior_professional: bool
) -> date:
    """:func:`retirement_date` for arguments a caller has already checked (a date and the
    terms as text), remembered: the engine asks it for every record, and a county's
    applicants share their birth months.  Raises as :func:`retirement_date` does."""
    found: Retirement = _unchecked_retirement(
        birth, gender, category, senior_professional=senior_professional
    )
    return found.date


# retirement() without its argument check (for known_retirement_date's checked arguments).
_unchecked_retirement = inspect.unwrap(retirement)
