"""Identity-number validation (GB 11643-1999, ISO 7064 MOD 11-2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from titlerules.facts.idcard import (
    IdNumberError,
    check_id_number,
    id_check_character,
    looks_like_id_number,
)

CHARACTERS = "0123456789X"


def test_known_numbers_validate_and_state_birth_date_and_gender() -> None:
    info = check_id_number("53293019800621064X")
    assert info.birth_date == date(1980, 6, 21)
    assert info.region_code == "532930"
    assert info.sequence == "064"
    assert info.is_male is False
    assert check_id_number("530111196008150130").is_male is True


def test_lowercase_x_is_normalised() -> None:
    assert check_id_number("53293019800621064x").number == "53293019800621064X"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("532930198006210643", "check digit should be 'X', got '3'"),
        ("53293019800621064", "an identity number has 18 characters, got 17"),
        ("5329301980062106A4", "the first 17 characters of an identity number must be digits"),
        ("532930198013210648", "characters 7-14 should be a birth date YYYYMMDD, got '19801321'"),
        ("532930198006210647", "check digit should be 'X', got '7'"),
    ],
)
def test_invalid_numbers_say_why(number: str, message: str) -> None:
    with pytest.raises(IdNumberError) as caught:
        check_id_number(number)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_shape() -> None:
    assert looks_like_id_number("53293019800621064X")
    assert not looks_like_id_number("E12345678")
    assert not looks_like_id_number("942000198107150036X")


_bodies = st.builds(
    lambda region, born, sequence: f"{region:06d}{born:%Y%m%d}{sequence:03d}",
    st.integers(min_value=110000, max_value=829999),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(_bodies)
def test_computed_check_character_validates(body: str) -> None:
    number = body + id_check_character(body)
    info = check_id_number(number)
    assert info.number == number
    assert info.birth_date.strftime("%Y%m%d") == body[6:14]
    assert info.is_male == (int(body[16]) % 2 == 1)


@given(_bodies, st.integers(min_value=0, max_value=17), st.sampled_from(CHARACTERS))
def test_changing_any_one_character_fails(body: str, position: int, replacement: str) -> None:
    number = body + id_check_character(body)
    if number[position] == replacement:
        replacement = CHARACTERS[(CHARACTERS.index(replacement) + 1) % len(CHARACTERS)]
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdNumberError):
        check_id_number(changed)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_is_one_of_eleven(digits: str) -> None:
    assert id_check_character(digits) in CHARACTERS


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_is_gb_11643s(digits: str) -> None:
    # GB 11643-1999 §8.2: a1 = (12 - (Σ ai·Wi mod 11)) mod 11, Wi = 2^(i-1) mod 11, the
    # characters numbered 18 down to 2 from the left; 10 is written X.
    total = sum(int(a) * (2 ** (i - 1) % 11) for a, i in zip(digits, range(18, 1, -1), strict=True))
    a1 = (12 - total % 11) % 11
    assert id_check_character(digits) == ("X" if a1 == 10 else str(a1))
