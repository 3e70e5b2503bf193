"""The figures a center reports to the ministry, per month of a period and for the whole
period: firms found (by channel), diagnosed (self / consultant), by track, referred to joint
centers, trained (trainees and person-hours), re-diagnosed with the average T0->T1 change by
area, and requests answered within the center's promise.

One function, ``figures``, computes them; the center's page, its printable PDF and the
``flask report kpi`` command all call it. Plain values, no Flask.

Where each figure comes from (all in Korea time, the period's days inclusive):
- found: a firm record created in the month; its channel is how it came: the owner's
  self-assessment, a consultant or a staff member registering it, or the API (its first
  diagnosis came through the API);
- diagnosed: firms with a submitted diagnosis in the month, by the firm's own
  self-assessment or by a consultant (the API counts as a consultant's);
- by track: each diagnosed firm once, on the track of its latest diagnosis of the month (the
  consultant's decision, else the recommendation);
- referred: firms whose latest consultant's diagnosis of the month is on the joint-center
  track (the roadmap names the center);
- trained: training records starting in the month: firms, trainees (a record without a
  count is one person) and person-hours (hours per person times people);
- re-diagnosed: firms with a decided diagnosis in the month that follows an earlier decided
  one (``rediagnosis.decided_pair``), with the mean change of readiness and of each area;
- requests: requests filed in the month, answered, and answered within the promise in
  business days (Monday to Friday, Korea's public holidays left out:
  ``requests.business_days``). The promise's default of 2 business days is a tool
  assumption too, to be set by each center.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from ..auth import ADMINISTRATOR
from ..diagnosis.policy import TRACKS
from ..templating import KST
from . import access, rediagnosis

CHANNELS = ("self", "consultant", "staff", "api")
PROMISE_DAYS = 2  # business days: the default of DIAGNOSE_REQUEST_ANSWER_DAYS (tool assumption)


class PeriodError(ValueError):
    """A period that cannot be reported: ``field`` is the bad end, ``message`` says why."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def of(cls, start: date | str | None, end: date | str | None) -> Period:
        """A period from two days (``YYYY-MM-DD``); at most five years, start before end."""
        days = []
        for field, value in (("from", start), ("to", end)):
            if isinstance(value, date):
                days.append(value)
                continue
            try:
                days.append(date.fromisoformat(str(value or "").strip()))
            except ValueError:
                raise PeriodError(field, "not a date (YYYY-MM-DD)") from None
        if days[1] < days[0]:
            raise PeriodError("to", "the end comes before the start")
        if (days[1] - days[0]).days > 5 * 366:
            raise PeriodError("to", "at most five years at once")
        return cls(days[0], days[1])

    def months(self) -> list[str]:
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def report_centers(db: sqlite_utils.Database, user: Any, center_id: int | None = None) -> list:
    """The centers ``user`` reports on: their own for staff; every center (or the one
    asked for) for an administrator; ``user`` None (the command line): every center or
    ``center_id``."""
    if user is not None:
        access.require(user, access.STAFF)
        if user.role != ADMINISTRATOR:
            center_id = user.center_id
    where, params = ("WHERE id = ?", [center_id]) if center_id is not None else ("", [])
    return [
        dict(r)
        for r in db.query(f"SELECT id, name, region FROM centers {where} ORDER BY id", params)
    ]


def request_timing(
    db: sqlite_utils.Database, center_ids: list[int], period: Period
) -> list[dict[str, Any]]:
    """Each request filed in the period: its center, when it was filed and when the center
    first answered it (contacted the firm or booked a visit; None: not yet), as the request
    page counts it (``requests.tracking``); duplicates merged into another are not counted."""
    marks = ",".join("?" * len(center_ids))
    return [
        dict(r)
        for r in db.query(
            "SELECT center_id, created_at, COALESCE(contacted_at, booked_at) AS answered_at "
            f"FROM consultant_requests WHERE center_id IN ({marks}) AND merged_into IS NULL "
            "AND date(created_at, '+9 hours') BETWEEN ? AND ?",
            [*center_ids, period.start.isoformat(), period.end.isoformat()],
        )
    ]


