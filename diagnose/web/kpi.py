"""The ministry figures as the center sees them: a printable page (``/center/kpi``), its XLSX,
and the same page as a PDF for ``flask report kpi``. Every figure comes from
``services.kpi.figures``; this module only lays it out (charts drawn on the server, each
with its table)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..diagnosis.explanations import track_name
from ..diagnosis.policy import TRACKS
from ..services import kpi
from ..services.access import Right, requires
from ..storage import get_db
from . import charts
from .center import bp
from .forms import ui_language


def channel_names() -> dict[str, str]:
    """How a firm was found, short enough for a chart's legend."""
    return {
        "self": _("Self-assessment"),
        "consultant": _("By a consultant"),
        "staff": _("By staff"),
        "api": _("API"),
    }


def columns() -> list[tuple[str, Any]]:
    """The report's columns: (header, value of one month's or the total's figures). The
    page's table, the PDF's and the XLSX's are this one list."""
    names = channel_names()
    cols: list[tuple[str, Any]] = [
        (_("Found: %(channel)s", channel=names[c]), lambda f, c=c: f["found"][c])
        for c in kpi.CHANNELS
    ]
    cols += [
        (_("Found in all"), lambda f: f["found"]["total"]),
        (_("Diagnosed: self-assessment"), lambda f: f["diagnosed"]["self"]),
        (_("Diagnosed: by a consultant"), lambda f: f["diagnosed"]["consultant"]),
        (_("Diagnosed firms"), lambda f: f["diagnosed"]["total"]),
    ]
    cols += [
        (_("Track: %(track)s", track=track_name(t)), lambda f, t=t: f["tracks"][t]) for t in TRACKS
    ]
    cols += [
        (_("Referred to a joint center"), lambda f: f["referred"]),
        (_("Firms trained"), lambda f: f["trained"]["firms"]),
        (_("Trainees"), lambda f: f["trained"]["trainees"]),
        (_("Person-hours of training"), lambda f: f["trained"]["person_hours"]),
        (_("Re-diagnosed firms"), lambda f: f["rediagnosed"]["firms"]),
        (_("AI readiness change (mean)"), lambda f: _change(f["rediagnosed"]["readiness"])),
        (_("Requests filed"), lambda f: f["requests"]["filed"]),
        (_("Requests answered"), lambda f: f["requests"]["answered"]),
        (_("Answered within the promise"), lambda f: f["requests"]["within"]),
        (_("Share within the promise (%)"), lambda f: f["requests"]["share"]),
    ]
    return cols


class Change(float):
    """A mean change of points: written with its sign (+14.0, -2.5, 0.0)."""


def _change(value: float | None) -> Change | None:
    return None if value is None else Change(value)


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Change) else value


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, Change):
        return f"{value:+.1f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _series_listing(rows, series) -> str:
    return "; ".join(
        f"{label}: " + ", ".join(f"{name} {values.get(key, 0)}" for key, name in series)
        for label, values in rows
    )


def center_view(block: dict[str, Any], dimensions: list[tuple[str, str]]) -> dict[str, Any]:
    """One center's (or all centers') figures laid out: the month table with its total row,
    the charts, and the T0->T1 table by area."""
    cols = columns()
    months = block["months"]
    names = channel_names()
    channel_series = [(c, names[c]) for c in kpi.CHANNELS]
    found_rows = [(m, {c: f["found"][c] for c in kpi.CHANNELS}) for m, f in months]
    diagnosed_series = [("self", _("Self-assessment")), ("consultant", _("Consultant"))]
    diagnosed_rows = [(m, {k: f["diagnosed"][k] for k, _n in diagnosed_series}) for m, f in months]
    track_series = [(t, track_name(t)) for t in TRACKS]
    track_rows = [(m, dict(f["tracks"])) for m, f in months]
    hours_rows = [(m, f["trained"]["person_hours"]) for m, f in months]
    share_rows = [(m, f["requests"]["share"] or 0) for m, f in months]
    total = block["total"]
    change_rows = [(title, total["rediagnosed"]["dimensions"].get(d)) for d, title in dimensions]
    return {
        "name": block["center"]["name"] or _("All centers"),
        "headers": [h for h, _get in cols],
        "rows": [(m, [_number(get(f)) for _h, get in cols]) for m, f in months],
        "total": [_number(get(total)) for _h, get in cols],
        "changes": [(title, _number(_change(v))) for title, v in change_rows],
        "rediagnosed": total["rediagnosed"]["firms"],
        "charts": [
            (_("Firms found, by channel"), charts.stacked_chart(
                found_rows,
                channel_series,
                _("Firms found by channel, per month. %(list)s",
                  list=_series_listing(found_rows, channel_series)),
            )),
            (_("Firms diagnosed"), charts.stacked_chart(
                diagnosed_rows,
                diagnosed_series,
                _("Firms diagnosed, per month. %(list)s",
                  list=_series_listing(diagnosed_rows, diagnosed_series)),
            )),
            (_("Diagnosed firms by track"), charts.stacked_chart(
                track_rows,
                track_series,
                _("Diagnosed firms by track, per month. %(list)s",
                  list=_series_listing(track_rows, track_series)),
            )),
            (_("Person-hours of training"), charts.bar_chart(
                hours_rows,
                _("Person-hours of training, per month. %(list)s",
                  list="; ".join(f"{m} {v:g}" for m, v in hours_rows)),
            )),
            (_("Share within the promise (%)"), charts.bar_chart(
                share_rows,
                _("Requests answered within the promise (%%), per month. %(list)s",
                  list="; ".join(f"{m} {v}" for m, v in share_rows)),
            )),
        ],
        "change_chart": charts.bar_chart(
            [(t, v or 0) for t, v in change_rows],
            _("Mean score change of re-diagnosed firms by area. %(list)s",
              list="; ".join(f"{t} {_number(_change(v))}" for t, v in change_rows)),
        ),
    }  # fmt: skip


