"""Business days are counted (weekdays less the weekday holidays between), not walked day by
day: the dashboard counts every request of a center on a view, some open for years. The
count equals the walk over Korea's calendar."""

from __future__ import annotations

import random
from datetime import date

import holidays

from diagnose.services.requests import business_days


def _walk(start: date, end: date) -> int:
    korean = holidays.country_holidays("KR", years=range(start.year, end.year + 1))
    days, day = 0, start
    while day < end:
        day = date.fromordinal(day.toordinal() + 1)
        days += day.weekday() < 5 and day not in korean
    return days


def test_the_count_equals_the_walk_day_by_day():
    rnd = random.Random(20)
    first = date(2023, 1, 1).toordinal()
    for _ in range(400):
        start = date.fromordinal(first + rnd.randrange(1500))
        end = date.fromordinal(start.toordinal() + rnd.randrange(-10, 1100))
        assert business_days(start, end) == _walk(start, end), (start, end)
    # October 2025: National Foundation Day (Fri 3), Chuseok (Sun 5 – Tue 7) and its
    # substitute day (Wed 8), Hangul Day (Thu 9): from Thursday the 2nd, the 10th is the first
    assert business_days(date(2025, 10, 2), date(2025, 10, 10)) == 1
