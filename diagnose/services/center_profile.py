"""How a firm reaches its regional center: the phone, e-mail and address its report prints
under "whom to call". Staff edit them on the center's profile page; a missing phone or e-mail
is shown to staff (dashboard) and never printed as a blank line."""

from __future__ import annotations

import re
from typing import Any

import sqlite_utils
from flask_babel import lazy_gettext as _l

from .. import inputs
from ..storage import transaction
from . import audit

PHONE = re.compile(r"^\+?[0-9][0-9\-\s]{6,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("phone", "email", "address")


def contact(db: sqlite_utils.Database, center_id: int) -> dict[str, str]:
    row = db.execute(
        "SELECT name, phone, email, address FROM centers WHERE id = ?", [center_id]
    ).fetchone()
    return dict(zip(("name", *FIELDS), row or ("",) * 4, strict=True))


def missing(db: sqlite_utils.Database, center_id: int) -> list[str]:
    """The contact fields the firm's report needs and the center has not given."""
    found = contact(db, center_id)
    return [f for f in ("phone", "email") if not found.get(f)]


def problems(values: dict[str, str]) -> dict[str, Any]:
    """Why the values cannot be saved, per field, in the UI language."""
    errors: dict[str, Any] = {}
    if not values["phone"]:
        errors["phone"] = _l("Enter the center's phone number: the firm's report prints it.")
    elif not PHONE.match(values["phone"]):
        errors["phone"] = _l("Enter a phone number, e.g. 02-1234-5678.")
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = _l("Enter an email address, e.g. center@example.org.")
    for name, value in values.items():
        problem = inputs.text_problem(value, inputs.PROFILE_TEXT_MAX)
        if problem and name not in errors:
            errors[name] = problem
    return errors


def save(db: sqlite_utils.Database, user, given: dict[str, Any]) -> dict[str, Any]:
    """Save the center's contact; returns the errors (nothing is saved when there are any)."""
    values = {f: str(given.get(f) or "").strip() for f in FIELDS}
    errors = problems(values)
    if errors:
        return errors
    with transaction(db):
        db.execute(
            "UPDATE centers SET phone = ?, email = ?, address = ? WHERE id = ?",
            [values["phone"], values["email"], values["address"], user.center_id],
        )
        audit.record(
            db, "change", "center", user.center_id, center_id=user.center_id, user_id=user.id,
            detail="contact",
        )  # fmt: skip
    return {}
