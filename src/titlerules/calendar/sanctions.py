"""Default effect periods of sanctions (calendar layer: pure, knows nothing of policies).

How long a sanction (处分) affects a person, by disciplinary system, as data with the legal
source of every entry. A policy may set its own periods; ``overrides`` maps a kind to
months (``None`` for permanent) and wins over the table.

Systems:

* ``institution`` -- 事业单位工作人员处分规定 (中共中央组织部、人力资源社会保障部, 2023):
  处分的期间为警告六个月、记过十二个月、降低岗位等级二十四个月; 开除 ends the employment.
* ``administrative`` -- 中华人民共和国公职人员政务处分法 (2020) 第七条 (kinds) and 第八条
  (periods): 警告六个月、记过十二个月、记大过十八个月、降级和撤职二十四个月; 开除 is final.
* ``party`` -- 中国共产党纪律处分条例 (2023年修订) 第十条: no promotion for one year after
  警告 and eighteen months after 严重警告; two years after 撤销党内职务; 留党察看 lasts one or
  two years and is followed by two years without a comparable post; 开除党籍 is final (no
  readmission for five years).

Periods end on the corresponding day of the end month (民法典 第二百零一条、第二百零二条):
a warning effective 2024-03-15 ends 2024-09-15, and has no effect from 2024-09-16.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from titlerules.argcheck import checked
from titlerules.calendar._dates import add_months, check_date
from titlerules.errors import CalendarError, UsageError


class SanctionSystem(StrEnum):
    INSTITUTION = "institution"  # 事业单位工作人员处分
    ADMINISTRATIVE = "administrative"  # 政务处分
    PARTY = "party"  # 党纪处分


@dataclass(frozen=True, slots=True)
class SanctionRule:
    """One sanction kind's default effect period. ``months is None`` means permanent."""

    system: SanctionSystem
    kind: str
    months: int | None
    source: str
    note: str = ""

    @property
    def permanent(self) -> bool:
        return self.months is None


_INSTITUTION_SOURCE = "事业单位工作人员处分规定（2023年）: 处分的期间"
_ADMINISTRATIVE_SOURCE = "中华人民共和国公职人员政务处分法 第八条"
_PARTY_SOURCE = "中国共产党纪律处分条例（2023年修订）"

SANCTION_RULES: tuple[SanctionRule, ...] = (
    SanctionRule(SanctionSystem.INSTITUTION, "警告", 6, _INSTITUTION_SOURCE),
    SanctionRule(SanctionSystem.INSTITUTION, "记过", 12, _INSTITUTION_SOURCE),
    SanctionRule(SanctionSystem.INSTITUTION, "降低岗位等级", 24, _INSTITUTION_SOURCE),
    SanctionRule(
        SanctionSystem.INSTITUTION,
        "开除",
        None,
        "事业单位工作人员处分规定（2023年）: 开除",
        "ends the employment relationship (人事关系) from the decision's effective date",
    ),
    SanctionRule(SanctionSystem.ADMINISTRATIVE, "警告", 6, _ADMINISTRATIVE_SOURCE),
    SanctionRule(SanctionSystem.ADMINISTRATIVE, "记过", 12, _ADMINISTRATIVE_SOURCE),
    SanctionRule(SanctionSystem.ADMINISTRATIVE, "记大过", 18, _ADMINISTRATIVE_SOURCE),
    SanctionRule(SanctionSystem.ADMINISTRATIVE, "降级", 24, _ADMINISTRATIVE_SOURCE),
    SanctionRule(SanctionSystem.ADMINISTRATIVE, "撤职", 24, _ADMINISTRATIVE_SOURCE),
    SanctionRule(
        SanctionSystem.ADMINISTRATIVE,
        "开除",
        None,
        "中华人民共和国公职人员政务处分法 第七条",
        "dismissal has no period",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "警告",
        12,
        f"{_PARTY_SOURCE} 第十条",
        "一年内不得在党内提拔职务或者进一步使用",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "严重警告",
        18,
        f"{_PARTY_SOURCE} 第十条",
        "一年半内不得在党内提拔职务或者进一步使用",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "撤销党内职务",
        24,
        _PARTY_SOURCE,
        "二年内不得在党内担任与其原任职务相当或者高于其原任职务的职务",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "留党察看一年",
        36,
        _PARTY_SOURCE,
        "one year of probation, then two years without a comparable post after rights are restored",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "留党察看二年",
        48,
        _PARTY_SOURCE,
        "two years of probation, then two years without a comparable post after rights are "
        "restored",
    ),
    SanctionRule(
        SanctionSystem.PARTY,
        "开除党籍",
        None,
        _PARTY_SOURCE,
        "五年内不得重新入党; the sanction itself does not expire",
    ),
)

_SYSTEM_ALIASES = {
    "institution": SanctionSystem.INSTITUTION,
    "事业单位": SanctionSystem.INSTITUTION,
    "事业单位处分": SanctionSystem.INSTITUTION,
    "事业单位工作人员处分": SanctionSystem.INSTITUTION,
    "public_institution": SanctionSystem.INSTITUTION,
    "administrative": SanctionSystem.ADMINISTRATIVE,
    "政务处分": SanctionSystem.ADMINISTRATIVE,
    "政务": SanctionSystem.ADMINISTRATIVE,
    "government": SanctionSystem.ADMINISTRATIVE,
    # 行政处分 (行政机关公务员处分条例, 2007, 第六条、第七条) has the same kinds and periods as
    # 政务处分 (警告六个月、记过十二个月、记大过十八个月、降级和撤职二十四个月).
    "行政处分": SanctionSystem.ADMINISTRATIVE,
    "party": SanctionSystem.PARTY,
    "党纪": SanctionSystem.PARTY,
    "党纪处分": SanctionSystem.PARTY,
}

