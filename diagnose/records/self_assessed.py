"""Self-assessed firms: the center a self-assessment goes to, its result link (token), and
filing a self-assessed firm under one of the center's registered firms.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import sqlite_utils

from ..storage import now, transaction
from .firms import get_firm

log = logging.getLogger(__name__)

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
