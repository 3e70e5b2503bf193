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
``requires`` (the right a view declares) and ``guard_request``, the app's ``before_request``
that enforces it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import sqlite_utils

from ..vocabulary import ROLES, Role

ADMINISTRATOR, CENTER_STAFF, CONSULTANT = Role.ADMINISTRATOR, Role.CENTER_STAFF, Role.CONSULTANT


F = TypeVar("F", bound=Callable[..., Any])


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


def may_file_under(db: sqlite_utils.Database, user: Any, firm: dict[str, Any]) -> bool:
    """File a new diagnosis on a registered firm (found by its business number through the
    page, the API or the CLI): the firm must be in the caller's caseload and theirs to work on,
    the same rule as starting an interview on its page."""
    return visible_firm(db, user, firm["id"]) is not None and may_work_on(user, firm)


class NotInCaseload(Forbidden):
    """The firm is registered in the caller's center but is not theirs to work on."""


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


class Right(StrEnum):
    """The right a view declares (``@requires``): who may open it at all. Any page naming a
    firm or an assessment is besides checked against the caller's caseload."""

    PUBLIC = "public"  # anyone, no login: the home page, a firm owner's self-assessment
    API = "api"  # the JSON API: a bearer token, a result link's token, or an anonymous
    # self-assessment; its services check the caller (the same caseload checks as the pages)
    SIGNED_IN = "signed_in"  # any login; a change (not GET) needs work rights on the firm
    WORK = "work"  # work rights on the firm: interview, decide, start a re-diagnosis
    DRAFT = "draft"  # the draft interview's rights (``may_edit_draft``)
    STAFF = "staff"  # center staff and administrators
    ADMIN = "admin"  # administrators only


STAFF = Right.STAFF  # the names of before the enum
ADMIN = Right.ADMIN
NO_LOGIN = (Right.PUBLIC, Right.API)


def requires(right: Right, *, json: bool = False) -> Callable[[F], F]:
    """Declare the right a view needs, under its ``@bp.route``::

        @bp.route("/firms/<int:firm_id>/erase", methods=["POST"])
        @requires(Right.STAFF)
        def erase(firm_id): ...

    The app's one ``before_request`` (``guard_request``) enforces it; a view that declares
    nothing is refused (and ``tests/test_rights.py`` fails). ``json``: a caller without a
    login gets a JSON 401 (a background save keeps its answers) instead of the login page.
    """

    def declare(view: F) -> F:
        view.right = Right(right)  # type: ignore[attr-defined]
        view.answers_json = json  # type: ignore[attr-defined]
        return view

    return declare


def declared_right(view: Any) -> Right | None:
    return getattr(view, "right", None)


def require(user: Any, who: str) -> None:
    """Raise ``Forbidden`` unless ``user`` is of ``who`` (``Right.STAFF`` or ``Right.ADMIN``)."""
    if who == Right.STAFF and user.role in (CENTER_STAFF, ADMINISTRATOR):
        return
    if who == Right.ADMIN and user.role == ADMINISTRATOR:
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


# --- the page check -----------------------------------------------------------------------------


def check_page(
    db: sqlite_utils.Database,
    user: Any,
    right: Right,
    view_args: dict[str, Any],
    method: str,
) -> None:
    """Raise ``NotFound`` or ``Forbidden`` unless ``user`` may open a page declaring ``right``.

    Any page naming a firm or an assessment is checked against the caseload; a page that
    changes something (not GET) needs work rights on its firm, a ``DRAFT`` page the draft's.
    """
    if right in (Right.STAFF, Right.ADMIN):
        require(user, right)
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
    if assessment is not None and assessment["status"] == "draft" and right == Right.DRAFT:
        if not may_edit_draft(user, firm, assessment):
            raise Forbidden("draft")
        return
    if (right == Right.WORK or method not in ("GET", "HEAD")) and not may_work_on(user, firm):
        raise Forbidden("work")


def guard_request() -> Any:
    """The app's ``before_request``: the right the view declares, then the caseload check."""
    import logging

    from flask import abort, current_app, jsonify, request, url_for
    from flask_login import current_user

    from ..storage import get_db

    if request.endpoint is None:  # no such route: the 404 (or 405) follows
        return None
    view = current_app.view_functions[request.endpoint]
    right = declared_right(view)
    if right is None:  # fail closed: a route without a declared right opens to nobody
        logging.getLogger(__name__).error("route %s declares no right", request.endpoint)
        abort(403)
    if right in NO_LOGIN:
        return None
    if not current_user.is_authenticated:
        if getattr(view, "answers_json", False):
            return jsonify(error="login_required", login_url=url_for("auth.login")), 401
        return current_app.login_manager.unauthorized()
    try:
        check_page(get_db(), current_user, right, request.view_args or {}, request.method)
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
