"""facts layer: pydantic record models, pure, no DSL knowledge.

The applicant record: one application by one person, with every fact the notices ask about
(person, employment, titles held, this application, service, assessments, education,
continuing education, sanctions, investigations, credit records, ability tests,
achievements, unit debrief and unit publicity).

A fact the record does not state is ``None`` (unknown), never ``False``/``0``/``[]``:
a list that is ``None`` is unknown, an empty list is known to be empty.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from titlerules.facts.base import (
    Count,
    FactDate,
    FactModel,
    Flag,
    Hours,
    Text,
    Year,
    fact,
    required,
)
from titlerules.facts.enums import (
    AchievementKind,
    AdminLevel,
    ApplicationRoute,
    AssemblyKind,
    AssessmentGrade,
    AuthorityRole,
    CommitteeLevel,
    CreditReason,
    CreditRecordKind,
    CreditScope,
    EducationLevel,
    EmployerKind,
    FileCustodian,
    Gender,
    IdType,
    InvestigationKind,
    PartySeverity,
    PersonnelIdentity,
    PostCategory,
    PublicityChannel,
    PublicityKind,
    RecommenderRole,
    ResidenceStatus,
    SanctionSeverity,
    SanctionSystem,
    ServiceEvidence,
    SubmissionChannel,
    TitleAcquisition,
    TitleLevel,
    TitleSeries,
)
from titlerules.facts.idcard import IdNumberError, check_id_number, looks_like_id_number

__all__ = [
    "AbilityTest",
    "Achievement",
    "AnnualAssessment",
    "Applicant",
    "Application",
    "ContinuingEducation",
    "CreditRecord",
    "DelayedRetirement",
    "DelegationLetter",
    "Education",
    "Employment",
    "FailedApplication",
    "Investigation",
    "OtherApplication",
    "Person",
    "PublicityWindow",
    "Sanction",
    "SeriesTransfer",
    "ServicePeriod",
    "TitleHeld",
    "UnitDebrief",
    "checked_id_number",
    "field_error",
    "id_number_is_checked",
    "id_number_mismatch",
]

_CHECKED_ID_TYPES = (IdType.RESIDENT_ID_CARD, IdType.HMT_RESIDENCE_PERMIT)


def id_number_is_checked(id_type: IdType | None, id_number: str) -> bool:
    """Whether ``id_number`` is validated against GB 11643.

    It is for a 居民身份证 or a 港澳台居民居住证, and for a number of that shape whose type the
    record does not state.
    """
    if id_type is None:
        return looks_like_id_number(id_number)
    return id_type in _CHECKED_ID_TYPES


def checked_id_number(value: str | None, id_type: IdType | None) -> str | None:
    """``value`` normalised, or a validation error if it is a checked number and invalid."""
    if value is None or not id_number_is_checked(id_type, value):
        return value
    try:
        return check_id_number(value).number
    except IdNumberError as error:
        raise PydanticCustomError("id_number", "{reason}", {"reason": str(error)}) from None


def id_number_mismatch(
    id_type: IdType | None,
    id_number: str | None,
    birth_date: object,
    gender: Gender | None,
) -> str | None:
    """Why a (valid) identity number disagrees with the stated birth date or gender, if it does."""
    if id_number is None or not id_number_is_checked(id_type, id_number):
        return None
    try:
        info = check_id_number(id_number)
    except IdNumberError:
        return None
    problems: list[str] = []
    if birth_date is not None and info.birth_date != birth_date:
        problems.append(
            f"the number states birth date {info.birth_date.isoformat()}, "
            f"but birth_date is {birth_date}"
        )
    if gender is not None and (gender is Gender.MALE) != info.is_male:
        stated = "male (17th digit odd)" if info.is_male else "female (17th digit even)"
        problems.append(f"the number states {stated}, but gender is {gender.value}")
    return "; ".join(problems) or None


def field_error(field: str, message: str) -> PydanticCustomError:
    """A cross-field error that belongs to ``field`` (the loader appends it to the path)."""
    return PydanticCustomError(
        "fact_field", "{field}: {message}", {"field": field, "message": message}
    )


# --- person ---------------------------------------------------------------------------------


class Person(FactModel):
    """The applicant as a person (个人信息)."""

    LABEL_PREFIX: ClassVar[bool] = False

    name: Text | None = fact("姓名", "name")
    gender: Gender | None = fact("性别", "gender")
    birth_date: FactDate | None = fact("出生日期", "date of birth")
    id_type: IdType | None = fact("证件类型", "identity document type")
    id_number: Text | None = fact("证件号码", "identity document number")
    nationality: Text | None = fact("国籍", "nationality")
    residence_status: ResidenceStatus | None = fact("身份类别", "residence status")
    household_registration: Text | None = fact("户口所在地", "place of household registration")

    @field_validator("id_number")
    @classmethod
    def _check_id_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        id_type = info.data.get("id_type")
        return checked_id_number(value, id_type if isinstance(id_type, IdType) else None)

    @model_validator(mode="after")
    def _id_number_agrees(self) -> Self:
        problem = id_number_mismatch(self.id_type, self.id_number, self.birth_date, self.gender)
        if problem is not None:
            raise field_error("id_number", problem)
        return self


# --- employment -----------------------------------------------------------------------------


class DelayedRetirement(FactModel):
    """Approved delayed retirement (按规定批准延迟退休)."""

    LABEL_PREFIX: ClassVar[bool] = False

    approved: Flag | None = fact("是否经批准延迟退休", "delayed retirement approved as prescribed")
    approved_by: Text | None = fact(
        "延迟退休批准机关", "authority that approved the delayed retirement"
    )
    start: FactDate | None = fact("延迟退休起始日", "start of delayed retirement")
    end: FactDate | None = fact("延迟退休截止日", "end of delayed retirement")


class DelegationLetter(FactModel):
    """Letter delegating the evaluation to another jurisdiction (委托评审函/委托函).

    ``issued: false`` states that there is no letter (leaving the object out means unknown);
    ``issuer_role`` is what rules compare, ``issued_by`` the issuer's name as written.
    """

    issued: Flag | None = fact("是否已出具委托评审函", "delegation letter issued")
    issuer_role: AuthorityRole | None = fact("出具单位类别", "role of the issuing unit")
    issued_by: Text | None = fact("出具单位", "issuing unit")
    issued_on: FactDate | None = fact("出具日期", "date of issue")
    hr_approved: Flag | None = fact(
        "人社部门是否同意受理", "human resources department agreed to accept"
    )


class Employment(FactModel):
    """The applicant's current employment (工作单位与岗位)."""

    LABEL_PREFIX: ClassVar[bool] = False

    employer_name: Text | None = fact("工作单位", "employer")
    employer_kind: EmployerKind | None = fact("单位性质", "kind of employer")
    # A stationed unit or a unit of another prefecture answers by its own nature.
    public_sector_employer: Flag | None = fact(
        "单位是否为机关、事业单位或人民团体",
        "employer is a government organ, public institution or people's organisation",
    )
    employer_region: Text | None = fact("单位所在地", "location of the employer")
    employer_admin_level: AdminLevel | None = fact(
        "单位隶属层级（市属/县区属）", "administrative level of the employer"
    )
    in_jurisdiction: Flag | None = fact(
        "工作单位（自由职业者为执业地）是否在发文机关辖区内",
        "employer (a freelancer's place of practice) within the issuing authority's jurisdiction",
    )
    supervising_department: Text | None = fact("主管部门", "supervising department")
    is_civil_servant: Flag | None = fact("是否公务员", "civil servant")
    is_civil_servant_managed: Flag | None = fact(
        "是否参照公务员法管理（参公）", "managed under the Civil Servant Law"
    )
    post_category: PostCategory | None = fact("岗位类别", "post category")
    identity: PersonnelIdentity | None = fact(
        "身份（干部/工人）", "personnel identity (cadre or worker)"
    )
    in_post: Flag | None = fact("是否在职在岗", "in service and at post")
    professional_technical_work: Flag | None = fact(
        "是否从事专业技术工作", "does professional and technical work"
    )
    dispatched: Flag | None = fact("是否劳务派遣", "dispatched worker")
    post_series: TitleSeries | None = fact("现岗位对应职称系列", "title series of the current post")
    specialty: Text | None = fact("现从事专业", "current specialty")
    current_post_start: FactDate | None = fact("现岗位起始日期", "start of the current post")
    work_start: FactDate | None = fact(
        "参加工作时间（工作年限起算日）", "start of work (counts the years of work)"
    )
    post_in_structure_quota: Flag | None = fact(
        "是否在岗位结构比例内", "post within the post-structure quota"
    )
    post_management: Flag | None = fact(
        "单位是否实行岗位管理", "employer practises post management"
    )
    retired: Flag | None = fact("是否已办理离退休手续", "retirement formalities completed")
    retired_on: FactDate | None = fact("离退休日期", "date of retirement")
    delayed_retirement: DelayedRetirement | None = fact("延迟退休", "delayed retirement")
    personnel_file_custodian: FileCustodian | None = fact(
        "人事档案保管（代理）机构", "custodian of the personnel file"
    )
    delegation_letter: DelegationLetter | None = fact("委托评审函", "delegation letter")
    recommending_unit: Text | None = fact("推荐单位", "recommending unit")
    recommender_role: RecommenderRole | None = fact("推荐单位类别", "role of the recommending unit")
    probation_start: FactDate | None = fact("见习期起始日期", "start of probation")
    enterprise_postdoc_left_on: FactDate | None = fact(
        "企业博士后出站日期", "end of enterprise postdoctoral work"
    )
    postdoc_cpsf_funded: Flag | None = fact(
        "是否获得中国博士后科学基金资助", "funded by the China Postdoctoral Science Foundation"
    )
    postdoc_led_provincial_project: Flag | None = fact(
        "是否主持省部级以上科研项目",
        "led a research project at provincial or ministerial level or above",
    )
    postdoc_stayed_in_enterprise: Flag | None = fact(
        "博士后出站后是否继续留在企业", "stayed in the enterprise after the postdoctoral work"
    )


