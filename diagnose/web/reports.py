"""A download of a roadmap report, and what a download answers while it is not ready.

The one place that turns the report service's ``QueueFull``, ``ReportNotReady`` and
``ReportFailed`` into an answer: 503 with ``Retry-After``, in the user's language; for the
API in its usual error shape ``{"error": "<code>", "message": "…"}`` (documented in the
OpenAPI file: ``report_not_ready``, ``queue_full``, ``report_failed``), for a page a short
page that reloads itself.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request, send_file
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from ..services import reports
from ..storage import get_db

log = logging.getLogger(__name__)
ERROR_CODES = {
    reports.QueueFull: "queue_full",
    reports.ReportNotReady: "report_not_ready",
    reports.ReportFailed: "report_failed",
}


def not_ready_message(exc: Exception) -> str:
    return {
        reports.QueueFull: _(
            "Many reports are being prepared right now. Please try again in a minute."
        ),
        reports.ReportNotReady: _(
            "Your report is being prepared. Please reload this page in a few seconds."
        ),
        reports.ReportFailed: _(
            "The report could not be prepared. Please try again later; if it happens "
            "again, tell your training center."
        ),
    }[type(exc)]


def retry_seconds(exc: Exception) -> str:
    if isinstance(exc, reports.QueueFull | reports.ReportFailed):
        return "60"
    return "5"


def not_ready(exc: Exception, lang: str, api: bool) -> Response:
    """503 for a report that is not ready, in the user's language."""
    with force_locale(lang):
        message = not_ready_message(exc)
    retry = retry_seconds(exc)
    if api:
        response = jsonify({"error": ERROR_CODES[type(exc)], "message": message})
    else:
        response = Response(_waiting_page(message, lang, retry), mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = retry
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_response(record: dict[str, Any], lang: str):
    """A download of the roadmap PDF as issued, served from the cache the task queue fills.

    Never renders here: a cached report is sent at once; otherwise the queue renders it
    and the request waits a few seconds; if it is not ready by then the answer is a short
    page in the user's language that asks to reload (503 with ``Retry-After``), as it is
    when too many reports are waiting or its render failed a moment ago.
    """
    try:
        document = _open_report(record, lang)
    except (reports.QueueFull, reports.ReportNotReady, reports.ReportFailed) as exc:
        return not_ready(exc, lang, api=request.blueprint == "api")
    reports.delivered(get_db(), record["id"], reports.edition(record, lang))
    name = f"roadmap-{record['firm_name']}-{record['submitted_at'][:10]}-{lang}.pdf"
    response = send_file(document, mimetype="application/pdf", max_age=0, conditional=False)
    # ?download=1 saves the file (a phone's browser otherwise only shows it); else shown
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="roadmap-{record["id"]}-{lang}.pdf"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _open_report(record: dict[str, Any], lang: str):
    """The report's PDF, opened: a file the purge or an erasure removes between its render
    and this read is asked for again once, then the answer is "being prepared"."""
    for _attempt in range(2):
        try:
            return open(reports.report_pdf(record, lang), "rb")  # noqa: SIM115 (send_file closes it)
        except FileNotFoundError:
            log.info("report %s (%s) left the cache before it was read", record["id"], lang)
    raise reports.ReportNotReady(record["id"])


def _waiting_page(message: str, lang: str, retry: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{retry}"><title>{escape(message)}</title></head>'
        f"<body><p>{escape(message)}</p></body></html>"
    )
