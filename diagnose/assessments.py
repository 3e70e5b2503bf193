"""Firms, assessments and answers: the state changes of an interview, one function each.

Every function takes the database and plain values and returns plain values (dicts), never
Flask objects, and every query is scoped to a center: a center never sees another's firms.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from .questionnaire.schema import Catalogue, Questionnaire
from .storage import now, transaction
from .vocabulary import TRACKS

log = logging.getLogger(__name__)

FIRM_COLUMNS = (
    "name",
    "business_number",
    "region",
    "industry",
    "employees",
    "revenue_band",
    "contact_name",
    "contact_phone",
    "contact_email",
)


class NotEditable(Exception):
    """The assessment was submitted; its answers are frozen."""


class QuestionnaireChanged(Exception):
    """A published questionnaire version was edited in place."""


# --- questionnaire versions ------------------------------------------------------------------


def register_questionnaires(db: sqlite_utils.Database, catalogue: Catalogue) -> None:
    """Keep a copy of every questionnaire version in the database, and refuse silent edits.

    The copy lets an assessment be shown with the exact version it was answered with even if
    the file is later removed; the digest catches a published version edited in place.
    """
    with transaction(db):
        for (qid, version), questionnaire in sorted(catalogue.versions.items()):
            row = db.execute(
                "SELECT digest FROM questionnaire_versions "
                "WHERE questionnaire_id = ? AND version = ?",
                [qid, version],
            ).fetchone()
            digest = questionnaire.digest()
            if row is None:
                db.execute(
                    "INSERT INTO questionnaire_versions VALUES (?, ?, ?, ?, ?)",
                    [qid, version, digest, questionnaire.model_dump_json(by_alias=True), now()],
                )
            elif row[0] != digest and _has_assessments(db, qid, version):
                raise QuestionnaireChanged(
                    f"questionnaire {qid} v{version} has assessments but its file has changed "
                    f"since; publish the change as v{version + 1} instead of editing v{version}"
                )
            elif row[0] != digest:
                # Not answered by anyone yet: the edit is still a draft of this version.
                db.execute(
                    "UPDATE questionnaire_versions SET digest = ?, definition = ? "
                    "WHERE questionnaire_id = ? AND version = ?",
                    [digest, questionnaire.model_dump_json(by_alias=True), qid, version],
                )


def _has_assessments(db: sqlite_utils.Database, qid: str, version: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM assessments WHERE questionnaire_id = ? AND questionnaire_version = ?",
            [qid, version],
        ).fetchone()
        is not None
    )


def questionnaire_of(
    db: sqlite_utils.Database, catalogue: Catalogue, assessment: dict[str, Any]
) -> Questionnaire:
    """The questionnaire version an assessment was answered with."""
    key = (assessment["questionnaire_id"], assessment["questionnaire_version"])
    if key in catalogue.versions:
        return catalogue.versions[key]
    row = db.execute(
        "SELECT definition FROM questionnaire_versions WHERE questionnaire_id = ? AND version = ?",
        list(key),
    ).fetchone()
    return Questionnaire.model_validate_json(row[0])


# --- firms -----------------------------------------------------------------------------------


def create_firm(
    db: sqlite_utils.Database,
    center_id: int,
    user_id: int | None,
    profile: dict[str, Any],
    origin: str = "center",
) -> int:
    """Register a firm with its center; ``profile`` holds validated profile values.

    ``origin`` is ``self`` for the firm an anonymous self-assessment describes: it stands
    apart from the center's own firms (even one with the same business number) until the
    center's staff link the two.
    """
    stamp = now()
    values = _firm_values(profile)
    with transaction(db):
        cursor = db.execute(
            f"INSERT INTO firms (center_id, created_by, created_at, updated_at, origin, "
            f"{', '.join(FIRM_COLUMNS)}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(FIRM_COLUMNS))})",
            [center_id, user_id, stamp, stamp, origin, *values],
        )
    log.info("firm %s created in center %s by user %s", cursor.lastrowid, center_id, user_id)
    return cursor.lastrowid


def update_firm(db: sqlite_utils.Database, firm_id: int, profile: dict[str, Any]) -> None:
    assignments = ", ".join(f"{c} = ?" for c in FIRM_COLUMNS)
    db.execute(
        f"UPDATE firms SET {assignments}, updated_at = ? WHERE id = ?",
        [*_firm_values(profile), now(), firm_id],
    )


def _firm_values(profile: dict[str, Any]) -> list[Any]:
    values = dict(profile, name=profile.get("company_name", profile.get("name", "")))
    values["employees"] = int(str(values.get("employees") or 0).replace(",", ""))
    return [values.get(c) or ("" if c != "employees" else 0) for c in FIRM_COLUMNS]


def firm_profile(firm: dict[str, Any]) -> dict[str, str]:
    """A firm row as profile-field values (the questionnaire's names)."""
    profile = {c: firm[c] for c in FIRM_COLUMNS if c != "name"}
    profile["company_name"] = firm["name"]
    profile["employees"] = str(firm["employees"])
    return profile


def get_firm(db: sqlite_utils.Database, center_id: int, firm_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query("SELECT * FROM firms WHERE id = ? AND center_id = ?", [firm_id, center_id])
    )
    return rows[0] if rows else None


def self_assessed_firm(db: sqlite_utils.Database, firm_id: int) -> dict[str, Any] | None:
    """A firm record a self-assessment created, while it is one (not yet linked to a
    registered firm, nor erased)."""
    rows = list(
        db.query(
            "SELECT * FROM firms WHERE id = ? AND origin = 'self' AND erased_at IS NULL", [firm_id]
        )
    )
    return rows[0] if rows else None


def firm_with_number(
    db: sqlite_utils.Database, center_id: int, number: str
) -> dict[str, Any] | None:
    """The center's own firm with this business number (never a self-assessed or erased one)."""
    rows = list(
        db.query(
            "SELECT * FROM firms WHERE center_id = ? AND business_number = ? "
            "AND origin = 'center' AND erased_at IS NULL",
            [center_id, number],
        )
    )
    return rows[0] if rows else None


# The track an assessment ended with: the consultant's latest decision, else the model's latest
# prediction; ``{id}`` is the SQL expression of the assessment's id.
_TRACK_OF = """COALESCE(
    (SELECT d.final_track FROM decisions d WHERE d.assessment_id = {id} ORDER BY d.id DESC LIMIT 1),
    (SELECT p.track FROM predictions p WHERE p.assessment_id = {id} ORDER BY p.id DESC LIMIT 1))"""

FIRM_STATES = (*TRACKS, "draft", "none")
# Size bands of the center's statistics (employees, inclusive; None: no upper bound).
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "1_9": (1, 9),
    "10_49": (10, 49),
    "50_99": (50, 99),
    "100_299": (100, 299),
    "300_": (300, None),
}
FIRM_SORTS = ("activity", "name", "employees", "diagnosed", "track")