# --- titles and applications ----------------------------------------------------------------


class TitleHeld(FactModel):
    """A professional title the applicant holds (已取得职称)."""

    series: TitleSeries | None = fact("职称系列", "title series")
    specialty: Text | None = fact("专业", "specialty")
    level: TitleLevel | None = fact("职称层级", "title level")
    title_name: Text | None = fact("职称名称", "title name")
    obtained_on: FactDate | None = fact("取得日期", "date obtained")
    how: TitleAcquisition | None = fact("取得方式", "how obtained")
    province: Text | None = fact("取得地（省份）", "province where obtained")
    issued_by: Text | None = fact("评审组织或批准单位", "evaluating or approving body")
    approval_number: Text | None = fact("批准文号", "approval document number")
    during_aid_posting: Flag | None = fact(
        "是否援派期间在受援地取得", "obtained in the aided region during an aid posting"
    )
    appointed_on: FactDate | None = fact("聘任日期", "date of appointment")
    disclosed: Flag | None = fact("申报时是否如实填报", "truthfully declared in the application")


class Application(FactModel):
    """This application (本次申报)."""

    LABEL_PREFIX: ClassVar[bool] = False

    year: Year | None = fact("申报年度", "application year")
    series: TitleSeries | None = fact("申报职称系列", "title series applied for")
    specialty: Text | None = fact("申报专业", "specialty applied for")
    level: TitleLevel | None = fact("申报层级", "level applied for")
    title_name: Text | None = fact("申报职称名称", "title name applied for")
    committee: Text | None = fact("评审委员会", "evaluation committee")
    committee_level: CommitteeLevel | None = fact("评委会层级", "committee level")
    exceptional: Flag | None = fact("是否破格申报", "exceptional application")
    route: ApplicationRoute | None = fact("申报途径", "application route")
    first_application: Flag | None = fact("是否首次申报职称", "first title application")
    online: Flag | None = fact("是否网上申报", "applied online")
    submitted_on: FactDate | None = fact(
        "申报材料提交日期", "date the application materials were submitted"
    )
    material_deadline: FactDate | None = fact(
        "材料收审截止日", "deadline for receiving the materials"
    )
    meeting_date: FactDate | None = fact("评审会议日期", "date of the evaluation meeting")
    pledge_signed: Flag | None = fact(
        "是否签订个人（诚信）承诺书", "personal integrity pledge signed"
    )
    unit_pledge_signed: Flag | None = fact("是否提交单位承诺书", "unit pledge submitted")
    unit_reviewed: Flag | None = fact("用人单位是否审核签章", "employer reviewed and sealed")
    department_reviewed: Flag | None = fact(
        "主管部门是否审核签章", "supervising department reviewed and sealed"
    )
    submitted_by_unit: Flag | None = fact("是否由单位统一报送", "submitted together by the unit")
    materials_complete: Flag | None = fact("申报材料是否齐全", "application materials complete")
    review_rounds: Count | None = fact(
        "网上申报系统提出审核意见次数", "times the online system returned review comments"
    )
    review_issues_outstanding: Flag | None = fact(
        "审核意见提出后是否仍存在问题", "problems remained after the review comments"
    )
    ability_test_exempt: Flag | None = fact("是否免于水平能力测试", "exempt from the ability test")
    series_offered_locally: Flag | None = fact(
        "本县是否已开展所申报系列（专业）同级别评审",
        "county already evaluates the series (specialty) and level applied for",
    )
    local_committee: Flag | None = fact(
        "是否参加本县（当地）评委会评审", "evaluated by the county's (local) committee"
    )
    post_exemption_recognised: Flag | None = fact(
        "放宽评聘条件或不占岗位是否经行业主管部门认可",
        "relaxed conditions or outside-quota post recognised by the industry department",
    )
    senior_post_reported_on: FactDate | None = fact(
        "正高级岗位使用申请报告报送日期", "date the report on using a senior post was submitted"
    )
    committee_self_run: Flag | None = fact(
        "是否自建评审系统或自主评审单位", "own evaluation system or self-evaluating unit"
    )
    post_table_submitted: Flag | None = fact(
        "推荐时是否同步提供申报情况核定表", "post table provided with the recommendation"
    )
    hr_reviewed: Flag | None = fact(
        "人力资源社会保障部门是否审核签署意见",
        "human resources and social security department reviewed and signed",
    )
    agency_reviewed: Flag | None = fact(
        "人事代理机构是否签署意见", "personnel agency signed its opinion"
    )
    city_hr_reviewed: Flag | None = fact(
        "市级人力资源社会保障部门是否审核签署意见",
        "municipal human resources and social security department reviewed and signed",
    )
    committee_organiser_level: AdminLevel | None = fact(
        "评委会组建单位级别", "level of the unit that formed the committee"
    )
    unit_assessment_passed: Flag | None = fact(
        "用人单位考核是否合格（认定职称）", "passed the employer's assessment (title recognition)"
    )
    submitted_via: SubmissionChannel | None = fact("报送途径", "submission channel")
    required_tenure_years: Count | None = fact(
        "评价标准规定的任职年限（年）",
        "years in the current title required by the evaluation standard",
    )
    required_work_years: Count | None = fact(
        "评价标准规定的工作年限（年）", "years of work required by the evaluation standard"
    )
    specialty_matches_work: Flag | None = fact(
        "申报专业是否与本人所从事专业一致", "specialty applied for matches the work done"
    )


