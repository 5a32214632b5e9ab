"""facts layer: pydantic record models, pure, no DSL knowledge.

The procedure record: one evaluation committee's round for one year (评审工作), from the
notice through expert selection, meeting, publicity and filings to complaints.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import field_serializer, model_validator

from titlerules.facts.applicant import PublicityWindow, field_error
from titlerules.facts.base import Count, FactDate, FactModel, Flag, Ratio, Text, Year, fact
from titlerules.facts.enums import (
    AdminLevel,
    AuthorityRole,
    CommitteeLevel,
    ComplaintFinding,
    FilingContent,
    FilingKind,
    MemberRole,
    MinutesContent,
    NoticeContent,
    PublicityChannel,
    PublicityKind,
    TitleSeries,
    ZhEnum,
)

__all__ = [
    "ApplicantReview",
    "Committee",
    "Complaint",
    "Filing",
    "Meeting",
    "Member",
    "Minutes",
    "Notice",
    "Procedure",
    "Selection",
]


def _in_declaration_order(values: frozenset[ZhEnum] | None) -> list[str] | None:
    """A set of members as a list in declaration order (stable across runs)."""
    if values is None:
        return None
    return [str(member.value) for member in sorted(values, key=_declaration_index)]


def _declaration_index(member: ZhEnum) -> int:
    return list(type(member)).index(member)


class Committee(FactModel):
    """The evaluation committee (评审委员会)."""

    LABEL_PREFIX: ClassVar[bool] = False

    name: Text | None = fact("评委会名称", "committee name")
    level: CommitteeLevel | None = fact("评委会层级", "committee level")
    series: TitleSeries | None = fact("评审系列", "series evaluated")
    specialties: list[Text] | None = fact("评审专业范围", "specialties evaluated")
    organiser: Text | None = fact("组建单位", "unit that formed the committee")
    organiser_level: AdminLevel | None = fact(
        "组建单位级别", "level of the unit that formed the committee"
    )
    office: Text | None = fact("办事（承办）机构", "committee office")
    self_evaluating: Flag | None = fact("是否自主评审单位", "self-evaluating unit")
    valid_from: FactDate | None = fact("核准备案有效期起", "start of the approved term")
    valid_until: FactDate | None = fact("核准备案有效期止", "end of the approved term")
    refiled: Flag | None = fact(
        "期满后是否已重新组建并核准备案", "re-formed and re-filed after the term"
    )
    refiled_on: FactDate | None = fact("重新核准备案日期", "date of re-filing")
    expert_pool_size: Count | None = fact("专家库现有人数", "experts in the pool")
    expert_pool_renewed_on: FactDate | None = fact(
        "专家库换届（组建）日期", "date the expert pool was renewed"
    )
    expert_pool_term_end: FactDate | None = fact(
        "专家库本届届满日期", "end of the expert pool's term"
    )
    rules_established: Flag | None = fact(
        "是否制定评审办法、管理制度", "evaluation rules and management system established"
    )


class Notice(FactModel):
    """The committee's evaluation notice (评审通知)."""

    published_on: FactDate | None = fact("发布日期", "date of publication")
    channels: list[PublicityChannel] | None = fact("发布渠道", "publication channels")
    contents: frozenset[NoticeContent] | None = fact(
        "通知载明事项", "contents stated in the notice"
    )
    application_start: FactDate | None = fact("网上申报起始日", "start of online applications")
    application_end: FactDate | None = fact("网上申报截止日", "end of online applications")
    review_start: FactDate | None = fact("网上审核起始日", "start of online review")
    review_end: FactDate | None = fact("网上审核截止日", "end of online review")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Selection(FactModel):
    """Random selection of the year's experts from the pool (评委会专家抽取)."""

    held_on: FactDate | None = fact("抽取日期", "date of the selection")
    pool_size: Count | None = fact("专家库人数", "experts in the pool")
    selected: Count | None = fact("抽取评审专家人数", "experts selected")
    alternates_selected: Count | None = fact("抽取备用评委专家人数", "alternate experts selected")
    random: Flag | None = fact("是否随机抽取", "selected at random")
    supervised: Flag | None = fact("是否有监督人员监督", "supervised")
    selectors_signed: Count | None = fact("签字确认的抽取人员人数", "selectors who signed")
    supervisor_signed: Flag | None = fact("监督人员是否签字确认", "supervisor signed")


class Member(FactModel):
    """A member of this year's committee (评委)."""

    name: Text | None = fact("姓名", "name")
    role: MemberRole | None = fact("角色", "role")
    employer: Text | None = fact("工作单位", "employer")
    from_private_enterprise: Flag | None = fact(
        "是否民营企业专家", "expert from a private enterprise"
    )
    attended: Flag | None = fact("是否出席评审会议", "attended the evaluation meeting")