@dataclass(frozen=True)
class FirmFilter:
    """Which firms a list, a dashboard, an export or a batch covers (empty: no condition)."""

    text: str = ""
    state: str = ""  # a track (by the latest diagnosis), "draft" or "none" (never diagnosed)
    industry: str = ""
    size: str = ""  # a key of SIZE_BANDS
    region: str = ""
    consultant: int | None = None  # the consultant the firm is assigned to
    since: str = ""  # latest diagnosis on or after this day (YYYY-MM-DD, UTC)
    until: str = ""  # latest diagnosis on or before this day

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def _firm_conditions(filters: FirmFilter) -> tuple[list[str], dict[str, Any]]:
    if filters.state and filters.state not in FIRM_STATES:
        raise ValueError(f"unknown firm state {filters.state!r}")
    if filters.size and filters.size not in SIZE_BANDS:
        raise ValueError(f"unknown size band {filters.size!r}")
    conditions, params = [], {}
    text = filters.text.strip()
    if text:
        conditions.append("(f.name LIKE :name OR f.business_number LIKE :number)")
        params.update(name=f"%{text}%", number=f"%{text.replace('-', '')}%")
    if filters.state == "draft":
        conditions.append("l.draft_id IS NOT NULL")
    elif filters.state == "none":
        conditions.append("l.diagnosed_id IS NULL AND l.draft_id IS NULL")
    elif filters.state:
        conditions.append("l.track = :state")
        params["state"] = filters.state
    for column in ("industry", "region"):
        if getattr(filters, column):
            conditions.append(f"f.{column} = :{column}")
            params[column] = getattr(filters, column)
    if filters.size:
        low, high = SIZE_BANDS[filters.size]
        conditions.append(
            "f.employees >= :size_low" + (" AND f.employees <= :size_high" if high else "")
        )
        params.update(size_low=low, size_high=high)
    if filters.consultant is not None:
        conditions.append("f.assigned_to = :consultant")
        params["consultant"] = filters.consultant
    if filters.since:
        conditions.append("l.diagnosed_at >= :since")
        params["since"] = filters.since
    if filters.until:  # the whole day: every time stamp of that day sorts before its next
        conditions.append("l.diagnosed_at < :until || 'T99'")
        params["until"] = filters.until
    return conditions, params


