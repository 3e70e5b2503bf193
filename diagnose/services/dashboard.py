"""A center's dashboard as plain values: the pipeline, tracks by industry and size band,
overrides per track with their reasons, incoming requests, movement after re-diagnosis.

Every figure covers the firms the user may see that match the dashboard's filters.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlite_utils

from .. import assessments as ops
from ..diagnosis.policy import TRACKS
from . import access, rediagnosis
from .requests import center_requests

# found → diagnosed → referred → trained → re-diagnosed, with the steps before a diagnosis
STAGES = ("registered", "requested", "draft", "diagnosed", "referred", "in_training", "rediagnosed")


def _firm_facts(db: sqlite_utils.Database, firm_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per firm: submitted diagnoses (all, by a consultant), an open unassigned request, and
    the first day of its latest training."""
    facts: dict[int, dict[str, Any]] = {
        i: {"submitted": 0, "by_consultant": 0, "requested": False, "training": None}
        for i in firm_ids
    }
    if not firm_ids:
        return facts
    db.execute("CREATE TEMP TABLE IF NOT EXISTS dashboard_firms (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM dashboard_firms")
    db.conn.executemany("INSERT INTO dashboard_firms VALUES (?)", [(i,) for i in firm_ids])
    for firm_id, total, consultant in db.execute(
        "SELECT firm_id, COUNT(*), SUM(source != 'self') FROM assessments "
        "WHERE status = 'submitted' AND firm_id IN (SELECT id FROM dashboard_firms) "
        "GROUP BY firm_id"
    ):
        facts[firm_id].update(submitted=total, by_consultant=consultant or 0)
    for (firm_id,) in db.execute(
        "SELECT DISTINCT firm_id FROM consultant_requests WHERE status = 'new' "
        "AND firm_id IN (SELECT id FROM dashboard_firms)"
    ):
        facts[firm_id]["requested"] = True
    for firm_id, started in db.execute(
        "SELECT firm_id, MAX(started_on) FROM training_records "
        "WHERE firm_id IN (SELECT id FROM dashboard_firms) GROUP BY firm_id"
    ):
        facts[firm_id]["training"] = started
    db.execute("DELETE FROM dashboard_firms")
    return facts


def stage_of(firm: dict[str, Any], facts: dict[str, Any]) -> str:
    """Where a firm stands in the pipeline (its furthest current step)."""
    if facts["requested"] and not facts["by_consultant"]:
        return "requested"
    if not firm["diagnosed_id"]:
        return "draft" if firm["draft_id"] else "registered"
    if facts["training"] and facts["training"] >= (firm["diagnosed_at"] or "")[:10]:
        return "in_training"
    if facts["submitted"] >= 2:
        return "rediagnosed"
    if firm["track"] == "shared_center":
        return "referred"
    return "diagnosed"


def overrides(
    db: sqlite_utils.Database,
    user: Any,
    filters: ops.FirmFilter,
    reasons_per_track: int = 5,
    firm_ids: set[int] | None = None,
) -> dict[str, Any]:
    """Each track the model recommended: decisions, overrides, where they went, and the most
    recent reasons (each diagnosis counted once, with its latest decision). ``firm_ids``:
    the firms matching ``filters``, when the caller has them already."""
    scope_sql, params = access.firm_scope(user)
    if firm_ids is None:
        firm_ids = {
            r["id"] for r in ops.list_firms(db, (scope_sql, params), filters, limit=None)[0]
        }
    rows = [
        r
        for r in db.query(
            f"""
            SELECT d.*, f.id AS firm_id, f.name AS firm_name, u.name AS consultant
            FROM decisions d JOIN assessments a ON a.id = d.assessment_id
            JOIN firms f ON f.id = a.firm_id JOIN users u ON u.id = d.decided_by
            WHERE {scope_sql}
              AND d.id = (SELECT MAX(id) FROM decisions WHERE assessment_id = d.assessment_id)
            ORDER BY d.decided_at DESC, d.id DESC
            """,
            params,
        )
        if r["firm_id"] in firm_ids
    ]
    by_track = {t: {"decisions": 0, "overrides": 0, "to": Counter(), "reasons": []} for t in TRACKS}
    for row in rows:
        track = by_track[row["predicted_track"]]
        track["decisions"] += 1
        if row["action"] == "override":
            track["overrides"] += 1
            track["to"][row["final_track"]] += 1
            if len(track["reasons"]) < reasons_per_track:
                track["reasons"].append(row)
    for stats in by_track.values():
        stats["rate"] = stats["overrides"] / stats["decisions"] if stats["decisions"] else None
        stats["to"] = dict(stats["to"])
    return by_track


def dashboard(
    db: sqlite_utils.Database, user: Any, filters: ops.FirmFilter, dimension_ids: list[str]
) -> dict[str, Any]:
    """Everything the dashboard shows, for the firms ``user`` may see matching ``filters``."""
    access.require(user, access.STAFF)
    scope = access.firm_scope(user)
    firms, total = ops.list_firms(db, scope, filters, limit=None)
    facts = _firm_facts(db, [f["id"] for f in firms])
    pipeline = Counter(stage_of(f, facts[f["id"]]) for f in firms)
    tracks = Counter(f["track"] for f in firms if f["track"])
    by_industry: dict[str, Counter] = {}
    by_size: dict[str, Counter] = {band: Counter() for band in ops.SIZE_BANDS}
    for f in firms:
        if not f["track"]:
            continue
        by_industry.setdefault(f["industry"], Counter())[f["track"]] += 1
        band = next(
            (
                b
                for b, (low, high) in ops.SIZE_BANDS.items()
                if f["employees"] >= low and (high is None or f["employees"] <= high)
            ),
            None,
        )
        if band:
            by_size[band][f["track"]] += 1
    return {
        "total": total,
        "diagnosed": sum(tracks.values()),
        "pipeline": [(stage, pipeline.get(stage, 0)) for stage in STAGES],
        "tracks": {t: tracks.get(t, 0) for t in TRACKS},
        "by_industry": sorted(
            ((k, dict(v)) for k, v in by_industry.items()), key=lambda kv: -sum(kv[1].values())
        ),
        "by_size": [(k, dict(v)) for k, v in by_size.items()],
        "overrides": overrides(db, user, filters, firm_ids={f["id"] for f in firms}),
        "requests": center_requests(db, user.center_id, "new"),
        "movement": rediagnosis.center_movement(db, scope, dimension_ids),
    }
