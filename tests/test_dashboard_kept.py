"""The dashboard's aggregates are kept in the database, shared by every worker, per center and
filter: any change the center's version sees (a new firm, an edited one, a decision) shows at
once, what it does not see within ``KEPT_SECONDS``; one center never gets another's; the
kept rows are bounded."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import add_user

from diagnose.records.firms import FirmFilter
from diagnose.services import dashboard
from diagnose.storage import connect

STAMP = "2026-01-05T10:00:00+00:00"


def _firm(db, center_id: int, user_id: int, name: str, employees: int) -> int:
    with db.conn:
        return db.execute(
            "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
            "revenue_band, contact_name, created_by, created_at, updated_at) "
            "VALUES (?, ?, ?, 'seoul', 'C', ?, 'b', 'n', ?, ?, ?)",
            [center_id, name, f"9{center_id}{name.__hash__() % 10**8:08d}", employees, user_id]
            + [STAMP, STAMP],
        ).lastrowid


def _staff(person: dict) -> SimpleNamespace:
    return SimpleNamespace(
        id=person["id"],
        center_id=person["center_id"],
        home_center_id=person["center_id"],
        role="center_staff",
    )


def test_a_change_shows_at_once_an_unseen_edit_within_the_kept_time(app, monkeypatch):
    a = add_user(app, "staff@center-a.example", role="center_staff")
    b = add_user(app, "staff@center-b.example", center="센터 B", role="center_staff")
    db = connect(app.config["DATABASE"])
    clock = [1000.0]
    monkeypatch.setattr(dashboard.time, "time", lambda: clock[0])
    try:
        first = _firm(db, a["center_id"], a["id"], "가기업", 5)
        _firm(db, b["center_id"], b["id"], "나기업", 5)
        _firm(db, b["center_id"], b["id"], "다기업", 5)
        a_staff, b_staff = _staff(a), _staff(b)
        small = FirmFilter(size="1_9")

        def total(user, filters=None):
            return dashboard.dashboard(db, user, filters or FirmFilter(), [])["total"]

        assert (total(a_staff), total(b_staff)) == (1, 2)  # each center its own
        assert (total(a_staff, small), total(b_staff, small)) == (1, 2)
        assert db.execute("SELECT COUNT(*) FROM dashboard_kept").fetchone()[0] == 4
        # an edit of a row (the firm grows out of its size band): at once
        with db.conn:
            db.execute("UPDATE firms SET employees = 50 WHERE id = ?", [first])
        assert total(a_staff, small) == 0
        assert total(b_staff, small) == 2  # the other center's figures stay kept
        # a new row: at once
        _firm(db, a["center_id"], a["id"], "라기업", 7)
        assert (total(a_staff), total(a_staff, small)) == (2, 1)
        # what the version does not see (a row written behind the triggers' back, as an
        # edit of a table the figures do not count would be): kept until the time passes
        with db.conn:
            db.execute("DROP TRIGGER center_versions_firm_update")
            db.execute("UPDATE firms SET employees = 5 WHERE id = ?", [first])
        assert total(a_staff, small) == 1
        clock[0] += dashboard.KEPT_SECONDS - 1
        assert total(a_staff, small) == 1
        clock[0] += 2
        assert total(a_staff, small) == 2
    finally:
        db.conn.close()


def test_an_autosave_leaves_the_version_and_a_decision_raises_it(app, db):
    """The version moves with what the figures count, not with every write: fifty staff
    would otherwise recompute on every autosave."""
    from test_exports import _fill

    staff = add_user(app, "staff@a.example", role="center_staff")
    _fill(db, staff["center_id"], staff["id"], ["가기업"])
    assessment = db.execute("SELECT id FROM assessments").fetchone()[0]
    with db.conn:
        db.execute(
            "INSERT INTO answers (assessment_id, item_id, value, note, updated_at) "
            "VALUES (?, 'item', '1', '', ?)",
            [assessment, STAMP],
        )
    before = dashboard.center_version(db, staff["center_id"])
    with db.conn:  # what an autosave writes: an answer's note, the draft's time
        db.execute(
            "UPDATE assessments SET updated_at = '2027-01-01T00:00:00+00:00' WHERE id = ?",
            [assessment],
        )
        db.execute("UPDATE answers SET note = 'x' WHERE assessment_id = ?", [assessment])
    assert dashboard.center_version(db, staff["center_id"]) == before
    prediction = db.execute("SELECT id FROM predictions").fetchone()[0]
    with db.conn:
        db.execute(
            "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, final_track, "
            "action, decided_by, decided_at) VALUES (?, ?, 'ax', 'ax', 'confirm', ?, ?)",
            [assessment, prediction, staff["id"], STAMP],
        )
    assert dashboard.center_version(db, staff["center_id"]) > before


def test_the_kept_rows_are_bounded(app, db, monkeypatch):
    monkeypatch.setattr(dashboard, "KEPT_MAX", 5)
    for n in range(12):
        assert dashboard.kept(db, 1, ["test", n], lambda n=n: {"n": n}) == {"n": n}
    rows = [r[0] for r in db.execute("SELECT key FROM dashboard_kept ORDER BY made_at, key")]
    assert len(rows) == 5 and '"test", 11' in rows[-1]


def test_threads_asking_for_the_same_figures_at_once_compute_them_once(app):
    """Eight threads of a worker missing the same key wait for one computation."""
    import threading
    import time

    db_path = app.config["DATABASE"]
    computed, values = [], []

    def compute():
        computed.append(1)
        time.sleep(0.2)
        return {"total": 1}

    def ask():
        db = connect(db_path)
        try:
            values.append(dashboard.kept(db, 1, ["test", "once"], compute))
        finally:
            db.conn.close()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computed) == 1 and values == [{"total": 1}] * 8


def test_an_erased_firm_leaves_the_kept_figures_at_once(app, db):
    """The kept overrides name firms (and the kept suggestions their contacts): an erasure
    drops the center's kept rows, not only their use."""
    from test_exports import _fill

    a = add_user(app, "staff@a.example", role="center_staff")
    b = add_user(app, "staff@b.example", center="센터 B", role="center_staff")
    _fill(db, a["center_id"], a["id"], ["지울기업", "남을기업"])
    _fill(db, b["center_id"], b["id"], ["다른기업"], 10)
    for person in (a, b):
        data = dashboard.dashboard(db, _staff(person), FirmFilter(), [])
        assert data["overrides"]["ax"]["reasons"]
    kept = db.execute("SELECT value FROM dashboard_kept WHERE center_id = ?", [a["center_id"]])
    assert "지울기업" in kept.fetchone()[0]
    with db.conn:
        db.execute(
            "UPDATE firms SET erased_at = ?, name = '(삭제됨)' WHERE name = '지울기업'", [STAMP]
        )
    centers = [r[0] for r in db.execute("SELECT center_id FROM dashboard_kept")]
    assert centers == [b["center_id"]]