def business_days(start: str, end: str) -> int:
    """Working days from the day after ``start`` to ``end``'s day, both UTC stamps read in
    Korea time, as the request page counts them (weekends and public holidays left out)."""
    from .requests import business_days as days_between

    return days_between(
        datetime.fromisoformat(start).astimezone(KST).date(),
        datetime.fromisoformat(end).astimezone(KST).date(),
    )


def _empty(dimension_ids: list[str]) -> dict[str, Any]:
    return {
        "found": dict.fromkeys((*CHANNELS, "total"), 0),
        "diagnosed": {"self": 0, "consultant": 0, "total": 0},
        "tracks": dict.fromkeys(TRACKS, 0),
        "referred": 0,
        "trained": {"firms": 0, "trainees": 0, "person_hours": 0.0},
        "rediagnosed": {"firms": 0, "readiness": None, "dimensions": dict.fromkeys(dimension_ids)},
        "requests": {"filed": 0, "answered": 0, "within": 0, "share": None},
    }


def _month(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(KST).strftime("%Y-%m")


def figures(
    db: sqlite_utils.Database,
    centers: list[dict[str, Any]],
    period: Period,
    dimension_ids: list[str],
    promise_days: int = PROMISE_DAYS,
) -> dict[str, Any]:
    """The ministry figures of ``centers`` (from ``report_centers``) for ``period``: per
    center, a row per month and the period's total; with more than one center, the sum of
    all of them as well (``all``)."""
    months = period.months()
    ids = [c["id"] for c in centers]
    per_center = {
        c["id"]: {
            "center": c,
            "months": {m: _empty(dimension_ids) for m in months},
            "total": _empty(dimension_ids),
        }
        for c in centers
    }
    if ids:
        _collect(db, per_center, ids, period, dimension_ids, promise_days)
    result = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "months": months,
        "promise_days": promise_days,
        "dimension_ids": dimension_ids,
        "centers": [
            {
                "center": v["center"],
                "months": [(m, v["months"][m]) for m in months],
                "total": v["total"],
            }
            for v in per_center.values()
        ],
        "all": None,
    }
    if len(centers) > 1:
        everything = {
            "center": {"id": None, "name": "", "region": ""},
            "months": {m: _empty(dimension_ids) for m in months},
            "total": _empty(dimension_ids),
        }
        _collect(db, {None: everything}, ids, period, dimension_ids, promise_days, pooled=True)
        result["all"] = {
            "center": everything["center"],
            "months": [(m, everything["months"][m]) for m in months],
            "total": everything["total"],
        }
    return result


