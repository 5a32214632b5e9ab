"""facts layer: pydantic record models, pure, no DSL knowledge.

Closed vocabularies (enums) of the record models. Every member has an English value (what a
record serialises to) and the Chinese term the notices use (``zh``), plus optional Chinese
aliases. On input a member is accepted by its Chinese term, an alias, its English value or its
English name (English case-insensitively). Ordered vocabularies carry a ``rank`` so that a
comparison such as "记过以上" can be made explicitly; see :class:`RankedZhEnum`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any, Self

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "ENUMS",
    "AchievementKind",
    "AdminLevel",
    "ApplicationRoute",
    "AssemblyKind",
    "AssessmentGrade",
    "AuthorityRole",
    "CommitteeLevel",
    "ComplaintFinding",
    "CreditReason",
    "CreditRecordKind",
    "CreditScope",
    "EducationLevel",
    "EmployerKind",
    "En",
    "FileCustodian",
    "FilingContent",
    "FilingKind",
    "Gender",
    "IdType",
    "InvestigationKind",
    "MemberRole",
    "MinutesContent",
    "NoticeContent",
    "PartySeverity",
    "PersonnelIdentity",
    "PostCategory",
    "PublicityChannel",
    "PublicityKind",
    "RankedZhEnum",
    "RecommenderRole",
    "ResidenceStatus",
    "SanctionSeverity",
    "SanctionSystem",
    "ServiceEvidence",
    "SubmissionChannel",
    "TitleAcquisition",
    "TitleLevel",
    "TitleSeries",
    "ZhEnum",
    "lookup_enum_member",
]


class En(str):
    """The English words of a member whose value does not read well as English
    (``hk_macau_permit``); given among the member's aliases, it is not an alias."""

    __slots__ = ()


