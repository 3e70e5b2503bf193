"""A busy center's pages: 5,000 firms, 10,000 diagnoses, half of them decided.

    .venv/bin/python bench/center_pages.py

Prints the median time of the queries behind each page a consultant opens every day (the firm
list: all firms, one track, drafts, never diagnosed, a name search, a page of the paged list
for the staff and a consultant's caseload; the center dashboard; the override rates; a
report's peer averages) on a real SQLite file; no thresholds, no pass/fail.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from diagnose.diagnosis.store import override_rates
from diagnose.records.firms import FirmFilter, search_firms
from diagnose.services import caseload, dashboard
from diagnose.services.peers import peer_scores
from diagnose.storage import connect, migrate, now

STAFF = SimpleNamespace(id=1, center_id=1, home_center_id=1, role="center_staff")
CONSULTANT = SimpleNamespace(id=1, center_id=1, home_center_id=1, role="consultant")
DIMS = ["leadership", "data_infra"]
FIRMS = 5000
DIAGNOSES_PER_FIRM = 2
TRACKS = ("beginner", "ax", "shared_center")
SCORES = '{"leadership": {"score": 50.0}, "data_infra": {"score": 40.0}}'


def fill(db) -> None:
    stamp, rnd = now(), random.Random(1)
    with db.conn:
        db.execute(
            "INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', ?)", [stamp]
        )
        db.execute(
            "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
            "VALUES (1, 'a@example.com', 'n', 'x', 'consultant', ?)",
            [stamp],
        )
        db.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', ?)", [stamp])
        for firm in range(1, FIRMS + 1):
            db.execute(
                "INSERT INTO firms (id, center_id, name, business_number, region, industry, "
                "employees, revenue_band, contact_name, contact_phone, contact_email, created_by, "
                "created_at, updated_at) VALUES (?, 1, ?, ?, 'seoul', 'C', 20, 'b', 'n', '', '', "
                "1, ?, ?)",
                [firm, f"기업{firm}", str(1_000_000_000 + firm), stamp, stamp],
            )
            for _ in range(DIAGNOSES_PER_FIRM):
                assessment = db.execute(
                    "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
                    "questionnaire_version, status, profile, created_at, updated_at, submitted_at) "
                    "VALUES (?, 1, 1, 'q', 1, 'submitted', '{}', ?, ?, ?)",
                    [firm, stamp, stamp, stamp],
                ).lastrowid
                track = rnd.choice(TRACKS)
                prediction = db.execute(
                    "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
                    "explanation, scores, readiness, created_at) "
                    "VALUES (?, 'm', ?, '{}', '{}', ?, 50, ?)",
                    [assessment, track, SCORES, stamp],
                ).lastrowid
                if rnd.random() < 0.5:
                    db.execute(
                        "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, "
                        "final_track, action, reason, decided_by, decided_at) "
                        "VALUES (?, ?, ?, ?, 'override', 'x', 1, ?)",
                        [assessment, prediction, track, rnd.choice(TRACKS), stamp],
                    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = connect(Path(folder) / "bench.sqlite3")
        migrate(db)
        fill(db)
        print(f"{FIRMS} firms, {FIRMS * DIAGNOSES_PER_FIRM} diagnoses")
        for label, query in (
            ("all firms", lambda: search_firms(db, 1)),
            ("one track (ax)", lambda: search_firms(db, 1, "", "ax")),
            ("drafts", lambda: search_firms(db, 1, "", "draft")),
            ("never diagnosed", lambda: search_firms(db, 1, "", "none")),
            ("name search", lambda: search_firms(db, 1, "기업12")),
            (
                "list page 3",
                lambda: caseload.firm_list(db, STAFF, FirmFilter(), "name", False, 3)["firms"],
            ),
            (
                "list, a consultant",
                lambda: caseload.firm_list(db, CONSULTANT, FirmFilter())["firms"],
            ),
            ("dashboard", lambda: dashboard.dashboard(db, STAFF, FirmFilter(), DIMS)["pipeline"]),
            ("override rates", lambda: override_rates(db, 1)["by_consultant"]),
            ("peer averages", lambda: peer_scores(db, "C", 20, 1)),
        ):
            times = []
            for _ in range(9):
                start = time.perf_counter()
                result = query()
                times.append(time.perf_counter() - start)
            median = statistics.median(times) * 1000
            count = len(result) if result is not None else 0
            print(f"{label:16} {count:4} items  median {median:6.1f} ms")
        db.conn.close()


if __name__ == "__main__":
    main()
