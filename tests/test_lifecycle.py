"""The data's life: backup while writing and restore, purge, erasure on request, audit log."""

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Browser, add_user, register_firm
from test_api import _payload, _token

from diagnose.auth import create_user
from diagnose.services import lifecycle
from diagnose.storage import connect


def _db(app):
    return connect(app.config["DATABASE"])


def test_a_backup_taken_while_writing_restores_whole(app, runner, tmp_path):
    token = _token(app)
    client = app.test_client()
    assert (
        client.post(
            "/api/v1/assessments", json=_payload(app), headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 201
    )
    stop = threading.Event()
    written = []

    def keep_writing():
        db = _db(app)
        n = 0
        while not stop.is_set() and n < 2000:
            with db.conn:
                db.execute(
                    "INSERT INTO login_sessions (user_id, token_hash, created_at) "
                    "VALUES (1, ?, 'x')",
                    [f"load-{n}"],
                )
            n += 1
            written.append(n)
        db.conn.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    time.sleep(0.05)
    target = tmp_path / "backup.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output and written
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    copied = sqlite3.connect(target).execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0]
    assert 0 < copied <= len(written) + 1

    # Restore over a damaged database: the app starts on it with the firm and diagnosis back.
    database = Path(app.config["DATABASE"])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"not a database")
    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert lifecycle.check_integrity(database) == "ok"
    db = _db(app)
    assert db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0] == copied


def test_a_damaged_backup_is_not_restored(runner, tmp_path, app):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert _db(app).execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] > 0


def test_purge_deletes_what_retention_no_longer_keeps(make_app):
    app = make_app(RETAIN_LOGIN_SESSIONS_DAYS=30, RETAIN_REPORT_FILES_DAYS=14)
    user = add_user(app)
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat(timespec="seconds")
    db = _db(app)
    with db.conn:
        db.execute(
            "INSERT INTO login_sessions (user_id, token_hash, created_at, ended_at) "
            "VALUES (?, 'old', ?, ?)",
            [user["id"], old, old],
        )
    Browser(app).login(user["email"])  # a current session stays
    reports = Path(app.instance_path) / "reports"
    reports.mkdir(exist_ok=True)
    stale, fresh = reports / "stale.pdf", reports / "fresh.pdf"
    stale.write_bytes(b"%PDF")
    fresh.write_bytes(b"%PDF")
    month_ago = time.time() - 30 * 86400
    os.utime(stale, (month_ago, month_ago))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "would delete 1 login sessions" in dry.output and stale.exists()
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0 and "deleted 1 report files" in done.output
    assert not stale.exists() and fresh.exists()
    assert db.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0] == 1


def _admin(app, center="센터 A"):
    db = _db(app)
    try:
        center_id = db.execute("SELECT id FROM centers WHERE name = ?", [center]).fetchone()[0]
        with db.conn:
            create_user(
                db, center_id, "admin@center-a.example", "관리자", "pw-admin-1234", "center_admin"
            )
    finally:
        db.conn.close()
    browser = Browser(app)
    browser.login("admin@center-a.example", "pw-admin-1234")
    return browser


def test_erasure_on_request_keeps_only_anonymised_statistics(consultant, app):
    from answering import all_answers

    q = app.extensions["questionnaires"].current
    firm_id = register_firm(consultant)
    assessment = int(
        consultant.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
        .headers["Location"]
        .split("/")[-2]
    )
    pages = all_answers(q)
    text_item = next(
        i for i in q.items() if i.type == "text" and i.id in {k for p in pages.values() for k in p}
    )
    for dimension_id, data in pages.items():
        data = dict(data)
        data[f"{text_item.id}__note"] = "김담당 010-1234-5678" if text_item.id in data else ""
        consultant.post_form(
            f"/assessments/{assessment}/{dimension_id}", {**data, "action": "next"}
        )
    assert (
        consultant.post_form(f"/assessments/{assessment}/review", {"confirm": "y"}).status_code
        == 302
    )

    refused = consultant.post_form(
        f"/firms/{firm_id}/erase", {"confirm": "2208162517"}, page=f"/firms/{firm_id}"
    )
    assert refused.status_code == 403  # a consultant cannot; the center's admin can
    admin = _admin(app)
    wrong = admin.post_form(
        f"/firms/{firm_id}/erase", {"confirm": "nope"}, page=f"/firms/{firm_id}"
    )
    assert (
        wrong.status_code == 302
        and _db(app).execute("SELECT erased_at FROM firms").fetchone()[0] is None
    )
    done = admin.post_form(
        f"/firms/{firm_id}/erase", {"confirm": "2208162517"}, page=f"/firms/{firm_id}"
    )
    assert done.status_code == 302

    db = _db(app)
    dump = "\n".join(db.conn.iterdump())
    for personal in (
        "테스트정밀",
        "2208162517",
        "김담당",
        "02-123-4567",
        "010-1234-5678",
        "생산 라인의 불량 판정",
    ):
        assert personal not in dump, personal
    firm = next(db.query("SELECT * FROM firms WHERE id = ?", [firm_id]))
    assert firm["industry"] == "C" and firm["employees"] == 35 and firm["erased_at"]
    assert db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 1  # scores stay


def test_the_audit_log_is_append_only_and_shown_to_its_centers_staff(consultant, app):
    firm_id = register_firm(consultant)
    consultant.get(f"/firms/{firm_id}")
    db = _db(app)
    actions = [
        tuple(r)
        for r in db.execute("SELECT action, target, target_id, user_id FROM audit_log ORDER BY id")
    ]
    assert ("create", "firm", firm_id, consultant.user["id"]) in actions
    assert ("view", "firm", firm_id, consultant.user["id"]) in actions
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET user_id = NULL")

    assert consultant.get("/center/audit").status_code == 403
    page = _admin(app).get("/center/audit").get_data(as_text=True)
    assert "홍길동" in page and f"/firms/{firm_id}" in page
    outsider = add_user(app, "b@center-b.example", center="센터 B", name="임꺽정")
    other = Browser(app)
    other.login(outsider["email"])
    db2 = _db(app)
    with db2.conn:
        db2.execute("UPDATE users SET role = 'center_staff' WHERE id = ?", [outsider["id"]])
    theirs = other.get("/center/audit").get_data(as_text=True)
    assert "홍길동" not in theirs and f"/firms/{firm_id}" not in theirs
