"""Cohorts for the joint training centers: firms of a center's region whose confirmed PBL
theme and timing match, sized for one joint-center course. Staff form a cohort from a
suggestion, invite its firms by e-mail, record who joined or declined, and export the list.

Where the rules come from:
- a joint center runs PBL for the employees of partner SMEs, at least 18 hours of hands-on
  problem solving (DOMAIN.md, the national HRD consortium model); firms with the same
  problem trained together is what makes a course worth running for small firms;
- a theme is *confirmed* when a consultant decided the firm's track (a self-assessment's
  theme is the owner's guess): only confirmed themes are suggested;
- timing is when the firm said it wants to start (``need_urgency``), from its diagnosis:
  within 3 months, within 6, within a year; "not decided" fits any window of its theme;
- ``COURSE_SEATS`` (20 trainees) and ``MIN_FIRMS`` (3) are tool assumptions, to be
  validated with the joint centers.

Mail: the invitation is recorded here (who, when, to which address); its text comes from
``invitation_mail`` as (subject, body). The lead hands it to the mail outbox at merge.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import sqlite_utils

from ..roadmap.themes import Theme
from ..storage import now, transaction
from ..templating import KST
from . import access, audit, mail

COURSE_SEATS = 20  # trainees one joint-center course takes (tool assumption)
MIN_FIRMS = 3  # fewer firms than this are not worth a course of their own (tool assumption)
TIMING_MONTHS = {"within_3_months": 1, "within_6_months": 4, "within_1_year": 7}
MEMBER_STATUSES = ("proposed", "invited", "joined", "declined")


class CohortError(ValueError):
    """A cohort action that cannot be done; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _themes(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[Theme]]:
    """The PBL themes of each decided AX or joint-center assessment in ``ids`` (its latest
    decision's track): its task's themes (``roadmap.themes``: a consultant's setting, else the
    model's reading), all confirmed (a consultant set them, or decided the diagnosis whose
    roadmap is built on them); a task the model abstained on, with no setting, has none (the
    consultant sets it first)."""
    from ..roadmap.themes import themes_for_assessments

    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    wanted = [
        row[0]
        for row in db.execute(
            f"""
            SELECT a.id FROM assessments a WHERE a.id IN ({marks})
            AND (SELECT d.final_track FROM decisions d WHERE d.assessment_id = a.id
                 ORDER BY d.id DESC LIMIT 1) IN ('ax', 'shared_center')
            """,
            ids,
        )
    ]
    return {
        i: [Theme(t.theme, t.confidence, True) for t in themes]
        for i, themes in themes_for_assessments(db, wanted).items()
    }


def _window(submitted_at: str, urgency: str | None) -> str | None:
    """The quarter the firm wants its course to start in (``2027-Q1``), None: any."""
    if urgency not in TIMING_MONTHS:
        return None
    day = datetime.fromisoformat(submitted_at).astimezone(KST).date()
    index = day.year * 12 + day.month - 1 + TIMING_MONTHS[urgency]
    year, month = divmod(index, 12)
    return f"{year}-Q{month // 3 + 1}"


# The center's firms whose latest decided diagnosis is a candidate (not already invited to
# or in a forming cohort), with that diagnosis's kept fit (``cohort_fits``, NULL when it is
# to be computed): the firms are read through the center's index, the fits by primary key,
# and only candidates with a theme (or a fit still to compute) come back.
CANDIDATES_SQL = """
    SELECT f.id AS firm_id, f.name, f.contact_email, f.contact_name, a.id AS assessment_id,
           a.submitted_at, fit.basis, fit.theme, fit.start_window, fit.trainees
    FROM firms f JOIN assessments a ON a.id = (
        SELECT a2.id FROM assessments a2 WHERE a2.firm_id = f.id
        AND a2.status = 'submitted'
        AND EXISTS (SELECT 1 FROM decisions d WHERE d.assessment_id = a2.id)
        ORDER BY a2.submitted_at DESC, a2.id DESC LIMIT 1)
    LEFT JOIN cohort_fits fit ON fit.assessment_id = a.id
    WHERE f.center_id = :center AND f.erased_at IS NULL
      AND (fit.theme IS NOT NULL OR fit.basis IS NOT :basis)
      AND NOT EXISTS (SELECT 1 FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
                      WHERE m.firm_id = f.id AND c.status = 'forming'
                      AND m.status IN ('proposed', 'invited', 'joined'))
    ORDER BY a.submitted_at, f.id
"""
FIT_CHUNK = 10  # fits computed and stored per write transaction (a cold start: every one)


def _basis(db: sqlite_utils.Database) -> str:
    """What a fit depends on besides its diagnosis's rows: the theme corpus (the model's
    readings are redone when it changes) and the roadmap data's revision (the planner's
    modules)."""
    from ..roadmap.themes import load_corpus_digest

    row = db.execute("SELECT revision FROM roadmap_revision WHERE id = 1").fetchone()
    return f"{load_corpus_digest()}:{row[0] if row else 0}"


