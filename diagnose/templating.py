"""Jinja filters and globals shared by the pages (and later the PDF)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request

from . import business_number
from .diagnosis.scoring import is_visible
from .questionnaire.schema import Item, ProfileField

KST = timezone(timedelta(hours=9), "KST")
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


def localtime(stamp: str | None, precision: str = "minute") -> str:
    """A stored UTC timestamp as Korean time: ``2026-11-22 14:03``, or the day alone."""
    if not stamp:
        return ""
    pattern = "%Y-%m-%d" if precision == "date" else "%Y-%m-%d %H:%M"
    return datetime.fromisoformat(stamp).astimezone(KST).strftime(pattern)


def answer_text(item: Item, value: Any, lang: str) -> str:
    """An answer as a reader sees it: option labels, the number with its unit, or the text."""
    return item.kind.text(value, lang)


def profile_text(spec: ProfileField, value: Any, lang: str) -> str:
    """A profile value as a reader sees it: a choice's label, a business number with dashes."""
    return spec.kind.text(value, lang)


def url_with_lang(code: str) -> str:
    """This page's address in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["business_number"] = business_number.format_number
    app.jinja_env.filters["localtime"] = localtime
    from .diagnosis.explanations import track_name

    app.jinja_env.globals.update(
        track_name=track_name,
        answer_text=answer_text,
        profile_text=profile_text,
        is_visible=is_visible,
        url_with_lang=url_with_lang,
        language_names=LANGUAGE_NAMES,
    )
