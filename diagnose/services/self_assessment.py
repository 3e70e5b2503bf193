"""A firm owner's self-assessment on a phone, without an account, by a secret link.

Starting one gives the owner a link (``/r/<token>``, a long random secret of which only the
hash is stored) that brings back the same answers on any device until it expires; each save
moves the expiry on. The short form asks the questionnaire's ``self`` items, one a screen.
Submitting goes through ``submissions.intake`` like every other submission, so it is checked,
filed with the region's center as a self-assessed firm, diagnosed and its reports queued the
same way. From then on the same link shows the result: the owner may answer the remaining
questions to sharpen it (a second submission, filed with the same self-assessed firm) and ask
the regional center for a consultant (``services.requests``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from ..diagnosis.scoring import is_answered, is_visible
from ..questionnaire.schema import Catalogue, Item, Questionnaire
from ..records.assessments import assessment_record, load_answers, self_assessment_answers
from ..records.questionnaire_versions import questionnaire_of
from ..records.self_assessed import UNASSIGNED_CENTER, assessment_by_result_token
from ..storage import now, transaction
from . import submissions
from .answering import REVIEW, Answering, Page
from .submissions import hash_token

log = logging.getLogger(__name__)

# The firm's details, a few to a screen: who it is, where and what, how big, whom to reach.
PROFILE_SCREENS = (
    ("company", ("company_name", "business_number")),
    ("place", ("region", "industry")),
    ("size", ("employees", "revenue_band")),
    ("contact", ("contact_name", "contact_phone", "contact_email")),
)
FORMS = ("short", "full")
# About what one question takes on a phone: reading ~160 characters of question and options
# (at ~600 a minute) and a tap. An estimate, stated on the start page as "about N minutes".
SECONDS_PER_QUESTION = 20


class NotAnswering(Exception):
    """The self-assessment was submitted: its answers are the diagnosis's now."""


# One screen of a self-assessment: profile fields, questions, or the review
Screen = Page


def link_token() -> str:
    """A new link secret: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def _expiry(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")


# --- screens ---------------------------------------------------------------------------------


def asked_items(questionnaire: Questionnaire, form: str) -> list[Item]:
    """The questions a form asks: the short form's ``self`` items, or the others (the full
    form follows a submitted short form and asks what it left out)."""
    return [i for i in questionnaire.items() if i.self_assessment == (form == "short")]


def screens(questionnaire: Questionnaire, form: str) -> list[Screen]:
    """Every screen of a form in order, shown or not (skip logic decides per answer set).

    The short form: the firm's details on four screens, then one question a screen. The full
    form: the remaining questions, one dimension a screen. Both end with the review.
    """
    result: list[Screen] = []
    if form == "short":
        result += [Screen(key, "profile", fields) for key, fields in PROFILE_SCREENS]
        result += [
            Screen(item.id, "items", (item.id,), questionnaire.dimension_of(item.id).id)
            for item in asked_items(questionnaire, form)
        ]
    else:
        asked = {i.id for i in asked_items(questionnaire, form)}
        result += [
            Screen(d.id, "items", tuple(i.id for i in d.items if i.id in asked), d.id)
            for d in questionnaire.dimensions
            if any(i.id in asked for i in d.items)
        ]
    return [*result, Screen(REVIEW, "review")]


def questions_left(questionnaire: Questionnaire, form: str, answers: Mapping[str, Any]) -> int:
    """Shown questions of the form not answered yet."""
    return sum(
        1
        for item in asked_items(questionnaire, form)
        if is_visible(item, answers) and not is_answered(item, answers.get(item.id))
    )


@dataclass
class LinkStore:
    """Where a self-assessment's screens are saved: each save keeps the link working
    ``days`` more (``save``)."""

    db: sqlite_utils.Database
    row_id: int
    days: int

    def save(self, page: Page, profile, answers, notes) -> str:
        return save(self.db, self.row_id, self.days, answers=answers, profile=profile)


def answering(
    db: sqlite_utils.Database, catalogue: Catalogue, row: dict[str, Any], days: int
) -> Answering:
    """The self-assessment a link opened (``row``, from ``by_token``), to be answered on: the
    same engine as a consultant's interview, with the form's screens, without notes."""
    questionnaire = questionnaire_of(db, catalogue, row)
    return Answering(
        questionnaire=questionnaire,
        profile=row["profile"],
        answers=row["answers"],
        pages=screens(questionnaire, row["form"]),
        store=LinkStore(db, row["id"], days),
        with_notes=False,
    )


# --- storage ---------------------------------------------------------------------------------


def start(
    db: sqlite_utils.Database, questionnaire: Questionnaire, lang: str, days: int
) -> tuple[int, str]:
    """Open a self-assessment; return its id and the link's token (shown once, kept as hash)."""
    if not questionnaire.has_short_form:
        raise ValueError(f"{questionnaire.key} has no short form ('self' items)")
    token = link_token()
    stamp = now()
    with transaction(db):
        row_id = db.execute(
            "INSERT INTO self_assessments (token_hash, questionnaire_id, questionnaire_version, "
            "lang, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                hash_token(token),
                questionnaire.id,
                questionnaire.version,
                lang,
                stamp,
                stamp,
                _expiry(days),
            ],
        ).lastrowid
    log.info("self-assessment %s started", row_id)
    return row_id, token


