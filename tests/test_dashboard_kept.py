"""The dashboard's aggregates are kept a short, stated time per center and filter: a new row
shows at once, an edit within ``KEPT_SECONDS``, and one center never gets another's."""

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


def test_a_new_row_shows_at_once_an_edit_within_the_kept_time(app, monkeypatch):
    a = add_user(app, "staff@center-a.example", role="center_staff")
    b = add_user(app, "staff@center-b.example", center="센터 B", role="center_staff")
    db = connect(app.config["DATABASE"])
    clock = [1000.0]
    monkeypatch.setattr(dashboard.time, "monotonic", lambda: clock[0])
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
        # an edit of a row (the firm grows out of its size band): kept until the time passes
        with db.conn:
            db.execute("UPDATE firms SET employees = 50 WHERE id = ?", [first])
        assert total(a_staff, small) == 1
        clock[0] += dashboard.KEPT_SECONDS - 1
        assert total(a_staff, small) == 1
        clock[0] += 2
        assert total(a_staff, small) == 0
        # a new row: at once, within the kept time
        _firm(db, a["center_id"], a["id"], "라기업", 7)
        assert (total(a_staff), total(a_staff, small)) == (2, 1)
        assert total(b_staff) == 2
    finally:
        db.conn.close()


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
            values.append(dashboard.kept(db, ("test", "once"), compute))
        finally:
            db.conn.close()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computed) == 1 and values == [{"total": 1}] * 8
