"""Cohorts for the joint training centers, on the center blueprint (staff only): the
suggestions, forming a cohort, inviting its firms, recording who joined, the list as CSV.
Every step is one call of ``services.cohorts``."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import access, cohorts
from ..services.access import Right, requires
from ..storage import get_db
from .center import bp
from .forms import ui_language


def member_statuses() -> dict[str, str]:
    return {
        "proposed": _("Proposed"),
        "invited": _("Invited"),
        "joined": _("Joined"),
        "declined": _("Declined"),
    }


def window_label(window: str | None) -> str:
    if not window:
        return _("Any time (no fixed timing)")
    year, quarter = window.split("-Q")
    return _("%(year)s, quarter %(quarter)s", year=year, quarter=quarter)


def _suggestion_views(db, kept: bool = False) -> list[dict]:
    """The center's cohort suggestions in the UI language; ``kept``: as the dashboard shows
    them, kept with its figures (``dashboard.kept``: until the center's version changes, a
    minute at most), the cohorts page always fresh."""
    lang = ui_language()
    if kept:
        from ..services.dashboard import kept as kept_for

        found = kept_for(
            db,
            current_user.center_id,
            ["cohort_suggestions"],
            lambda: cohorts.suggestions(db, current_user),
        )
    else:
        found = cohorts.suggestions(db, current_user)
    return [
        {
            **s,
            "title": cohorts.theme_title(s["theme"], lang),
            "window_label": window_label(s["window"]),
        }
        for s in found
    ]


@bp.app_context_processor
def _cohort_card():
    """The dashboard's cohort card asks for its suggestions only when it is shown."""

    def cohort_card() -> dict:
        db = get_db()
        return {
            "suggestions": _suggestion_views(db, kept=True),
            "cohorts": cohorts.center_cohorts(db, current_user),
        }

    return {"cohort_card": cohort_card}


@bp.route("/center/cohorts")
@requires(Right.STAFF)
def cohorts_page():
    db = get_db()
    return render_template(
        "center/cohorts.html",
        suggestions=_suggestion_views(db),
        cohorts=cohorts.center_cohorts(db, current_user),
        window_label=window_label,
        theme_title=lambda t: cohorts.theme_title(t, ui_language()),
    )


@bp.route("/center/cohorts", methods=["POST"])
@requires(Right.STAFF)
def form_cohort():
    db = get_db()
    theme = request.form.get("theme", "")
    window = request.form.get("window", "")
    title = request.form.get("title", "").strip()[:120] or cohorts.theme_title(theme, ui_language())
    try:
        firm_ids = [int(i) for i in request.form.getlist("firm")]
        cohort_id = cohorts.form_cohort(db, current_user, theme, window, firm_ids, title)
    except (ValueError, cohorts.CohortError) as error:
        message = (
            _("Tick at least one firm.")
            if getattr(error, "field", "") == "firms" and "no firm" in str(error)
            else _("A firm no longer fits this cohort (another cohort took it, or its diagnosis "
                   "changed); the suggestions below are up to date.")
        )  # fmt: skip
        flash(message, "error")
        return redirect(url_for("center.cohorts_page"))
    flash(_("The cohort is formed: invite its firms."), "success")
    return redirect(url_for("center.cohort_page", cohort_id=cohort_id))


def _cohort_or_404(cohort_id: int) -> dict:
    try:
        return cohorts.cohort(get_db(), current_user, cohort_id)
    except access.NotFound:
        abort(404)


@bp.route("/center/cohorts/<int:cohort_id>")
@requires(Right.STAFF)
def cohort_page(cohort_id: int):
    found = _cohort_or_404(cohort_id)
    lang = ui_language()
    title = cohorts.theme_title(found["theme"], lang)
    db = get_db()
    center = dict(next(db.query("SELECT * FROM centers WHERE id = ?", [current_user.center_id])))
    sample = next((m for m in found["members"]), None)
    preview = cohorts.invitation_mail(found, sample, center, title) if sample else None
    return render_template(
        "center/cohort.html",
        cohort=found,
        theme=title,
        window=window_label(found["start_window"]),
        statuses=member_statuses(),
        preview=preview,
    )


@bp.route("/center/cohorts/<int:cohort_id>/invite", methods=["POST"])
@requires(Right.STAFF)
def invite_cohort(cohort_id: int):
    found = _cohort_or_404(cohort_id)
    title = cohorts.theme_title(found["theme"], ui_language())
    mails = cohorts.invite(get_db(), current_user, cohort_id, title)
    without = sum(
        1 for m in found["members"] if m["status"] == "proposed" and not m["contact_email"]
    )
    flash(
        _("%(n)s firms invited by e-mail; %(without)s have no e-mail address: call them.",
          n=len(mails), without=without),
        "success",
    )  # fmt: skip
    return redirect(url_for("center.cohort_page", cohort_id=cohort_id))


@bp.route("/center/cohorts/<int:cohort_id>/members/<int:firm_id>", methods=["POST"])
@requires(Right.STAFF)
def answer_cohort(cohort_id: int, firm_id: int):
    try:
        cohorts.record_answer(
            get_db(), current_user, cohort_id, firm_id, request.form.get("status", "")
        )
    except access.NotFound:
        abort(404)
    except cohorts.CohortError:
        abort(400)
    return redirect(url_for("center.cohort_page", cohort_id=cohort_id) + f"#firm-{firm_id}")


@bp.route("/center/cohorts/<int:cohort_id>.csv")
@requires(Right.STAFF)
def cohort_csv(cohort_id: int):
    found = _cohort_or_404(cohort_id)
    headers = [
        _("Firm"), _("Contact person"), _("Phone"), _("E-mail"), _("Trainees"), _("Status"),
        _("Invited on"), _("Answered on"),
    ]  # fmt: skip
    response = Response(
        cohorts.to_csv(found, headers, member_statuses()), mimetype="text/csv; charset=utf-8"
    )
    name = f"cohort-{cohort_id}-{date.today().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