def by_token(db: sqlite_utils.Database, token: str) -> dict[str, Any] | None:
    """The self-assessment a link opens, while the link has not expired."""
    if not token or len(token) > 200:
        return None
    rows = list(
        db.query(
            "SELECT * FROM self_assessments WHERE token_hash = ? AND expires_at > ?",
            [hash_token(token), now()],
        )
    )
    if not rows:
        return None
    row = rows[0]
    row["profile"], row["answers"] = json.loads(row["profile"]), json.loads(row["answers"])
    return row


def save(
    db: sqlite_utils.Database,
    row_id: int,
    days: int,
    answers: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
) -> str:
    """Merge one screen's answers or details into the self-assessment, valid or not (a draft
    keeps what was typed; checks come when the screen is left and at submission). Each save
    keeps the link working for ``days`` more. Returns the time of the save."""
    stamp = now()
    with transaction(db):
        row = db.execute(
            "SELECT status, profile, answers FROM self_assessments WHERE id = ?", [row_id]
        ).fetchone()
        if row is None or row[0] != "answering":
            raise NotAnswering(row_id)
        stored_profile, stored_answers = json.loads(row[1]), json.loads(row[2])
        for item_id, value in (answers or {}).items():
            if value in (None, "", []):
                stored_answers.pop(item_id, None)
            else:
                stored_answers[item_id] = value
        stored_profile.update(profile or {})
        db.execute(
            "UPDATE self_assessments SET profile = ?, answers = ?, updated_at = ?, "
            "expires_at = ? WHERE id = ?",
            [
                json.dumps(stored_profile, ensure_ascii=False),
                json.dumps(stored_answers, ensure_ascii=False),
                stamp,
                _expiry(days),
                row_id,
            ],
        )
    return stamp


def _result_token(token: str, submission: int) -> str:
    """The result token of the link's ``submission``-th submission: the same for a second
    submit of it (whose unique hash then fails), unknown to anyone without the link."""
    return hashlib.sha256(f"{token}:{submission}".encode()).hexdigest()