class OtherApplication(FactModel):
    """Another application by the same person in the same year (同年度其他申报)."""

    year: Year | None = fact("申报年度", "application year")
    series: TitleSeries | None = fact("职称系列", "title series")
    specialty: Text | None = fact("专业", "specialty")
    level: TitleLevel | None = fact("层级", "level")
    committee: Text | None = fact("评审委员会", "evaluation committee")
    committee_level: CommitteeLevel | None = fact("评委会层级", "committee level")
    submitted_on: FactDate | None = fact("报送日期", "date submitted")
    concluded_on: FactDate | None = fact(
        "评审结束或撤回日期", "date the evaluation ended or the application was withdrawn"
    )
    same_specialty: Flag | None = fact(
        "与本次申报是否同一专业", "same specialty as this application"
    )


class FailedApplication(FactModel):
    """An earlier application that did not pass (评审未通过)."""

    year: Year | None = fact("申报年度", "application year")
    series: TitleSeries | None = fact("职称系列", "title series")
    level: TitleLevel | None = fact("层级", "level")
    committee: Text | None = fact("评审委员会", "evaluation committee")
    new_achievements_since: Flag | None = fact("是否提供新的业绩成果", "new achievements provided")
    materials_resubmitted_elsewhere: Flag | None = fact(
        "是否将未通过材料再送其他评委会", "failed materials sent to another committee"
    )


