"""Notices to firm owners and consultants, through an outbox every mail waits in until sent.

A notice is written into ``outbox`` in the same transaction as the change it tells of (a
request assigned, a visit booked, a decision made), then handed to the task queue
(``services/mailing.py``), which sends it through the SMTP server of the ``DIAGNOSE_MAIL_*``
settings, with retries. Without a mail server the mails stay ``waiting``, listed for the
center's staff (``/center/outbox``), and go out once one is configured (``flask mail send``):
nothing is lost.

Each notice is written in the language the owner used (Korean unless they chose English).

Other channels (SMS, KakaoTalk 알림톡) are adapters on the same outbox: a row with
``channel = 'sms'`` and a sender for it in ``mailing.SENDERS``. None is shipped: a real one
needs a provider contract (an 알림톡 template approved by the provider), so this module only
writes e-mail rows.

Erasure: ``erase_for_firm`` blanks a firm's mails (recipient, subject, body, invitation);
the firm columns are listed in ``FIRM_COLUMNS`` for the erasure service.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from ..storage import now

log = logging.getLogger(__name__)

KINDS = (
    "resume_link",  # the owner's secret link, when they give an address
    "link_again",  # the same link sent again ("I lost my link")
    "assigned_owner",  # a consultant was assigned (name, phone)
    "assigned_consultant",  # to the consultant: a new assignment
    "visit",  # the visit's date, with an iCalendar invitation
    "roadmap_ready",  # the consultant's decision: the confirmed roadmap is on the link
    "cohort_invitation",  # a joint-center cohort the center invites the firm to
)
MAX_ATTEMPTS = 5  # then the mail is marked failed, with its last error, for staff to see
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
EMAIL_MAX = 254  # RFC 5321's path limit

# Where a firm's personal data sits in the tables of this module (for erasure).
FIRM_COLUMNS = {
    "outbox": ("firm_id", ("recipient", "subject", "body", "calendar", "last_error")),
    "consultant_requests": (
        "firm_id",
        ("contact_name", "contact_phone", "contact_email", "message", "visit_place"),
    ),
    "self_assessments": ("assessment_id", ("notify_email", "link_sealed")),
}


def valid_email(address: str) -> bool:
    return bool(address) and len(address) <= EMAIL_MAX and bool(EMAIL.match(address))


# --- the owner's link, kept sealed for the mails that carry it --------------------------------


def _fernet(secret_key: str):
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(f"diagnose-link-seal:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_link(secret_key: str, token: str) -> str:
    """The owner's link token encrypted with the app's secret key: kept only for an owner who
    asked for mails, so a later notice (and "send my link again") can carry it; the database
    alone never reveals it."""
    return _fernet(secret_key).encrypt(token.encode()).decode()


def open_link(secret_key: str, sealed: str | None) -> str | None:
    """The token back, or None (none kept, or sealed under another secret key)."""
    from cryptography.fernet import InvalidToken

    if not sealed:
        return None
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


# --- writing and listing -----------------------------------------------------------------------


def write(
    db: sqlite_utils.Database,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    lang: str = "ko",
    center_id: int | None = None,
    firm_id: int | None = None,
    request_id: int | None = None,
    calendar: str | None = None,
) -> int:
    """Put one mail in the outbox (inside the caller's transaction); its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice {kind!r}")
    return db.execute(
        "INSERT INTO outbox (center_id, firm_id, request_id, kind, recipient, lang, subject, "
        "body, calendar, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [center_id, firm_id, request_id, kind, recipient, lang, subject, body, calendar, now()],
    ).lastrowid


def center_outbox(
    db: sqlite_utils.Database, center_id: int, limit: int = 200
) -> list[dict[str, Any]]:
    """A center's mails, waiting and failed first, newest first; what staff see."""
    return list(
        db.query(
            "SELECT id, kind, recipient, lang, subject, status, attempts, last_error, "
            "created_at, sent_at, firm_id, calendar IS NOT NULL AS invitation FROM outbox "
            "WHERE center_id = ? ORDER BY status = 'sent', id DESC LIMIT ?",
            [center_id, limit],
        )
    )


def unsent(db: sqlite_utils.Database, center_id: int | None = None) -> list[int]:
    """Ids of mails not sent yet (waiting, or failed and worth another try)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM outbox WHERE status != 'sent' AND (? IS NULL OR center_id = ?) "
            "ORDER BY id",
            [center_id, center_id],
        ).fetchall()
    ]


def erase_for_firm(db: sqlite_utils.Database, firm_id: int) -> None:
    """Blank a firm's mails (inside the erasure's transaction); the rows stay, counted."""
    db.execute(
        "UPDATE outbox SET recipient = '', subject = '', body = '', calendar = NULL, "
        "last_error = NULL, status = CASE WHEN status = 'sent' THEN 'sent' ELSE 'failed' END "
        "WHERE firm_id = ?",
        [firm_id],
    )


# --- the visit as an iCalendar invitation ------------------------------------------------------


def visit_invitation(
    *,
    uid_seed: str,
    on: date,
    at: time,
    place: str,
    summary: str,
    description: str,
    organizer: str,
    attendee: str,
    minutes: int = 90,
) -> str:
    """A METHOD:REQUEST invitation (RFC 5545/5546) for the consultant's visit, in Korea time.

    The visit's length (90 minutes) is the tool's assumption, to be validated: the calendar
    needs an end, and the owner sees the start and the place.
    """
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event, vCalAddress

    seoul = ZoneInfo("Asia/Seoul")
    start = datetime.combine(on, at, tzinfo=seoul)
    calendar = Calendar()
    calendar.add("prodid", "-//diagnose//visit//KO")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, uid_seed)}@diagnose")
    event.add("dtstamp", datetime.now(seoul))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", summary)
    event.add("location", place)
    event.add("description", description)
    if organizer:
        event["organizer"] = vCalAddress(f"mailto:{organizer}")
    if attendee:
        event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    calendar.add_component(event)
    return calendar.to_ical().decode()
