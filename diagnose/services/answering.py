"""One answering engine under both ways a questionnaire is answered.

A training doctor's interview (a draft assessment, one page per dimension, notes beside the
answers) and a firm owner's self-assessment by link (a few questions a screen, no notes) are
the same thing: a questionnaire version, a profile and answers kept as a draft, pages in
order, skip logic that hides follow-ups (and screens left with nothing to ask), "not
applicable" stored as its marker, progress, a place to resume, and saves that keep whatever
was typed. ``Answering`` is that thing; where it is kept differs, so each way in brings its
``store``: ``interview`` below, ``services.self_assessment.answering`` for a link. The two web
flows (``web/consultant.py``, ``web/self_assessment.py``) are views over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlite_utils

from ..diagnosis.scoring import is_answered, missing_required
from ..questionnaire.schema import Catalogue, Dimension, Item, Questionnaire
from ..questionnaire.types import is_empty
from ..records.assessments import carried_answers, load_answers
from ..records.questionnaire_versions import questionnaire_of
from . import caseload

PROFILE, REVIEW = "profile", "review"


@dataclass(frozen=True)
class Page:
    """One page (a screen) of answering: profile fields, questions, or the review."""

    key: str
    kind: str  # "profile", "items" or "review"
    fields: tuple[str, ...] | None = None  # profile field or item ids; None: all of them
    dimension: str = ""


class Store(Protocol):
    """Where a draft is kept: ``save`` merges one page's values, valid or not, and returns the
    time of the save."""

    def save(
        self,
        page: Page,
        profile: Mapping[str, Any] | None,
        answers: Mapping[str, Any],
        notes: Mapping[str, str],
    ) -> str: ...


@dataclass
class Answering:
    """A draft being answered: its questionnaire version, profile, answers and notes, its
    pages in order, and its store."""

    questionnaire: Questionnaire
    profile: dict[str, Any]
    answers: dict[str, Any]
    pages: list[Page]
    store: Store
    notes: dict[str, str] = field(default_factory=dict)
    # answers still as carried over from an earlier assessment (item -> where from)
    carried: dict[str, int] = field(default_factory=dict)
    with_notes: bool = True

    # --- pages ---------------------------------------------------------------------------------

    @property
    def steps(self) -> list[str]:
        return [p.key for p in self.pages]

    def page(self, key: str) -> Page | None:
        return next((p for p in self.pages if p.key == key), None)

    def dimension(self, page: Page | str) -> Dimension:
        key = page.dimension if isinstance(page, Page) else page
        return next(d for d in self.questionnaire.dimensions if d.id == key)

    def items(self, page: Page) -> list[Item]:
        if page.kind != "items":
            return []
        return [i for i in self.dimension(page).items if page.fields is None or i.id in page.fields]

    def is_shown(self, page: Page) -> bool:
        """Whether a page has something to ask, given the answers so far (skip logic)."""
        return page.kind != "items" or any(i.shown(self.answers) for i in self.items(page))

    @property
    def shown_pages(self) -> list[Page]:
        return [p for p in self.pages if self.is_shown(p)]

    def neighbour(self, key: str, offset: int) -> str:
        """The shown page ``offset`` away from ``key`` (a hidden one counts from its place)."""
        every = self.steps
        shown = [p.key for p in self.shown_pages]
        if key in shown:
            index = shown.index(key) + offset
        else:  # hidden now: go on from the next shown page after its place
            later = [k for k in shown if every.index(k) > every.index(key)]
            index = shown.index(later[0]) + min(offset, 0) if later else len(shown) - 1
        return shown[max(0, min(index, len(shown) - 1))]

    def resume(self, is_valid: Callable[[Page], bool]) -> str:
        """Where to pick up: the first shown page whose stored answers ``is_valid`` refuses
        (missing, or not valid as typed), else the review."""
        for page in self.shown_pages:
            if page.kind != "review" and not is_valid(page):
                return page.key
        return REVIEW

    # --- answers -------------------------------------------------------------------------------

    def keep(
        self,
        page: Page,
        profile: Mapping[str, Any] | None = None,
        answers: Mapping[str, Any] | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> str:
        """Store what a page holds, valid or not (a draft never loses what was typed), and
        hold it here too, so that the counters beside a refused page are right.

        Only the questions whose answer or note differs from what is held, or whose answer is
        still carried over (saving it on its page confirms it), are written: a background save
        every few seconds rewrites the one note being typed, not the whole page."""
        answers, notes = answers or {}, notes or {}
        written = {
            item_id
            for item_id in answers.keys() | notes.keys()
            if item_id in self.carried
            or (
                item_id in answers
                and (None if is_empty(answers[item_id]) else answers[item_id])
                != self.answers.get(item_id)
            )
            or (item_id in notes and (notes[item_id] or "") != self.notes.get(item_id, ""))
        }
        if profile is not None:
            self.profile.update(profile)
        for item_id, value in answers.items():
            if is_empty(value):
                self.answers.pop(item_id, None)
            else:
                self.answers[item_id] = value
            self.carried.pop(item_id, None)
        self.notes.update(notes)
        return self.store.save(
            page,
            profile,
            {i: v for i, v in answers.items() if i in written},
            {i: n for i, n in notes.items() if i in written},
        )

    def choice_answers(self) -> dict[str, list[str]]:
        """The option answers, as lists, for a page's live skip logic."""
        return {
            item.id: value if isinstance(value, list) else [value]
            for item in self.questionnaire.items()
            if item.kind.has_options and (value := self.answers.get(item.id))
        }

    def asked(self) -> list[Item]:
        """The questions of these pages."""
        return [i for p in self.pages for i in self.items(p)]

    def progress(self) -> tuple[int, int]:
        """``(answered, shown)`` questions of the pages: hidden follow-ups count in neither."""
        shown = [i for i in self.asked() if i.shown(self.answers)]
        return sum(1 for i in shown if is_answered(i, self.answers.get(i.id))), len(shown)

    def progress_by_dimension(self) -> dict[str, dict[str, int]]:
        """Answered, shown and required-missing counts per dimension, for the progress
        indicator: a follow-up the answers hide counts in neither."""
        missing = missing_required(self.questionnaire, self.answers)
        counts = {}
        for d in self.questionnaire.dimensions:
            shown = [i for i in d.items if i.shown(self.answers)]
            counts[d.id] = {
                "answered": sum(1 for i in shown if is_answered(i, self.answers.get(i.id))),
                "total": len(shown),
                "missing": len(missing.get(d.id, [])),
            }
        return counts


