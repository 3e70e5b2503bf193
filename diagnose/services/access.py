"""Who may see and do what: the roles, stated once, for every page, API call, PDF, export and job.

- **administrator**: every center (acting for one at a time, chosen in the page header), the
  users of every center, the shared-center registry and the training catalogue.
- **center staff**: their own center: its firms, requests, assignments, exports, batches,
  users (consultants and staff, never administrators).
- **consultant**: their own caseload: the firms assigned to them, the firms they registered
  and the firms whose diagnosis they ran. They work (interview, decide, start a
  re-diagnosis) on a firm assigned to them, or on an unassigned firm of their caseload; a
  colleague's draft only when the firm is assigned to them.

Another center's firm, or a firm outside a consultant's caseload, is answered like a missing
one (404); what a role may never do is refused with 403. The functions take the user (an
``auth.User``) and plain values and know nothing of Flask requests, except
``guard_request``, which the blueprints install as a ``before_request``.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..auth import ADMINISTRATOR, CENTER_STAFF, CONSULTANT, ROLES


class Forbidden(Exception):
    """The role may never do this (403)."""


class NotFound(LookupError):
    """Not there, or not the caller's to see (404: the two look the same)."""


# --- the caseload ----------------------------------------------------------------------------


def firm_scope(user: Any, alias: str = "f") -> tuple[str, dict[str, Any]]:
    """A SQL condition on a firms row (``alias``) that holds for the firms ``user`` may see,
    with its named parameters (prefixed ``scope_``)."""
    params: dict[str, Any] = {"scope_center": user.center_id}
    condition = f"{alias}.center_id = :scope_center"
    if user.role == CONSULTANT:
        params["scope_user"] = user.id
        condition += (
            f" AND ({alias}.assigned_to = :scope_user OR {alias}.created_by = :scope_user"
            f" OR EXISTS (SELECT 1 FROM assessments own WHERE own.firm_id = {alias}.id"
            f" AND own.consultant_id = :scope_user))"
        )
    return condition, params


def visible_firm(db: sqlite_utils.Database, user: Any, firm_id: int) -> dict[str, Any] | None:
    """The firm if ``user`` may see it, else None."""
    condition, params = firm_scope(user)
    rows = list(
        db.query(
            f"SELECT f.* FROM firms f WHERE f.id = :firm AND {condition}",
            {**params, "firm": firm_id},
        )
    )
    return rows[0] if rows else None


def firm_of_assessment(db: sqlite_utils.Database, assessment_id: int) -> int | None:
    row = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    return row[0] if row else None


def may_work_on(user: Any, firm: dict[str, Any]) -> bool:
    """Interview, decide or start a re-diagnosis: staff of the firm's center; a consultant
    when the firm is assigned to them, or unassigned and in their caseload."""
    if firm["center_id"] != user.center_id:
        return False
    if user.role != CONSULTANT:
        return True
    return firm.get("assigned_to") in (None, user.id)


def may_edit_draft(user: Any, firm: dict[str, Any], assessment: dict[str, Any]) -> bool:
    """A draft: the staff of its center; its own consultant while the firm is not assigned to
    someone else; a colleague's only when the firm is assigned to this consultant."""
    if firm["center_id"] != user.center_id:
        return False
    if user.role != CONSULTANT:
        return True
    if firm.get("assigned_to") is not None:
        return firm["assigned_to"] == user.id
    return assessment.get("consultant_id") == user.id


