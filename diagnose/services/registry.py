"""The shared training centers and the catalogue's modules as data the center keeps.

The files in ``roadmap_templates/`` seed the database: an entry the app has not edited follows
its file (a new release's figures arrive), an entry an administrator edited stays as edited.
Every edit is validated by the same pydantic models and cross-reference checks as the files
(``roadmap.catalogue.roadmap_problems``); sample centers stay marked and never reach a
firm's report. The planner and the report read ``current_data``, which each process rebuilds
when the revision counter moves, so a queue consumer prints what the web app saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import replace
from datetime import date
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from ..roadmap.catalogue import Center, Module, RoadmapData, roadmap_problems
from ..storage import now, transaction
from . import access, audit

log = logging.getLogger(__name__)
_lock = threading.Lock()


def _digest(entry: Any) -> str:
    return hashlib.sha256(entry.model_dump_json().encode()).hexdigest()


def _bump(db: sqlite_utils.Database) -> None:
    db.execute("UPDATE roadmap_revision SET revision = revision + 1 WHERE id = 1")


def seed(db: sqlite_utils.Database, data: RoadmapData) -> int:
    """Bring the file's entries into the database; return how many changed."""
    changed = 0
    with transaction(db):
        for table, entries in (
            ("registry_centers", data.centers.centers),
            ("catalogue_modules", data.catalogue.modules),
        ):
            for position, entry in enumerate(entries):
                if table == "registry_centers":
                    entry = entry.model_copy(update={"sample": data.centers.is_sample(entry)})
                digest = _digest(entry)
                row = db.execute(
                    f"SELECT file_digest, edited_at FROM {table} WHERE id = ?", [entry.id]
                ).fetchone()
                if row is not None and (row[0] == digest or row[1] is not None):
                    continue  # unchanged, or edited in the app: the app's version stays
                extra = ", sample" if table == "registry_centers" else ""
                values = [entry.id, position, entry.model_dump_json(), digest, now()]
                if table == "registry_centers":
                    values.append(int(bool(entry.sample)))
                db.execute(
                    f"INSERT INTO {table} (id, position, data, file_digest, updated_at{extra}) "
                    f"VALUES (?, ?, ?, ?, ?{', ?' if extra else ''}) ON CONFLICT (id) DO UPDATE "
                    f"SET data = excluded.data, file_digest = excluded.file_digest, "
                    f"updated_at = excluded.updated_at"
                    + (", sample = excluded.sample" if extra else ""),
                    values,
                )
                changed += 1
        if changed:
            _bump(db)
    if changed:
        log.info("roadmap data: %s entries taken from the files", changed)
    return changed


