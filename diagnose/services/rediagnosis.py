"""A firm over time: its earlier diagnosis (T0) against its latest (T1), per dimension, with the
training it took in between and what moved; and a center's average movement by track.

Plain values, no Flask: the firm page, the PDF and the dashboard show the same figures.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ..records.firms import FirmFilter, firm_selection
from ..vocabulary import TRACKS

MOVED = 5.0  # points on a 0-100 dimension score that count as a real change


# The track a diagnosis was decided on: the consultant's latest decision, or what the firm's
# own submitted self-assessment gave. A consultant's diagnosis no one has decided on yet has
# no decided track: T0/T1 never sets a model's unreviewed track against a decided one.
DECIDED_TRACK = """COALESCE(
    (SELECT d.final_track FROM decisions d WHERE d.assessment_id = a.id ORDER BY d.id DESC LIMIT 1),
    CASE WHEN a.source = 'self' THEN p.track END)"""
DECIDED_BASIS = """CASE
    WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.assessment_id = a.id) THEN 'consultant'
    WHEN a.source = 'self' THEN 'self' END"""


# ``FROM … WHERE …`` of a firm's (``?``) submitted, decided diagnoses, with their latest
# prediction ``p``: what T0 and T1 are chosen from.
_DECIDED_OF_FIRM = f"""FROM assessments a JOIN predictions p ON p.id = (
        SELECT MAX(id) FROM predictions WHERE assessment_id = a.id)
    WHERE a.firm_id = ? AND a.status = 'submitted' AND {DECIDED_BASIS} IS NOT NULL"""


def _diagnosis(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """A submitted, decided diagnosis: scores, readiness, the decided track and its basis
    (``consultant``: a consultant's decision; ``self``: the firm's submitted self-assessment);
    None for a draft or a diagnosis not decided yet."""
    row = db.execute(
        f"""
        SELECT a.id, a.submitted_at, a.based_on, a.source, p.scores, p.readiness,
               {DECIDED_TRACK} AS track, {DECIDED_BASIS} AS basis
        FROM assessments a JOIN predictions p ON p.id = (
            SELECT MAX(id) FROM predictions WHERE assessment_id = a.id)
        WHERE a.id = ? AND a.status = 'submitted'
        """,
        [assessment_id],
    ).fetchone()
    if row is None or row[-1] is None:
        return None
    keys = ("id", "submitted_at", "based_on", "source", "scores", "readiness", "track", "basis")
    found = dict(zip(keys, row, strict=True))
    found["scores"] = {k: v.get("score") for k, v in json.loads(found["scores"]).items()}
    return found


def earlier_of(db: sqlite_utils.Database, assessment_id: int) -> int | None:
    """The decided diagnosis a submitted assessment is compared with: the one it started from
    when that was decided, else the firm's latest decided one submitted before it."""
    row = db.execute(
        "SELECT firm_id, based_on, submitted_at FROM assessments WHERE id = ?", [assessment_id]
    ).fetchone()
    if row is None:
        return None
    firm_id, based_on, submitted_at = row
    if based_on is not None and _diagnosis(db, based_on) is not None:
        return based_on
    earlier = db.execute(
        f"SELECT a.id {_DECIDED_OF_FIRM} AND a.id != ? "
        "AND (a.submitted_at < ? OR (a.submitted_at = ? AND a.id < ?)) "
        "ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1",
        [firm_id, assessment_id, submitted_at, submitted_at, assessment_id],
    ).fetchone()
    return earlier[0] if earlier else None


def decided_pair(db: sqlite_utils.Database, t1_id: int) -> tuple[dict, dict] | None:
    """``(t0, t1)``: a decided diagnosis and the decided one it is compared with, each with
    its scores, readiness, track and basis; None when either is missing."""
    t1 = _diagnosis(db, t1_id)
    t0_id = earlier_of(db, t1_id) if t1 else None
    t0 = _diagnosis(db, t0_id) if t0_id else None
    return (t0, t1) if t0 and t1 else None


def latest_decided(db: sqlite_utils.Database, firm_id: int) -> int | None:
    """The firm's most recent decided diagnosis (the T1 its page shows)."""
    row = db.execute(
        f"SELECT a.id {_DECIDED_OF_FIRM} ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1",
        [firm_id],
    ).fetchone()
    return row[0] if row else None


def comparison(
    db: sqlite_utils.Database,
    questionnaire: Any,
    t1_id: int,
    lang: str,
) -> dict[str, Any] | None:
    """T0 against T1 for a submitted, decided assessment (``t1_id``), or None when it is not
    decided or has no decided diagnosis before it. ``t0``/``t1`` carry ``basis``: what decided
    their track (``consultant`` or ``self``), for the page to say.

    ``dimensions``: each with its title, both scores and the change; ``moved``: the
    dimensions that changed by ``MOVED`` points or more, largest first; ``training``: what
    the firm recorded between the two.
    """
    pair = decided_pair(db, t1_id)
    if pair is None:
        return None
    t0, t1 = pair
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
    filters: FirmFilter | None = None,
) -> list[dict[str, Any]]:
    """The average movement of re-diagnosed firms, by the track of their earlier diagnosis:
    how many firms, the mean change of readiness and of each dimension, how many changed
    track. Each re-diagnosed firm counts once: its latest decided diagnosis against the
    decided one it started from (else the decided one before); undecided diagnoses take no
    part. One query over the firms ``scope`` allows that match ``filters`` and were
    diagnosed twice or more (``firm_latest``)."""
    selection, params = firm_selection(
        scope,
        filters or FirmFilter(),
        "JOIN assessments a ON a.firm_id = f.id JOIN predictions p ON p.id = "
        "(SELECT MAX(x.id) FROM predictions x WHERE x.assessment_id = a.id)",
    )
    rows = db.query(
        f"""
        SELECT * FROM (
            SELECT a.id, a.firm_id, a.submitted_at, a.based_on, p.scores, p.readiness,
                   {DECIDED_TRACK} AS track
            {selection}
              AND l.submitted >= 2 AND a.status = 'submitted'
        ) WHERE track IS NOT NULL
        ORDER BY firm_id, submitted_at, id
        """,
        params,
    )
    by_firm: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_firm.setdefault(row["firm_id"], []).append(row)
    by_firm = {firm: history for firm, history in by_firm.items() if len(history) >= 2}
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
        for track in TRACKS
        if track in groups
    ]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