def assessment_access(
    db: sqlite_utils.Database, user: Any, assessment_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(firm, assessment row)`` of an assessment the user may see; ``NotFound`` otherwise."""
    firm_id = firm_of_assessment(db, assessment_id)
    firm = visible_firm(db, user, firm_id) if firm_id else None
    if firm is None:
        raise NotFound(assessment_id)
    row = db.execute(
        "SELECT id, status, consultant_id, center_id FROM assessments WHERE id = ?",
        [assessment_id],
    ).fetchone()
    assessment = dict(zip(("id", "status", "consultant_id", "center_id"), row, strict=True))
    if assessment["center_id"] != user.center_id:
        raise NotFound(assessment_id)
    return firm, assessment


# --- what each role may do ---------------------------------------------------------------------

STAFF = "staff"  # center staff and administrators
ADMIN = "admin"  # administrators only


def require(user: Any, who: str) -> None:
    """Raise ``Forbidden`` unless ``user`` is of ``who`` (``STAFF`` or ``ADMIN``)."""
    if who == STAFF and user.role in (CENTER_STAFF, ADMINISTRATOR):
        return
    if who == ADMIN and user.role == ADMINISTRATOR:
        return
    raise Forbidden(who)


def assignable_roles(user: Any) -> tuple[str, ...]:
    """The roles ``user`` may give a new login: staff create consultants and staff of their
    own center; only an administrator creates administrators."""
    if user.role == ADMINISTRATOR:
        return ROLES
    if user.role == CENTER_STAFF:
        return (CONSULTANT, CENTER_STAFF)
    return ()


def manageable_user(db: sqlite_utils.Database, user: Any, user_id: int) -> dict[str, Any]:
    """A login ``user`` may manage (reset its password, revoke its tokens, disable it)."""
    require(user, STAFF)
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    if not rows:
        raise NotFound(user_id)
    target = rows[0]
    if user.role != ADMINISTRATOR and (
        target["center_id"] != user.home_center_id or target["role"] == ADMINISTRATOR
    ):
        raise NotFound(user_id)
    return target


# --- the consultant blueprint's pages ----------------------------------------------------------

# Pages only staff may open, whatever firm they concern.
STAFF_ENDPOINTS = {"consultant.erase", "consultant.audit_log", "consultant.link"}
# Pages that change a firm's work (an interview, a decision): "work" rights on the firm.
WORK_ENDPOINTS = {"consultant.start", "consultant.decision"}
# Pages of a draft interview: the draft's rights.
DRAFT_ENDPOINTS = {
    "consultant.step",
    "consultant.autosave",
    "center.carried",
    "center.confirm_section",
}


def check_page(
    db: sqlite_utils.Database,
    user: Any,
    endpoint: str | None,
    view_args: dict[str, Any],
    method: str,
) -> None:
    """Raise ``NotFound`` or ``Forbidden`` unless ``user`` may open this page.

    Any page naming a firm or an assessment is checked against the caseload; a page not
    listed above that changes something (not GET) needs work rights on its firm.
    """
    if endpoint in STAFF_ENDPOINTS:
        require(user, STAFF)
    firm = None
    assessment = None
    if "assessment_id" in view_args:
        firm, assessment = assessment_access(db, user, view_args["assessment_id"])
    elif "firm_id" in view_args:
        firm = visible_firm(db, user, view_args["firm_id"])
        if firm is None:
            raise NotFound(view_args["firm_id"])
    if firm is None:
        return
    if assessment is not None and assessment["status"] == "draft" and endpoint in DRAFT_ENDPOINTS:
        if not may_edit_draft(user, firm, assessment):
            raise Forbidden("draft")
        return
    if (endpoint in WORK_ENDPOINTS or method not in ("GET", "HEAD")) and not may_work_on(
        user, firm
    ):
        raise Forbidden("work")


def guard_request() -> Any:
    """A blueprint's ``before_request``: the page's role and caseload check (after login)."""
    from flask import abort, request
    from flask_login import current_user

    from ..storage import get_db

    if not current_user.is_authenticated:
        return None
    try:
        check_page(
            get_db(), current_user, request.endpoint, request.view_args or {}, request.method
        )
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return None


def role_name(role: str) -> str:
    from flask_babel import gettext as _

    return {
        ADMINISTRATOR: _("Administrator"),
        CENTER_STAFF: _("Center staff"),
        CONSULTANT: _("Consultant"),
    }.get(role, role)