class SeriesTransfer(FactModel):
    """A change of series or specialty (转系列/转专业评审, 转评)."""

    LABEL_PREFIX: ClassVar[bool] = False

    transferred: Flag | None = fact(
        "是否转系列（专业）", "transferred to another series (specialty)"
    )
    from_series: TitleSeries | None = fact("原职称系列", "former title series")
    from_specialty: Text | None = fact("原专业", "former specialty")
    to_series: TitleSeries | None = fact("现岗位职称系列", "title series of the current post")
    to_specialty: Text | None = fact("现岗位专业", "specialty of the current post")
    level: TitleLevel | None = fact("转评层级", "level of the transfer evaluation")
    post_changed_on: FactDate | None = fact("岗位变动日期", "date the post changed")
    unit_assessed_competent: Flag | None = fact(
        "是否经单位考核合格", "passed the unit's assessment"
    )
    transferred_on: FactDate | None = fact(
        "转评取得日期", "date the transferred title was obtained"
    )


# --- history --------------------------------------------------------------------------------


class ServicePeriod(FactModel):
    """A period of work (工作经历). ``end`` is ``None`` while ``ongoing`` (or when unknown)."""

    start: FactDate | None = fact("起始日期", "start date")
    end: FactDate | None = fact("截止日期", "end date")
    ongoing: Flag | None = fact("是否至今", "continues to date")
    employer: Text | None = fact("工作单位", "employer")
    post: Text | None = fact("岗位/职务", "post or position")
    professional_technical: Flag | None = fact(
        "是否从事专业技术工作", "professional and technical work"
    )
    grassroots: Flag | None = fact("是否基层一线", "grassroots front line")
    rural: Flag | None = fact("是否农村基层", "rural grassroots")
    township: Flag | None = fact(
        "是否县（市）区乡镇（街道）及以下", "at county, township (subdistrict) level or below"
    )
    remote_area: Flag | None = fact("是否艰苦边远地区", "remote and hardship area")
    aid_posting: Flag | None = fact("是否援藏援疆援青", "aid posting to Tibet, Xinjiang or Qinghai")
    poverty_alleviation: Flag | None = fact("是否服务脱贫攻坚", "served in poverty alleviation")
    rural_revitalisation: Flag | None = fact("是否服务乡村振兴", "served in rural revitalisation")
    erhai_protection: Flag | None = fact(
        "是否服务洱海保护", "served in the protection of Erhai lake"
    )
    epidemic_frontline: Flag | None = fact("是否疫情防控一线", "on the epidemic front line")
    employer_kind: EmployerKind | None = fact("工作单位性质", "kind of employer")
    evidence: ServiceEvidence | None = fact("认定依据", "proof of the service")


