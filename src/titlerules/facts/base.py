"""facts layer: pydantic record models, pure, no DSL knowledge.

The shared base of every record model and the small value types records are written in:
dates (ISO ``2024-03-01``; also ``2024/3/1``, ``2024.3.1`` and ``2024年3月1日``), non-empty
text, yes/no flags (also ``是``/``否``), non-negative counts and exact fractions.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

__all__ = [
    "Count",
    "FactDate",
    "FactModel",
    "Flag",
    "Hours",
    "Ratio",
    "Text",
    "Year",
    "fact",
    "required",
]

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        match = _DATE.fullmatch(raw.strip())
        if match is not None:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
    raise PydanticCustomError("fact_date", "invalid date '{value}'", {"value": str(raw)})


def _parse_flag(raw: object) -> object:
    if isinstance(raw, str):
        text = raw.strip()
        if text in ("是", "有"):
            return True
        if text in ("否", "无"):
            return False
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw not in (0, 1):
        raise PydanticCustomError(
            "fact_flag", "expected true or false, got '{value}'", {"value": str(raw)}
        )
    return raw


#: Largest power of ten a ratio's number may carry (``1e99999999%`` would make Python
#: compute a hundred-million-digit integer) and most digits it may have: a rate in a record
#: is a share such as 3/10, 30% or 0.3.
MAX_RATIO_EXPONENT = 18
MAX_RATIO_DIGITS = 30


def _bounded_number(text: str) -> None:
    """Refuse (ValueError) a number whose size would make exact arithmetic on it slow;
    text that is no number is left to Fraction and Decimal to refuse."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return
    if number.is_finite() and (
        len(number.as_tuple().digits) > MAX_RATIO_DIGITS
        or abs(number.adjusted()) > MAX_RATIO_EXPONENT
    ):
        raise ValueError(text)


def _parse_ratio(raw: object) -> object:
    if isinstance(raw, str):
        text = raw.strip()
        try:
            if text.endswith("%"):
                _bounded_number(text[:-1].strip())
                return Fraction(Decimal(text[:-1].strip())) / 100
            for part in text.split("/"):
                _bounded_number(part.strip())
            return Fraction(text)
        except (ValueError, ZeroDivisionError, InvalidOperation, OverflowError):
            raise PydanticCustomError(
                "fact_ratio",
                "invalid fraction '{value}'; write it as 3/10 or 30%",
                {"value": text},
            ) from None
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):  # .nan, .inf: no fraction
            raise PydanticCustomError(
                "fact_ratio", "invalid fraction '{value}'; write it as 3/10 or 30%", {"value": raw}
            )
        # YAML reads 0.3 as a float; its shortest decimal spelling is what the author wrote.
        return Fraction(Decimal(repr(raw)))
    return raw


FactDate = Annotated[date, BeforeValidator(_parse_date)]
"""A calendar date."""

Text = Annotated[str, Field(min_length=1)]
"""Non-empty text (leading and trailing blanks are stripped first)."""

Flag = Annotated[bool, BeforeValidator(_parse_flag)]
"""true/false (also yes/no, 是/否)."""

Count = Annotated[int, Field(ge=0)]
"""A non-negative whole number."""

Year = Annotated[int, Field(ge=1949, le=2100)]
"""A calendar year."""

Hours = Annotated[Decimal, Field(ge=0)]
"""A non-negative exact decimal (e.g. continuing-education hours)."""

Ratio = Annotated[
    Fraction,
    BeforeValidator(_parse_ratio),
    Field(ge=0, le=1),
    PlainSerializer(lambda value: str(value), return_type=str),
]
"""An exact fraction between 0 and 1, written ``3/10`` or ``30%``."""


def _labels(zh: str, en: str) -> dict[str, Any]:
    return {"description": zh, "json_schema_extra": {"zh": zh, "en": en}}


def fact(zh: str, en: str, default: Any = None, **kwargs: Any) -> Any:
    """An optional field (unknown = ``None``) with its Chinese and English labels.

    The labels are written once here: ``zh`` (the notices' own term; a yes/no field is
    phrased as its question, 是否…) and ``en`` (plain English; a yes/no field as the
    statement it answers). They are the field's ``json_schema_extra`` ``{"zh": …, "en": …}``
    and ``zh`` is also its ``description``; :mod:`titlerules.facts.labels` reads them.
    """
    return Field(default, **_labels(zh, en), **kwargs)


def required(zh: str, en: str, **kwargs: Any) -> Any:
    """A mandatory field with its Chinese and English labels (see :func:`fact`)."""
    return Field(..., **_labels(zh, en), **kwargs)


class FactModel(BaseModel):
    """Base of every record model: immutable, unknown keys rejected, text stripped.

    ``LABEL_PREFIX`` says how the fields of a nested model are labelled: with the label of
    the field that holds the model in front (``评审会议·开始日期``, the default), or alone
    (``False``: a section such as ``employment`` whose fields' labels stand on their own).
    """

    LABEL_PREFIX: ClassVar[bool] = True

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
        validate_default=False,
        use_enum_values=False,
        # A model's validator is built when the model is first used: one check builds the
        # models of the record it reads, not the procedure's or the historical tables'.
        defer_build=True,
    )

    @classmethod
    def __pydantic_on_complete__(cls) -> None:
        # Built: validate the quick way first (titlerules.facts.fastpath).
        super().__pydantic_on_complete__()
        from titlerules.facts import fastpath

        fastpath.install(cls)
