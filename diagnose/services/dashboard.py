"""A center's dashboard as plain values: the pipeline, tracks by industry and size band,
overrides per track with their reasons, incoming requests, movement after re-diagnosis.

Every figure covers the firms the user may see that match the dashboard's filters.

Each part costs what it shows: the counts are one grouped pass over the center's firms and
their latest state (``firm_latest``, kept by triggers), the overrides and the movement one
query each over the center's decided diagnoses, the cohort suggestions one query over kept
fits (``services.cohorts``), the incoming requests the oldest few by index.

As a second line, the aggregates are kept in the database (``dashboard_kept``), shared by
every worker, under the center's version (``center_versions``, raised by the triggers of
migration 0038 whenever a firm, its latest state, a decision, a prediction, a cohort fit or
a cohort of the center changes) and for ``KEPT_SECONDS`` at most (an edit the version does
not see, a consultant's new name, shows within that). At most ``KEPT_MAX`` rows: the oldest
go first. The incoming requests and their answering are read fresh on every view.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlite_utils

from ..diagnosis.policy import TRACKS
from ..records.firms import SIZE_BANDS, FirmFilter, firm_selection
from ..storage import transaction
from . import access, rediagnosis
from .requests import waiting_requests

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
KEPT_MAX = 256  # rows kept: centers x filters in use; the oldest go first
# Requests to assign listed on the dashboard, the longest waiting first (the kpi above them
# counts all; once these are assigned the next show): a tool assumption, a screenful.
REQUESTS_SHOWN = 20
# One lock per slot, not per key: threads of a worker asking for the same figures at once
# wait for the first one's (a fixed number, however many keys are asked for).
_LOCKS = tuple(threading.Lock() for _ in range(64))


def center_version(db: sqlite_utils.Database, center_id: int) -> int:
    row = db.execute(
        "SELECT version FROM center_versions WHERE center_id = ?", [center_id]
    ).fetchone()
    return row[0] if row else 0


def kept(
    db: sqlite_utils.Database,
    center_id: int,
    key: Any,
    compute: Callable[[], Any],
    seconds: float | None = None,
) -> Any:
    """``compute()``, or the value it gave for ``key`` in ``center_id`` while the center's
    version is unchanged and less than ``seconds`` (``KEPT_SECONDS``) ago. ``key`` (JSON)
    must name everything besides the center's rows the value depends on; the value must be
    JSON (it is read back as JSON: lists for tuples)."""
    seconds = KEPT_SECONDS if seconds is None else seconds
    if seconds <= 0:
        return compute()
    name = json.dumps([center_id, key], sort_keys=True, ensure_ascii=False)

    def lookup(version: int) -> Any:
        row = db.execute(
            "SELECT version, made_at, value FROM dashboard_kept WHERE key = ?", [name]
        ).fetchone()
        if row and row[0] == version and time.time() - row[1] < seconds:
            return json.loads(row[2])
        return None

    version = center_version(db, center_id)
    found = lookup(version)
    if found is not None:
        return found
    with _LOCKS[zlib.crc32(name.encode()) % len(_LOCKS)]:
        version = center_version(db, center_id)
        found = lookup(version)
        if found is not None:
            return found
        value = compute()
        text = json.dumps(value, ensure_ascii=False)
        with transaction(db):
            db.execute(
                "INSERT OR REPLACE INTO dashboard_kept (key, center_id, version, made_at, value) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, center_id, version, time.time(), text],
            )
            db.execute(
                "DELETE FROM dashboard_kept WHERE key IN (SELECT key FROM dashboard_kept "
                "ORDER BY made_at LIMIT max(0, (SELECT COUNT(*) FROM dashboard_kept) - ?))",
                [KEPT_MAX],
            )
    return json.loads(text)


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
    ``user`` may see that match ``filters``: one pass over their decisions' narrow columns
    (the latest of each diagnosis through the index of decisions by diagnosis), then only the
    shown reasons read whole."""
    selection, params = firm_selection(
        access.firm_scope(user),
        filters,
        "JOIN assessments a ON a.firm_id = f.id JOIN decisions d ON d.assessment_id = a.id",
    )
    by_track = {t: {"decisions": 0, "overrides": 0, "to": {}, "reasons": []} for t in TRACKS}
    latest_overrides: dict[str, list[tuple[str, int]]] = {t: [] for t in TRACKS}
    for decision_id, predicted, final, action, decided_at in db.execute(
        f"SELECT d.id, d.predicted_track, d.final_track, d.action, d.decided_at {selection} "
        "AND d.id = (SELECT MAX(x.id) FROM decisions x WHERE x.assessment_id = a.id)",
        params,
    ):
        track = by_track[predicted]
        track["decisions"] += 1
        if action == "override":
            track["overrides"] += 1
            track["to"][final] = track["to"].get(final, 0) + 1
            latest_overrides[predicted].append((decided_at, decision_id))
    shown = [
        decision_id
        for found in latest_overrides.values()
        for _at, decision_id in sorted(found, reverse=True)[:reasons_per_track]
    ]
    if shown:
        for row in db.query(
            "SELECT d.*, f.id AS firm_id, f.name AS firm_name, u.name AS consultant "
            "FROM decisions d JOIN assessments a ON a.id = d.assessment_id "
            "JOIN firms f ON f.id = a.firm_id JOIN users u ON u.id = d.decided_by "
            f"WHERE d.id IN ({','.join('?' * len(shown))}) "
            "ORDER BY d.decided_at DESC, d.id DESC",
            shown,
        ):
            by_track[row["predicted_track"]]["reasons"].append(row)
    for stats in by_track.values():
        stats["rate"] = stats["overrides"] / stats["decisions"] if stats["decisions"] else None
    return by_track


def dashboard(
    db: sqlite_utils.Database,
    user: Any,
    filters: FirmFilter,
    dimension_ids: list[str],
    requests_shown: int = REQUESTS_SHOWN,
) -> dict[str, Any]:
    """Everything the dashboard shows, for the firms ``user`` may see matching ``filters``:
    the aggregates, the ``requests_shown`` requests to assign waiting longest and how many
    wait in all (``requests_waiting``)."""
    access.require(user, access.STAFF)
    scope = access.firm_scope(user)
    key = [
        "dashboard",
        scope[0],
        sorted(scope[1].items()),
        sorted(filters.as_dict().items()),
        list(dimension_ids),
    ]
    figures = kept(
        db, user.center_id, key, lambda: _figures(db, user, scope, filters, dimension_ids)
    )
    for part in ("pipeline", "by_industry", "by_size"):  # pairs, as computed
        figures[part] = [tuple(pair) for pair in figures[part]]
    shown, waiting = waiting_requests(db, user.center_id, requests_shown)
    return {**figures, "requests": shown, "requests_waiting": waiting}


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