def _candidates(db: sqlite_utils.Database, center_id: int) -> list[dict[str, Any]]:
    """The center's firms with a consultant-decided AX or joint-center diagnosis (their
    latest) that has a confirmed theme, not already invited to or in a cohort, each with its
    theme, start window and trainees. A diagnosis's fit is computed once and kept
    (``cohort_fits``) until what it depends on changes (the migration's triggers drop it)."""
    basis = _basis(db)
    rows = list(db.query(CANDIDATES_SQL, {"center": center_id, "basis": basis}))
    missing = [r for r in rows if r["basis"] != basis]
    for first in range(0, len(missing), FIT_CHUNK):
        _store_fits(db, missing[first : first + FIT_CHUNK], basis)
    return [r for r in rows if r["theme"]]


def _store_fits(db: sqlite_utils.Database, rows: list[dict[str, Any]], basis: str) -> None:
    """Compute the fits of ``rows`` (their theme, window and trainees, set on each row) and
    keep them; inside one short write transaction, so no change of a diagnosis can slip in
    between the reading and the keeping (its trigger would then drop the kept fit). The task
    model reads a new task before it, outside the write lock (its readings are kept)."""
    ids = [r["assessment_id"] for r in rows]
    _themes(db, ids)
    with transaction(db):
        themes = _themes(db, ids)
        tasks = _tasks(db, ids)
        for row in rows:
            found = themes.get(row["assessment_id"], [])
            urgency = tasks.get(row["assessment_id"], {}).get("need_urgency")
            row["theme"] = found[0].theme if found else None
            row["start_window"] = _window(row["submitted_at"], urgency) if found else None
            row["trainees"] = _trainees(db, row["assessment_id"], row["theme"]) if found else None
            db.execute(
                "INSERT OR REPLACE INTO cohort_fits (assessment_id, basis, theme, start_window, "
                "trainees) VALUES (?, ?, ?, ?, ?)",
                [row["assessment_id"], basis, row["theme"], row["start_window"], row["trainees"]],
            )
            row["basis"] = basis


def suggestions(
    db: sqlite_utils.Database, user: Any, seats: int = COURSE_SEATS, min_firms: int = MIN_FIRMS
) -> list[dict[str, Any]]:
    """Cohorts worth forming in the user's center: per confirmed theme and start window, the
    firms (earliest diagnosed first) that fill one course's seats; a larger group gives
    several. Each: ``theme``, ``window`` (None: firms with no fixed timing only),
    ``firms`` (firm id, name, trainees, task) and ``trainees``.

    One query gives the candidates with their kept fits; what is left here is the filling of
    courses, over the candidates only."""
    access.require(user, access.STAFF)
    candidates = _candidates(db, user.center_id)
    tasks = _tasks(db, [c["assessment_id"] for c in candidates])
    groups: dict[str, dict[str | None, list[dict[str, Any]]]] = {}
    for row in candidates:
        stated = tasks.get(row["assessment_id"], {})
        firm = {
            "firm_id": row["firm_id"],
            "name": row["name"],
            "contact_email": row["contact_email"],
            "contact_name": row["contact_name"],
            "assessment_id": row["assessment_id"],
            "submitted_at": row["submitted_at"],
            "urgency": stated.get("need_urgency"),
            "task": stated.get("need_task") or "",
            "trainees": row["trainees"],
        }
        groups.setdefault(row["theme"], {}).setdefault(row["start_window"], []).append(firm)
    found = []
    for theme, windows in groups.items():
        flexible = windows.pop(None, [])
        for window in sorted(windows, key=str):
            found += _fill(theme, window, windows[window] + flexible, seats, min_firms)
            taken = {f["firm_id"] for s in found for f in s["firms"]}
            flexible = [f for f in flexible if f["firm_id"] not in taken]
        found += _fill(theme, None, flexible, seats, min_firms)
    return sorted(found, key=lambda s: (-len(s["firms"]), s["window"] or "9999", s["theme"]))