# --- a training doctor's interview -----------------------------------------------------------


def interview_pages(questionnaire: Questionnaire) -> list[Page]:
    """The firm's details, one page per dimension, the review."""
    return [
        Page(PROFILE, "profile"),
        *(Page(d.id, "items", None, d.id) for d in questionnaire.dimensions),
        Page(REVIEW, "review"),
    ]


@dataclass
class DraftStore:
    """A consultant's draft assessment: each save audited under the consultant's name, in
    the same transaction (``caseload.save_page``)."""

    db: sqlite_utils.Database
    assessment_id: int
    user: Any

    def save(self, page, profile, answers, notes) -> str:
        return caseload.save_page(
            self.db,
            self.user,
            self.assessment_id,
            page.key,
            dict(answers),
            dict(notes),
            profile=None if profile is None else dict(profile),
        )


def interview(
    db: sqlite_utils.Database, catalogue: Catalogue, record: dict[str, Any], user: Any
) -> Answering:
    """A consultant's draft (``record``: the assessment, read within the user's center)."""
    questionnaire = questionnaire_of(db, catalogue, record)
    answers, notes = load_answers(db, record["id"])
    return Answering(
        questionnaire=questionnaire,
        profile=record["profile"],
        answers=answers,
        notes=notes,
        pages=interview_pages(questionnaire),
        store=DraftStore(db, record["id"], user),
        carried=carried_answers(db, record["id"]),
    )
