"""facts layer: pydantic record models, pure, no DSL knowledge.

Xianning's attachments as records: the 12-field historical title record (湖北省职称历史数据
采集表, attachment 4; every field mandatory) and the post/vacancy table (2024年度事业单位高、
中级职称申报情况核定表, attachment 1).
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import ValidationInfo, field_validator, model_validator

from titlerules.facts.applicant import (
    checked_id_number,
    field_error,
    id_number_mismatch,
)
from titlerules.facts.base import Count, FactDate, FactModel, Text, fact, required
from titlerules.facts.enums import Gender, IdType

__all__ = [
    "HISTORICAL_FIELDS",
    "HistoricalTitleRecord",
    "PostCounts",
    "PostTable",
    "PostTableApplicant",
]

HISTORICAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("gender", "性别"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("birth_date", "出生日期"),
    ("series", "职称系列"),
    ("specialty", "专业名称"),
    ("title_name", "职称名称"),
    ("evaluating_body", "评审组织"),
    ("approving_body", "批准单位"),
    ("approval_number", "批准文号"),
    ("approval_date", "批准日期"),
)
"""The 12 fields of attachment 4, in the table's column order: (field, 中文列名)."""


class HistoricalTitleRecord(FactModel):
    """One row of the historical title-data record (all 12 fields mandatory).

    ``series`` is kept as written: historical data may use series names no longer current.
    """

    RECORD_KEY: ClassVar[str] = "historical_title_record"

    name: Text = required("姓名", "name")
    gender: Gender = required("性别", "gender")
    id_type: IdType = required("证件类型", "identity document type")
    id_number: Text = required("证件号码", "identity document number")
    birth_date: FactDate = required("出生日期", "date of birth")
    series: Text = required("职称系列", "title series")
    specialty: Text = required("专业名称", "specialty")
    title_name: Text = required("职称名称", "title name")
    evaluating_body: Text = required("评审组织", "evaluating body")
    approving_body: Text = required("批准单位", "approving body")
    approval_number: Text = required("批准文号", "approval document number")
    approval_date: FactDate = required("批准日期", "date of approval")

    @field_validator("id_number")
    @classmethod
    def _check_id_number(cls, value: str, info: ValidationInfo) -> str:
        id_type = info.data.get("id_type")
        checked = checked_id_number(value, id_type if isinstance(id_type, IdType) else None)
        return value if checked is None else checked

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problem = id_number_mismatch(self.id_type, self.id_number, self.birth_date, self.gender)
        if problem is not None:
            raise field_error("id_number", problem)
        if self.approval_date < self.birth_date:
            raise field_error("approval_date", "the approval date is before the birth date")
        return self


class PostCounts(FactModel):
    """One column of the post table: the counts for one level (or the total)."""

    posts: Count | None = fact("设岗情况", "posts set")
    appointed: Count | None = fact(
        "已聘情况（不含“双肩挑”）", "posts filled (excluding dual roles)"
    )
    awaiting: Count | None = fact("待聘情况", "awaiting appointment")
    vacancies: Count | None = fact("空岗情况", "vacant posts")
    vacant_post_applications: Count | None = fact("空岗申报", "applications for vacant posts")
    outside_quota_applications: Count | None = fact(
        "不占岗位申报", "applications outside the post quota"
    )

    @property
    def computed_vacancies(self) -> int | None:
        """``posts - appointed`` when both are known (the table's 空岗情况)."""
        if self.posts is None or self.appointed is None:
            return None
        return self.posts - self.appointed

    @model_validator(mode="after")
    def _vacancies_agree(self) -> Self:
        computed = self.computed_vacancies
        if computed is not None and computed < 0:
            raise field_error(
                "appointed", f"{self.appointed} appointed exceeds the {self.posts} posts"
            )
        if computed is not None and self.vacancies is not None and self.vacancies != computed:
            raise field_error(
                "vacancies",
                f"should be posts - appointed = {self.posts} - {self.appointed} = {computed}, "
                f"got {self.vacancies}",
            )
        return self


class PostTableApplicant(FactModel):
    """A line of 申报人员姓名及专业."""

    name: Text | None = fact("姓名", "name")
    specialty: Text | None = fact("专业", "specialty")
    level: Text | None = fact("申报层级", "level applied for")


_LEVEL_FIELDS = ("intermediate", "associate_senior", "senior")
_COUNT_FIELDS = tuple(PostCounts.model_fields)


class PostTable(FactModel):
    """A public institution's post/vacancy table (attachment 1)."""

    RECORD_KEY: ClassVar[str] = "post_table"

    unit: Text | None = fact("填报单位", "reporting unit")
    filled_on: FactDate | None = fact("填报时间", "date filled in")
    intermediate: PostCounts | None = fact("中级", "intermediate level")
    associate_senior: PostCounts | None = fact("副高", "associate senior level")
    senior: PostCounts | None = fact("正高", "senior level")
    total: PostCounts | None = fact("合计", "total")
    applicants: list[PostTableApplicant] | None = fact(
        "申报人员姓名及专业", "applicants' names and specialties"
    )
    department_approved_on: FactDate | None = fact(
        "主管部门审核日期", "date approved by the supervising department"
    )
    personnel_department_approved_on: FactDate | None = fact(
        "事业单位人事管理部门审核日期",
        "date approved by the public institutions' personnel department",
    )

    def computed_total(self, field: str) -> int | None:
        """The sum of ``field`` over the three levels, or ``None`` if any is unknown."""
        if field not in _COUNT_FIELDS:
            raise ValueError(f"unknown count {field!r}; expected one of {_COUNT_FIELDS}")
        values: list[int] = []
        for level in _LEVEL_FIELDS:
            counts: PostCounts | None = getattr(self, level)
            value = None if counts is None else getattr(counts, field)
            if value is None:
                return None
            values.append(value)
        return sum(values)

    @model_validator(mode="after")
    def _total_agrees(self) -> Self:
        if self.total is None:
            return self
        problems: list[str] = []
        for field in _COUNT_FIELDS:
            stated = getattr(self.total, field)
            computed = self.computed_total(field)
            if stated is not None and computed is not None and stated != computed:
                problems.append(f"{field} should be {computed} (中级+副高+正高), got {stated}")
        if problems:
            raise field_error("total", "; ".join(problems))
        return self
