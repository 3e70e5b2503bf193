"""A self-assessed firm asks its regional center for a consultant; the center follows it to
the visit: new -> assigned -> contacted -> visit booked (date, time, place) -> visited ->
closed (with a reason: duplicate, unreachable, declined, done). A request from a business
number that already has an open request in the center is merged into it (closed as a
duplicate, its message kept on the open one's card). Each step tells the owner by e-mail
where they gave an address (``mailing``): the consultant assigned, the visit invitation.

The request lands in the queue of the center the self-assessment was filed with (its
region's, or the unassigned pool). It holds the contact details the firm gave for this
purpose, with the time it consented; it never touches a registered firm: linking the
self-assessed firm to one is a staff action (``assessments.link_self_assessed``).
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from ..inputs import PROFILE_TEXT_MAX, REASON_MAX, digits_normalised, text_problem
from ..storage import now, transaction
from ..vocabulary import Role
from . import audit

log = logging.getLogger(__name__)
STATUSES = ("new", "assigned", "contacted", "booked", "visited", "closed")
OPEN = STATUSES[:-1]
# What a consultant's list shows first: what they have not answered yet.
STEP_ORDER = {"assigned": 0, "new": 0, "contacted": 1, "booked": 2, "visited": 3, "closed": 4}
CLOSE_REASONS = ("duplicate", "unreachable", "declined", "done")
# A step may follow these (a visit can be booked without a separate "contacted" click).
NEXT = {
    "contacted": ("assigned",),
    "booked": ("assigned", "contacted", "booked"),
    "visited": ("booked",),
}


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
    db: sqlite_utils.Database,
    assessment_id: int,
    contact: Mapping[str, Any],
    consent: bool,
    lang: str = "ko",
) -> dict[str, Any]:
    """File a request for a consultant for a submitted self-assessment; return it.

    Asking twice while a request is open returns the open one (with the newest contact). A
    request from a business number with another open request in the center is filed merged
    into that one (closed as a duplicate); the one returned is the open one.
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
                "contact_name, contact_phone, contact_email, message, consent_at, created_at, "
                "lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [center_id, firm_id, assessment_id, *values.values(), stamp, stamp, lang],
            ).lastrowid
        audit.record(db, "request", "consultant_request", request_id, center_id=center_id)
        request_id = _merge_duplicates_of(db, center_id, request_id)
    log.info("consultant requested for assessment %s (request %s)", assessment_id, request_id)
    return get_request(db, center_id, request_id)


def _merge_duplicates_of(db: sqlite_utils.Database, center_id: int, request_id: int) -> int:
    """Close the center's other open requests with the same business number as this one
    into the oldest of them; the id of the request kept open."""
    rows = db.execute(
        "SELECT r.id FROM consultant_requests r JOIN firms f ON f.id = r.firm_id "
        "WHERE r.center_id = ? AND r.status != 'closed' AND f.erased_at IS NULL "
        "AND f.business_number = (SELECT f2.business_number FROM consultant_requests r2 "
        "JOIN firms f2 ON f2.id = r2.firm_id WHERE r2.id = ?) ORDER BY r.id",
        [center_id, request_id],
    ).fetchall()
    ids = [r[0] for r in rows]
    if len(ids) < 2:
        return request_id
    kept, stamp = ids[0], now()
    for other in ids[1:]:
        db.execute(
            "UPDATE consultant_requests SET status = 'closed', close_reason = 'duplicate', "
            "merged_into = ?, closed_at = ? WHERE id = ?",
            [kept, stamp, other],
        )
        audit.record(
            db, "merge", "consultant_request", other, center_id=center_id, detail=f"into {kept}"
        )
    return kept


def merge_duplicates(db: sqlite_utils.Database, center_id: int, by_user: int | None = None) -> int:
    """Merge every set of open requests from one business number (requests filed before
    merging existed); how many were closed as duplicates."""
    with transaction(db):
        firsts = db.execute(
            "SELECT MIN(r.id) FROM consultant_requests r JOIN firms f ON f.id = r.firm_id "
            "WHERE r.center_id = ? AND r.status != 'closed' AND f.erased_at IS NULL "
            "GROUP BY f.business_number HAVING COUNT(*) > 1",
            [center_id],
        ).fetchall()
        before = db.execute(
            "SELECT COUNT(*) FROM consultant_requests WHERE center_id = ? AND status != 'closed'",
            [center_id],
        ).fetchone()[0]
        for (first,) in firsts:
            _merge_duplicates_of(db, center_id, first)
        after = db.execute(
            "SELECT COUNT(*) FROM consultant_requests WHERE center_id = ? AND status != 'closed'",
            [center_id],
        ).fetchone()[0]
    return before - after