def _collect(db, per_center, ids, period, dimension_ids, promise_days, pooled=False) -> None:
    """Fill ``per_center`` (keyed by center id, or None for every center pooled)."""
    marks = ",".join("?" * len(ids))
    days = [period.start.isoformat(), period.end.isoformat()]

    def slots(center_id: int, stamp: str):
        entry = per_center[None if pooled else center_id]
        return entry["months"][_month(stamp)], entry["total"]

    # found, by channel
    for row in db.query(
        f"""
        SELECT f.center_id, f.created_at,
          CASE WHEN f.origin = 'self' THEN 'self'
               WHEN (SELECT a.source FROM assessments a WHERE a.firm_id = f.id
                     ORDER BY a.id LIMIT 1) = 'api' THEN 'api'
               WHEN u.role = 'consultant' THEN 'consultant'
               ELSE 'staff' END AS channel
        FROM firms f LEFT JOIN users u ON u.id = f.created_by
        WHERE f.center_id IN ({marks}) AND date(f.created_at, '+9 hours') BETWEEN ? AND ?
        """,
        [*ids, *days],
    ):
        for slot in slots(row["center_id"], row["created_at"]):
            slot["found"][row["channel"]] += 1
            slot["found"]["total"] += 1

    # diagnosed, by track, referred: each firm once per month and once in the total
    rows = list(
        db.query(
            f"""
            SELECT a.id, a.firm_id, f.center_id, a.submitted_at, a.source,
                   {rediagnosis.DECIDED_BASIS} AS basis,
                   COALESCE((SELECT d.final_track FROM decisions d WHERE d.assessment_id = a.id
                             ORDER BY d.id DESC LIMIT 1), p.track) AS track
            FROM assessments a JOIN firms f ON f.id = a.firm_id
            JOIN predictions p ON p.id = (
                SELECT MAX(id) FROM predictions WHERE assessment_id = a.id)
            WHERE a.status = 'submitted' AND f.center_id IN ({marks})
              AND date(a.submitted_at, '+9 hours') BETWEEN ? AND ?
            ORDER BY a.submitted_at, a.id
            """,
            [*ids, *days],
        )
    )
    latest: dict[tuple, dict] = {}  # (slot id, firm) -> latest diagnosis
    latest_consultant: dict[tuple, dict] = {}
    kinds: dict[tuple, set] = defaultdict(set)
    slot_of: dict[int, dict] = {}
    for row in rows:
        for slot in slots(row["center_id"], row["submitted_at"]):
            key = (id(slot), row["firm_id"])
            slot_of[id(slot)] = slot
            latest[key] = row
            kinds[key].add("self" if row["source"] == "self" else "consultant")
            if row["source"] != "self":
                latest_consultant[key] = row
    for (slot_id, _firm), row in latest.items():
        slot = slot_of[slot_id]
        for kind in kinds[(slot_id, _firm)]:
            slot["diagnosed"][kind] += 1
        slot["diagnosed"]["total"] += 1
        slot["tracks"][row["track"]] += 1
    for (slot_id, _firm), row in latest_consultant.items():
        slot_of[slot_id]["referred"] += row["track"] == "shared_center"

    # re-diagnosed: the firm's latest decided diagnosis of the month (and of the period)
    # against the decided one before it
    changes: dict[int, dict[int, tuple]] = defaultdict(dict)  # slot id -> firm -> (t0, t1)
    for row in rows:
        if row["basis"] is None:
            continue
        pair = rediagnosis.decided_pair(db, row["id"])
        if pair is None:
            continue
        for slot in slots(row["center_id"], row["submitted_at"]):
            changes[id(slot)][row["firm_id"]] = pair
    for slot_id, by_firm in changes.items():
        slot = slot_of[slot_id]
        readiness, dims = [], defaultdict(list)
        for t0, t1 in by_firm.values():
            if t0["readiness"] is not None and t1["readiness"] is not None:
                readiness.append(t1["readiness"] - t0["readiness"])
            for d in dimension_ids:
                if t0["scores"].get(d) is not None and t1["scores"].get(d) is not None:
                    dims[d].append(t1["scores"][d] - t0["scores"][d])
        slot["rediagnosed"] = {
            "firms": len(by_firm),
            "readiness": _mean(readiness),
            "dimensions": {d: _mean(dims.get(d, [])) for d in dimension_ids},
        }

    # trained
    trained_firms: dict[int, set] = defaultdict(set)
    for row in db.query(
        f"""
        SELECT r.firm_id, r.center_id, r.started_on, r.hours, COALESCE(r.trainees, 1) AS people
        FROM training_records r
        WHERE r.center_id IN ({marks}) AND r.started_on BETWEEN ? AND ?
        """,
        [*ids, *days],
    ):
        stamp = f"{row['started_on']}T00:00:00+09:00"
        for slot in slots(row["center_id"], stamp):
            slot["trained"]["trainees"] += row["people"]
            slot["trained"]["person_hours"] += row["hours"] * row["people"]
            trained_firms[id(slot)].add(row["firm_id"])
            slot_of[id(slot)] = slot
    for slot_id, firms in trained_firms.items():
        slot_of[slot_id]["trained"]["firms"] = len(firms)

    # requests answered within the promise
    for row in request_timing(db, ids, period):
        answered = row["answered_at"]
        within = answered is not None and business_days(row["created_at"], answered) <= (
            promise_days
        )
        for slot in slots(row["center_id"], row["created_at"]):
            slot["requests"]["filed"] += 1
            slot["requests"]["answered"] += answered is not None
            slot["requests"]["within"] += within
    for entry in per_center.values():
        for slot in [*entry["months"].values(), entry["total"]]:
            filed = slot["requests"]["filed"]
            slot["requests"]["share"] = (
                round(100 * slot["requests"]["within"] / filed) if filed else None
            )
            slot["trained"]["person_hours"] = round(slot["trained"]["person_hours"], 1)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