class AnnualAssessment(FactModel):
    """One year's annual assessment (年度考核)."""

    year: Year = required("考核年度", "assessment year")
    grade: AssessmentGrade | None = fact("考核等次", "assessment grade")


class Education(FactModel):
    """A completed education (学历/学位)."""

    level: EducationLevel | None = fact("学历（学位）", "education (degree)")
    obtained_on: FactDate | None = fact("取得日期", "date obtained")
    field: Text | None = fact("所学专业", "field of study")
    institution: Text | None = fact("毕业院校", "institution")
    full_time: Flag | None = fact("是否全日制", "full-time study")


class ContinuingEducation(FactModel):
    """Continuing-education hours registered for a year (继续教育)."""

    year: Year = required("年度", "year")
    hours: Hours | None = fact("学时", "hours")
    province: Text | None = fact("取得地（省份）", "province where obtained")
    compliant: Flag | None = fact("是否符合继续教育规定", "meets the continuing-education rules")


class Sanction(FactModel):
    """A penalty or disciplinary sanction (刑事处罚/政务处分/党纪处分/行政处分/事业单位处分).

    ``end`` closes the sanction period (处分期), ``effect_end`` its period of effect (影响期);
    ``lifted_on`` is set when the sanction was lifted early (解除处分).
    """

    system: SanctionSystem | None = fact("处分类别", "sanction system")
    kind: Text | None = fact(
        "处分或刑罚名称（原文）", "name of the sanction or penalty (as written)"
    )
    severity: SanctionSeverity | None = fact("处分种类", "sanction severity")
    party_severity: PartySeverity | None = fact("党纪处分种类", "party sanction severity")
    decided_by: Text | None = fact("作出决定机关", "deciding authority")
    start: FactDate | None = fact("处分（刑期）起始日", "start of the sanction (sentence)")
    end: FactDate | None = fact("处分期（刑期）截止日", "end of the sanction period (sentence)")
    effect_end: FactDate | None = fact("影响期截止日", "end of the period of effect")
    lifted_on: FactDate | None = fact("解除处分日期", "date the sanction was lifted")


