"""Task words are read as words (issue 16): "routine" is no route, "wasted" holds no 'AS',
"taxi" is no tax; a Korean word inside another one of another meaning (공정거래, 인사말) is
not read either.
"""

from __future__ import annotations

import re

import pytest
from test_roadmap import DATA

from diagnose.roadmap.planner import (
    PROJECT_WORDS,
    TASK_WORDS,
    _jobs_named_in,
    _project_module,
    words_in,
)

MODULES = DATA.catalogue.by_id

# --- 4. task words are words -----------------------------------------------------------------

LATIN = re.compile(r"[A-Za-z]")


def _entries():
    for job, words in TASK_WORDS.items():
        yield from ((job, w) for w in words)
    for module_id, words in PROJECT_WORDS.items():
        yield from ((module_id, w) for w in words)


@pytest.mark.parametrize(("owner", "word"), [e for e in _entries() if LATIN.search(e[1])])
def test_a_latin_word_is_never_read_inside_another_word(owner, word):
    """Every Latin entry, with letters before or after it that make another word, is not read:
    'rout' is no part of 'routine', 'AS' none of 'wasted' or 'BASE', 'tax' none of 'taxi'."""
    for text in (
        f"the x{word} thing",
        f"the {word}ine thing",
        f"the {word}q thing",
        f"the un{word}x thing",
        f"the {word.upper()}X thing",
        f"the Q{word.upper()} thing",
    ):
        assert not words_in(text, (word,)), (word, text)
    # the word itself, in a sentence, in either script's neighbourhood, is read
    for text in (f"our {word} work", f"{word} 업무", f"({word})"):
        assert words_in(text, (word,)), (word, text)


@pytest.mark.parametrize(
    ("task", "job", "read"),
    [
        ("Automate the routine weekly report", "purchasing_logistics", False),
        ("time wasted on meeting notes", "customer_service", False),
        ("book a taxi for visitors", "admin", False),
        ("a new inventor's patent drafts", "purchasing_logistics", False),
        ("revision of the drawings", "quality", False),
        ("plan delivery routes for our vans", "purchasing_logistics", True),
        ("routing the trucks each morning", "purchasing_logistics", True),
        ("deliveries are late", "purchasing_logistics", True),
        ("inventory counts by hand", "purchasing_logistics", True),
        ("answer customers' enquiries", "customer_service", True),
        ("AS 접수와 고객 상담", "customer_service", True),
        ("VAT and tax filing", "admin", True),
        ("사무실 인사말 카드 만들기", "admin", False),
        ("공정거래 관련 서류 정리", "production", False),
        ("생산 공정 데이터 정리", "production", True),
    ],
)
def test_a_task_is_read_by_its_words_not_by_substrings(task, job, read):
    assert (job in _jobs_named_in(task)) is read, (task, _jobs_named_in(task))


@pytest.mark.parametrize(
    ("task", "track", "module"),
    [
        ("Cut the average handling time of calls", "shared_center", "sc_llm_app_dev"),
        ("revision history of the drawings", "shared_center", "sc_vision_inspection"),
        ("imagine a better storage layout", "shared_center", "sc_vision_inspection"),
    ],
)
def test_a_project_is_not_chosen_by_a_word_inside_another(task, track, module):
    assert _project_module(track, "admin", task, MODULES) != module
    assert _project_module(track, "admin", "RAG 기반 사내 문서 챗봇", MODULES) == "sc_llm_app_dev"