# The firms a list, a dashboard, an export or a batch covers: ``f`` the firm, ``l`` its latest
# state (``firm_latest``, kept by triggers; absent for a firm never worked on).
FIRMS_WITH_LATEST = "firms f LEFT JOIN firm_latest l ON l.firm_id = f.id"


def firm_selection(
    scope: tuple[str, dict[str, Any]], filters: FirmFilter = FirmFilter(), joins: str = ""
) -> tuple[str, dict[str, Any]]:
    """``FROM … WHERE …`` of the firms ``scope`` allows that match ``filters`` (and ``joins``,
    e.g. their assessments), with its parameters: one SQL fragment that lists, dashboards,
    exports and batches share."""
    scope_sql, scope_params = scope
    conditions, params = _firm_conditions(filters)
    where = " AND ".join([f"({scope_sql})", *conditions])
    return f"FROM {FIRMS_WITH_LATEST} {joins} WHERE {where}", {**scope_params, **params}


# Each row of a list: the firm, its open draft, its latest diagnosis and who it is assigned to.
FIRM_ROW = """f.*, l.draft_id, l.diagnosed_id, l.diagnosed_at, l.track, l.readiness,
    l.last_activity, (SELECT u.name FROM users u WHERE u.id = f.assigned_to) AS assigned_name"""


def list_firms(
    db: sqlite_utils.Database,
    scope: tuple[str, dict[str, Any]],
    filters: FirmFilter = FirmFilter(),
    sort: str = "activity",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the firms ``scope`` allows (a SQL condition on ``f``, from
    ``services.access.firm_scope``) that match ``filters``, and how many match in all.

    Each row carries the firm's open draft, its latest submitted diagnosis (when, the track it
    ended with, its readiness) and the consultant it is assigned to, read from ``firm_latest``
    (kept by triggers): the page costs a pass over the center's firms rows and a sort, with
    no per-firm subquery, and only the page's rows are built.
    """
    if sort not in FIRM_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    selection, params = firm_selection(scope, filters)
    order = {
        "activity": "COALESCE(l.last_activity, f.updated_at)",
        "name": "f.name",
        "employees": "f.employees",
        "diagnosed": "COALESCE(l.diagnosed_at, '')",
        "track": "COALESCE(l.track, '')",
    }[sort]
    direction = "DESC" if descending else "ASC"
    paging = "" if limit is None else "LIMIT :limit OFFSET :offset"
    # The page's ids first (sorted on narrow rows), then the page's full rows in that order.
    sql = f"""
        WITH page AS (
            SELECT f.id AS firm_id, COUNT(*) OVER () AS total_count,
                   ROW_NUMBER() OVER (ORDER BY {order} {direction}, f.name, f.id) AS position
            {selection}
            ORDER BY position {paging}
        )
        SELECT {FIRM_ROW}, page.total_count
        FROM page JOIN firms f ON f.id = page.firm_id
        LEFT JOIN firm_latest l ON l.firm_id = f.id
        ORDER BY page.position
    """
    rows = list(db.query(sql, {**params, "limit": limit, "offset": offset}))
    if rows:
        total = rows[0]["total_count"]
    elif offset:
        total = db.execute(f"SELECT COUNT(*) {selection}", params).fetchone()[0]
    else:
        total = 0
    return rows, total


def search_firms(
    db: sqlite_utils.Database, center_id: int, text: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """The center's firms whose name or business number contains ``text``, newest activity
    first (at most 200); ``state`` keeps one track, firms with a draft, or never diagnosed."""
    rows, _total = list_firms(
        db,
        ("f.center_id = :scope_center", {"scope_center": center_id}),
        FirmFilter(text=text, state=state),
        limit=200,
    )
    return rows


def latest_submitted(db: sqlite_utils.Database, firm_id: int) -> int | None:
    """The firm's most recent submitted assessment (a re-diagnosis starts from it)."""
    row = db.execute(
        "SELECT id FROM assessments WHERE firm_id = ? AND status = 'submitted' "
        "ORDER BY submitted_at DESC, id DESC LIMIT 1",
        [firm_id],
    ).fetchone()
    return row[0] if row else None


# --- assessments -----------------------------------------------------------------------------


