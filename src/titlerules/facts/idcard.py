"""facts layer: pydantic record models, pure, no DSL knowledge.

Mainland resident identity numbers (公民身份号码, GB 11643-1999): 6-digit region code,
8-digit birth date ``YYYYMMDD``, 3-digit sequence code (odd for men, even for women) and an
ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``). The same layout is used by the
residence permits of Hong Kong, Macau and Taiwan residents (港澳台居民居住证).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

__all__ = [
    "IdInfo",
    "IdNumberError",
    "check_id_number",
    "id_check_character",
    "looks_like_id_number",
]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARACTERS = "10X98765432"
_CODE_OFFSET = ord("0") * sum(_WEIGHTS)
_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")


class IdNumberError(ValueError):
    """An identity number that is not a valid GB 11643 number; the message says why, and
    ``zh`` says it in Chinese."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh if zh is not None else message


@dataclass(frozen=True, slots=True)
class IdInfo:
    """What a valid identity number states about its holder."""

    number: str
    region_code: str
    birth_date: date
    sequence: str
    is_male: bool


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdNumberError(
            f"expected 17 digits, got {first17!r}", f"应为 17 位数字，实为 {first17!r}"
        )
    # (the digits' character codes, each 48 more than the digit: the weights' sum times 48 less)
    total = sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _CODE_OFFSET
    return _CHECK_CHARACTERS[total % 11]


def looks_like_id_number(text: str) -> bool:
    """True if ``text`` has the shape of an 18-character identity number (17 digits + check)."""
    return _SHAPE.fullmatch(text.strip()) is not None


def check_id_number(number: str) -> IdInfo:
    """Validate an 18-character identity number and return what it states.

    A lowercase ``x`` is accepted and normalised to ``X``. Raises :class:`IdNumberError`
    (a :class:`ValueError`) with a plain message, e.g. ``check digit should be 'X', got '3'``.
    """
    text = number.strip().upper()
    if len(text) != 18:
        raise IdNumberError(
            f"an identity number has 18 characters, got {len(text)}",
            f"身份证号码应为 18 位，实为 {len(text)} 位",
        )
    if not (text[:17].isascii() and text[:17].isdigit()):
        raise IdNumberError(
            "the first 17 characters of an identity number must be digits",
            "身份证号码前 17 位须为数字",
        )
    if not (text[17].isdigit() or text[17] == "X"):
        raise IdNumberError(
            f"the last character must be a digit or 'X', got {text[17]!r}",
            f"最后一位须为数字或 X，实为 {text[17]!r}",
        )
    birth_text = text[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise IdNumberError(
            f"characters 7-14 should be a birth date YYYYMMDD, got {birth_text!r}",
            f"第 7–14 位应为出生日期（年月日 8 位），实为 {birth_text!r}",
        ) from None
    expected = id_check_character(text[:17])
    if text[17] != expected:
        raise IdNumberError(
            f"check digit should be {expected!r}, got {text[17]!r}",
            f"校验位应为 {expected!r}，实为 {text[17]!r}",
        )
    return IdInfo(
        number=text,
        region_code=text[:6],
        birth_date=birth,
        sequence=text[14:17],
        is_male=int(text[16]) % 2 == 1,
    )