def _tasks(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The stated task and timing of each assessment (its ``need_task`` and ``need_urgency``
    answers), read by primary key in pages of ids."""
    found: dict[int, dict[str, Any]] = {}
    for first in range(0, len(ids), 500):
        part = ids[first : first + 500]
        marks = ",".join("?" * len(part))
        for i, item, value in db.execute(
            f"SELECT assessment_id, item_id, value FROM answers WHERE assessment_id IN ({marks}) "
            "AND item_id IN ('need_task', 'need_urgency')",
            part,
        ):
            found.setdefault(i, {})[item] = json.loads(value) if value else None
    return found


def _fill(theme, window, firms, seats, min_firms) -> list[dict[str, Any]]:
    """Courses of at most ``seats`` trainees from ``firms`` in order; each at least
    ``min_firms`` firms (a firm larger than a course takes one of its own)."""
    courses, current, used = [], [], 0
    for firm in firms:
        people = min(firm["trainees"], seats)
        if current and used + people > seats:
            courses.append(current)
            current, used = [], 0
        current.append({**firm, "trainees": people})
        used += people
    if current:
        courses.append(current)
    return [
        {"theme": theme, "window": window, "firms": c, "trainees": sum(f["trainees"] for f in c)}
        for c in courses
        if len(c) >= min_firms
    ]


def _trainees(db: sqlite_utils.Database, assessment_id: int, theme: str) -> int:
    """People the firm would send: the planner's trainees for the brief's group."""
    from flask import current_app

    from ..profile import employees_of
    from ..roadmap.planner import (
        job_groups_to_train,
        project_briefs,
        trainees_per_group,
    )
    from .registry import current_data

    row = db.execute(
        "SELECT a.profile, COALESCE((SELECT d.final_track FROM decisions d "
        "WHERE d.assessment_id = a.id ORDER BY d.id DESC LIMIT 1), 'ax') "
        "FROM assessments a WHERE a.id = ?",
        [assessment_id],
    ).fetchone()
    answers = {
        k: json.loads(v)
        for k, v in db.execute(
            "SELECT item_id, value FROM answers WHERE assessment_id = ? AND value IS NOT NULL",
            [assessment_id],
        )
    }
    track = row[1]
    groups = job_groups_to_train(answers, track) or ["executives"]
    trainees = trainees_per_group(employees_of(json.loads(row[0])), groups)
    from ..roadmap.themes import theme_specs

    modules = current_data(db, current_app).catalogue.by_id
    spec = theme_specs().get(theme)
    projects = set(spec.projects) if spec else set()
    briefs = project_briefs(answers, track, modules, trainees, groups, themes=[(theme, 1.0, True)])
    for brief in briefs:
        if brief.module_id in projects:
            return max(1, brief.trainees)
    return max(1, max((b.trainees for b in briefs), default=1))


def theme_title(theme: str, lang: str) -> str:
    """A theme as people read it (its name in the theme corpus; the id when unknown)."""
    from ..roadmap.themes import theme_name

    return theme_name(theme, lang)


def form_cohort(
    db: sqlite_utils.Database, user: Any, theme: str, window: str, firm_ids: list[int], title: str
) -> int:
    """A cohort from a suggestion (the firms the staff member kept ticked); its id."""
    access.require(user, access.STAFF)
    if not firm_ids:
        raise CohortError("firms", "no firm chosen")
    current = {
        f["firm_id"]: f for s in suggestions(db, user) for f in s["firms"] if s["theme"] == theme
    }
    unknown = [i for i in firm_ids if i not in current]
    if unknown:
        raise CohortError("firms", "a firm no longer fits this theme or is in another cohort")
    stamp = now()
    with transaction(db):
        cohort_id = db.execute(
            "INSERT INTO cohorts (center_id, theme, title, start_window, seats, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [user.center_id, theme, title, window or "", COURSE_SEATS, user.id, stamp],
        ).lastrowid
        for firm_id in firm_ids:
            firm = current[firm_id]
            db.execute(
                "INSERT INTO cohort_members (cohort_id, firm_id, assessment_id, trainees, "
                "updated_at) VALUES (?, ?, ?, ?, ?)",
                [cohort_id, firm_id, firm["assessment_id"], firm["trainees"], stamp],
            )
        audit.record(
            db, "cohort_form", "cohorts", cohort_id, center_id=user.center_id,
            user_id=user.id, detail=f"{theme} {window or ''} {len(firm_ids)} firms",
        )  # fmt: skip
    return cohort_id


def cohort(db: sqlite_utils.Database, user: Any, cohort_id: int) -> dict[str, Any]:
    """A cohort of the user's center with its members (``NotFound`` for another center's)."""
    access.require(user, access.STAFF)
    rows = list(
        db.query(
            "SELECT * FROM cohorts WHERE id = ? AND center_id = ?", [cohort_id, user.center_id]
        )
    )
    if not rows:
        raise access.NotFound(cohort_id)
    found = rows[0]
    found["members"] = list(
        db.query(
            """
            SELECT m.*, f.name, f.contact_name, f.contact_email, f.contact_phone, f.erased_at
            FROM cohort_members m JOIN firms f ON f.id = m.firm_id
            WHERE m.cohort_id = ? ORDER BY f.name, f.id
            """,
            [cohort_id],
        )
    )
    found["joined_trainees"] = sum(
        m["trainees"] for m in found["members"] if m["status"] == "joined"
    )
    return found


def center_cohorts(db: sqlite_utils.Database, user: Any) -> list[dict[str, Any]]:
    access.require(user, access.STAFF)
    return list(
        db.query(
            """
            SELECT c.*, COUNT(m.firm_id) AS firms,
                   SUM(m.status = 'joined') AS joined, SUM(m.status = 'invited') AS invited
            FROM cohorts c LEFT JOIN cohort_members m ON m.cohort_id = c.id
            WHERE c.center_id = ? GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC
            """,
            [user.center_id],
        )
    )


def invitation_mail(
    found: dict[str, Any], member: dict[str, Any], center: dict[str, Any], theme: str
) -> tuple[str, str]:
    """The invitation's (subject, body) in the current language, for the mail outbox."""
    from flask_babel import gettext as _

    subject = _("Invitation: a joint-center course on %(theme)s", theme=theme)
    lines = [
        _("Dear %(name)s,", name=member["contact_name"] or member["name"]),
        "",
        _(
            "%(center)s is forming a group of firms of the region for one course at a joint "
            "training center on %(theme)s: firms whose diagnosis found the same kind of task "
            "train their staff together, on their own problems.",
            center=center["name"],
            theme=theme,
        ),
        _("Planned start: %(window)s. Places for your firm: %(people)s people.",
          window=found["start_window"] or _("to be agreed"), people=member["trainees"]),
        "",
        _("To join, or to ask about it, reply to this mail or call %(phone)s.",
          phone=center.get("phone") or center.get("email") or center["name"]),
        "",
        center["name"],
    ]  # fmt: skip
    return subject, "\n".join(lines)