class Investigation(FactModel):
    """An investigation on suspicion of a violation (立案审查/留置/立案调查)."""

    kind: InvestigationKind | None = fact("措施种类", "kind of measure")
    authority: Text | None = fact("立案机关", "investigating authority")
    start: FactDate | None = fact("起始日期", "start date")
    end: FactDate | None = fact("结束日期", "end date")
    ongoing: Flag | None = fact("是否仍在进行", "still ongoing")


class CreditRecord(FactModel):
    """An entry on a credit or integrity list (失信黑名单/诚信档案)."""

    kind: CreditRecordKind | None = fact("记录类别", "kind of record")
    reason: CreditReason | None = fact("记录原因", "reason for the record")
    scope: CreditScope | None = fact("记录范围", "scope of the record")
    recorded_by: Text | None = fact("记录单位", "recording unit")
    recorded_on: FactDate | None = fact("记入日期", "date recorded")
    expires_on: FactDate | None = fact("记录期满日", "date the record expires")
    application_year: Year | None = fact("所涉申报年度", "application year concerned")


class AbilityTest(FactModel):
    """A 水平能力测试 result (Xianning 六(五))."""

    series: TitleSeries | None = fact("职称系列", "title series")
    specialty: Text | None = fact("测试专业", "specialty tested")
    level: TitleLevel | None = fact("测试级别", "level tested")
    taken_on: FactDate | None = fact("测试日期", "date of the test")
    passed: Flag | None = fact("是否合格", "passed")


class Achievement(FactModel):
    """An achievement (业绩成果): paper, award, commendation, project ..."""

    kind: AchievementKind | None = fact("成果类别", "kind of achievement")
    obtained_on: FactDate | None = fact("取得日期", "date obtained")
    description: Text | None = fact("内容", "content")
    awarding_level: AdminLevel | None = fact(
        "授予（表彰）机关级别", "level of the awarding authority"
    )
    awarded_by: Text | None = fact("授予机关", "awarding authority")