def submit(
    db: sqlite_utils.Database,
    model: Any,
    questionnaire: Questionnaire,
    token: str,
    result_link_days: int,
) -> int:
    """Submit the self-assessment a link opens and diagnose it; return the assessment's id.

    Raises ``submissions.InvalidInput`` (nothing stored) for answers that need attention.
    Submitting twice (a double tap, two tabs) gives one diagnosis: the second finds the first.
    """
    row = by_token(db, token)
    if row is None:
        raise LookupError("no such self-assessment")
    if row["status"] != "answering":
        return row["assessment_id"]
    asked = {i.id for i in questionnaire.items()} if row["form"] == "full" else None
    answers = {
        k: v
        for k, v in row["answers"].items()
        if (asked is None and _short(questionnaire, k)) or (asked is not None and k in asked)
    }
    result_token = _result_token(token, row["submissions"])
    earlier = row["assessment_id"]
    try:
        submitted = submissions.intake(
            db,
            model,
            questionnaire,
            {"profile": row["profile"], "answers": answers},
            result_link_days=result_link_days,
            short_form=row["form"] == "short",
            result_token=result_token,
            self_firm_id=_firm_of(db, earlier) if earlier else None,
        )
        assessment_id = submitted.assessment_id
    except sqlite3.IntegrityError:
        # the same submission made by a second request at once: the first one's diagnosis
        found = db.execute(
            "SELECT id FROM assessments WHERE result_token_hash = ?", [hash_token(result_token)]
        ).fetchone()
        if found is None:
            raise
        assessment_id = found[0]
    stamp = now()
    with transaction(db):
        # What was typed now lives in the assessment; the link keeps only where it leads.
        db.execute(
            "UPDATE self_assessments SET status = 'submitted', assessment_id = ?, "
            "submissions = submissions + 1, profile = '{}', answers = '{}', submitted_at = ?, "
            "updated_at = ?, expires_at = ? WHERE id = ? AND status = 'answering'",
            [assessment_id, stamp, stamp, _expiry(result_link_days), row["id"]],
        )
    log.info("self-assessment %s submitted as assessment %s", row["id"], assessment_id)
    return assessment_id


def _short(questionnaire: Questionnaire, item_id: str) -> bool:
    item = questionnaire.find_item(item_id)
    return item is not None and item.self_assessment


def _firm_of(db: sqlite_utils.Database, assessment_id: int) -> int | None:
    row = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return row[0] if row else None


def sharpen(db: sqlite_utils.Database, row_id: int, days: int) -> None:
    """Reopen a submitted self-assessment to answer the questions the short form left out,
    starting from the answers and details it was submitted with."""
    with transaction(db):
        row = db.execute(
            "SELECT status, assessment_id FROM self_assessments WHERE id = ?", [row_id]
        ).fetchone()
        if row is None or row[0] != "submitted":
            return  # already reopened (a second tap): carry on where it is
        profile = db.execute("SELECT profile FROM assessments WHERE id = ?", [row[1]]).fetchone()[0]
        answers, _notes = load_answers(db, row[1])
        stamp = now()
        db.execute(
            "UPDATE self_assessments SET status = 'answering', form = 'full', profile = ?, "
            "answers = ?, updated_at = ?, expires_at = MAX(expires_at, ?) WHERE id = ?",
            [profile, json.dumps(answers, ensure_ascii=False), stamp, _expiry(days), row_id],
        )
    log.info("self-assessment %s reopened to sharpen it", row_id)


# --- after submission ------------------------------------------------------------------------


