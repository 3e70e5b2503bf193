"""Peer figures for a report: how firms like this one score, without giving any firm away.

A plain mean over "other firms of the same industry and size" leaks: a center that creates
five firms in an empty group, knowing their scores, subtracts them and reads back the one
real firm of another center; the count printed beside the chart tells how many there are.
The rule here makes that impossible:

- Only consultant-confirmed diagnoses count (a decision by a consultant of the firm's own
  center: confirm or override), the latest of each firm. Self-assessments and undecided
  diagnoses are left out, so nobody can add peers by submitting.
- Only firms of *other* centers: a center never compares against firms it made, so firms it
  created (and knows) never stand in its own figures.
- Shown only with at least ``MIN_FIRMS`` firms from at least ``MIN_CENTERS`` centers, and
  only if that still holds with any one center's firms left out: a viewer who knows one
  center's firms (the anonymous holder of a result link may be that center) still faces
  ``MIN_FIRMS_UNKNOWN`` firms it does not know.
- Means rounded to ``ROUNDING`` points and no count anywhere: the difference between two
  reports before and after one new firm says nothing about that firm.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import sqlite_utils

from ..records.firms import SIZE_BANDS as FIRM_SIZE_BANDS

# The center statistics' size bands (employees, inclusive), the open top band closed off.
SIZE_BANDS = tuple((low, high or 10**9) for low, high in FIRM_SIZE_BANDS.values())
MIN_FIRMS = 10
MIN_CENTERS = 3
MIN_FIRMS_UNKNOWN = 7  # left when the largest center's firms are taken out
ROUNDING = 5


@dataclass(frozen=True)
class PeerComparison:
    """Mean dimension scores of comparable firms, rounded to ``ROUNDING`` points.

    ``means`` maps a dimension id to its rounded mean (dimensions no peer answered are left
    out); ``size_band`` is the employee range compared with. Deliberately no count.
    """

    means: dict[str, int]
    size_band: tuple[int, int]


def size_band(employees: int) -> tuple[int, int]:
    return next((b for b in SIZE_BANDS if b[0] <= employees <= b[1]), SIZE_BANDS[0])


def peer_scores(
    db: sqlite_utils.Database, industry: str, employees: int, firm_id: int
) -> PeerComparison | None:
    """The peer comparison for firm ``firm_id``'s report, or None when it cannot be shown
    without risk to a single firm (see the module's rule)."""
    low, high = size_band(employees)
    own = db.execute("SELECT center_id FROM firms WHERE id = ?", [firm_id]).fetchone()
    own_center = own[0] if own else None
    rows = db.execute(
        """
        SELECT f.id, f.center_id, p.scores
        FROM firms f
        JOIN assessments a ON a.id = (
            SELECT a2.id FROM assessments a2
            WHERE a2.firm_id = f.id AND a2.status = 'submitted' AND EXISTS (
                SELECT 1 FROM decisions d JOIN users u ON u.id = d.decided_by
                WHERE d.assessment_id = a2.id AND u.center_id = a2.center_id)
            ORDER BY a2.submitted_at DESC, a2.id DESC LIMIT 1)
        JOIN predictions p ON p.id = (
            SELECT MAX(p2.id) FROM predictions p2 WHERE p2.assessment_id = a.id)
        WHERE f.industry = ? AND f.employees BETWEEN ? AND ? AND f.id != ?
          AND f.center_id IS NOT ? AND a.center_id = f.center_id
        """,
        [industry, low, high, firm_id, own_center],
    ).fetchall()
    per_center: dict[int, int] = defaultdict(int)
    for _firm, center, _scores in rows:
        per_center[center] += 1
    if (
        len(rows) < MIN_FIRMS
        or len(per_center) < MIN_CENTERS
        or len(rows) - max(per_center.values()) < MIN_FIRMS_UNKNOWN
    ):
        return None
    totals: dict[str, list[float]] = defaultdict(list)
    for _firm, _center, scores in rows:
        for dimension, score in json.loads(scores).items():
            if score.get("score") is not None:
                totals[dimension].append(score["score"])
    means = {d: int(ROUNDING * round(sum(v) / len(v) / ROUNDING)) for d, v in totals.items() if v}
    return PeerComparison(means, (low, high))
