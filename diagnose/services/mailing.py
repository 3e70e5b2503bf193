"""Sending the outbox (``services/mail.py``) through SMTP, on the task queue, with retries.

``send_mail(outbox_id)`` is a task on the same huey instance as the reports
(``jobs.make_queue`` registers it): it sends one mail with Flask-Mailman through the server
of ``DIAGNOSE_MAIL_SERVER`` and marks it sent; a refused or unreachable server leaves it
waiting, counted and with its error, and huey tries again (``RETRY_DELAY`` seconds apart,
``mail.MAX_ATTEMPTS`` tries, then it is marked failed for staff to see and send again).
Without a mail server nothing is queued: the mails wait in the outbox, listed on
``/center/outbox``, until ``flask --app diagnose mail send`` (or the page's button) queues them.

The notices themselves are written here, in the owner's language, from ``templates/mail/``:
views, the API, the CLI and services call the ``notify_*`` functions, each inside the
transaction of the change it tells of; ``send_soon`` hands them to the queue after commit.
"""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

import sqlite_utils
from flask import Flask, current_app, g, has_app_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..links import external_url
from ..storage import connect, now
from . import mail

log = logging.getLogger(__name__)
RETRY_DELAY = 60  # seconds between tries of a mail the server refused or did not answer
RESEND_MINUTES = 10  # a lost link is sent again to one address at most this often


class MailNotSent(RuntimeError):
    """The mail server refused or did not answer: huey tries again later."""


# --- the task ------------------------------------------------------------------------------------


def register_tasks(queue, app) -> None:
    """Add ``send_mail`` to the queue's tasks (``app`` gives the app, as for reports)."""

    @queue.task(name="send_mail", retries=mail.MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY)
    def send_mail(outbox_id: int):
        """Send one mail of the outbox."""
        return deliver(app(), outbox_id)

    queue.report_tasks["send_mail"] = send_mail


def configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER"))


def deliver(app: Flask, outbox_id: int) -> str:
    """Send one mail now; its status after: ``sent``, ``waiting`` (no server configured) or
    ``gone`` (sent already, or erased). Raises ``MailNotSent`` when the server fails."""
    from flask_mailman import EmailMessage

    if not configured(app):
        return "waiting"
    db = connect(app.config["DATABASE"])
    try:
        rows = list(db.query("SELECT * FROM outbox WHERE id = ?", [outbox_id]))
        if not rows or rows[0]["status"] == "sent" or not rows[0]["recipient"]:
            return "gone"
        row = rows[0]
        try:
            with app.app_context():
                message = EmailMessage(
                    subject=row["subject"],
                    body=row["body"],
                    from_email=app.config["MAIL_DEFAULT_SENDER"],
                    to=[row["recipient"]],
                )
                if row["calendar"]:
                    message.attach("visit.ics", row["calendar"], "text/calendar")
                message.send()
        except Exception as exc:  # SMTP refusals, timeouts, a closed connection
            attempts = row["attempts"] + 1
            db.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, status = ? WHERE id = ?",
                [
                    attempts,
                    f"{type(exc).__name__}: {exc}"[:500],
                    "failed" if attempts >= mail.MAX_ATTEMPTS else "waiting",
                    outbox_id,
                ],
            )
            log.warning("mail %s not sent (try %s): %s", outbox_id, attempts, exc)
            raise MailNotSent(outbox_id) from exc
        db.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, "
            "last_error = NULL WHERE id = ?",
            [now(), outbox_id],
        )
        log.info("mail %s (%s) sent", outbox_id, row["kind"])
        return "sent"
    finally:
        db.conn.close()


def send_soon(ids: list[int] | None = None) -> int:
    """Queue the mails written in this request (or ``ids``); call after the commit. Without
    a mail server they stay waiting. Never fails the caller: a queue that is down leaves
    them waiting too. Returns how many were queued."""
    if not has_app_context():
        return 0
    app = current_app._get_current_object()
    pending = list(ids) if ids is not None else g.pop("mail_pending", [])
    if not pending or not configured(app):
        return 0
    task = app.extensions["queue_tasks"]["send_mail"]
    queued = 0
    for outbox_id in pending:
        try:
            app.extensions["queue"].enqueue(task.s(outbox_id))
            queued += 1
        except MailNotSent:  # inline (tests, immediate mode): the retry is huey's
            queued += 1
        except Exception:
            log.exception("could not queue mail %s: it waits in the outbox", outbox_id)
    return queued


# --- the notices ---------------------------------------------------------------------------------


