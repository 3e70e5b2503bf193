"""A self-assessed firm asks its regional center for a consultant; the center assigns one.

The request lands in the queue of the center the self-assessment was filed with (its
region's, or the unassigned pool). It holds the contact details the firm gave for this
purpose, with the time it consented; it never touches a registered firm: linking the
self-assessed firm to one is a staff action (``assessments.link_self_assessed``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from ..storage import now, transaction
from ..vocabulary import Role
from . import audit
from .inputs import PROFILE_TEXT_MAX, REASON_MAX, digits_normalised, text_problem

log = logging.getLogger(__name__)
STATUSES = ("new", "assigned", "closed")


class RequestError(ValueError):
    """A request that cannot be made or assigned; ``errors`` maps a field to a message."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = dict(errors)
        super().__init__(", ".join(f"{k}: {v}" for k, v in self.errors.items()))


def _contact(given: Mapping[str, Any]) -> dict[str, str]:
    values = {
        "contact_name": str(given.get("contact_name") or "").strip(),
        "contact_phone": digits_normalised(str(given.get("contact_phone") or "").strip()),
        "contact_email": str(given.get("contact_email") or "").strip(),
        "message": str(given.get("message") or "").strip(),
    }
    errors: dict[str, Any] = {}
    for field, value in values.items():
        limit = REASON_MAX if field == "message" else PROFILE_TEXT_MAX
        problem = text_problem(value, limit, multiline=field == "message") if value else None
        if problem:
            errors[field] = problem
    if not values["contact_name"]:
        errors.setdefault("contact_name", "required")
    if not (values["contact_phone"] or values["contact_email"]):
        errors.setdefault("contact_phone", "a phone number or an email address is required")
    if errors:
        raise RequestError(errors)
    return values


def request_consultant(
    db: sqlite_utils.Database, assessment_id: int, contact: Mapping[str, Any], consent: bool
) -> dict[str, Any]:
    """File a request for a consultant for a submitted self-assessment; return it.

    Asking twice while a request is open returns the open one (with the newest contact).
    """
    if not consent:
        raise RequestError({"consent": "required"})
    values = _contact(contact)
    with transaction(db):
        row = db.execute(
            "SELECT id, firm_id, center_id, source, status FROM assessments WHERE id = ?",
            [assessment_id],
        ).fetchone()
        if row is None or row[3] != "self" or row[4] != "submitted":
            raise RequestError({"assessment": "not a submitted self-assessment"})
        _id, firm_id, center_id, _source, _status = row
        open_request = db.execute(
            "SELECT id FROM consultant_requests WHERE assessment_id = ? AND status != 'closed'",
            [assessment_id],
        ).fetchone()
        stamp = now()
        if open_request:
            request_id = open_request[0]
            db.execute(
                "UPDATE consultant_requests SET contact_name = ?, contact_phone = ?, "
                "contact_email = ?, message = ?, consent_at = ? WHERE id = ?",
                [*values.values(), stamp, request_id],
            )
        else:
            request_id = db.execute(
                "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, "
                "contact_name, contact_phone, contact_email, message, consent_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [center_id, firm_id, assessment_id, *values.values(), stamp, stamp],
            ).lastrowid
        audit.record(db, "request", "consultant_request", request_id, center_id=center_id)
    log.info("consultant requested for assessment %s (request %s)", assessment_id, request_id)
    return get_request(db, center_id, request_id)


def get_request(db: sqlite_utils.Database, center_id: int, request_id: int) -> dict[str, Any]:
    rows = list(
        db.query(
            "SELECT r.*, u.name AS assigned_name FROM consultant_requests r "
            "LEFT JOIN users u ON u.id = r.assigned_to WHERE r.id = ? AND r.center_id = ?",
            [request_id, center_id],
        )
    )
    return rows[0] if rows else None


def center_requests(
    db: sqlite_utils.Database, center_id: int, status: str | None = None
) -> list[dict[str, Any]]:
    """A center's requests, oldest open first, with the firm and the assigned consultant."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return list(
        db.query(
            "SELECT r.*, f.name AS firm_name, f.region, f.industry, f.employees, "
            "u.name AS assigned_name FROM consultant_requests r "
            "JOIN firms f ON f.id = r.firm_id LEFT JOIN users u ON u.id = r.assigned_to "
            "WHERE r.center_id = ? AND (? IS NULL OR r.status = ?) "
            "ORDER BY r.status = 'closed', r.id",
            [center_id, status, status],
        )
    )


def assign_request(
    db: sqlite_utils.Database, center_id: int, request_id: int, consultant_id: int, by_user: int
) -> dict[str, Any]:
    """Give a request to one of the center's consultants."""
    with transaction(db):
        request = db.execute(
            "SELECT status FROM consultant_requests WHERE id = ? AND center_id = ?",
            [request_id, center_id],
        ).fetchone()
        if request is None:
            raise RequestError({"request": "no such request"})
        if request[0] == "closed":
            raise RequestError({"request": "closed"})
        consultant = db.execute(
            "SELECT 1 FROM users WHERE id = ? AND center_id = ? AND disabled_at IS NULL "
            "AND role != ?",
            [consultant_id, center_id, Role.ADMINISTRATOR],
        ).fetchone()
        if consultant is None:
            raise RequestError({"consultant": "not of this center"})
        db.execute(
            "UPDATE consultant_requests SET status = 'assigned', assigned_to = ?, "
            "assigned_by = ?, assigned_at = ? WHERE id = ?",
            [consultant_id, by_user, now(), request_id],
        )
        # The firm joins the consultant's caseload (services/access.py).
        db.execute(
            "UPDATE firms SET assigned_to = ?, assigned_at = ? "
            "WHERE id = (SELECT firm_id FROM consultant_requests WHERE id = ?)",
            [consultant_id, now(), request_id],
        )
        audit.record(
            db,
            "assign",
            "consultant_request",
            request_id,
            center_id=center_id,
            user_id=by_user,
            detail=f"to user {consultant_id}",
        )
    return get_request(db, center_id, request_id)


def close_request(
    db: sqlite_utils.Database, center_id: int, request_id: int, by_user: int
) -> dict[str, Any]:
    with transaction(db):
        changed = db.execute(
            "UPDATE consultant_requests SET status = 'closed' WHERE id = ? AND center_id = ?",
            [request_id, center_id],
        ).rowcount
        if not changed:
            raise RequestError({"request": "no such request"})
        audit.record(
            db, "close", "consultant_request", request_id, center_id=center_id, user_id=by_user
        )
    return get_request(db, center_id, request_id)