_KIND_ALIASES: dict[SanctionSystem, dict[str, str]] = {
    SanctionSystem.INSTITUTION: {
        "warning": "警告",
        "demerit": "记过",
        "post_demotion": "降低岗位等级",
        "demotion": "降低岗位等级",
        "dismissal": "开除",
        "expulsion": "开除",
    },
    SanctionSystem.ADMINISTRATIVE: {
        "warning": "警告",
        "demerit": "记过",
        "major_demerit": "记大过",
        "demotion": "降级",
        "removal_from_post": "撤职",
        "dismissal_from_post": "撤职",
        "dismissal": "开除",
        "expulsion": "开除",
    },
    SanctionSystem.PARTY: {
        "warning": "警告",
        "serious_warning": "严重警告",
        "removal_from_party_posts": "撤销党内职务",
        "removal_from_party_post": "撤销党内职务",
        "probation_1y": "留党察看一年",
        "probation_one_year": "留党察看一年",
        "probation_2y": "留党察看二年",
        "probation_two_years": "留党察看二年",
        "expulsion_from_party": "开除党籍",
        "expulsion": "开除党籍",
        "党内警告": "警告",
        "party_warning": "警告",
        "党内严重警告": "严重警告",
    },
}

_RULES: dict[tuple[SanctionSystem, str], SanctionRule] = {
    (rule.system, rule.kind): rule for rule in SANCTION_RULES
}


def parse_system(system: SanctionSystem | str) -> SanctionSystem:
    """``system`` as a :class:`SanctionSystem` (English or Chinese name, or the record
    vocabulary's: 事业单位处分, 政务处分, 行政处分, 党纪处分)."""
    text = str(getattr(system, "value", system)).strip().lower()
    found = _SYSTEM_ALIASES.get(text)
    if found is None and text in ("criminal", "刑事处罚"):
        raise CalendarError(
            "a criminal penalty has no default period: its period is the sentence",
            hint="state the sentence's end date (刑期截止日)",
        )
    if found is None:
        raise UsageError(
            f"unknown sanction system {system!r}",
            hint="use institution (事业单位), administrative (政务处分) or party (党纪)",
        )
    return found


@checked
def sanction_kind(kind: str, system: SanctionSystem | str = SanctionSystem.INSTITUTION) -> str:
    """The Chinese name of sanction ``kind`` in ``system`` (accepts English aliases)."""
    sys_ = parse_system(system)
    text = str(kind).strip()
    if (sys_, text) in _RULES:
        return text
    alias = _KIND_ALIASES[sys_].get(text.lower().replace("-", "_").replace(" ", "_"))
    if alias is not None:
        return alias
    if sys_ is SanctionSystem.PARTY and text in ("留党察看", "probation"):
        raise CalendarError(
            "留党察看 lasts one or two years, as the decision says",
            hint="use 留党察看一年 (probation_1y) or 留党察看二年 (probation_2y)",
        )
    known = [rule.kind for rule in SANCTION_RULES if rule.system is sys_]
    other = [rule.system.value for rule in SANCTION_RULES if rule.kind == text]
    hint = f"known kinds in {sys_.value}: {', '.join(known)}"
    if other:
        hint = f"{text} belongs to system {other[0]!r}; " + hint
    raise UsageError(f"unknown sanction kind {kind!r} in system {sys_.value!r}", hint=hint)


@checked
def sanction_rule(
    kind: str, system: SanctionSystem | str = SanctionSystem.INSTITUTION
) -> SanctionRule:
    """The table entry (period, source, note) for ``kind`` in ``system``."""
    sys_ = parse_system(system)
    return _RULES[(sys_, sanction_kind(kind, sys_))]


@checked
def sanction_effect_months(
    kind: str,
    system: SanctionSystem | str = SanctionSystem.INSTITUTION,
    overrides: Mapping[str, int | None] | None = None,
) -> int | None:
    """Months a sanction of ``kind`` has effect in ``system``; ``None`` when permanent.

    ``overrides`` maps kinds (Chinese names or aliases) to months and wins over the table,
    e.g. ``{"警告": 12}`` for a policy that counts warnings for a year.
    """
    sys_ = parse_system(system)
    if overrides:
        for key, months in overrides.items():
            if key == kind or sanction_kind(key, sys_) == sanction_kind(kind, sys_):
                if months is not None and (
                    isinstance(months, bool) or not isinstance(months, int) or months < 0
                ):
                    raise UsageError(
                        f"override for {key!r} must be a number of months or None, not {months!r}"
                    )
                return months
    return sanction_rule(kind, sys_).months


@checked
def sanction_end(
    start: date,
    kind: str,
    system: SanctionSystem | str = SanctionSystem.INSTITUTION,
    overrides: Mapping[str, int | None] | None = None,
) -> date | None:
    """The last day a sanction effective on ``start`` has effect; ``None`` when permanent.

    The period ends on the corresponding day of the end month, the last day of that month
    when there is no such day (民法典 第二百零二条): 警告 from 2024-03-15 ends 2024-09-15.
    """
    start = check_date(start, "start")
    months = sanction_effect_months(kind, system, overrides)
    return None if months is None else add_months(start, months)