def start_assessment(
    db: sqlite_utils.Database,
    firm: dict[str, Any],
    consultant_id: int | None,
    questionnaire: Questionnaire,
    based_on: int | None = None,
) -> tuple[int, bool]:
    """Open a draft for the firm, or return its open draft: ``(id, created)``.

    One open draft per firm: a second "start" from another tab resumes the first. With
    ``based_on`` (an earlier assessment of the same firm: its last diagnosis, or its own
    self-assessment) the draft starts from those answers, each marked as carried over until
    the page that holds it is saved (``carried_answers``).
    """
    with transaction(db):
        row = db.execute(
            "SELECT id FROM assessments WHERE firm_id = ? AND status = 'draft' "
            "ORDER BY updated_at DESC LIMIT 1",
            [firm["id"]],
        ).fetchone()
        if row:
            return row[0], False
        stamp = now()
        cursor = db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, profile, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                firm["id"],
                firm["center_id"],
                consultant_id,
                questionnaire.id,
                questionnaire.version,
                json.dumps(firm_profile(firm), ensure_ascii=False),
                stamp,
                stamp,
            ],
        )
        if based_on is not None:
            _carry_answers(db, questionnaire, based_on, cursor.lastrowid, firm["id"])
    log.info("assessment %s started for firm %s", cursor.lastrowid, firm["id"])
    return cursor.lastrowid, True


def _carry_answers(
    db: sqlite_utils.Database,
    questionnaire: Questionnaire,
    source_id: int,
    target_id: int,
    firm_id: int,
) -> None:
    """Copy the answers and notes of ``source_id`` that this questionnaire version still
    asks, with values it still offers; the caller holds the transaction."""
    source = db.execute(
        "SELECT firm_id FROM assessments WHERE id = ? AND status = 'submitted'", [source_id]
    ).fetchone()
    if source is None or source[0] != firm_id:
        raise ValueError(f"assessment {source_id} is not a submitted assessment of this firm")
    db.execute("UPDATE assessments SET based_on = ? WHERE id = ?", [source_id, target_id])
    answers, notes = load_answers(db, source_id)
    stamp = now()
    for item_id, value in answers.items():
        item = questionnaire.find_item(item_id)
        if item is None or not _still_offered(item, value):
            continue
        db.execute(
            "INSERT INTO answers (assessment_id, item_id, value, note, updated_at, carried_from)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                target_id,
                item_id,
                json.dumps(value, ensure_ascii=False),
                notes.get(item_id, ""),
                stamp,
                source_id,
            ],
        )


def _still_offered(item: Any, value: Any) -> bool:
    """Whether a carried answer is still one of the item's options (or its own text)."""
    if not item.kind.has_options:
        return True
    values = value if isinstance(value, list) else [value]
    return all((v == "_na" and item.allow_na) or item.option(v) is not None for v in values)


def self_assessment_answers(db: sqlite_utils.Database, assessment_id: int | None) -> dict[str, Any]:
    """The answers of a self-assessment (a draft's ``based_on``); empty for anything else."""
    if assessment_id is None:
        return {}
    row = db.execute("SELECT source FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return load_answers(db, assessment_id)[0] if row and row[0] == "self" else {}


def carried_answers(db: sqlite_utils.Database, assessment_id: int) -> dict[str, int]:
    """Answers of a draft still as carried over from an earlier assessment: item -> its id."""
    return {
        row["item_id"]: row["carried_from"]
        for row in db.query(
            "SELECT item_id, carried_from FROM answers WHERE assessment_id = ? "
            "AND carried_from IS NOT NULL",
            [assessment_id],
        )
    }


def get_assessment(
    db: sqlite_utils.Database, center_id: int, assessment_id: int
) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT a.*, f.name AS firm_name FROM assessments a JOIN firms f ON f.id = a.firm_id "
            "WHERE a.id = ? AND a.center_id = ?",
            [assessment_id, center_id],
        )
    )
    if not rows:
        return None
    assessment = rows[0]
    assessment["profile"] = json.loads(assessment["profile"])
    return assessment


def firm_assessments(db: sqlite_utils.Database, firm_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"""
            SELECT a.*, u.name AS consultant_name, {_TRACK_OF.format(id="a.id")} AS track,
                   (SELECT d.action FROM decisions d WHERE d.assessment_id = a.id
                    ORDER BY d.id DESC LIMIT 1) AS decision,
                   (SELECT p.readiness FROM predictions p WHERE p.assessment_id = a.id
                    ORDER BY p.id DESC LIMIT 1) AS readiness
            FROM assessments a LEFT JOIN users u ON u.id = a.consultant_id
            WHERE a.firm_id = ? ORDER BY a.created_at DESC
            """,
            [firm_id],
        )
    )