def _url(endpoint: str, **values) -> str:
    base = current_app.config.get("BASE_URL") or "http://localhost"
    try:
        return external_url(endpoint, **values)
    except RuntimeError:  # no request (the CLI, a job): the configured address
        with current_app.test_request_context(base_url=base):
            return external_url(endpoint, **values)


def _write(db: sqlite_utils.Database, kind: str, lang: str, subject: str, **fields) -> int:
    lang = lang if lang in ("ko", "en") else "ko"
    with force_locale(lang):
        body = render_template(f"mail/{kind}.txt", lang=lang, **fields.pop("values", {}))
    outbox_id = mail.write(db, kind=kind, lang=lang, subject=subject, body=body, **fields)
    g.setdefault("mail_pending", []).append(outbox_id)
    return outbox_id


def _center(db: sqlite_utils.Database, center_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT name, phone, email FROM centers WHERE id = ?", [center_id]))
    return rows[0] if rows else {"name": "", "phone": "", "email": ""}


def notify_resume_link(
    db: sqlite_utils.Database,
    *,
    email: str,
    lang: str,
    token: str,
    center_id: int | None = None,
    kind: str = "resume_link",
) -> int:
    """The owner's secret link, to the address they gave."""
    with force_locale(lang):
        subject = _("Your AI training self-assessment link")
    return _write(
        db,
        kind,
        lang,
        subject,
        recipient=email,
        center_id=center_id,
        values={"link": _url("public.result", token=token), "days": _link_days()},
    )


def _link_days() -> int:
    return current_app.config["RESUME_LINK_DAYS"]


def _owner_link(db: sqlite_utils.Database, assessment_id: int) -> tuple[str, str, str] | None:
    """(email, lang, link) of the owner who asked for mails on the link of this assessment."""
    rows = list(
        db.query(
            "SELECT notify_email, lang, link_sealed FROM self_assessments "
            "WHERE assessment_id = ? AND notify_email IS NOT NULL ORDER BY id DESC LIMIT 1",
            [assessment_id],
        )
    )
    if not rows:
        return None
    token = mail.open_link(current_app.config["SECRET_KEY"], rows[0]["link_sealed"])
    link = _url("public.result", token=token) if token else ""
    return rows[0]["notify_email"], rows[0]["lang"], link


def _request(db: sqlite_utils.Database, request_id: int) -> dict[str, Any]:
    return next(
        db.query(
            "SELECT r.*, u.name AS consultant_name, u.phone AS consultant_phone, "
            "u.email AS consultant_email, f.name AS firm_name, f.region, "
            "COALESCE(json_extract(a.profile, '$.company_name'), '') AS typed_name "
            "FROM consultant_requests r JOIN firms f ON f.id = r.firm_id "
            "JOIN assessments a ON a.id = r.assessment_id "
            "LEFT JOIN users u ON u.id = r.assigned_to WHERE r.id = ?",
            [request_id],
        )
    )


def notify_assigned(db: sqlite_utils.Database, request_id: int) -> list[int]:
    """To the owner: who their consultant is and how to reach them; to the consultant: a
    new assignment with the owner's message and a link to the firm."""
    r = _request(db, request_id)
    center = _center(db, r["center_id"])
    written = []
    if r["contact_email"]:
        with force_locale(r["lang"]):
            subject = _("A consultant was assigned to your firm")
        written.append(
            _write(
                db,
                "assigned_owner",
                r["lang"],
                subject,
                recipient=r["contact_email"],
                center_id=r["center_id"],
                firm_id=r["firm_id"],
                request_id=request_id,
                values={"r": r, "center": center},
            )
        )
    if r["consultant_email"]:
        with force_locale("ko"):
            subject = _("New assignment: %(firm)s", firm=r["firm_name"])
        written.append(
            _write(
                db,
                "assigned_consultant",
                "ko",
                subject,
                recipient=r["consultant_email"],
                center_id=r["center_id"],
                firm_id=r["firm_id"],
                request_id=request_id,
                values={
                    "r": r,
                    "firm_url": _url("consultant.firm", firm_id=r["firm_id"]),
                    "list_url": _url("visits.mine"),
                },
            )
        )
    return written


def notify_visit(db: sqlite_utils.Database, request_id: int) -> int | None:
    """To the owner: the visit's date, time and place, with an iCalendar invitation."""
    r = _request(db, request_id)
    if not r["contact_email"] or not r["visit_on"]:
        return None
    center = _center(db, r["center_id"])
    on, at = date.fromisoformat(r["visit_on"]), time.fromisoformat(r["visit_time"])
    with force_locale(r["lang"]):
        subject = _(
            "Your consultant's visit: %(day)s %(time)s",
            day=r["visit_on"],
            time=at.strftime("%H:%M"),
        )
        summary = _("AI training diagnosis visit (%(center)s)", center=center["name"])
        description = _(
            "Consultant: %(name)s %(phone)s",
            name=r["consultant_name"] or "",
            phone=r["consultant_phone"] or "",
        )
    invitation = mail.visit_invitation(
        uid_seed=f"visit-{request_id}-{r['visit_on']}-{r['visit_time']}",
        on=on,
        at=at,
        place=r["visit_place"] or "",
        summary=summary,
        description=description,
        organizer=r["consultant_email"] or current_app.config.get("MAIL_DEFAULT_SENDER") or "",
        attendee=r["contact_email"],
    )
    return _write(
        db,
        "visit",
        r["lang"],
        subject,
        recipient=r["contact_email"],
        center_id=r["center_id"],
        firm_id=r["firm_id"],
        request_id=request_id,
        calendar=invitation,
        values={"r": r, "center": center, "time": at.strftime("%H:%M")},
    )


def notify_roadmap_ready(db: sqlite_utils.Database, assessment_id: int) -> int | None:
    """To the owner whose self-assessment this consultant's diagnosis started from: the
    confirmed track and roadmap are on their link."""
    row = db.execute(
        "SELECT based_on, center_id, firm_id, source FROM assessments WHERE id = ?",
        [assessment_id],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    based_on, center_id, firm_id, _source = row
    owner = _owner_link(db, based_on)
    if owner is None:
        return None
    email, lang, link = owner
    with force_locale(lang):
        subject = _("Your confirmed training roadmap is ready")
    return _write(
        db,
        "roadmap_ready",
        lang,
        subject,
        recipient=email,
        center_id=center_id,
        firm_id=firm_id,
        values={"link": link, "center": _center(db, center_id)},
    )


def notify_link_again(db: sqlite_utils.Database, email: str) -> int:
    """Every unexpired link given with this address, sent to it again (none: nothing sent,
    and the caller says the same either way). At most once in ``RESEND_MINUTES`` per
    address, so nobody can fill an owner's inbox from the "lost link" page."""
    from datetime import UTC, datetime, timedelta

    since = (datetime.now(UTC) - timedelta(minutes=RESEND_MINUTES)).isoformat(timespec="seconds")
    recent = db.execute(
        "SELECT 1 FROM outbox WHERE kind = 'link_again' AND recipient = ? COLLATE NOCASE "
        "AND created_at > ?",
        [email, since],
    ).fetchone()
    if recent:
        return 0
    rows = list(
        db.query(
            "SELECT s.lang, s.link_sealed, s.notify_email, a.center_id FROM self_assessments s "
            "LEFT JOIN assessments a ON a.id = s.assessment_id "
            "WHERE s.notify_email = ? COLLATE NOCASE AND s.expires_at > ? "
            "ORDER BY s.id DESC LIMIT 5",
            [email, now()],
        )
    )
    sent = 0
    for row in rows:
        token = mail.open_link(current_app.config["SECRET_KEY"], row["link_sealed"])
        if token:
            notify_resume_link(
                db,
                email=row["notify_email"],  # as the owner wrote it
                lang=row["lang"],
                token=token,
                center_id=row["center_id"],
                kind="link_again",
            )
            sent += 1
    return sent


# --- wiring and the command line ---------------------------------------------------------------


def init_app(app: Flask) -> None:
    from flask_mailman import Mail

    Mail().init_app(app)


# --- the owner's address -----------------------------------------------------------------------


def owner_gives_email(
    db: sqlite_utils.Database,
    row: dict[str, Any],
    token: str,
    email: str,
    lang: str,
    send_link: bool = True,
) -> int | None:
    """Keep the owner's address (with the time they consented) and their link sealed, and
    write the link's mail (``send_link``); the notices of their request go there too."""
    from ..storage import transaction

    with transaction(db):
        db.execute(
            "UPDATE self_assessments SET notify_email = ?, notify_consent_at = ?, "
            "link_sealed = ?, lang = ? WHERE id = ?",
            [
                email,
                now(),
                mail.seal_link(current_app.config["SECRET_KEY"], token),
                lang,
                row["id"],
            ],
        )
        center = None
        if row.get("assessment_id"):
            found = db.execute(
                "SELECT center_id FROM assessments WHERE id = ?", [row["assessment_id"]]
            ).fetchone()
            center = found[0] if found else None
        if not send_link:
            return None
        return notify_resume_link(db, email=email, lang=lang, token=token, center_id=center)


def notify_link_again_now(db: sqlite_utils.Database, email: str) -> int:
    """``notify_link_again`` in its own transaction, then sent."""
    from ..storage import transaction

    with transaction(db):
        written = notify_link_again(db, email)
    send_soon()
    return written
