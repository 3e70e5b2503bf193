"""Firms: register, update and read a center's firms, and the filter every firm list,
dashboard, export and batch shares (``FirmFilter``, ``firm_selection``).

Every query is scoped to a center: a center never sees another's firms.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from ..profile import employees_of
from ..storage import now, transaction
from ..vocabulary import TRACKS

log = logging.getLogger(__name__)

FIRM_COLUMNS = (
    "name",
    "business_number",
    "region",
    "industry",
    "employees",
    "revenue_band",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def create_firm(
    db: sqlite_utils.Database,
    center_id: int,
    user_id: int | None,
    profile: dict[str, Any],
    origin: str = "center",
) -> int:
    """Register a firm with its center; ``profile`` holds validated profile values.

    ``origin`` is ``self`` for the firm an anonymous self-assessment describes: it stands
    apart from the center's own firms (even one with the same business number) until the
    center's staff link the two.
    """
    stamp = now()
    values = _firm_values(profile)
    with transaction(db):
        cursor = db.execute(
            f"INSERT INTO firms (center_id, created_by, created_at, updated_at, origin, "
            f"{', '.join(FIRM_COLUMNS)}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(FIRM_COLUMNS))})",
            [center_id, user_id, stamp, stamp, origin, *values],
        )
    log.info("firm %s created in center %s by user %s", cursor.lastrowid, center_id, user_id)
    return cursor.lastrowid


def update_firm(db: sqlite_utils.Database, firm_id: int, profile: dict[str, Any]) -> None:
    assignments = ", ".join(f"{c} = ?" for c in FIRM_COLUMNS)
    with transaction(db):
        db.execute(
            f"UPDATE firms SET {assignments}, updated_at = ? WHERE id = ?",
            [*_firm_values(profile), now(), firm_id],
        )


def _firm_values(profile: dict[str, Any]) -> list[Any]:
    values = dict(profile, name=profile.get("company_name", profile.get("name", "")))
    values["employees"] = employees_of(values)
    return [values.get(c) or ("" if c != "employees" else 0) for c in FIRM_COLUMNS]


def firm_profile(firm: dict[str, Any]) -> dict[str, str]:
    """A firm row as profile-field values (the questionnaire's names)."""
    profile = {c: firm[c] for c in FIRM_COLUMNS if c != "name"}
    profile["company_name"] = firm["name"]
    profile["employees"] = str(firm["employees"])
    return profile


def get_firm(db: sqlite_utils.Database, center_id: int, firm_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query("SELECT * FROM firms WHERE id = ? AND center_id = ?", [firm_id, center_id])
    )
    return rows[0] if rows else None


def self_assessed_firm(db: sqlite_utils.Database, firm_id: int) -> dict[str, Any] | None:
    """A firm record a self-assessment created, while it is one (not yet linked to a
    registered firm, nor erased)."""
    rows = list(
        db.query(
            "SELECT * FROM firms WHERE id = ? AND origin = 'self' AND erased_at IS NULL", [firm_id]
        )
    )
    return rows[0] if rows else None


def firm_with_number(
    db: sqlite_utils.Database, center_id: int, number: str
) -> dict[str, Any] | None:
    """The center's own firm with this business number (never a self-assessed or erased one)."""
    rows = list(
        db.query(
            "SELECT * FROM firms WHERE center_id = ? AND business_number = ? "
            "AND origin = 'center' AND erased_at IS NULL",
            [center_id, number],
        )
    )
    return rows[0] if rows else None


FIRM_STATES = (*TRACKS, "draft", "none")
# Size bands of the center's statistics (employees, inclusive; None: no upper bound).
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "1_9": (1, 9),
    "10_49": (10, 49),
    "50_99": (50, 99),
    "100_299": (100, 299),
    "300_": (300, None),
}
FIRM_SORTS = ("activity", "name", "employees", "diagnosed", "track")


