"""Each firm's latest state (``firm_latest``, kept by triggers) stays what a recount says,
whatever happens to its assessments, predictions, decisions, training and requests."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.storage import connect, migrate

FIRMS = 4
TRACKS = ("beginner", "ax", "shared_center")

operation = st.one_of(
    st.tuples(st.just("start"), st.integers(1, FIRMS), st.sampled_from(["consultant", "self"])),
    st.tuples(st.just("save"), st.integers(0, 30)),
    st.tuples(st.just("submit"), st.integers(0, 30)),
    st.tuples(st.just("predict"), st.integers(0, 30), st.sampled_from(TRACKS)),
    st.tuples(st.just("decide"), st.integers(0, 30), st.sampled_from(TRACKS)),
    st.tuples(st.just("move"), st.integers(1, FIRMS), st.integers(1, FIRMS)),
    st.tuples(st.just("train"), st.integers(1, FIRMS), st.integers(1, 28)),
    st.tuples(st.just("untrain"), st.integers(0, 30)),
    st.tuples(st.just("request"), st.integers(0, 30)),
    st.tuples(st.just("close"), st.integers(0, 30)),
    st.tuples(st.just("tick"), st.booleans()),
)


def _fresh(path):
    db = connect(path)
    migrate(db)
    db.execute("INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', 'x')")
    db.execute(
        "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
        "VALUES (1, 'a@b.c', 'n', 'x', 'consultant', 'x')"
    )
    db.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
    for firm in range(1, FIRMS + 1):
        db.execute(
            "INSERT INTO firms (id, center_id, name, business_number, region, industry, "
            "employees, revenue_band, contact_name, created_at, updated_at) "
            "VALUES (?, 1, ?, ?, 'seoul', 'C', 20, 'b', 'n', 'x', 'x')",
            [firm, f"f{firm}", str(firm)],
        )
    return db


def _pick(db, sql: str, n: int, params=()):
    rows = db.execute(sql, params).fetchall()
    return rows[n % len(rows)][0] if rows else None


def _apply(db, op, clock: list[int]) -> None:
    stamp = f"2026-01-01T00:00:{clock[0]:02d}+00:00"
    kind = op[0]
    if kind == "tick":
        clock[0] += 1 if op[1] else 0
    elif kind == "start":
        db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, source, created_at, updated_at) "
            "VALUES (?, 1, 1, 'q', 1, ?, ?, ?)",
            [op[1], op[2], stamp, stamp],
        )
    elif kind in ("save", "submit"):
        draft = _pick(db, "SELECT id FROM assessments WHERE status = 'draft' ORDER BY id", op[1])
        if draft and kind == "save":
            db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [stamp, draft])
        elif draft:
            db.execute(
                "UPDATE assessments SET status = 'submitted', submitted_at = ?, updated_at = ? "
                "WHERE id = ?",
                [stamp, stamp, draft],
            )
    elif kind == "predict":
        done = _pick(db, "SELECT id FROM assessments WHERE status = 'submitted'", op[1])
        if done:
            db.execute(
                "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
                "explanation, scores, readiness, created_at) VALUES (?, 'm', ?, '{}', '{}', "
                "'{}', ?, ?)",
                [done, op[2], float(op[1]), stamp],
            )
    elif kind == "decide":
        predicted = db.execute(
            "SELECT assessment_id, id, track FROM predictions ORDER BY id"
        ).fetchall()
        if predicted:
            assessment, prediction, track = predicted[op[1] % len(predicted)]
            db.execute(
                "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, "
                "final_track, action, reason, decided_by, decided_at) "
                "VALUES (?, ?, ?, ?, ?, 'r', 1, ?)",
                [
                    assessment,
                    prediction,
                    track,
                    op[2],
                    "confirm" if track == op[2] else "override",
                    stamp,
                ],
            )
    elif kind == "move":
        db.execute("UPDATE assessments SET firm_id = ? WHERE firm_id = ?", [op[2], op[1]])
        db.execute("UPDATE consultant_requests SET firm_id = ? WHERE firm_id = ?", [op[2], op[1]])
    elif kind == "train":
        db.execute(
            "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
            "hours, created_at) VALUES (?, 1, 'm', 't', ?, 8, 'x')",
            [op[1], f"2026-01-{op[2]:02d}"],
        )
    elif kind == "untrain":
        record = _pick(db, "SELECT id FROM training_records ORDER BY id", op[1])
        if record:
            db.execute("DELETE FROM training_records WHERE id = ?", [record])
    elif kind == "request":
        done = db.execute(
            "SELECT id, firm_id FROM assessments WHERE id NOT IN (SELECT assessment_id FROM "
            "consultant_requests WHERE status != 'closed') ORDER BY id"
        ).fetchall()
        if done:
            assessment, firm = done[op[1] % len(done)]
            db.execute(
                "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, "
                "contact_name, consent_at, created_at) VALUES (1, ?, ?, 'n', 'x', 'x')",
                [firm, assessment],
            )
    elif kind == "close":
        request = _pick(db, "SELECT id FROM consultant_requests ORDER BY id", op[1])
        if request:
            db.execute("UPDATE consultant_requests SET status = 'closed' WHERE id = ?", [request])


def _recount(db, firm: int) -> dict:
    """What firm_latest should say, counted in Python from the rows themselves."""
    rows = db.execute(
        "SELECT id, status, updated_at, submitted_at, source FROM assessments WHERE firm_id = ?",
        [firm],
    ).fetchall()
    drafts = [r for r in rows if r[1] == "draft"]
    done = [r for r in rows if r[1] == "submitted"]
    latest = max(done, key=lambda r: (r[3], r[0])) if done else None
    track = readiness = None
    if latest:
        decided = db.execute(
            "SELECT final_track FROM decisions WHERE assessment_id = ? ORDER BY id DESC",
            [latest[0]],
        ).fetchone()
        predicted = db.execute(
            "SELECT track, readiness FROM predictions WHERE assessment_id = ? ORDER BY id DESC",
            [latest[0]],
        ).fetchone()
        track = decided[0] if decided else predicted[0] if predicted else None
        readiness = predicted[1] if predicted else None
    started = [
        r[0]
        for r in db.execute("SELECT started_on FROM training_records WHERE firm_id = ?", [firm])
    ]
    open_requests = db.execute(
        "SELECT COUNT(*) FROM consultant_requests WHERE firm_id = ? AND status = 'new'", [firm]
    ).fetchone()[0]
    return {
        "draft_id": max(drafts, key=lambda r: (r[2], r[0]))[0] if drafts else None,
        "diagnosed_id": latest[0] if latest else None,
        "diagnosed_at": latest[3] if latest else None,
        "track": track,
        "readiness": readiness,
        "last_activity": max((r[3] or r[2] for r in rows), default=None),
        "submitted": len(done),
        "by_consultant": sum(r[4] != "self" for r in done),
        "requested": int(open_requests > 0),
        "training_started": max(started, default=None),
    }


def _kept(db, firm: int) -> dict:
    keys = list(_recount(db, firm))
    row = db.execute(f"SELECT {', '.join(keys)} FROM firm_latest WHERE firm_id = ?", [firm])
    values = row.fetchone()
    if values is None:  # a firm never worked on has no row: the list reads NULLs and zeros
        values = (None,) * 6 + (0, 0, 0, None)
    return dict(zip(keys, values, strict=True))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operation, min_size=1, max_size=60))
def test_firm_latest_always_equals_a_recount(tmp_path_factory, operations):
    db = _fresh(tmp_path_factory.mktemp("latest") / "db.sqlite3")
    clock = [0]
    for op in operations:
        _apply(db, op, clock)
    for firm in range(1, FIRMS + 1):
        assert _kept(db, firm) == _recount(db, firm), (firm, operations)
    db.conn.close()


def test_the_migration_fills_firm_latest_for_existing_data(tmp_path):
    """A database that had assessments before migration 37 gets its rows computed."""
    from diagnose.storage import MIGRATIONS

    db = connect(tmp_path / "old.sqlite3")
    migrate(db, [m for m in MIGRATIONS if m[0] < 37])
    db.execute("INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', 'x')")
    db.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
    db.execute(
        "INSERT INTO firms (id, center_id, name, business_number, region, industry, "
        "employees, revenue_band, contact_name, created_at, updated_at) "
        "VALUES (1, 1, 'f', '1', 'seoul', 'C', 20, 'b', 'n', 'x', 'x')"
    )
    for n, status in enumerate(("submitted", "submitted", "draft")):
        db.execute(
            "INSERT INTO assessments (firm_id, center_id, questionnaire_id, questionnaire_version,"
            " status, created_at, updated_at, submitted_at) VALUES (1, 1, 'q', 1, ?, ?, ?, ?)",
            [status, f"t{n}", f"t{n}", f"t{n}" if status == "submitted" else None],
        )
    db.execute(
        "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
        "explanation, scores, readiness, created_at) "
        "VALUES (2, 'm', 'ax', '{}', '{}', '{}', 61.5, 'x')"
    )
    migrate(db)
    assert _kept(db, 1) == _recount(db, 1)
    assert _kept(db, 1)["track"] == "ax" and _kept(db, 1)["submitted"] == 2