def invite(
    db: sqlite_utils.Database, user: Any, cohort_id: int, theme: str
) -> list[dict[str, Any]]:
    """Record the invitation of every proposed member that has an e-mail address; return
    each with its mail (``to``, ``subject``, ``body``) for the outbox. A member without an
    address stays proposed (to be called)."""
    found = cohort(db, user, cohort_id)
    center = dict(next(db.query("SELECT * FROM centers WHERE id = ?", [user.center_id])))
    mails = []
    outbox_ids = []
    stamp = now()
    with transaction(db):
        for member in found["members"]:
            if member["status"] != "proposed" or not member["contact_email"]:
                continue
            if member["erased_at"]:
                continue
            subject, body = invitation_mail(found, member, center, theme)
            db.execute(
                "UPDATE cohort_members SET status = 'invited', invited_at = ?, invited_by = ?, "
                "invited_email = ?, updated_at = ? WHERE cohort_id = ? AND firm_id = ?",
                [stamp, user.id, member["contact_email"], stamp, cohort_id, member["firm_id"]],
            )
            mails.append(
                {"firm_id": member["firm_id"], "to": member["contact_email"],
                 "subject": subject, "body": body}
            )  # fmt: skip
            outbox_ids.append(
                mail.write(  # the outbox sends it (or keeps it until a mail server is set)
                    db,
                    kind="cohort_invitation",
                    recipient=member["contact_email"],
                    subject=subject,
                    body=body,
                    center_id=user.center_id,
                    firm_id=member["firm_id"],
                )
            )
        audit.record(
            db, "cohort_invite", "cohorts", cohort_id, center_id=user.center_id,
            user_id=user.id, detail=f"{len(mails)} invited",
        )  # fmt: skip
    if outbox_ids:  # after the commit: queued for sending (kept waiting without a server)
        from . import mailing

        mailing.send_soon(outbox_ids)
    return mails


def record_answer(
    db: sqlite_utils.Database, user: Any, cohort_id: int, firm_id: int, status: str
) -> None:
    """A firm joined or declined (or is proposed again)."""
    if status not in ("joined", "declined", "proposed"):
        raise CohortError("status", "unknown answer")
    cohort(db, user, cohort_id)  # the user's center's, else NotFound
    stamp = now()
    with transaction(db):
        changed = db.execute(
            "UPDATE cohort_members SET status = ?, answered_at = ?, updated_at = ? "
            "WHERE cohort_id = ? AND firm_id = ?",
            [status, stamp if status != "proposed" else None, stamp, cohort_id, firm_id],
        ).rowcount
        if not changed:
            raise access.NotFound(firm_id)
        audit.record(
            db, "cohort_answer", "cohorts", cohort_id, center_id=user.center_id,
            user_id=user.id, detail=f"firm {firm_id} {status}",
        )  # fmt: skip


def to_csv(found: dict[str, Any], headers: list[str], statuses: dict[str, str]) -> bytes:
    """The cohort's list for the joint center: UTF-8 with a byte-order mark for Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for m in found["members"]:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    m["name"],
                    m["contact_name"],
                    m["contact_phone"],
                    m["contact_email"],
                    m["trainees"],
                    statuses.get(m["status"], m["status"]),
                    (m["invited_at"] or "")[:10],
                    (m["answered_at"] or "")[:10],
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