def report_context(figures: dict[str, Any], questionnaire: Any, lang: str) -> dict[str, Any]:
    dimensions = [(d.id, d.title.get(lang)) for d in questionnaire.dimensions]
    blocks = [center_view(b, dimensions) for b in figures["centers"]]
    if figures["all"]:
        blocks.insert(0, center_view(figures["all"], dimensions))
    return {"figures": figures, "blocks": blocks}


def to_xlsx(figures: dict[str, Any], questionnaire: Any, lang: str) -> bytes:
    """The figures as a workbook: one sheet of months (a row per center and month, the
    period's total after each center's months), one of the T0->T1 change by area."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    cols = columns()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Monthly figures")[:31]
    sheet.append([_("Center"), _("Month"), *(h for h, _g in cols)])
    blocks = ([figures["all"]] if figures["all"] else []) + figures["centers"]
    for block in blocks:
        name = block["center"]["name"] or _("All centers")
        for month, f in block["months"]:
            sheet.append([name, month, *(_cell(get(f)) for _h, get in cols)])
        sheet.append([name, _("Period total"), *(_cell(get(block["total"])) for _h, get in cols)])
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    changes = book.create_sheet(_("Change by area")[:31])
    changes.append([_("Center"), _("Area"), _("Re-diagnosed firms"), _("Mean score change")])
    for block in blocks:
        name = block["center"]["name"] or _("All centers")
        total = block["total"]["rediagnosed"]
        for d in questionnaire.dimensions:
            changes.append([name, d.title.get(lang), total["firms"], total["dimensions"].get(d.id)])
    changes.auto_filter.ref = f"A1:D{changes.max_row}"
    for ws in (sheet, changes):
        for i, column in enumerate(ws.columns, start=1):
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[get_column_letter(i)].width = min(40, max(10, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(html: str) -> bytes:
    """The printable page as a PDF (the command line's; the web page prints itself). It
    fetches nothing: its charts are inline SVG, its fonts the system's Nanum."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    class _Nothing(URLFetcher):
        def fetch(self, url: str, headers: Any = None):
            raise ValueError(f"the KPI report fetches nothing ({url})")

    return weasyprint.HTML(
        string=html, base_url="https://report.invalid/", url_fetcher=_Nothing()
    ).write_pdf(pdf_variant="pdf/ua-1")


def render_report(figures: dict[str, Any], questionnaire: Any, lang: str, **extra: Any) -> str:
    """The printable report's HTML (PDF and print): the same include as the page."""
    return render_template(
        "center/kpi_print.html", lang=lang, **report_context(figures, questionnaire, lang), **extra
    )


def promise_days() -> int:
    """The center's promise in business days: its own (set on the requests page), else
    ``DIAGNOSE_REQUEST_ANSWER_DAYS``."""
    from ..services import requests
    from ..storage import get_db

    default = int(current_app.config.get("REQUEST_ANSWER_DAYS") or kpi.PROMISE_DAYS)
    if current_user.center_id is None:
        return default
    return requests.answer_days(get_db(), current_user.center_id, default)


def _period_from_request() -> tuple[kpi.Period, str | None]:
    today = date.today()
    default_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    given_start = request.args.get("from") or default_start.isoformat()
    given_end = request.args.get("to") or today.isoformat()
    try:
        return kpi.Period.of(given_start, given_end), None
    except kpi.PeriodError as error:
        message = {
            "not a date (YYYY-MM-DD)": _("Give the day as YYYY-MM-DD, e.g. 2026-11-30."),
            "the end comes before the start": _("The last day comes before the first day."),
            "at most five years at once": _("Ask for at most five years at once."),
        }[str(error)]
        return kpi.Period.of(default_start, today), message


@bp.route("/center/kpi")
@requires(Right.STAFF)
def kpi_page():
    """The ministry figures of the user's center (every center for an administrator)."""
    db = get_db()
    period, problem = _period_from_request()
    questionnaire = current_app.extensions["questionnaires"].current
    centers = kpi.report_centers(db, current_user)
    figures = kpi.figures(
        db, centers, period, [d.id for d in questionnaire.dimensions], promise_days()
    )
    lang = ui_language()
    return render_template(
        "center/kpi.html",
        problem=problem,
        given={"from": request.args.get("from", period.start.isoformat()),
               "to": request.args.get("to", period.end.isoformat())},
        **report_context(figures, questionnaire, lang),
    )  # fmt: skip


@bp.route("/center/kpi.xlsx")
@requires(Right.STAFF)
def kpi_xlsx():
    db = get_db()
    period, problem = _period_from_request()
    if problem:
        abort(400, problem)
    questionnaire = current_app.extensions["questionnaires"].current
    figures = kpi.figures(
        db,
        kpi.report_centers(db, current_user),
        period,
        [d.id for d in questionnaire.dimensions],
        promise_days(),
    )
    response = Response(
        to_xlsx(figures, questionnaire, ui_language()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"kpi-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