def _revision(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT revision FROM roadmap_revision WHERE id = 1").fetchone()
    return row[0] if row else 0


def _build(db: sqlite_utils.Database, base: RoadmapData) -> RoadmapData:
    centers = [
        Center.model_validate_json(row[0])
        for row in db.execute("SELECT data FROM registry_centers ORDER BY position, id")
    ]
    modules = [
        Module.model_validate_json(row[0])
        for row in db.execute("SELECT data FROM catalogue_modules ORDER BY position, id")
    ]
    registry = base.centers.model_copy(update={"centers": tuple(centers) or base.centers.centers})
    catalogue = base.catalogue.model_copy(
        update={"modules": tuple(modules) or base.catalogue.modules}
    )
    catalogue.__dict__.pop("by_id", None)  # a cached property of the copied catalogue
    return replace(base, catalogue=catalogue, centers=registry)


def current_data(db: sqlite_utils.Database, app: Any) -> RoadmapData | None:
    """The catalogue and registry as the database holds them now (the files' other parts:
    funding routes, specialisations, region positions, level texts)."""
    base: RoadmapData | None = app.extensions.get("roadmap_data")
    if base is None:
        return None
    revision = _revision(db)
    with _lock:
        cached = app.extensions.get("roadmap_data_current")
        if cached and cached[0] == revision:
            return cached[1]
        data = _build(db, base)
        app.extensions["roadmap_data_current"] = (revision, data)
        return data


# --- edits ---------------------------------------------------------------------------------------


class RegistryError(ValueError):
    """An edit that does not validate; ``errors`` maps a form field to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


def _messages(error: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as form fields and sentences in the UI language."""
    from flask_babel import gettext as _

    found: dict[str, list[str]] = {}
    for problem in error.errors():
        loc = [str(p) for p in problem["loc"]]
        field = "_".join(p for p in loc[:2] if not p.isdigit()) or "form"
        kind = problem["type"]
        ctx = problem.get("ctx") or {}
        if kind in ("missing", "string_too_short", "too_short"):
            message = _("Required.")
        elif kind == "string_pattern_mismatch":
            message = _("Use lower-case letters, digits and underscores, starting with a letter.")
        elif kind == "literal_error":
            message = _("Choose one of the options.")
        elif kind in ("greater_than_equal", "greater_than"):
            message = _("Must be at least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
        elif kind in ("less_than_equal", "less_than"):
            message = _("Must be at most %(n)s.", n=ctx.get("le", ctx.get("lt")))
        elif kind.startswith("date"):
            message = _("Enter a date as YYYY-MM-DD.")
        elif kind.startswith(("int", "float")):
            message = _("Enter a number.")
        elif kind == "string_too_long":
            message = _("Too long.")
        else:
            message = _("Not valid: %(why)s", why=problem["msg"])
        found.setdefault(field, []).append(message)
    return found


# The longest text each field of a center or module may hold, like every other text the app
# takes in: a module's summary prints in the plan's table and a center's lines in the report's
# referral, so a few paragraphs at most (tool assumption, to be validated with the centers).
# A 160,000-character summary once made every report that used it time out.
TEXT_LIMITS = {
    "summary": 2000,
    "equipment": 2000,
    "bring": 1000,
    "send": 1000,
    "contact": 500,
    "source": 500,
    "title": 200,
    "name": 200,
}
TEXT_LIMIT = 200  # any other text: ids, regions, routes, dates
LIST_LIMIT = 50  # entries of a list (regions served, specialisations)


def _length_errors(values: Any, path: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Texts and lists over their limit, as form fields (``summary_ko``) and sentences."""
    from flask_babel import gettext as _

    found: dict[str, list[str]] = {}

    def field() -> str:
        return "_".join(p for p in path[:2] if not p.isdigit()) or "form"

    if isinstance(values, str):
        named = [p for p in path if p in TEXT_LIMITS]
        limit = TEXT_LIMITS[named[-1]] if named else TEXT_LIMIT
        if len(values) > limit:
            message = _(
                "Too long: at most %(n)s characters (this has %(has)s).",
                n=f"{limit:,}",
                has=f"{len(values):,}",
            )
            found.setdefault(field(), []).append(message)
    elif isinstance(values, dict):
        for key, value in values.items():
            for name, messages in _length_errors(value, (*path, str(key))).items():
                found.setdefault(name, []).extend(messages)
    elif isinstance(values, list | tuple):
        if len(values) > LIST_LIMIT:
            found.setdefault(field(), []).append(
                _("Too many entries: at most %(n)s.", n=LIST_LIMIT)
            )
        for index, value in enumerate(values[:LIST_LIMIT]):
            for name, messages in _length_errors(value, (*path, str(index))).items():
                found.setdefault(name, []).extend(messages)
    return found


def _check(app: Any, db: sqlite_utils.Database, data: RoadmapData, where: str) -> None:
    """The cross-reference checks of the files, for the entry ``where`` (e.g. "center x")."""
    from flask_babel import gettext as _

    questionnaire = app.extensions["questionnaires"].current
    problems = roadmap_problems(
        data,
        {d.id for d in questionnaire.dimensions},
        {c.value for c in questionnaire.profile_field("region").choices},
        questionnaire,
    )
    mine = [p for p in problems if p.where.startswith(where) or p.where in ("centers", "modules")]
    if mine:
        raise RegistryError({"form": [_("Not valid: %(why)s", why=p.message) for p in mine]})


def center_entries(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [
        {**json.loads(row["data"]), "edited_at": row["edited_at"], "sample": bool(row["sample"])}
        for row in db.query("SELECT * FROM registry_centers ORDER BY position, id")
    ]


def module_entries(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [
        {**json.loads(row["data"]), "edited_at": row["edited_at"]}
        for row in db.query("SELECT * FROM catalogue_modules ORDER BY position, id")
    ]


def save_center(
    db: sqlite_utils.Database, app: Any, user: Any, values: dict[str, Any], center_id: str | None
) -> str:
    """Create (``center_id`` None) or change a shared training center; administrators only."""
    access.require(user, access.ADMIN)
    too_long = _length_errors(values)
    if too_long:
        raise RegistryError(too_long)
    try:
        center = Center.model_validate({**values, "id": center_id or values.get("id")})
    except ValidationError as error:
        raise RegistryError(_messages(error)) from None
    data = current_data(db, app)
    others = [c for c in data.centers.centers if c.id != center.id]
    if center_id is None and len(others) != len(data.centers.centers):
        from flask_babel import gettext as _

        raise RegistryError({"id": [_("A center with this id exists already.")]})
    if center_id is not None and len(others) == len(data.centers.centers):
        raise access.NotFound(center_id)
    merged = replace(data, centers=data.centers.model_copy(update={"centers": (*others, center)}))
    _check(app, db, merged, f"center {center.id}")
    with transaction(db):
        position = db.execute(
            "SELECT COALESCE((SELECT position FROM registry_centers WHERE id = ?), "
            "(SELECT COALESCE(MAX(position), 0) + 1 FROM registry_centers))",
            [center.id],
        ).fetchone()[0]
        db.execute(
            "INSERT INTO registry_centers (id, position, data, sample, edited_by, edited_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "data = excluded.data, sample = excluded.sample, edited_by = excluded.edited_by, "
            "edited_at = excluded.edited_at, updated_at = excluded.updated_at",
            [
                center.id,
                position,
                center.model_dump_json(),
                int(bool(center.sample)),
                user.id,
                now(),
                now(),
            ],
        )
        _bump(db)
        audit.record(
            db,
            "edit" if center_id else "create",
            "registry_center",
            None,
            center_id=user.center_id,
            user_id=user.id,
            detail=center.id,
        )
    return center.id


EDITABLE_MODULE_FIELDS = ("title", "summary", "hours", "delivery", "funding", "cost")


def save_module(
    db: sqlite_utils.Database, app: Any, user: Any, module_id: str, changes: dict[str, Any]
) -> None:
    """Change a catalogue module's title, summary, hours, delivery, funding route and cost
    (fee, subsidy share, source, checked date); administrators only."""
    access.require(user, access.ADMIN)
    data = current_data(db, app)
    module = data.catalogue.by_id.get(module_id)
    if module is None:
        raise access.NotFound(module_id)
    current = json.loads(module.model_dump_json())
    current.update({k: v for k, v in changes.items() if k in EDITABLE_MODULE_FIELDS})
    too_long = _length_errors({k: v for k, v in changes.items() if k in EDITABLE_MODULE_FIELDS})
    if too_long:  # the module's form marks a field as a whole (summary, not summary_ko)
        raise RegistryError({k.split("_")[0]: v for k, v in too_long.items()})
    try:
        changed = Module.model_validate(current)
    except ValidationError as error:
        raise RegistryError(_messages(error)) from None
    catalogue = data.catalogue.model_copy(
        update={
            "modules": tuple(changed if m.id == module_id else m for m in data.catalogue.modules)
        }
    )
    catalogue.__dict__.pop("by_id", None)
    _check(app, db, replace(data, catalogue=catalogue), f"module {module_id}")
    with transaction(db):
        db.execute(
            "UPDATE catalogue_modules SET data = ?, edited_by = ?, edited_at = ?, updated_at = ? "
            "WHERE id = ?",
            [changed.model_dump_json(), user.id, now(), now(), module_id],
        )
        _bump(db)
        audit.record(
            db,
            "edit",
            "catalogue_module",
            None,
            center_id=user.center_id,
            user_id=user.id,
            detail=module_id,
        )


def today() -> str:
    return date.today().isoformat()
