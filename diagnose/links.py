"""Absolute links to the app's pages, for use outside it: in an API answer or an e-mail."""

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
