"""One blueprint per audience; views stay thin and call the services."""

from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """An absolute link for use outside the app (an API answer, an email): built on
    ``DIAGNOSE_BASE_URL``, never on the Host header a caller sent (production requires it;
    local development without it uses the address the browser used)."""
    base = current_app.config["BASE_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)


def pdf_download(record: dict, lang: str):
    """The roadmap PDF of a submitted assessment, named with its day in Korea.

    The record goes on with its submission time written in Korea time: the same moment (the
    report reads it as such), but the file name's date is then Korea's, not UTC's.
    """
    from datetime import datetime

    from ..templating import KST
    from .reports import pdf_response

    submitted = datetime.fromisoformat(record["submitted_at"]).astimezone(KST)
    return pdf_response(dict(record, submitted_at=submitted.isoformat()), lang)