def load_answers(
    db: sqlite_utils.Database, assessment_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(answers, notes)`` of an assessment, by item id."""
    answers: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for row in db.query(
        "SELECT item_id, value, note FROM answers WHERE assessment_id = ?", [assessment_id]
    ):
        if row["value"] is not None:
            answers[row["item_id"]] = json.loads(row["value"])
        if row["note"]:
            notes[row["item_id"]] = row["note"]
    return answers, notes


def save_answers(
    db: sqlite_utils.Database,
    assessment_id: int,
    answers: dict[str, Any],
    notes: dict[str, str],
    profile: dict[str, Any] | None = None,
) -> str:
    """Store a page's answers, notes and (on the profile page) profile, valid or not.

    Drafts keep whatever was typed, even a number with a letter in it, so nothing is ever lost;
    validation happens when the page is left and when the assessment is submitted.
    Returns the time of the save.
    """
    stamp = now()
    with transaction(db):
        _require_draft(db, assessment_id)
        for item_id in answers.keys() | notes.keys():
            value = answers.get(item_id)
            stored = None if value in (None, "", []) else json.dumps(value, ensure_ascii=False)
            db.execute(
                "INSERT INTO answers (assessment_id, item_id, value, note, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (assessment_id, item_id) DO UPDATE SET "
                "value = excluded.value, note = excluded.note, updated_at = excluded.updated_at, "
                "carried_from = NULL",  # saved on its page: confirmed or changed
                [assessment_id, item_id, stored, notes.get(item_id, ""), stamp],
            )
        if profile is not None:
            db.execute(
                "UPDATE assessments SET profile = ? WHERE id = ?",
                [json.dumps(profile, ensure_ascii=False), assessment_id],
            )
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [stamp, assessment_id])
    return stamp


def submit_assessment(
    db: sqlite_utils.Database, assessment_id: int, profile: dict[str, Any]
) -> None:
    """Close the draft: freeze its answers and carry the checked profile over to the firm."""
    stamp = now()
    with transaction(db):
        firm_id = _require_draft(db, assessment_id)
        db.execute(
            "UPDATE assessments SET status = 'submitted', submitted_at = ?, updated_at = ?, "
            "profile = ? WHERE id = ?",
            [stamp, stamp, json.dumps(profile, ensure_ascii=False), assessment_id],
        )
        update_firm(db, firm_id, profile)
    log.info("assessment %s submitted", assessment_id)


def _require_draft(db: sqlite_utils.Database, assessment_id: int) -> int:
    row = db.execute(
        "SELECT status, firm_id FROM assessments WHERE id = ?", [assessment_id]
    ).fetchone()
    if row is None or row[0] != "draft":
        raise NotEditable(assessment_id)
    return row[1]


# --- submissions in one call (the API, self-assessment) --------------------------------------

UNASSIGNED_CENTER = "미배정 자가진단 (Unassigned self-assessments)"


def center_for_region(db: sqlite_utils.Database, region: str) -> int:
    """The center that serves a region; self-assessments from elsewhere wait in a pool."""
    row = db.execute(
        "SELECT id FROM centers WHERE region = ? ORDER BY id LIMIT 1", [region]
    ).fetchone()
    if row:
        return row[0]
    row = db.execute("SELECT id FROM centers WHERE name = ?", [UNASSIGNED_CENTER]).fetchone()
    if row:
        return row[0]
    return db.execute(
        "INSERT INTO centers (name, region, created_at) VALUES (?, '', ?)",
        [UNASSIGNED_CENTER, now()],
    ).lastrowid


def record_submitted_assessment(
    db: sqlite_utils.Database,
    firm_id: int,
    center_id: int,
    consultant_id: int | None,
    questionnaire: Questionnaire,
    profile: dict[str, Any],
    answers: dict[str, Any],
    source: str,
    result_token_hash: str | None = None,
    result_expires_at: str | None = None,
) -> int:
    """Store a complete, validated submission as a submitted assessment (one transaction)."""
    stamp = now()
    with transaction(db):
        assessment_id = db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, status, profile, created_at, updated_at, submitted_at, "
            "source, result_token_hash, result_expires_at) "
            "VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?)",
            [
                firm_id,
                center_id,
                consultant_id,
                questionnaire.id,
                questionnaire.version,
                json.dumps(profile, ensure_ascii=False),
                stamp,
                stamp,
                stamp,
                source,
                result_token_hash,
                result_expires_at,
            ],
        ).lastrowid
        for item_id, value in answers.items():
            db.execute(
                "INSERT INTO answers (assessment_id, item_id, value, updated_at) "
                "VALUES (?, ?, ?, ?)",
                [assessment_id, item_id, json.dumps(value, ensure_ascii=False), stamp],
            )
    log.info("assessment %s recorded from %s for firm %s", assessment_id, source, firm_id)
    return assessment_id


def assessment_by_result_token(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The self-assessment of an unexpired result link.

    Its firm's name is the one its holder typed, even once the center's staff have linked
    the assessment to a registered firm: a link shows nothing the center knows.
    """
    rows = list(
        db.query(
            "SELECT a.*, COALESCE(json_extract(a.profile, '$.company_name'), '') AS firm_name "
            "FROM assessments a WHERE a.result_token_hash = ? "
            "AND (a.result_expires_at IS NULL OR a.result_expires_at > ?)",
            [token_hash, now()],
        )
    )
    if not rows:
        return None
    rows[0]["profile"] = json.loads(rows[0]["profile"])
    rows[0]["link_view"] = True  # the report leaves out the firm's history (report.py)
    return rows[0]


def assessment_record(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """An assessment whatever its center: for command-line tools run by an administrator."""
    row = db.execute("SELECT center_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return get_assessment(db, row[0], assessment_id) if row else None


# Rows that follow a firm when a self-assessed record is filed under a registered firm.
FIRM_ROWS_MOVED_ON_LINK = ("assessments", "consultant_requests", "training_records", "outbox")
LINK_EVIDENCE = ("contact", "confirmed")


def _same_contact(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The self-assessed firm's contact is one the center already holds for the registered
    firm: the same phone (digits) or the same e-mail address."""

    def digits(value: str) -> str:
        return re.sub(r"\D", "", value or "")

    phone = digits(a.get("contact_phone", ""))
    email = (a.get("contact_email") or "").strip().lower()
    return bool(
        (len(phone) >= 7 and phone == digits(b.get("contact_phone", "")))
        or (email and email == (b.get("contact_email") or "").strip().lower())
    )


def link_evidence(self_firm: dict[str, Any], registered: dict[str, Any]) -> str | None:
    """Evidence beyond the public business number that a self-assessment is the registered
    firm's own: ``contact`` when its contact matches; None when only the number does (staff
    must then confirm with the firm, through the contact the center holds)."""
    return "contact" if _same_contact(self_firm, registered) else None


def link_self_assessed(
    db: sqlite_utils.Database,
    center_id: int,
    self_firm_id: int,
    firm_id: int,
    evidence: str = "contact",
) -> int:
    """File a self-assessed firm's assessments under one of the center's own firms.

    The registered firm keeps its stored profile; the self-assessed record goes, and its
    requests (with the owner's message and consent) and mails follow the firm. Both must be
    the center's, and there must be evidence beyond the public business number: the contact
    matching (``evidence="contact"``, checked here) or staff having confirmed it with the
    firm (``"confirmed"``). Returns how many assessments moved.
    """
    if evidence not in LINK_EVIDENCE:
        raise ValueError("unknown evidence")
    with transaction(db):
        source = get_firm(db, center_id, self_firm_id)
        target = get_firm(db, center_id, firm_id)
        if not source or not target or source["origin"] != "self" or target["origin"] != "center":
            raise ValueError("both firms must be this center's: a self-assessed and a registered")
        if evidence == "contact" and not _same_contact(source, target):
            raise ValueError("the contacts differ: confirm with the firm first")
        moved = 0
        for table in FIRM_ROWS_MOVED_ON_LINK:
            changed = db.execute(
                f"UPDATE {table} SET firm_id = ? WHERE firm_id = ?", [firm_id, self_firm_id]
            ).rowcount
            moved += changed if table == "assessments" else 0
        if source["assigned_to"] and not target["assigned_to"]:
            db.execute(  # the consultant the request was given to keeps the firm
                "UPDATE firms SET assigned_to = ?, assigned_at = ? WHERE id = ?",
                [source["assigned_to"], source["assigned_at"], firm_id],
            )
        db.execute("DELETE FROM firms WHERE id = ?", [self_firm_id])
    log.info(
        "self-assessed firm %s linked to firm %s (%s assessments)", self_firm_id, firm_id, moved
    )
    return moved
