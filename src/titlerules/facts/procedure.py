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

    name: Text | None = fact("评委会名称")
    level: CommitteeLevel | None = fact("评委会层级")
    series: TitleSeries | None = fact("评审系列")
    specialties: list[Text] | None = fact("评审专业范围")
    organiser: Text | None = fact("组建单位")
    organiser_level: AdminLevel | None = fact("组建单位级别")
    office: Text | None = fact("办事（承办）机构")
    self_evaluating: Flag | None = fact("是否自主评审单位")
    valid_from: FactDate | None = fact("核准备案有效期起")
    valid_until: FactDate | None = fact("核准备案有效期止")
    refiled: Flag | None = fact("期满后是否已重新组建并核准备案")
    refiled_on: FactDate | None = fact("重新核准备案日期")
    expert_pool_size: Count | None = fact("专家库现有人数")
    expert_pool_renewed_on: FactDate | None = fact("专家库换届（组建）日期")
    expert_pool_term_end: FactDate | None = fact("专家库本届届满日期")
    rules_established: Flag | None = fact("是否制定评审办法、管理制度")


class Notice(FactModel):
    """The committee's evaluation notice (评审通知)."""

    published_on: FactDate | None = fact("发布日期")
    channels: list[PublicityChannel] | None = fact("发布渠道")
    contents: frozenset[NoticeContent] | None = fact("通知载明事项")
    application_start: FactDate | None = fact("网上申报起始日")
    application_end: FactDate | None = fact("网上申报截止日")
    review_start: FactDate | None = fact("网上审核起始日")
    review_end: FactDate | None = fact("网上审核截止日")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Selection(FactModel):
    """Random selection of the year's experts from the pool (评委会专家抽取)."""

    held_on: FactDate | None = fact("抽取日期")
    pool_size: Count | None = fact("专家库人数")
    selected: Count | None = fact("抽取评审专家人数")
    alternates_selected: Count | None = fact("抽取备用评委专家人数")
    random: Flag | None = fact("是否随机抽取")
    supervised: Flag | None = fact("是否有监督人员监督")
    selectors_signed: Count | None = fact("签字确认的抽取人员人数")
    supervisor_signed: Flag | None = fact("监督人员是否签字确认")


class Member(FactModel):
    """A member of this year's committee (评委)."""

    name: Text | None = fact("姓名")
    role: MemberRole | None = fact("角色")
    employer: Text | None = fact("工作单位")
    from_private_enterprise: Flag | None = fact("是否民营企业专家")
    attended: Flag | None = fact("是否出席评审会议")


class Minutes(FactModel):
    """The meeting record (会议记录)."""

    kept: Flag | None = fact("是否做好会议记录")
    contents: frozenset[MinutesContent] | None = fact("记录内容")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Meeting(FactModel):
    """The evaluation meeting (评审会议)."""

    start: FactDate | None = fact("开始日期")
    end: FactDate | None = fact("结束日期")
    venue: Text | None = fact("地点")
    attendees: Count | None = fact("出席评审专家人数")
    closed: Flag | None = fact("是否封闭管理")
    supervised: Flag | None = fact("是否有监督人员全程监督")
    supervisor_signed: Flag | None = fact("监督人员是否对评审结果签字确认")
    chair_signed: Flag | None = fact("评委会主任是否签字确认")
    experts_signed: Flag | None = fact("评审专家是否签字确认")
    study_session: Flag | None = fact("是否组织专家学习标准、程序和纪律")
    minutes: Minutes | None = fact("会议记录")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise field_error("end", f"the meeting ends {self.end} before it starts {self.start}")
        return self


class ApplicantReview(FactModel):
    """How one applicant was reviewed and voted on (评议与投票)."""

    applicant_id: Text | None = fact("申报人记录编号")
    applicant_name: Text | None = fact("申报人姓名")
    independent_reviewers: Count | None = fact("独自审阅专家人数")
    votes_for: Count | None = fact("赞成票")
    votes_against: Count | None = fact("反对票")
    abstentions: Count | None = fact("弃权票")
    withdrawn: Flag | None = fact("是否在投票前撤回")
    passed: Flag | None = fact("是否通过")


class Filing(FactModel):
    """A filing with a supervising authority (备案/报告)."""

    kind: FilingKind | None = fact("备案类别")
    filed_on: FactDate | None = fact("报送日期")
    filed_with: Text | None = fact("报送单位")
    filed_with_role: AuthorityRole | None = fact("报送单位类别")
    contents: frozenset[FilingContent] | None = fact("备案内容")
    accepted: Flag | None = fact("是否通过备案")

    @field_serializer("contents", when_used="json")
    def _contents_in_order(self, values: frozenset[ZhEnum] | None) -> list[str] | None:
        return _in_declaration_order(values)


class Complaint(FactModel):
    """A complaint or report received during publicity (信访举报)."""

    received_on: FactDate | None = fact("收到日期")
    during: PublicityKind | None = fact("所在公示期")
    publicity_end: FactDate | None = fact("公示结束日期")
    applicant_id: Text | None = fact("涉及申报人记录编号")
    investigated_by: Text | None = fact("调查核实单位")
    decided_on: FactDate | None = fact("提出处理意见日期")
    finding: ComplaintFinding | None = fact("核查结论")
    submit_to_committee: Flag | None = fact("是否提交评委会评审")


class Procedure(FactModel):
    """One committee's evaluation round (评审工作记录)."""

    RECORD_KEY: ClassVar[str] = "procedure"

    id: Text | None = fact("记录编号")
    year: Year | None = fact("评审年度")
    committee: Committee | None = fact("评审委员会")
    notice: Notice | None = fact("评审通知")
    selection: Selection | None = fact("专家抽取")
    members: list[Member] | None = fact("评委会组成人员")
    meeting: Meeting | None = fact("评审会议")
    reviews: list[ApplicantReview] | None = fact("申报人评议")
    applicants_count: Count | None = fact("参评人数")
    passed_count: Count | None = fact("评审通过人数")
    planned_pass_rate: Ratio | None = fact("设定评审通过率")
    publicity: list[PublicityWindow] | None = fact("公示")
    filings: list[Filing] | None = fact("备案")
    complaints: list[Complaint] | None = fact("信访举报")
    results_issued_on: FactDate | None = fact("评审结果发文（审核公布）日期")
    self_check_done: Flag | None = fact("是否对照监督检查工作清单自查")
    archived: Flag | None = fact("纸质材料是否归档")

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