def get_request(db: sqlite_utils.Database, center_id: int, request_id: int) -> dict[str, Any]:
    rows = list(
        db.query(
            "SELECT r.*, u.name AS assigned_name FROM consultant_requests r "
            "LEFT JOIN users u ON u.id = r.assigned_to WHERE r.id = ? AND r.center_id = ?",
            [request_id, center_id],
        )
    )
    return rows[0] if rows else None


# A request row as the lists show it: with its firm and the assigned consultant's name.
_REQUEST_ROWS = (
    "SELECT r.*, f.name AS firm_name, f.region, f.industry, f.employees, "
    "u.name AS assigned_name FROM consultant_requests r "
    "JOIN firms f ON f.id = r.firm_id LEFT JOIN users u ON u.id = r.assigned_to"
)


def center_requests(
    db: sqlite_utils.Database, center_id: int, status: str | None = None
) -> list[dict[str, Any]]:
    """A center's requests, oldest open first, with the firm and the assigned consultant."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return list(
        db.query(
            f"{_REQUEST_ROWS} WHERE r.center_id = ? AND (? IS NULL OR r.status = ?) "
            "ORDER BY r.status = 'closed', r.id",
            [center_id, status, status],
        )
    )


def waiting_requests(
    db: sqlite_utils.Database, center_id: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The center's new requests (no consultant yet), the ``limit`` oldest with their firm
    (as ``center_requests`` gives them), and how many there are: both through the index of
    the center's requests by status."""
    rows = list(
        db.query(
            f"{_REQUEST_ROWS} WHERE r.center_id = ? AND r.status = 'new' ORDER BY r.id LIMIT ?",
            [center_id, limit],
        )
    )
    count = db.execute(
        "SELECT COUNT(*) FROM consultant_requests WHERE center_id = ? AND status = 'new'",
        [center_id],
    ).fetchone()[0]
    return rows, count


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
        status = "assigned" if request[0] in ("new", "assigned") else request[0]
        consultant = db.execute(
            "SELECT 1 FROM users WHERE id = ? AND center_id = ? AND disabled_at IS NULL "
            "AND role != ?",
            [consultant_id, center_id, Role.ADMINISTRATOR],
        ).fetchone()
        if consultant is None:
            raise RequestError({"consultant": "not of this center"})
        db.execute(
            "UPDATE consultant_requests SET status = ?, assigned_to = ?, "
            "assigned_by = ?, assigned_at = ? WHERE id = ?",
            [status, consultant_id, by_user, now(), request_id],
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
        _notify("notify_assigned", db, request_id)
    _send()
    return get_request(db, center_id, request_id)


def close_request(
    db: sqlite_utils.Database,
    center_id: int,
    request_id: int,
    by_user: int,
    reason: str = "done",
    consultant_id: int | None = None,
) -> dict[str, Any]:
    """Close a request with its reason (duplicate, unreachable, declined, done)."""
    if reason not in CLOSE_REASONS:
        raise RequestError({"reason": "unknown reason"})
    with transaction(db):
        require_visible(db, center_id, request_id, consultant_id)
        db.execute(
            "UPDATE consultant_requests SET status = 'closed', close_reason = ?, closed_at = ? "
            "WHERE id = ?",
            [reason, now(), request_id],
        )
        audit.record(
            db,
            "close",
            "consultant_request",
            request_id,
            center_id=center_id,
            user_id=by_user,
            detail=reason,
        )
    return get_request(db, center_id, request_id)


def require_visible(
    db: sqlite_utils.Database, center_id: int, request_id: int, consultant_id: int | None
) -> str:
    """The request's status; ``consultant_id``: only a request assigned to them."""
    row = db.execute(
        "SELECT status, assigned_to FROM consultant_requests WHERE id = ? AND center_id = ?",
        [request_id, center_id],
    ).fetchone()
    if row is None or (consultant_id is not None and row[1] != consultant_id):
        raise RequestError({"request": "no such request"})
    return row[0]


def advance(
    db: sqlite_utils.Database,
    center_id: int,
    request_id: int,
    step: str,
    by_user: int,
    *,
    consultant_id: int | None = None,
    visit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Move a request on: ``contacted``, ``booked`` (with ``visit``: ``on`` a date, ``at`` a
    time, ``place``) or ``visited``. ``consultant_id`` limits it to their own requests.

    A booked visit is sent to the owner as an invitation (a changed date: a new one).
    """
    if step not in NEXT:
        raise RequestError({"step": "unknown step"})
    values: list[Any] = []
    with transaction(db):
        status = require_visible(db, center_id, request_id, consultant_id)
        if status not in NEXT[step]:
            raise RequestError({"step": f"not after {status}"})
        stamp = now()
        if step == "contacted":
            sql = "status = 'contacted', contacted_at = COALESCE(contacted_at, ?)"
            values = [stamp]
        elif step == "booked":
            on, at, place = _visit(visit or {})
            sql = (
                "status = 'booked', visit_on = ?, visit_time = ?, visit_place = ?, "
                "booked_at = ?, contacted_at = COALESCE(contacted_at, ?)"
            )
            values = [on, at, place, stamp, stamp]
        else:
            sql = "status = 'visited', visited_at = ?"
            values = [stamp]
        db.execute(f"UPDATE consultant_requests SET {sql} WHERE id = ?", [*values, request_id])
        audit.record(
            db, step, "consultant_request", request_id, center_id=center_id, user_id=by_user
        )
        if step == "booked":
            _notify("notify_visit", db, request_id)
    _send()
    return get_request(db, center_id, request_id)


def _visit(visit: Mapping[str, Any]) -> tuple[str, str, str]:
    from datetime import date, time

    errors: dict[str, str] = {}
    on, at = visit.get("on"), visit.get("at")
    place = str(visit.get("place") or "").strip()
    if not isinstance(on, date):
        try:
            on = date.fromisoformat(str(on or ""))
        except ValueError:
            errors["visit_on"] = "a date is required"
    if not isinstance(at, time):
        try:
            at = time.fromisoformat(str(at or ""))
        except ValueError:
            errors["visit_time"] = "a time is required"
    problem = text_problem(place, PROFILE_TEXT_MAX) if place else "required"
    if problem:
        errors["visit_place"] = problem
    if errors:
        raise RequestError(errors)
    return on.isoformat(), at.strftime("%H:%M"), place


def consultant_requests(db: sqlite_utils.Database, consultant_id: int) -> list[dict[str, Any]]:
    """A consultant's assignments: those not answered yet first, newest first within a step;
    closed ones last."""
    rows = list(
        db.query(
            "SELECT r.*, f.name AS firm_name, f.region, f.industry, f.employees "
            "FROM consultant_requests r JOIN firms f ON f.id = r.firm_id "
            "WHERE r.assigned_to = ? ORDER BY r.id DESC",
            [consultant_id],
        )
    )
    return sorted(rows, key=lambda r: STEP_ORDER.get(r["status"], 9))


def firm_requests(db: sqlite_utils.Database, center_id: int, firm_id: int) -> list[dict[str, Any]]:
    """A firm's requests with the owner's message, phone and consent, newest first."""
    return list(
        db.query(
            "SELECT r.*, u.name AS assigned_name FROM consultant_requests r "
            "LEFT JOIN users u ON u.id = r.assigned_to "
            "WHERE r.firm_id = ? AND r.center_id = ? ORDER BY r.id DESC",
            [firm_id, center_id],
        )
    )


def _notify(name: str, db: sqlite_utils.Database, request_id: int) -> None:
    """Write a notice in the outbox (inside the transaction); outside an app (a bare
    script) there are no templates to write it with, and it is only logged."""
    from flask import has_app_context

    if not has_app_context():
        log.warning("no app: notice %s of request %s not written", name, request_id)
        return
    from . import mailing

    getattr(mailing, name)(db, request_id)


def _send() -> None:
    from flask import has_app_context

    if has_app_context():
        from . import mailing

        mailing.send_soon()


# --- how fast a center answers ---------------------------------------------------------------


def business_days(start: Any, end: Any) -> int:
    """Working days after ``start`` up to and including ``end`` (dates in Korea): weekends
    and Korea's public holidays (the ``holidays`` package) do not count."""
    if end <= start:
        return 0
    first, last = start.toordinal(), end.toordinal()
    holidays = _korean_holidays(start.year, end.year)
    # Counted, not walked day by day: a request open for three years is one subtraction (the
    # dashboard counts every request of the center on each view).
    return (
        _weekdays_through(last)
        - _weekdays_through(first)
        - (bisect.bisect_right(holidays, last) - bisect.bisect_right(holidays, first))
    )


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to ``ordinal``."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


@functools.lru_cache(maxsize=32)
def _korean_holidays(first_year: int, last_year: int) -> tuple[int, ...]:
    """Korea's public holidays of those years that fall on a weekday (their ordinals, sorted),
    built once: ``business_days`` runs for every request row of the tracking page, the
    dashboard and the KPI report."""
    import holidays

    korean = holidays.country_holidays("KR", years=range(first_year, last_year + 1))
    return tuple(sorted(day.toordinal() for day in korean if day.weekday() < 5))


def answer_days(db: sqlite_utils.Database, center_id: int, default: int) -> int:
    """The business days a center promises to answer a request in: its own, else the
    setting's (``DIAGNOSE_REQUEST_ANSWER_DAYS``)."""
    row = db.execute("SELECT answer_days FROM centers WHERE id = ?", [center_id]).fetchone()
    return row[0] if row and row[0] else default


ANSWER_DAYS_MAX = 30


def set_answer_days(
    db: sqlite_utils.Database, center_id: int, days: int | None, by_user: int
) -> None:
    """A center's own promise in business days (None: the setting's again)."""
    if days is not None and not (1 <= days <= ANSWER_DAYS_MAX):
        raise RequestError({"answer_days": f"between 1 and {ANSWER_DAYS_MAX}"})
    with transaction(db):
        db.execute("UPDATE centers SET answer_days = ? WHERE id = ?", [days, center_id])
        audit.record(
            db,
            "update",
            "center",
            center_id,
            center_id=center_id,
            user_id=by_user,
            detail=f"answer_days {days}",
        )


def tracking(
    db: sqlite_utils.Database,
    center_id: int,
    promise: int,
    today: Any = None,
    *,
    rows: bool = True,
) -> dict[str, Any]:
    """Each request's waiting time (business days from the request to the first answer:
    contacted or a visit booked; still waiting: until today) and the share answered within
    the center's promise. Duplicates merged into another request are not counted.

    ``rows=False`` (the dashboard's line): the same figures from the requests' dates and
    status alone, without each request's firm, consultant and merged count."""
    from datetime import datetime

    from ..templating import KST

    today = today or datetime.now(KST).date()

    def day(stamp: str | None):
        return datetime.fromisoformat(stamp).astimezone(KST).date() if stamp else None

    if rows:
        found = list(
            db.query(
                "SELECT r.*, f.name AS firm_name, u.name AS assigned_name, "
                "(SELECT COUNT(*) FROM consultant_requests m WHERE m.merged_into = r.id) "
                "AS merged FROM consultant_requests r JOIN firms f ON f.id = r.firm_id "
                "LEFT JOIN users u ON u.id = r.assigned_to "
                "WHERE r.center_id = ? AND r.merged_into IS NULL ORDER BY r.id DESC",
                [center_id],
            )
        )
    else:
        found = [
            {
                "id": i,
                "status": status,
                "created_at": created,
                "contacted_at": contacted,
                "booked_at": booked,
            }
            for i, status, created, contacted, booked in db.execute(
                "SELECT id, status, created_at, contacted_at, booked_at "
                "FROM consultant_requests WHERE center_id = ? AND merged_into IS NULL "
                "ORDER BY id DESC",
                [center_id],
            )
        ]
    counted = within = 0
    for r in found:
        first = day(r["contacted_at"] or r["booked_at"])
        r["answered"] = first is not None
        r["waited"] = business_days(day(r["created_at"]), first or today)
        r["within"] = r["waited"] <= promise
        # Counted: every answered request, and every open one already past the promise (a
        # request nobody answers must not improve the share by staying out of it).
        if first is not None or (r["status"] != "closed" and not r["within"]):
            counted += 1
            within += r["within"]
    return {
        "requests": found,
        "promise": promise,
        "counted": counted,
        "within": within,
        "share": round(100 * within / counted) if counted else None,
        "open": sum(1 for r in found if r["status"] != "closed"),
    }
