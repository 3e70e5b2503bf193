"""사업자등록번호 (Korean business registration number): format and check digit."""

from __future__ import annotations

import re

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalise(raw: str) -> str:
    """Strip the separators people type (``123-45-67890``, spaces) and keep the digits."""
    return re.sub(r"[\s\-.]", "", raw or "")


def check_digit(first_nine: str) -> int:
    """The tenth digit that the National Tax Service's weighting gives the first nine."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10


def is_valid(raw: str) -> bool:
    number = normalise(raw)
    return bool(re.fullmatch(r"\d{10}", number)) and check_digit(number[:9]) == int(number[9])


def format_number(raw: str) -> str:
    """``1234567890`` -> ``123-45-67890``, the way it is printed on a certificate."""
    number = normalise(raw)
    return f"{number[:3]}-{number[3:5]}-{number[5:]}" if len(number) == 10 else raw
