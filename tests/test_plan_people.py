"""Who takes each module, and what a project is called, follow from the firm's own answers.

Their words are read as words:
- "비전" of a company's vision is no vision inspection, a "coworker" is no worker.
"""

from __future__ import annotations

import pytest

from diagnose.roadmap.planner import (
    _jobs_named_in,
    stated_headcounts,
)

# --- words read as words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "quality"),
    [
        ("회사 비전 수립과 중장기 전략 문서 작성", False),
        ("비전 2030 보고서 초안 쓰기", False),
        ("경영비전 선포식 자료 만들기", False),
        ("Write our company vision statement", False),
        ("a vision for 2030 and the plan behind it", False),
        ("비전 검사로 용접 불량 찾기", True),
        ("머신비전 카메라로 외관 검사", True),
        ("vision inspection of welds", True),
    ],
)
def test_a_companys_vision_is_no_vision_inspection(task, quality):
    assert ("quality" in _jobs_named_in(task)) is quality, task


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("coworker 3명과 함께 하는 일", {}),
        ("3 coworkers help", {}),
        ("workers 5명이 손으로 기록", {"production": 5}),
        ("5 workers on the line", {"production": 5}),
        ("작업자 4명이 검사", {"production": 4}),
        ("5 developers", {"engineers": 5}),
        ("a data team of 3", {"engineers": 3}),
    ],
)
def test_a_staff_count_word_is_read_as_a_word(text, counted):
    assert stated_headcounts({"need_task": text}, 50) == counted, text
