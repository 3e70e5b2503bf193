"""What the interview's pages and the self-assessment's screens do alike, over the one
answering engine (``services.answering``): a page's form, a page sent, a background save."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from ..services.answering import Answering, Page
from .forms import (
    form_data,
    limit_errors,
    profile_form_class,
    profile_values,
    section_form_class,
    ui_language,
)


def page_form(answering: Answering, page: Page, formdata: Any = None, stored_only: bool = False):
    """The page's form, from the request or, with ``formdata=None``, from storage.

    ``stored_only`` checks what is stored without a CSRF field (nothing is being sent).
    """
    lang = ui_language()
    meta = {"csrf": False} if stored_only else {}
    if page.kind == "profile":
        cls = profile_form_class(answering.questionnaire, lang, page.fields)
        return cls(formdata=formdata, data=answering.profile, meta=meta)
    dimension = answering.dimension(page)
    form = section_form_class(dimension, lang, items=page.fields, notes=answering.with_notes)(
        formdata=formdata,
        data=form_data(dimension, answering.answers, answering.notes),
        meta=meta,
    )
    form.context_answers = {**answering.answers, **form.answers()}
    return form


def stored_errors(answering: Answering, page: Page) -> dict[str, list[str]]:
    """What the page's checks say of its stored answers (missing, or not valid as typed), by
    field: what the review lists and where answering resumes."""
    form = page_form(answering, page, stored_only=True)
    form.validate()
    return form.errors


def is_valid(answering: Answering, page: Page) -> bool:
    return not stored_errors(answering, page)


def keep(answering: Answering, page: Page, form) -> str:
    """Store what the page holds, valid or not: a draft never loses what was typed."""
    if page.kind == "profile":
        return answering.keep(page, profile=profile_values(form))
    return answering.keep(page, answers=form.answers(), notes=form.notes())


def take_page(answering: Answering, page: Page) -> tuple[Any, str]:
    """A page sent: ``(form, outcome)``. ``"unsaved"``: it holds text that cannot be stored
    (too long, unstorable characters), shown and not saved; else it is saved, and leaving
    forward checks it: ``"invalid"`` or ``"saved"`` (going back or jumping never blocks)."""
    form = page_form(answering, page, request.form)
    if limit_errors(form):
        form.validate()
        return form, "unsaved"
    keep(answering, page, form)
    action = request.form.get("action", "next").partition(":")[0]
    if action == "next" and not form.validate():
        return form, "invalid"
    return form, "saved"


def autosave(answering: Answering, page: Page):
    """A page's background save: the same fields as the page, saved without judging them;
    only what cannot be stored is refused, and nothing of that save is kept."""
    form = page_form(answering, page, request.form)
    if problems := limit_errors(form):
        errors = [{"field": f, "message": m} for f, messages in problems.items() for m in messages]
        return jsonify(
            error="invalid_input", message=_("Some answers cannot be saved."), errors=errors
        ), 422
    return jsonify(saved_at=keep(answering, page, form))
