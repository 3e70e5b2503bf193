"""A center's dashboard as plain values: the pipeline, tracks by industry and size band,
overrides per track with their reasons, incoming requests, movement after re-diagnosis.

Every figure covers the firms the user may see that match the dashboard's filters.

The aggregates (pipeline, tracks, overrides, movement) are kept for ``KEPT_SECONDS`` per
database, firms in view and filters, in each worker process (``kept``): fifty staff opening
a dashboard every few seconds would otherwise each redo them over the center's firms (about
200 ms at 5,000 firms a center), which two cores cannot serve. A new firm, diagnosis,
decision, training record, request or cohort shows at once (the tables' largest ids are part
of the key: one index look-up each); an edit of an existing row (a firm's industry, an
assignment, a request answered) within ``KEPT_SECONDS``. The incoming requests are read
fresh on every view.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

import sqlite_utils

from ..diagnosis.policy import TRACKS
from ..records.firms import SIZE_BANDS, FirmFilter, firm_selection
from . import access, rediagnosis
from .requests import center_requests

# found → diagnosed → referred → trained → re-diagnosed, with the steps before a diagnosis
STAGES = ("registered", "requested", "draft", "diagnosed", "referred", "in_training", "rediagnosed")


# Where a firm stands in the pipeline (its furthest current step), from its latest state: an
# open request no consultant has answered with a diagnosis; no diagnosis (a draft or not);
# training since its latest diagnosis; diagnosed twice or more; referred to a shared center.
STAGE_SQL = """CASE
    WHEN COALESCE(l.requested, 0) AND COALESCE(l.by_consultant, 0) = 0 THEN 'requested'
    WHEN l.diagnosed_id IS NULL AND l.draft_id IS NOT NULL THEN 'draft'
    WHEN l.diagnosed_id IS NULL THEN 'registered'
    WHEN l.training_started >= substr(COALESCE(l.diagnosed_at, ''), 1, 10) THEN 'in_training'
    WHEN l.submitted >= 2 THEN 'rediagnosed'
    WHEN l.track = 'shared_center' THEN 'referred'
    ELSE 'diagnosed' END"""


# 60 s: a tool assumption (figures for reporting, not for acting on a single firm; a page
# that is a minute old is what a staff member reading it would have seen anyway).
KEPT_SECONDS = 60.0
_KEPT_MAX = 256  # entries per process: centers x filters in use; the oldest go first
_kept: dict[tuple, tuple[float, Any]] = {}
_kept_lock = threading.Lock()
_computing: dict[tuple, threading.Lock] = {}  # one lock per key being computed
# What a new row of any table the aggregates read changes (ids only grow: never reused; the
# cohort members have no id of their own: their row number and count).
_GROWTH = (
    "SELECT "
    + ", ".join(
        f"(SELECT MAX(id) FROM {table})"
        for table in (
            "firms",
            "assessments",
            "predictions",
            "decisions",
            "training_records",
            "consultant_requests",
            "cohorts",
        )
    )
    + ", (SELECT MAX(rowid) FROM cohort_members), (SELECT COUNT(*) FROM cohort_members)"
)


def kept(
    db: sqlite_utils.Database,
    key: Hashable,
    compute: Callable[[], Any],
    seconds: float | None = None,
) -> Any:
    """``compute()``, or what it returned for ``key`` on this database less than ``seconds``
    (``KEPT_SECONDS``) ago when no row was added since. ``key`` must name everything the
    value depends on besides the database (the scope: one center never gets another's). The
    value is shared between requests: callers read it, never change it."""
    seconds = KEPT_SECONDS if seconds is None else seconds
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if not path or seconds <= 0:  # an in-memory database has no name to key on
        return compute()
    full = (path, key, tuple(db.execute(_GROWTH).fetchone()))
    with _kept_lock:
        found = _kept.get(full)
        computing = _computing.setdefault(full, threading.Lock())
    if found is not None and time.monotonic() - found[0] < seconds:
        return found[1]
    # One thread computes a key; the others asking meanwhile wait for its value (eight
    # threads of a worker computing the same figures at once kept two cores busy for tens of
    # seconds at 50,000 firms).
    with computing:
        with _kept_lock:
            found = _kept.get(full)
        if found is not None and time.monotonic() - found[0] < seconds:
            return found[1]
        value = compute()
        with _kept_lock:
            if len(_kept) >= _KEPT_MAX:
                for old in sorted(_kept, key=lambda k: _kept[k][0])[: _KEPT_MAX // 4]:
                    del _kept[old]
                    _computing.pop(old, None)
            _kept[full] = (time.monotonic(), value)
    return value


def _size_band_sql() -> str:
    """The firm's size band (a key of ``SIZE_BANDS``) as an SQL expression."""
    cases = " ".join(
        f"WHEN f.employees >= {low}"
        + (f" AND f.employees <= {high}" if high else "")
        + f" THEN '{band}'"
        for band, (low, high) in SIZE_BANDS.items()
    )
    return f"CASE {cases} END"


def overrides(
    db: sqlite_utils.Database,
    user: Any,
    filters: FirmFilter,
    reasons_per_track: int = 5,
) -> dict[str, Any]:
    """Each track the model recommended: decisions, overrides, where they went, and the most
    recent reasons (each diagnosis counted once, with its latest decision), for the firms
    ``user`` may see that match ``filters``: counted in SQL, only the shown reasons read."""
    selection, params = firm_selection(
        access.firm_scope(user),
        filters,
        "JOIN assessments a ON a.firm_id = f.id JOIN decisions d ON d.assessment_id = a.id",
    )
    latest = f"""
        SELECT d.*, f.id AS firm_id, f.name AS firm_name {selection}
          AND d.id = (SELECT MAX(x.id) FROM decisions x WHERE x.assessment_id = a.id)
    """
    by_track = {t: {"decisions": 0, "overrides": 0, "to": {}, "reasons": []} for t in TRACKS}
    for predicted, final, action, count in db.execute(
        f"SELECT predicted_track, final_track, action, COUNT(*) FROM ({latest}) "
        "GROUP BY predicted_track, final_track, action",
        params,
    ):
        track = by_track[predicted]
        track["decisions"] += count
        if action == "override":
            track["overrides"] += count
            track["to"][final] = track["to"].get(final, 0) + count
    for row in db.query(
        f"""
        SELECT o.*, u.name AS consultant FROM (
            SELECT latest.*, ROW_NUMBER() OVER (
                PARTITION BY predicted_track ORDER BY decided_at DESC, id DESC) AS n
            FROM ({latest}) latest WHERE action = 'override'
        ) o JOIN users u ON u.id = o.decided_by
        WHERE o.n <= :reasons ORDER BY o.decided_at DESC, o.id DESC
        """,
        {**params, "reasons": reasons_per_track},
    ):
        by_track[row["predicted_track"]]["reasons"].append(row)
    for stats in by_track.values():
        stats["rate"] = stats["overrides"] / stats["decisions"] if stats["decisions"] else None
    return by_track


def dashboard(
    db: sqlite_utils.Database, user: Any, filters: FirmFilter, dimension_ids: list[str]
) -> dict[str, Any]:
    """Everything the dashboard shows, for the firms ``user`` may see matching ``filters``."""
    access.require(user, access.STAFF)
    scope = access.firm_scope(user)
    key = (
        "dashboard",
        scope[0],
        tuple(sorted(scope[1].items())),
        tuple(sorted(filters.as_dict().items())),
        tuple(dimension_ids),
    )
    figures = kept(db, key, lambda: _figures(db, user, scope, filters, dimension_ids))
    return {**figures, "requests": center_requests(db, user.center_id, "new")}


def _figures(
    db: sqlite_utils.Database,
    user: Any,
    scope: tuple[str, dict[str, Any]],
    filters: FirmFilter,
    dimension_ids: list[str],
) -> dict[str, Any]:
    """The dashboard's aggregates (everything but the incoming requests)."""
    selection, params = firm_selection(scope, filters)
    # One pass over the center's firms: every count below is a sum of these groups.
    groups = db.execute(
        f"SELECT {STAGE_SQL} AS stage, f.industry, {_size_band_sql()} AS band, l.track, "
        f"COUNT(*) {selection} GROUP BY stage, f.industry, band, l.track",
        params,
    ).fetchall()
    total = sum(n for *_key, n in groups)
    pipeline: Counter = Counter()
    tracks: Counter = Counter()
    by_industry: dict[str, Counter] = {}
    by_size: dict[str, Counter] = {band: Counter() for band in SIZE_BANDS}
    for stage, industry, band, track, n in groups:
        pipeline[stage] += n
        if not track:
            continue
        tracks[track] += n
        by_industry.setdefault(industry, Counter())[track] += n
        if band:
            by_size[band][track] += n
    return {
        "total": total,
        "diagnosed": sum(tracks.values()),
        "pipeline": [(stage, pipeline.get(stage, 0)) for stage in STAGES],
        "tracks": {t: tracks.get(t, 0) for t in TRACKS},
        "by_industry": sorted(
            ((k, dict(v)) for k, v in by_industry.items()), key=lambda kv: -sum(kv[1].values())
        ),
        "by_size": [(k, dict(v)) for k, v in by_size.items()],
        "overrides": overrides(db, user, filters),
        "movement": rediagnosis.center_movement(db, scope, dimension_ids, filters),
    }