def _english_and_aliases(value: str, aliases: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The member's English words (its ``En``, else its value with spaces for underscores)
    and its Chinese aliases."""
    english = next((str(alias) for alias in aliases if isinstance(alias, En)), None)
    chinese = tuple(alias for alias in aliases if not isinstance(alias, En))
    return english if english is not None else value.replace("_", " "), chinese


class ZhEnum(StrEnum):
    """A closed vocabulary whose members carry their Chinese term and English words.

    Members are declared as ``NAME = ("english_value", "中文术语", "别名", ...)``; an
    ``En("english words")`` among them gives the English words where the value with its
    underscores as spaces does not read well (``member.en``).
    """

    zh: str
    en: str
    aliases: tuple[str, ...]

    def __new__(cls, value: str, zh: str, *aliases: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en, member.aliases = _english_and_aliases(value, aliases)
        return member

    @property
    def english_names(self) -> tuple[str, str]:
        """The English value and member name, lowercased."""
        return str(self.value).lower(), self.name.lower()

    @property
    def terms(self) -> tuple[str, ...]:
        """Every Chinese spelling accepted for this member (the term first)."""
        return (self.zh, *self.aliases)

    @classmethod
    def parse(cls, raw: object) -> Self:
        """The member that ``raw`` spells (Chinese term, alias, English value or name).

        Raises :class:`ValueError` naming the accepted spellings.
        """
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, str):
            table = _spellings(cls)
            text = raw.strip()
            member = table.get(text)
            if member is None:
                member = table.get(text.lower())
            if isinstance(member, cls):
                return member
        raise ValueError(f"{raw!r} is not a valid {cls.__name__}; expected one of: {cls.choices()}")

    @classmethod
    def spellings(cls) -> Mapping[str, ZhEnum]:
        """Every spelling :meth:`parse` looks up first -> its member: the Chinese terms as
        written, the English value and name lowercased."""
        return MappingProxyType(_spellings(cls))

    @classmethod
    def choices(cls) -> str:
        """The accepted spellings, for messages: ``中级 (intermediate), ...``."""
        return ", ".join(f"{m.zh} ({m.value})" for m in cls)

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        try:
            return cls.parse(value)
        except ValueError:
            return None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(raw: object) -> ZhEnum:
            try:
                return cls.parse(raw)
            except ValueError:
                shown = raw if isinstance(raw, str | int | float | bool) else type(raw).__name__
                raise PydanticCustomError(
                    "zh_enum",
                    "'{value}' is not a valid {enum}; expected one of: {choices}",
                    {"value": str(shown), "enum": cls.__name__, "choices": cls.choices()},
                ) from None

        # Marks the validator as this enum's (titlerules.facts.fastpath stands pydantic-core's
        # enum validator in for it where a record spells the member by its value).
        validate.__dict__["zh_enum"] = cls
        serialise: Callable[[ZhEnum], str] = lambda member: str(member.value)  # noqa: E731
        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                serialise, when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "enum": [str(m.value) for m in cls],
            "title": cls.__name__,
            "description": "; ".join(f"{m.value} = {'/'.join(m.terms)}" for m in cls),
        }


@cache
def _spellings(cls: type[ZhEnum]) -> dict[str, ZhEnum]:
    """Every accepted spelling of ``cls``'s members: Chinese terms as written, English
    value and name lowercased."""
    table: dict[str, ZhEnum] = {}
    for member in cls:
        for english in member.english_names:
            table.setdefault(english, member)
        for term in member.terms:
            table.setdefault(term, member)
    # Each spelling is also looked up as a value: ``cls(text)``, which pydantic-core's enum
    # validator calls for a text that is not a value (a record's Chinese terms), then finds
    # the member without going through _missing_ (a third of such a record's validation).
    values = cls._value2member_map_
    for text, member in table.items():
        values.setdefault(text, member)
    return table


class RankedZhEnum(ZhEnum):
    """An ordered vocabulary: members are declared ``NAME = ("value", "中文", rank, *aliases)``.

    ``rank`` is an int, or ``None`` for a member outside the order (e.g. the assessment grade
    不确定). Comparison operators between members of the same class compare ranks; any
    comparison involving an unranked member is false (equality is identity, as for any enum).
    """

    rank: int | None

    def __new__(cls, value: str, zh: str, rank: int | None, *aliases: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en, member.aliases = _english_and_aliases(value, aliases)
        member.rank = rank
        return member

    def _ranks(self, other: object) -> tuple[int, int] | None:
        if type(other) is not type(self):
            raise TypeError(f"cannot order {type(self).__name__} against {type(other).__name__}")
        assert isinstance(other, RankedZhEnum)
        if self.rank is None or other.rank is None:
            return None
        return self.rank, other.rank

    def __lt__(self, other: object) -> bool:
        ranks = self._ranks(other)
        return ranks is not None and ranks[0] < ranks[1]

    def __le__(self, other: object) -> bool:
        ranks = self._ranks(other)
        return ranks is not None and ranks[0] <= ranks[1]

    def __gt__(self, other: object) -> bool:
        ranks = self._ranks(other)
        return ranks is not None and ranks[0] > ranks[1]

    def __ge__(self, other: object) -> bool:
        ranks = self._ranks(other)
        return ranks is not None and ranks[0] >= ranks[1]


# --- person ---------------------------------------------------------------------------------


class Gender(ZhEnum):
    MALE = ("male", "男", "男性")
    FEMALE = ("female", "女", "女性")


class IdType(ZhEnum):
    RESIDENT_ID_CARD = ("resident_id_card", "居民身份证", "身份证", En("resident identity card"))
    PASSPORT = ("passport", "护照")
    HK_MACAU_PERMIT = (
        "hk_macau_permit",
        "港澳居民来往内地通行证",
        "回乡证",
        En("Mainland travel permit for Hong Kong and Macau residents"),
    )
    TAIWAN_PERMIT = (
        "taiwan_permit",
        "台湾居民来往大陆通行证",
        "台胞证",
        En("Mainland travel permit for Taiwan residents"),
    )
    HMT_RESIDENCE_PERMIT = (
        "hmt_residence_permit",
        "港澳台居民居住证",
        En("residence permit for Hong Kong, Macau and Taiwan residents"),
    )
    FOREIGN_PERMANENT_RESIDENCE_CARD = (
        "foreign_permanent_residence_card",
        "外国人永久居留身份证",
        "外国人永居证",
    )
    OTHER = ("other", "其他证件", En("other document"))


class ResidenceStatus(ZhEnum):
    MAINLAND = ("mainland", "内地居民", "大陆居民", En("mainland resident"))
    HONG_KONG = ("hong_kong", "香港居民", En("Hong Kong resident"))
    MACAU = ("macau", "澳门居民", En("Macau resident"))
    TAIWAN = ("taiwan", "台湾居民", En("Taiwan resident"))
    FOREIGN_WORK_PERMIT = (
        "foreign_work_permit",
        "持外国人来华工作许可证",
        "外国人来华工作许可证",
        En("foreigner with a work permit in China"),
    )
    FOREIGN_PERMANENT_RESIDENCE = (
        "foreign_permanent_residence",
        "持外国人永居证",
        "外国人永久居留",
        En("foreigner with permanent residence"),
    )
    HUBEI_OVERSEAS_TALENT_PERMIT = (
        "hubei_overseas_talent_permit",
        "持湖北省海外高层次人才居住证",
        "湖北省海外高层次人才居住证",
        En("holder of a Hubei overseas high-level talent residence permit"),
    )
    FOREIGN_OTHER = ("foreign_other", "其他外籍人员", En("other foreign national"))


# --- employment -----------------------------------------------------------------------------


class EmployerKind(ZhEnum):
    PUBLIC_INSTITUTION = ("public_institution", "事业单位")
    STATE_OWNED_ENTERPRISE = ("state_owned_enterprise", "国有企业", En("state-owned enterprise"))
    PRIVATE_ENTERPRISE = ("private_enterprise", "民营企业", "非公有制企业")
    SOCIAL_ORGANISATION = ("social_organisation", "社会组织", "社会团体")
    INDIVIDUAL_BUSINESS = ("individual_business", "个体工商户", "个体经济组织")
    FLEXIBLE_EMPLOYMENT = ("flexible_employment", "灵活就业")
    FREELANCER = ("freelancer", "自由职业者", "自由职业")
    STATIONED_CENTRAL_UNIT = (
        "stationed_central_unit",
        "中央驻地单位",
        "中央直属驻地单位",
        En("central unit stationed locally"),
    )
    STATIONED_PROVINCIAL_UNIT = (
        "stationed_provincial_unit",
        "省属驻地单位",
        "省直属驻地单位",
        En("provincial unit stationed locally"),
    )
    STATIONED_MILITARY_UNIT = (
        "stationed_military_unit",
        "驻地部队",
        En("military unit stationed locally"),
    )
    OTHER_PREFECTURE_UNIT = (
        "other_prefecture_unit",
        "其他州市单位",
        En("unit of another prefecture"),
    )
    GOVERNMENT_AGENCY = ("government_agency", "机关", "党政机关", En("government organ"))
    PEOPLES_ORGANISATION = ("peoples_organisation", "人民团体", En("people's organisation"))


class PostCategory(ZhEnum):
    PROFESSIONAL_TECHNICAL = (
        "professional_technical",
        "专业技术岗位",
        En("professional and technical post"),
    )
    MANAGEMENT = ("management", "管理岗位", En("management post"))
    SKILLED_WORKER = ("skilled_worker", "工勤技能岗位", En("skilled worker post"))


class PersonnelIdentity(ZhEnum):
    """干部/工人身份: decides, among others, the statutory retirement age of women."""

    CADRE = ("cadre", "干部")
    WORKER = ("worker", "工人")


class FileCustodian(ZhEnum):
    """Who keeps the personnel file (人事档案)."""

    EMPLOYER = ("employer", "本单位", En("the employer"))
    PROVINCIAL_TALENT_CENTRE = ("provincial_talent_centre", "省人才服务中心")
    MUNICIPAL_TALENT_CENTRE = ("municipal_talent_centre", "市人才服务中心", "州人才服务中心")
    COUNTY_TALENT_CENTRE = ("county_talent_centre", "县人才服务中心")
    HR_AGENCY = ("hr_agency", "人事代理机构", En("personnel agency"))
    OTHER = ("other", "其他档案保管机构", En("other file custodian"))


class RecommenderRole(ZhEnum):
    """Who reviewed, publicised and recommended the application, by role (Xianning 三(一):
    "由用人单位…进行审核、公示、推荐", "由劳务派遣公司或人事代理机构会同用工单位",
    "由人事代理机构履行审核、公示、推荐程序"); ``recommending_unit`` keeps the name."""

    EMPLOYER = ("employer", "用人单位")
    DISPATCH_COMPANY = ("dispatch_company", "劳务派遣公司")
    PERSONNEL_AGENCY = ("personnel_agency", "人事代理机构")
    PUBLIC_TALENT_CENTRE = ("public_talent_centre", "公共人才服务机构")
    OTHER = ("other", "其他推荐单位", En("other recommending unit"))


class AuthorityRole(ZhEnum):
    """An authority or unit by its role: who issued a delegation letter (委托评审函), whom
    a filing went to (报市人社局审核, 向核准备案部门备案). Notices name them by role
    ("由县人社局出具", "报市人力资源和社会保障局"), records by name (``issued_by``,
    ``filed_with``)."""

    COUNTY_HR = (
        "county_hr",
        "县级人力资源社会保障部门",
        "县人社局",
        "县人力资源和社会保障局",
        "县人力资源社会保障局",
        "县职改办",
        En("county human resources and social security department"),
    )
    PREFECTURE_HR = (
        "prefecture_hr",
        "州（市）级人力资源社会保障部门",
        "州/市级人力资源社会保障部门",
        "州市人社局",
        "市人社局",
        "州人社局",
        "市人力资源和社会保障局",
        "州人力资源和社会保障局",
        "市职改办",
        "市职称改革工作领导小组办公室",
        En("prefecture (city) human resources and social security department"),
    )
    PROVINCIAL_HR = (
        "provincial_hr",
        "省级人力资源社会保障部门",
        "省人社厅",
        "省职改办",
        "省职称改革工作领导小组办公室",
        En("provincial human resources and social security department"),
    )
    EMPLOYER_HR = (
        "employer_hr",
        "用人单位人事部门",
        "本单位人事部门",
        En("employer's personnel department"),
    )
    STATIONED_UNIT_HR = (
        "stationed_unit_hr",
        "驻地单位人事部门",
        "中央或省驻地单位人事部门",
        En("personnel department of a stationed unit"),
    )
    CENTRAL_UNIT_HEADQUARTERS = ("central_unit_headquarters", "中央直属驻地单位总部")
    MILITARY_DIVISION = (
        "military_division",
        "驻地部队师以上单位",
        En("stationed military unit at division level or above"),
    )
    PROVINCIAL_SUPERVISING_UNIT = ("provincial_supervising_unit", "省属主管单位")
    INDUSTRY_DEPARTMENT = ("industry_department", "行业主管部门")
    OTHER = ("other", "其他单位", En("other unit"))


class ServiceEvidence(ZhEnum):
    """What proves a period of service (Eryuan 四(四))."""

    PERSONNEL_CONTRACT = ("personnel_contract", "人事关系合同", "聘用合同")
    APPOINTMENT_LETTER = ("appointment_letter", "聘书")
    LABOUR_CONTRACT = ("labour_contract", "劳动合同")
    SOCIAL_INSURANCE = ("social_insurance", "社保缴费证明")


# --- titles and applications ----------------------------------------------------------------


class TitleLevel(RankedZhEnum):
    CLERK = ("clerk", "员级", 1, En("clerk level"))
    ASSISTANT = ("assistant", "助理级", 2, En("assistant level"))
    INTERMEDIATE = ("intermediate", "中级", 3, En("intermediate level"))
    ASSOCIATE_SENIOR = ("associate_senior", "副高级", 4, "副高", En("associate senior level"))
    SENIOR = ("senior", "正高级", 5, "正高", En("senior level"))


class TitleSeries(ZhEnum):
    """职称系列 (the national series list; ``other`` for a series not listed)."""

    HIGHER_EDUCATION_TEACHER = ("higher_education_teacher", "高等学校教师")
    VOCATIONAL_SCHOOL_TEACHER = ("vocational_school_teacher", "中等职业学校教师")
    TECHNICAL_SCHOOL_TEACHER = ("technical_school_teacher", "技工院校教师")
    SCHOOL_TEACHER = ("school_teacher", "中小学教师")
    NATURAL_SCIENCE_RESEARCH = ("natural_science_research", "自然科学研究")
    SOCIAL_SCIENCE_RESEARCH = ("social_science_research", "社会科学研究")
    HEALTH = ("health", "卫生技术", "卫生", En("health technology"))
    ENGINEERING = ("engineering", "工程技术", "工程")
    AGRICULTURE = ("agriculture", "农业技术", "农业")
    ECONOMICS = ("economics", "经济")
    ACCOUNTING = ("accounting", "会计")
    AUDIT = ("audit", "审计")
    STATISTICS = ("statistics", "统计")
    TRANSLATION = ("translation", "翻译")
    JOURNALISM = ("journalism", "新闻")
    PUBLISHING = ("publishing", "出版")
    LIBRARY = ("library", "图书资料")
    CULTURAL_HERITAGE = ("cultural_heritage", "文物博物")
    ARCHIVES = ("archives", "档案")
    ARTS_AND_CRAFTS = ("arts_and_crafts", "工艺美术")
    ART = ("art", "艺术")
    MASS_CULTURE = ("mass_culture", "群众文化")
    BROADCASTING = ("broadcasting", "播音主持")
    SPORTS = ("sports", "体育")
    LAWYER = ("lawyer", "律师")
    NOTARY = ("notary", "公证")
    SHIPPING = ("shipping", "船舶")
    CIVIL_AVIATION = ("civil_aviation", "民用航空飞行技术")
    LABORATORY = ("laboratory", "实验技术")
    OTHER = ("other", "其他系列", En("other series"))


class TitleAcquisition(ZhEnum):
    """How a title was obtained."""

    EVALUATION = ("evaluation", "评审")
    RECOGNITION = ("recognition", "认定", "考核认定", "直接认定")
    EXAMINATION = ("examination", "考试", "以考代评")
    QUALIFICATION = ("qualification", "职业资格对应", En("professional qualification"))
    TRANSFER = ("transfer", "转评", "转系列评审")
    INITIAL_APPOINTMENT = ("initial_appointment", "初定", En("initial appointment"))


class ApplicationRoute(ZhEnum):
    NORMAL = ("normal", "正常申报", "按岗申报", En("normal application"))
    TRANSFER = ("transfer", "转评申报", En("transfer application"))
    VACANT_POST = ("vacant_post", "空岗申报", En("application for a vacant post"))
    OUTSIDE_POST_QUOTA = (
        "outside_post_quota",
        "不占岗位申报",
        En("application outside the post quota"),
    )
    SPECIAL_TALENT = ("special_talent", "特殊人才评审", En("special talent evaluation"))
    DIRECT_RECOGNITION = ("direct_recognition", "直接认定申报", En("direct recognition"))


class SubmissionChannel(ZhEnum):
    """Through whom an application is forwarded to the committee (报送途径, Yuncheng 三(一))."""

    EMPLOYER = ("employer", "用人单位")
    DISPATCH_AGENCY = ("dispatch_agency", "劳务派遣单位")
    SUPERVISING_DEPARTMENT = ("supervising_department", "主管部门")
    PUBLIC_TALENT_SERVICE = ("public_talent_service", "公共就业和人才服务机构", "人才服务机构")
    HR_DEPARTMENT = (
        "hr_department",
        "人力资源和社会保障部门",
        "人社部门",
        En("human resources and social security department"),
    )
    INDIVIDUAL = ("individual", "个人自行报送", "个人直接报送", En("submitted by the applicant"))


class CommitteeLevel(RankedZhEnum):
    """Which title levels a committee evaluates (初/中/高评委)."""

    JUNIOR = ("junior", "初评委", 1, "初级评审委员会", "初级评委会", En("junior committee"))
    INTERMEDIATE = (
        "intermediate",
        "中评委",
        2,
        "中级评审委员会",
        "中级评委会",
        En("intermediate committee"),
    )
    SENIOR = ("senior", "高评委", 3, "高级评审委员会", "高级评委会", En("senior committee"))


class AdminLevel(RankedZhEnum):
    UNIT = ("unit", "单位级", 1, En("unit level"))
    COUNTY = ("county", "县级", 2, En("county level"))
    PREFECTURE = ("prefecture", "市级", 3, "州级", "市（州）级", En("prefecture (city) level"))
    PROVINCE = ("province", "省级", 4, En("provincial level"))
    NATIONAL = ("national", "国家级", 5, En("national level"))


# --- record of conduct ----------------------------------------------------------------------


class AssessmentGrade(RankedZhEnum):
    """年度考核等次. 不确定 stands outside the order: it is neither 合格 nor above."""

    EXCELLENT = ("excellent", "优秀", 4)
    COMPETENT = ("competent", "合格", 3, "称职")
    BASICALLY_COMPETENT = ("basically_competent", "基本合格", 2, "基本称职")
    INCOMPETENT = ("incompetent", "不合格", 1, "不称职")
    UNDETERMINED = ("undetermined", "不确定", None, "不定等次")


class EducationLevel(ZhEnum):
    """学历/学位 and technical-school classes (Kunming 九(二))."""

    DOCTORATE = ("doctorate", "博士", "博士学位", "博士研究生")
    MASTER = ("master", "硕士", "硕士学位", "硕士研究生")
    DOUBLE_BACHELOR = ("double_bachelor", "双学士", "双学士学位")
    BACHELOR = ("bachelor", "本科", "学士", "学士学位", "本科学历")
    JUNIOR_COLLEGE = ("junior_college", "大专", "专科", "大专学历")
    SECONDARY_VOCATIONAL = ("secondary_vocational", "中专", "中等职业学校")
    PREPARATORY_TECHNICIAN_CLASS = ("preparatory_technician_class", "预备技师班", "技师班")
    ADVANCED_WORKER_CLASS = ("advanced_worker_class", "高级工班")
    INTERMEDIATE_WORKER_CLASS = ("intermediate_worker_class", "中级工班")


class SanctionSystem(ZhEnum):
    CRIMINAL = ("criminal", "刑事处罚", En("criminal penalty"))
    GOVERNMENT = ("government", "政务处分", En("government sanction"))
    PARTY = ("party", "党纪处分", En("party sanction"))
    ADMINISTRATIVE = ("administrative", "行政处分", En("administrative sanction"))
    PUBLIC_INSTITUTION = (
        "public_institution",
        "事业单位处分",
        "事业单位工作人员处分",
        En("public institution sanction"),
    )


class SanctionSeverity(RankedZhEnum):
    """One scale for 政务处分, 行政处分 and 事业单位工作人员处分.

    The ranks keep both statutory orders: 警告 < 记过 < 记大过 < 降级 < 撤职 < 开除 (政务处分) and
    警告 < 记过 < 降低岗位等级 < 撤职 < 开除 (事业单位工作人员); 降低岗位等级 and 降级 share a rank.
    """

    WARNING = ("warning", "警告", 1)
    DEMERIT = ("demerit", "记过", 2)
    MAJOR_DEMERIT = ("major_demerit", "记大过", 3)
    POST_GRADE_REDUCTION = (
        "post_grade_reduction",
        "降低岗位等级",
        4,
        En("reduction of post grade"),
    )
    DEMOTION = ("demotion", "降级", 4)
    REMOVAL_FROM_POST = ("removal_from_post", "撤职", 5)
    DISMISSAL = ("dismissal", "开除", 6)


class PartySeverity(RankedZhEnum):
    """党纪处分 (its 警告 is spelled 党内警告 here so that a bare 警告 means the scale above)."""

    PARTY_WARNING = ("party_warning", "党内警告", 1, En("party warning"))
    SERIOUS_WARNING = ("serious_warning", "严重警告", 2, "党内严重警告")
    REMOVAL_FROM_PARTY_POST = (
        "removal_from_party_post",
        "撤销党内职务",
        3,
        En("removal from party post"),
    )
    PROBATION = ("probation", "留党察看", 4, En("probation within the party"))
    # 留党察看 lasts one or two years as the decision says; its default period needs which.
    PROBATION_ONE_YEAR = (
        "probation_one_year",
        "留党察看一年",
        4,
        En("probation within the party for one year"),
    )
    PROBATION_TWO_YEARS = (
        "probation_two_years",
        "留党察看二年",
        4,
        En("probation within the party for two years"),
    )
    EXPULSION = ("expulsion", "开除党籍", 5, En("expulsion from the party"))


class InvestigationKind(ZhEnum):
    DISCIPLINARY_REVIEW = (
        "disciplinary_review",
        "立案审查",
        En("case opened for disciplinary review"),
    )
    DETENTION = ("detention", "留置")
    JUDICIAL_INVESTIGATION = (
        "judicial_investigation",
        "立案调查",
        "司法机关立案调查",
        En("case opened for investigation"),
    )


class CreditRecordKind(ZhEnum):
    BLACKLIST = (
        "blacklist",
        "职称失信黑名单",
        "失信黑名单",
        "黑名单",
        En("title dishonesty blacklist"),
    )
    INTEGRITY_ARCHIVE = (
        "integrity_archive",
        "职称评审诚信档案",
        "诚信档案库",
        "诚信档案",
        En("title evaluation integrity archive"),
    )
    NATIONAL_CREDIT_PLATFORM = ("national_credit_platform", "全国信用信息共享平台")


class CreditReason(ZhEnum):
    FRAUD = ("fraud", "弄虚作假", "提供虚假材料", En("fraud (false materials)"))
    DISHONESTY = ("dishonesty", "失信违规")


class CreditScope(ZhEnum):
    NATIONAL = ("national", "全国", En("nationwide"))
    PROVINCE = ("province", "全省", En("province-wide"))
    CITY = ("city", "全市", En("city-wide"))
    COUNTY = ("county", "全县", En("county-wide"))


class AchievementKind(ZhEnum):
    PAPER = ("paper", "论文")
    BOOK = ("book", "著作")
    AWARD = ("award", "奖项", "获奖")
    COMMENDATION = ("commendation", "表彰奖励", "表彰")
    PROJECT = ("project", "项目", "科研项目")
    PATENT = ("patent", "专利")
    STANDARD = ("standard", "标准")
    REPORT = ("report", "技术报告", En("technical report"))
    OTHER = ("other", "其他业绩", En("other achievement"))


# --- procedure ------------------------------------------------------------------------------


class MemberRole(ZhEnum):
    CHAIR = ("chair", "主任委员", "评委会主任", En("committee chair"))
    VICE_CHAIR = ("vice_chair", "副主任委员", En("committee vice chair"))
    EXPERT = ("expert", "评审专家", "评委专家", "委员", En("evaluation expert"))
    ALTERNATE = ("alternate", "备用评委专家", "备用专家", En("alternate expert"))


class PublicityKind(ZhEnum):
    UNIT = ("unit", "单位公示", "单位内部公示", En("unit publicity"))
    PRE_MEETING = ("pre_meeting", "会前公示", "评审前公示", En("pre-meeting publicity"))
    RESULTS = ("results", "评审结果公示", En("publicity of the results"))


class PublicityChannel(ZhEnum):
    INFORMATION_PLATFORM = ("information_platform", "信息平台", "专业技术人员管理服务平台")
    GOVERNMENT_PORTAL = ("government_portal", "政府门户网站")
    HR_BUREAU_WEBSITE = ("hr_bureau_website", "人社局网站", En("human resources bureau website"))
    ORGANISER_PORTAL = (
        "organiser_portal",
        "组建单位门户网站",
        "本单位门户网站",
        En("organiser's portal"),
    )
    UNIT_PREMISES = (
        "unit_premises",
        "单位显著位置",
        "本单位内部",
        En("a prominent place in the unit"),
    )
    ONLINE_SYSTEM = (
        "online_system",
        "职称评审管理信息系统",
        En("title evaluation information system"),
    )
    OTHER = ("other", "其他渠道", En("other channel"))


class NoticeContent(ZhEnum):
    """What an evaluation notice must state (Eryuan 一(二))."""

    BASIS = ("basis", "评审依据", En("basis of the evaluation"))
    SCOPE = ("scope", "评审范围及对象", En("scope and applicants of the evaluation"))
    SPECIALTIES = ("specialties", "评审专业")
    SCHEDULE = ("schedule", "评审时间", En("evaluation dates"))
    PUBLICITY_METHOD = ("publicity_method", "公示方式")
    MATERIALS_LIST = (
        "materials_list",
        "申报材料目录清单及填报要求",
        En("list of application materials and how to fill them in"),
    )
    CONTACT = ("contact", "联系地址及电话", En("contact address and telephone"))


class MinutesContent(ZhEnum):
    """What the meeting minutes record (Eryuan 一(六))."""

    ATTENDING_EXPERTS = ("attending_experts", "出席评委", En("experts attending"))
    CANDIDATES = ("candidates", "评审对象", En("applicants evaluated"))
    OPINIONS = ("opinions", "评议意见")
    VOTE_RESULTS = ("vote_results", "投票结果")


class FilingKind(ZhEnum):
    PRE_MEETING = ("pre_meeting", "会前备案", En("pre-meeting filing"))
    POST_MEETING = ("post_meeting", "会后备案", En("post-meeting filing"))
    PLAN = ("plan", "评审工作方案备案", "评审方案备案", En("filing of the work plan"))
    REPORT = ("report", "评审情况综合报告", En("comprehensive report on the evaluation"))
    RESULTS = ("results", "评审结果备案", "评审结果备案确认", En("filing of the results"))
    COMMITTEE_REFILING = (
        "committee_refiling",
        "核准备案",
        "评委会核准备案",
        En("committee approval and filing"),
    )
    WORK_SUMMARY = ("work_summary", "评审工作情况表", En("evaluation work summary table"))
    SUPERVISION_DEPARTMENT = (
        "supervision_department",
        "监督部门备案",
        En("filing with the supervision department"),
    )


class FilingContent(ZhEnum):
    """Items a filing may contain (Eryuan 一(四)(八), Kunming 六(三)1, Xianning 五(三),
    Yuncheng 二, Xianning attachment 3)."""

    SCHEDULE = ("schedule", "评审时间", En("evaluation dates"))
    MATERIAL_REVIEW = ("material_review", "申报材料审查情况", "资格审核情况", "资格审查")
    REVIEWERS = ("reviewers", "参与审核人员情况")
    REJECTED_APPLICANTS = ("rejected_applicants", "审核未通过人员情况")
    APPROVED_LIST = (
        "approved_list",
        "同意上会评审人员名单",
        En("list of applicants approved for the meeting"),
    )
    PUBLICITY = ("publicity", "公示情况")
    COMPLAINT_HANDLING = ("complaint_handling", "信访举报处理情况", "信访核查情况")
    WORK_PLAN = ("work_plan", "评委会工作方案", "评审工作方案", "评审方案")
    COMMITTEE_COMPOSITION = ("committee_composition", "年度评委会组成")
    AGENDA = ("agenda", "评审会议程")
    SCORING_STANDARD = ("scoring_standard", "评审量化评分标准")
    PASS_RATE_SETTING = ("pass_rate_setting", "评审通过率设定", En("pass rate set"))
    EXPERT_ATTENDANCE = ("expert_attendance", "专家到会情况")
    APPLICANT_COUNT = ("applicant_count", "参评人数")
    PASSED_COUNT = ("passed_count", "评审通过人数")
    PASS_RATE = ("pass_rate", "评审通过率")
    SUPERVISION = ("supervision", "监督情况")
    WORK_SUMMARY = ("work_summary", "评审工作情况", "评审情况")
    ORGANISER = ("organiser", "组建单位")
    COMMITTEE_NAME = ("committee_name", "评委会名称")
    SERIES = ("series", "评审系列（专业）", "评审系列")
    SCOPE = ("scope", "评审范围")
    CONDITIONS = ("conditions", "评审条件")
    RULES = ("rules", "规章制度", "评审办法、管理制度")
    OFFICE = ("office", "办事机构", "承办机构")
    REVIEW_LEVEL = ("review_level", "评审层级")
    ADDRESS = ("address", "通讯地址")
    PHONE = ("phone", "联系电话")
    OFFICE_HEAD = ("office_head", "承办机构主要负责人及职务", "承办机构主要负责人")
    EXPERT_POOL = ("expert_pool", "专家库现有人数")
    RECENT_EVALUATIONS = ("recent_evaluations", "近三年评审情况")
    PRACTICES = ("practices", "主要做法")
    RECOMMENDATION_PROCEDURE = ("recommendation_procedure", "推荐程序")
    WORK_DISCIPLINE = ("work_discipline", "工作纪律")
    RESULTS = ("results", "评审结果", En("evaluation results"))


class ComplaintFinding(ZhEnum):
    SUBSTANTIATED = ("substantiated", "属实")
    UNSUBSTANTIATED = ("unsubstantiated", "不属实")
    PENDING = ("pending", "核查中", En("under verification"))


class AssemblyKind(ZhEnum):
    """The meeting an applicant reports to (述职): a staff assembly, its congress, or
    another body."""

    STAFF_ASSEMBLY = ("staff_assembly", "职工大会", "教职工大会", "全体职工大会")
    STAFF_CONGRESS = ("staff_congress", "职工代表大会", "教职工代表大会", "职代会", "教代会")
    PARTY_BRANCH = ("party_branch", "党支部会议", "党员大会", En("party branch meeting"))
    LEADERSHIP = ("leadership", "领导班子会议", "党政联席会议", En("leadership meeting"))
    DEPARTMENT = ("department", "科室会议", "部门会议", En("department meeting"))
    OTHER_MEETING = ("other_meeting", "其他会议")


ENUMS: dict[str, type[ZhEnum]] = {
    cls.__name__: cls
    for cls in (
        Gender,
        IdType,
        ResidenceStatus,
        EmployerKind,
        PostCategory,
        PersonnelIdentity,
        FileCustodian,
        AuthorityRole,
        RecommenderRole,
        ServiceEvidence,
        TitleLevel,
        TitleSeries,
        TitleAcquisition,
        ApplicationRoute,
        SubmissionChannel,
        CommitteeLevel,
        AdminLevel,
        AssessmentGrade,
        EducationLevel,
        SanctionSystem,
        SanctionSeverity,
        PartySeverity,
        InvestigationKind,
        CreditRecordKind,
        CreditReason,
        CreditScope,
        AchievementKind,
        MemberRole,
        PublicityKind,
        PublicityChannel,
        NoticeContent,
        MinutesContent,
        FilingKind,
        FilingContent,
        ComplaintFinding,
        AssemblyKind,
    )
}
"""Every vocabulary of the record models, by class name."""


def _all_members() -> Iterator[ZhEnum]:
    for cls in ENUMS.values():
        yield from cls


def lookup_enum_member(term: str) -> list[ZhEnum]:
    """Every member, across all vocabularies, spelled ``term``.

    ``term`` matches a Chinese term or alias exactly, or an English value or member name
    case-insensitively. Several results mean the bare word is ambiguous (评审时间 is both a
    :class:`NoticeContent` and a :class:`FilingContent`); none means it is unknown.
    """
    text = term.strip()
    chinese, english = _members_by_spelling()
    found = {*chinese.get(text, ()), *english.get(text.lower(), ())}
    members = _every_member()
    return [members[index] for index in sorted(found)]


@cache
def _every_member() -> tuple[ZhEnum, ...]:
    return tuple(_all_members())


@cache
def _members_by_spelling() -> tuple[Mapping[str, tuple[int, ...]], Mapping[str, tuple[int, ...]]]:
    """Each Chinese spelling and each lowercased English name, with the members (their
    places in :func:`_every_member`) spelled so: the checker looks up every term it reads."""
    chinese: dict[str, list[int]] = {}
    english: dict[str, list[int]] = {}
    for index, member in enumerate(_every_member()):
        for spelling in dict.fromkeys(member.terms):
            chinese.setdefault(spelling, []).append(index)
        for name in dict.fromkeys(member.english_names):
            english.setdefault(name, []).append(index)
    return (
        MappingProxyType({k: tuple(v) for k, v in chinese.items()}),
        MappingProxyType({k: tuple(v) for k, v in english.items()}),
    )
