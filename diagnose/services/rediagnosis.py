"""A firm over time: its earlier diagnosis (T0) against its latest (T1), per dimension, with the
training it took in between and what moved; and a center's average movement by track.

Plain values, no Flask: the firm page, the PDF and the dashboard show the same figures.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from .. import assessments as ops

MOVED = 5.0  # points on a 0-100 dimension score that count as a real change


def _diagnosis(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    row = db.execute(
        """
        SELECT a.id, a.submitted_at, a.based_on, a.source, p.scores, p.readiness,
               COALESCE((SELECT d.final_track FROM decisions d WHERE d.assessment_id = a.id
                         ORDER BY d.id DESC LIMIT 1), p.track) AS track
        FROM assessments a JOIN predictions p ON p.id = (
            SELECT MAX(id) FROM predictions WHERE assessment_id = a.id)
        WHERE a.id = ? AND a.status = 'submitted'
        """,
        [assessment_id],
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "submitted_at", "based_on", "source", "scores", "readiness", "track")
    found = dict(zip(keys, row, strict=True))
    found["scores"] = {k: v.get("score") for k, v in json.loads(found["scores"]).items()}
    return found


def earlier_of(db: sqlite_utils.Database, assessment_id: int) -> int | None:
    """The diagnosis a submitted assessment is compared with: the one it started from, else
    the firm's submitted assessment just before it."""
    row = db.execute(
        "SELECT firm_id, based_on, submitted_at FROM assessments WHERE id = ?", [assessment_id]
    ).fetchone()
    if row is None:
        return None
    firm_id, based_on, submitted_at = row
    if based_on is not None:
        return based_on
    earlier = db.execute(
        "SELECT id FROM assessments WHERE firm_id = ? AND status = 'submitted' AND id != ? "
        "AND (submitted_at < ? OR (submitted_at = ? AND id < ?)) "
        "ORDER BY submitted_at DESC, id DESC LIMIT 1",
        [firm_id, assessment_id, submitted_at, submitted_at, assessment_id],
    ).fetchone()
    return earlier[0] if earlier else None


def comparison(
    db: sqlite_utils.Database,
    questionnaire: Any,
    t1_id: int,
    lang: str,
) -> dict[str, Any] | None:
    """T0 against T1 for a submitted assessment (``t1_id``), or None without an earlier one.

    ``dimensions``: each with its title, both scores and the change; ``moved``: the
    dimensions that changed by ``MOVED`` points or more, largest first; ``training``: what
    the firm recorded between the two.
    """
    t0_id = earlier_of(db, t1_id)
    t1 = _diagnosis(db, t1_id)
    t0 = _diagnosis(db, t0_id) if t0_id else None
    if t0 is None or t1 is None:
        return None
    dimensions = []
    for d in questionnaire.dimensions:
        before, after = t0["scores"].get(d.id), t1["scores"].get(d.id)
        change = None if before is None or after is None else round(after - before, 1)
        dimensions.append(
            {
                "id": d.id,
                "title": d.title.get(lang),
                "t0": before,
                "t1": after,
                "change": change,
            }
        )
    moved = sorted(
        (d for d in dimensions if d["change"] is not None and abs(d["change"]) >= MOVED),
        key=lambda d: -abs(d["change"]),
    )
    firm_id = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [t1_id]).fetchone()[0]
    training = list(
        db.query(
            "SELECT * FROM training_records WHERE firm_id = ? AND started_on >= ? "
            "AND started_on <= ? ORDER BY started_on, id",
            [firm_id, t0["submitted_at"][:10], t1["submitted_at"][:10]],
        )
    )
    readiness_change = (
        round(t1["readiness"] - t0["readiness"], 1)
        if t1["readiness"] is not None and t0["readiness"] is not None
        else None
    )
    return {
        "t0": t0,
        "t1": t1,
        "dimensions": dimensions,
        "moved": moved,
        "readiness_change": readiness_change,
        "track_changed": t0["track"] != t1["track"],
        "training": training,
        "training_hours": sum(r["hours"] * (r["trainees"] or 1) for r in training),
    }


def center_movement(
    db: sqlite_utils.Database,
    scope: tuple[str, dict[str, Any]],
    dimension_ids: list[str],
    filters: ops.FirmFilter | None = None,
) -> list[dict[str, Any]]:
    """The average movement of re-diagnosed firms, by the track of their earlier diagnosis:
    how many firms, the mean change of readiness and of each dimension, how many changed
    track. Each re-diagnosed firm counts once: its latest diagnosis against the one it
    started from (else the one before). One query over the firms ``scope`` allows that match
    ``filters`` and were diagnosed twice or more (``firm_latest``)."""
    selection, params = ops.firm_selection(
        scope,
        filters or ops.FirmFilter(),
        "JOIN assessments a ON a.firm_id = f.id JOIN predictions p ON p.id = "
        "(SELECT MAX(x.id) FROM predictions x WHERE x.assessment_id = a.id)",
    )
    rows = db.query(
        f"""
        SELECT a.id, a.firm_id, a.submitted_at, a.based_on, p.scores, p.readiness,
               COALESCE((SELECT d.final_track FROM decisions d WHERE d.assessment_id = a.id
                         ORDER BY d.id DESC LIMIT 1), p.track) AS track
        {selection}
          AND l.submitted >= 2 AND a.status = 'submitted'
        ORDER BY a.firm_id, a.submitted_at, a.id
        """,
        params,
    )
    by_firm: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_firm.setdefault(row["firm_id"], []).append(row)
    groups: dict[str, dict[str, Any]] = {}
    for history in by_firm.values():
        t1 = history[-1]
        earlier = {r["id"]: r for r in history[:-1]}
        t0 = earlier.get(t1["based_on"]) or history[-2]
        before = {k: v.get("score") for k, v in json.loads(t0["scores"]).items()}
        after = {k: v.get("score") for k, v in json.loads(t1["scores"]).items()}
        group = groups.setdefault(
            t0["track"], {"firms": 0, "readiness": [], "dims": {}, "moved_track": 0}
        )
        group["firms"] += 1
        group["moved_track"] += t0["track"] != t1["track"]
        if t0["readiness"] is not None and t1["readiness"] is not None:
            group["readiness"].append(t1["readiness"] - t0["readiness"])
        for d in dimension_ids:
            if before.get(d) is not None and after.get(d) is not None:
                group["dims"].setdefault(d, []).append(after[d] - before[d])
    return [
        {
            "track": track,
            "firms": groups[track]["firms"],
            "moved_track": groups[track]["moved_track"],
            "readiness": _mean(groups[track]["readiness"]),
            "dimensions": {d: _mean(v) for d, v in groups[track]["dims"].items()},
        }
        for track in ("beginner", "ax", "shared_center")
        if track in groups
    ]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