class Minutes(FactModel):
    """The meeting record (会议记录)."""

    kept: Flag | None = fact("是否做好会议记录", "minutes kept")
    contents: frozenset[MinutesContent] | None = fact("记录内容", "contents recorded")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Meeting(FactModel):
    """The evaluation meeting (评审会议)."""

    start: FactDate | None = fact("开始日期", "start date")
    end: FactDate | None = fact("结束日期", "end date")
    venue: Text | None = fact("地点", "venue")
    attendees: Count | None = fact("出席评审专家人数", "experts attending")
    closed: Flag | None = fact("是否封闭管理", "held in closed session")
    supervised: Flag | None = fact("是否有监督人员全程监督", "supervised throughout")
    supervisor_signed: Flag | None = fact(
        "监督人员是否对评审结果签字确认", "supervisor signed the results"
    )
    chair_signed: Flag | None = fact("评委会主任是否签字确认", "committee chair signed")
    experts_signed: Flag | None = fact("评审专家是否签字确认", "experts signed")
    study_session: Flag | None = fact(
        "是否组织专家学习标准、程序和纪律",
        "experts studied the standards, procedure and discipline",
    )
    minutes: Minutes | None = fact("会议记录", "minutes")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise field_error("end", f"the meeting ends {self.end} before it starts {self.start}")
        return self


class ApplicantReview(FactModel):
    """How one applicant was reviewed and voted on (评议与投票)."""

    applicant_id: Text | None = fact("申报人记录编号", "applicant record number")
    applicant_name: Text | None = fact("申报人姓名", "applicant name")
    independent_reviewers: Count | None = fact(
        "独自审阅专家人数", "experts reviewing independently"
    )
    votes_for: Count | None = fact("赞成票", "votes for")
    votes_against: Count | None = fact("反对票", "votes against")
    abstentions: Count | None = fact("弃权票", "abstentions")
    withdrawn: Flag | None = fact("是否在投票前撤回", "withdrawn before the vote")
    passed: Flag | None = fact("是否通过", "passed")


class Filing(FactModel):
    """A filing with a supervising authority (备案/报告)."""

    kind: FilingKind | None = fact("备案类别", "kind of filing")
    filed_on: FactDate | None = fact("报送日期", "date submitted")
    filed_with: Text | None = fact("报送单位", "recipient")
    filed_with_role: AuthorityRole | None = fact("报送单位类别", "role of the recipient")
    contents: frozenset[FilingContent] | None = fact("备案内容", "contents filed")
    accepted: Flag | None = fact("是否通过备案", "filing accepted")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Complaint(FactModel):
    """A complaint or report received during publicity (信访举报)."""

    received_on: FactDate | None = fact("收到日期", "date received")
    during: PublicityKind | None = fact("所在公示期", "publicity period concerned")
    publicity_end: FactDate | None = fact("公示结束日期", "end of the publicity")
    applicant_id: Text | None = fact(
        "涉及申报人记录编号", "record number of the applicant concerned"
    )
    investigated_by: Text | None = fact("调查核实单位", "investigating unit")
    decided_on: FactDate | None = fact("提出处理意见日期", "date of the proposed handling")
    finding: ComplaintFinding | None = fact("核查结论", "finding")
    submit_to_committee: Flag | None = fact("是否提交评委会评审", "submitted to the committee")


class Procedure(FactModel):
    """One committee's evaluation round (评审工作记录)."""

    RECORD_KEY: ClassVar[str] = "procedure"

    id: Text | None = fact("记录编号", "record number")
    year: Year | None = fact("评审年度", "evaluation year")
    committee: Committee | None = fact("评审委员会", "evaluation committee")
    notice: Notice | None = fact("评审通知", "evaluation notice")
    selection: Selection | None = fact("专家抽取", "expert selection")
    members: list[Member] | None = fact("评委会组成人员", "committee members")
    meeting: Meeting | None = fact("评审会议", "evaluation meeting")
    reviews: list[ApplicantReview] | None = fact("申报人评议", "applicant reviews")
    applicants_count: Count | None = fact("参评人数", "applicants evaluated")
    passed_count: Count | None = fact("评审通过人数", "applicants passed")
    planned_pass_rate: Ratio | None = fact("设定评审通过率", "planned pass rate")
    publicity: list[PublicityWindow] | None = fact("公示", "publicity")
    filings: list[Filing] | None = fact("备案", "filings")
    complaints: list[Complaint] | None = fact("信访举报", "complaints and reports")
    results_issued_on: FactDate | None = fact(
        "评审结果发文（审核公布）日期", "date the results were issued"
    )
    self_check_done: Flag | None = fact(
        "是否对照监督检查工作清单自查", "self-check against the supervision checklist done"
    )
    archived: Flag | None = fact("纸质材料是否归档", "paper materials archived")

    @model_validator(mode="after")
    def _passed_within_applicants(self) -> Self:
        if (
            self.applicants_count is not None
            and self.passed_count is not None
            and self.passed_count > self.applicants_count
        ):
            raise field_error(
                "passed_count",
                f"{self.passed_count} passed exceeds the {self.applicants_count} applicants",
            )
        return self