def result_of(
    db: sqlite_utils.Database, token: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(self-assessment, assessment)`` a link shows: a self-assessment's latest submitted
    assessment, or (for one sent through the API) the assessment of that result link."""
    row = by_token(db, token)
    if row is None:
        return None, assessment_by_result_token(db, hash_token(token))
    if not row["submissions"]:
        return row, None
    latest = _result_token(token, row["submissions"] - 1)
    return row, assessment_by_result_token(db, hash_token(latest))


def center_of(db: sqlite_utils.Database, center_id: int) -> dict[str, Any]:
    """The center a self-assessment is filed with, as the firm may see it (how to reach it)."""
    rows = list(
        db.query("SELECT name, phone, email, address FROM centers WHERE id = ?", [center_id])
    )
    center = rows[0] if rows else {"name": "", "phone": "", "email": "", "address": ""}
    center["pool"] = center["name"] == UNASSIGNED_CENTER
    return center


def open_request(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """The firm's open request for a consultant from this assessment, if it made one (a
    request merged into another of the same firm: that one), with its visit once booked."""
    rows = list(
        db.query(
            "SELECT COALESCE(m.status, r.status) AS status, r.created_at, r.consent_at, "
            "COALESCE(m.visit_on, r.visit_on) AS visit_on, "
            "COALESCE(m.visit_time, r.visit_time) AS visit_time, "
            "COALESCE(m.visit_place, r.visit_place) AS visit_place "
            "FROM consultant_requests r LEFT JOIN consultant_requests m ON m.id = r.merged_into "
            "WHERE r.assessment_id = ? AND COALESCE(m.status, r.status) != 'closed' "
            "ORDER BY r.id DESC LIMIT 1",
            [assessment_id],
        )
    )
    return rows[0] if rows else None


def link_assessments(token: str, row: Mapping[str, Any] | None, record: Mapping[str, Any]) -> list:
    """The assessments a link's holder submitted: each submission of a self-assessment
    link, or the one assessment of an API result link."""
    if row is None or not row.get("submissions"):
        return [record["id"]]
    return [hash_token(_result_token(token, i)) for i in range(row["submissions"])]


def confirmed_diagnosis(
    db: sqlite_utils.Database,
    token: str,
    row: Mapping[str, Any] | None,
    record: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The consultant's latest decision on a diagnosis started from what this link's holder
    submitted: ``record`` (for the report; it shows what the holder typed as the firm's
    name and none of the firm's history), ``decided_at``, ``track``, ``action``. None
    before a consultant decides."""
    keys = link_assessments(token, row, record)
    if keys and isinstance(keys[0], str):
        marks = ", ".join("?" for _ in keys)
        ids = [
            r[0]
            for r in db.execute(
                f"SELECT id FROM assessments WHERE result_token_hash IN ({marks})", keys
            ).fetchall()
        ]
    else:
        ids = list(keys)
    if not ids:
        return None
    marks = ", ".join("?" for _ in ids)
    found = db.execute(
        "SELECT a.id, d.decided_at, d.final_track, d.action FROM assessments a "
        "JOIN decisions d ON d.assessment_id = a.id "
        f"WHERE a.based_on IN ({marks}) AND a.status = 'submitted' "
        "ORDER BY d.id DESC LIMIT 1",
        ids,
    ).fetchone()
    if found is None:
        return None
    confirmed = assessment_record(db, found[0])
    if confirmed is None:
        return None
    confirmed["firm_name"] = record["firm_name"]
    confirmed["profile"] = {**confirmed["profile"], "company_name": record["firm_name"]}
    confirmed["link_view"] = True
    return {"record": confirmed, "decided_at": found[1], "track": found[2], "action": found[3]}


# --- the firm's own answers beside the consultant's ------------------------------------------


def compare_with_self_assessment(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    record: Mapping[str, Any],
    lang: str,
) -> dict[str, Any] | None:
    """A consultant's diagnosis beside the firm's self-assessment it started from: tracks,
    readiness, dimension scores and every answer, those that differ marked. None when the
    diagnosis did not start from a self-assessment."""
    from ..diagnosis.store import latest_diagnosis
    from ..templating import answer_text
    from .submissions import effective_track

    own_answers = self_assessment_answers(db, record.get("based_on"))
    if not own_answers or record.get("status") != "submitted":
        return None
    own, ours = latest_diagnosis(db, record["based_on"]), latest_diagnosis(db, record["id"])
    if own is None or ours is None:
        return None
    answers = load_answers(db, record["id"])[0]
    rows, only_here = [], 0
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            if item.kind.free_text:  # the firm's own words: not compared
                continue
            if item.id not in own_answers:  # not asked of the firm (the short form)
                only_here += is_visible(item, answers) and item.id in answers
                continue
            firm_value, consultant_value = own_answers[item.id], answers.get(item.id)
            rows.append(
                {
                    "dimension": dimension.title.get(lang),
                    "question": item.question.get(lang),
                    "firm": answer_text(item, firm_value, lang),
                    "consultant": answer_text(item, consultant_value, lang),
                    "differs": firm_value != consultant_value,
                }
            )
    return {
        "tracks": (effective_track(own), effective_track(ours)),
        "readiness": (own["readiness"], ours["readiness"]),
        "dimensions": [
            {
                "title": d.title.get(lang),
                "firm": own["scores"][d.id]["score"] if d.id in own["scores"] else None,
                "consultant": ours["scores"][d.id]["score"],
            }
            for d in questionnaire.dimensions
        ],
        "answers": rows,
        "differ": sum(1 for r in rows if r["differs"]),
        "only_here": only_here,
        "submitted_at": db.execute(
            "SELECT submitted_at FROM assessments WHERE id = ?", [record["based_on"]]
        ).fetchone()[0],
    }