@dataclass(frozen=True)
class FirmFilter:
    """Which firms a list, a dashboard, an export or a batch covers (empty: no condition)."""

    text: str = ""
    state: str = ""  # a track (by the latest diagnosis), "draft" or "none" (never diagnosed)
    industry: str = ""
    size: str = ""  # a key of SIZE_BANDS
    region: str = ""
    consultant: int | None = None  # the consultant the firm is assigned to
    since: str = ""  # latest diagnosis on or after this day (YYYY-MM-DD, UTC)
    until: str = ""  # latest diagnosis on or before this day

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def _firm_conditions(filters: FirmFilter) -> tuple[list[str], dict[str, Any]]:
    if filters.state and filters.state not in FIRM_STATES:
        raise ValueError(f"unknown firm state {filters.state!r}")
    if filters.size and filters.size not in SIZE_BANDS:
        raise ValueError(f"unknown size band {filters.size!r}")
    conditions, params = [], {}
    text = filters.text.strip()
    if text:
        conditions.append("(f.name LIKE :name OR f.business_number LIKE :number)")
        params.update(name=f"%{text}%", number=f"%{text.replace('-', '')}%")
    if filters.state == "draft":
        conditions.append("l.draft_id IS NOT NULL")
    elif filters.state == "none":
        conditions.append("l.diagnosed_id IS NULL AND l.draft_id IS NULL")
    elif filters.state:
        conditions.append("l.track = :state")
        params["state"] = filters.state
    for column in ("industry", "region"):
        if getattr(filters, column):
            conditions.append(f"f.{column} = :{column}")
            params[column] = getattr(filters, column)
    if filters.size:
        low, high = SIZE_BANDS[filters.size]
        conditions.append(
            "f.employees >= :size_low" + (" AND f.employees <= :size_high" if high else "")
        )
        params.update(size_low=low, size_high=high)
    if filters.consultant is not None:
        conditions.append("f.assigned_to = :consultant")
        params["consultant"] = filters.consultant
    if filters.since:
        conditions.append("l.diagnosed_at >= :since")
        params["since"] = filters.since
    if filters.until:  # the whole day: every time stamp of that day sorts before its next
        conditions.append("l.diagnosed_at < :until || 'T99'")
        params["until"] = filters.until
    return conditions, params


# The firms a list, a dashboard, an export or a batch covers: ``f`` the firm, ``l`` its latest
# state (``firm_latest``, kept by triggers; absent for a firm never worked on).
FIRMS_WITH_LATEST = "firms f LEFT JOIN firm_latest l ON l.firm_id = f.id"


def firm_selection(
    scope: tuple[str, dict[str, Any]], filters: FirmFilter = FirmFilter(), joins: str = ""
) -> tuple[str, dict[str, Any]]:
    """``FROM … WHERE …`` of the firms ``scope`` allows that match ``filters`` (and ``joins``,
    e.g. their assessments), with its parameters: one SQL fragment that lists, dashboards,
    exports and batches share."""
    scope_sql, scope_params = scope
    conditions, params = _firm_conditions(filters)
    where = " AND ".join([f"({scope_sql})", *conditions])
    return f"FROM {FIRMS_WITH_LATEST} {joins} WHERE {where}", {**scope_params, **params}


# Each row of a list: the firm, its open draft, its latest diagnosis and who it is assigned to.
FIRM_ROW = """f.*, l.draft_id, l.diagnosed_id, l.diagnosed_at, l.track, l.readiness,
    l.last_activity, (SELECT u.name FROM users u WHERE u.id = f.assigned_to) AS assigned_name"""


def list_firms(
    db: sqlite_utils.Database,
    scope: tuple[str, dict[str, Any]],
    filters: FirmFilter = FirmFilter(),
    sort: str = "activity",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the firms ``scope`` allows (a SQL condition on ``f``, from
    ``services.access.firm_scope``) that match ``filters``, and how many match in all.

    Each row carries the firm's open draft, its latest submitted diagnosis (when, the track it
    ended with, its readiness) and the consultant it is assigned to, read from ``firm_latest``
    (kept by triggers): the page costs a pass over the center's firms rows and a sort, with
    no per-firm subquery, and only the page's rows are built.
    """
    if sort not in FIRM_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    selection, params = firm_selection(scope, filters)
    order = {
        "activity": "COALESCE(l.last_activity, f.updated_at)",
        "name": "f.name",
        "employees": "f.employees",
        "diagnosed": "COALESCE(l.diagnosed_at, '')",
        "track": "COALESCE(l.track, '')",
    }[sort]
    direction = "DESC" if descending else "ASC"
    paging = "" if limit is None else "LIMIT :limit OFFSET :offset"
    # The page's ids first (sorted on narrow rows), then the page's full rows in that order.
    sql = f"""
        WITH page AS (
            SELECT f.id AS firm_id, COUNT(*) OVER () AS total_count,
                   ROW_NUMBER() OVER (ORDER BY {order} {direction}, f.name, f.id) AS position
            {selection}
            ORDER BY position {paging}
        )
        SELECT {FIRM_ROW}, page.total_count
        FROM page JOIN firms f ON f.id = page.firm_id
        LEFT JOIN firm_latest l ON l.firm_id = f.id
        ORDER BY page.position
    """
    rows = list(db.query(sql, {**params, "limit": limit, "offset": offset}))
    if rows:
        total = rows[0]["total_count"]
    elif offset:
        total = db.execute(f"SELECT COUNT(*) {selection}", params).fetchone()[0]
    else:
        total = 0
    return rows, total


def search_firms(
    db: sqlite_utils.Database, center_id: int, text: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """The center's firms whose name or business number contains ``text``, newest activity
    first (at most 200); ``state`` keeps one track, firms with a draft, or never diagnosed."""
    rows, _total = list_firms(
        db,
        ("f.center_id = :scope_center", {"scope_center": center_id}),
        FirmFilter(text=text, state=state),
        limit=200,
    )
    return rows