class UnitDebrief(FactModel):
    """The applicant's report to the staff assembly and its vote (述职推荐, Eryuan 二(三)2)."""

    held: Flag | None = fact("是否已述职推荐", "debrief and recommendation held")
    held_on: FactDate | None = fact("述职日期", "date of the debrief")
    assembly: Text | None = fact(
        "会议（职工大会/职工代表大会）", "meeting (staff assembly or staff congress)"
    )
    assembly_kind: AssemblyKind | None = fact("会议类别", "kind of meeting")
    attendees: Count | None = fact("参会人数", "attendees")
    yes_votes: Count | None = fact("同意推荐票数", "votes recommending")
    secret_ballot: Flag | None = fact("是否无记名投票", "secret ballot")
    recorded_in_form: Flag | None = fact(
        "是否在“基层单位意见”栏如实填写", "truthfully recorded in the grassroots unit opinion box"
    )

    @model_validator(mode="after")
    def _votes_within_attendees(self) -> Self:
        if (
            self.attendees is not None
            and self.yes_votes is not None
            and self.yes_votes > self.attendees
        ):
            raise field_error(
                "yes_votes",
                f"{self.yes_votes} yes votes exceed the {self.attendees} attendees",
            )
        return self


class PublicityWindow(FactModel):
    """A publicity window (公示): unit, pre-meeting or results."""

    held: Flag | None = fact("是否已公示", "publicised")
    kind: PublicityKind | None = fact("公示类别", "kind of publicity")
    channel: PublicityChannel | None = fact("公示渠道", "publicity channel")
    start: FactDate | None = fact("公示起始日", "start of publicity")
    end: FactDate | None = fact("公示截止日", "end of publicity")
    objections: Count | None = fact("收到异议（举报）件数", "objections (reports) received")
    objections_resolved: Flag | None = fact("异议是否已核实处理", "objections verified and handled")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise field_error("end", f"publicity ends {self.end} before it starts {self.start}")
        return self


# --- the record -----------------------------------------------------------------------------


class Applicant(FactModel):
    """One application by one person (申报人记录)."""

    RECORD_KEY: ClassVar[str] = "applicant"

    id: Text | None = fact("记录编号", "record number")
    person: Person | None = fact("个人信息", "personal information")
    employment: Employment | None = fact("工作单位与岗位", "employer and post")
    titles: list[TitleHeld] | None = fact("已取得职称", "titles held")
    application: Application | None = fact("本次申报", "this application")
    other_applications: list[OtherApplication] | None = fact(
        "同年度其他申报", "other applications in the same year"
    )
    failed_applications: list[FailedApplication] | None = fact(
        "以往评审未通过", "earlier failed applications"
    )
    series_transfer: SeriesTransfer | None = fact("转系列（专业）", "series (specialty) transfer")
    service: list[ServicePeriod] | None = fact("工作经历", "work history")
    assessments: list[AnnualAssessment] | None = fact("年度考核", "annual assessments")
    education: list[Education] | None = fact("学历（学位）", "education (degrees)")
    continuing_education: list[ContinuingEducation] | None = fact(
        "继续教育", "continuing education"
    )
    sanctions: list[Sanction] | None = fact("处分与刑事处罚", "sanctions and criminal penalties")
    investigations: list[Investigation] | None = fact(
        "立案审查、留置、立案调查", "investigations, detention and case investigations"
    )
    credit_records: list[CreditRecord] | None = fact("失信记录", "dishonesty records")
    ability_tests: list[AbilityTest] | None = fact("水平能力测试", "ability tests")
    achievements: list[Achievement] | None = fact("业绩成果", "achievements")
    unit_debrief: UnitDebrief | None = fact("单位述职推荐", "unit debrief and recommendation")
    unit_publicity: PublicityWindow | None = fact("单位公示", "unit publicity")

    @model_validator(mode="after")
    def _distinct_assessment_years(self) -> Self:
        # One annual assessment (年度考核) per year: a year listed twice would be counted
        # twice by tenure and "近N年" rules, or give two grades for one year.
        seen: dict[int, int] = {}
        for index, assessment in enumerate(self.assessments or ()):
            first = seen.setdefault(assessment.year, index)
            if first != index:
                raise field_error(
                    f"assessments[{index}].year",
                    f"year {assessment.year} is listed twice (also at assessments[{first}]); "
                    "an annual assessment has one entry per year",
                )
        return self
