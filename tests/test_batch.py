"""Batch printing on the task queue: one broken firm is reported and the others print; the
embedded SQLite queue with a real consumer (the command line's progress bar); a real Redis
with two consumer processes sharing one batch.

Every process here (consumers, redis-server) is started by the test and stopped by its PID.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from centers import business_number
from conftest import Browser, add_user
from firms import FIRMS, store_firm
from pypdf import PdfReader

from diagnose import create_app
from diagnose.roadmap import pdf as pdf_module
from diagnose.services import batch
from diagnose.storage import connect

ROOT = Path(__file__).parent.parent


def _firms(app, center: str = "센터 A") -> tuple[dict, list[int]]:
    """The four interviewed firms, diagnosed, in one center; its staff member."""
    staff = add_user(app, "staff@center-a.example", center=center, role="center_staff")
    db = connect(app.config["DATABASE"])
    try:
        ids = [
            store_firm(app, db, firm, staff["center_id"], staff["id"], business_number(200 + i))
            for i, firm in enumerate(FIRMS.values())
        ]
    finally:
        db.conn.close()
    return staff, ids


def _break(app, assessment_id: int) -> str:
    """Corrupt one stored answer of an assessment: its report cannot be built."""
    db = connect(app.config["DATABASE"])
    try:
        db.execute(
            "UPDATE answers SET value = '{not json' WHERE assessment_id = ? AND rowid = "
            "(SELECT MIN(rowid) FROM answers WHERE assessment_id = ?)",
            [assessment_id, assessment_id],
        )
        return db.execute(
            "SELECT f.name FROM firms f JOIN assessments a ON a.firm_id = f.id WHERE a.id = ?",
            [assessment_id],
        ).fetchone()[0]
    finally:
        db.conn.close()


def _firm_ids(app, assessment_ids):
    db = connect(app.config["DATABASE"])
    try:
        return [
            db.execute("SELECT firm_id FROM assessments WHERE id = ?", [a]).fetchone()[0]
            for a in assessment_ids
        ]
    finally:
        db.conn.close()


@pytest.mark.parametrize("file_format", ["zip", "pdf"])
def test_a_batch_with_one_broken_firm_prints_the_others(app, file_format):
    staff, ids = _firms(app)
    broken = _break(app, ids[1])
    browser = Browser(app)
    browser.login(staff["email"])
    firms = _firm_ids(app, ids[:3])
    started = browser.post_form(
        "/center/batches",
        {"firm": [str(f) for f in firms], "lang": "ko", "format": file_format},
        page="/firms",
    )
    assert started.status_code == 302
    page_url = started.headers["Location"]
    status = browser.get(page_url + "/status").json
    assert status["status"] == "done" and (status["done"], status["failed"]) == (2, 1)
    assert [f["firm"] for f in status["failures"]] == [broken]
    page = browser.get(page_url).get_data(as_text=True)
    assert broken in page and "인쇄하지 못한 보고서" in page
    download = browser.get(status["download_url"])
    assert download.status_code == 200
    if file_format == "zip":
        archive = zipfile.ZipFile(io.BytesIO(download.data))
        pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
        assert len(pdfs) == 2 and all(archive.read(n)[:4] == b"%PDF" for n in pdfs)
        assert broken in archive.read("failed.txt").decode()
        # erasing a firm's personal data takes its cached reports and the printed batches
        # that hold it along; the other firms' cached reports stay
        instance = Path(app.instance_path)
        before = set((instance / "reports").rglob("*.pdf"))
        assert len(before) == 2 and list((instance / "batches").glob("*.zip"))
        firm_id = _firm_ids(app, ids[:1])[0]
        number = _number(app, firm_id)
        erased = browser.post_form(
            f"/firms/{firm_id}/erase", {"confirm": number}, page=f"/firms/{firm_id}"
        )
        assert erased.status_code == 302
        assert len(set((instance / "reports").rglob("*.pdf"))) == 1
        assert not list((instance / "batches").glob("*.zip"))
    else:
        reader = PdfReader(io.BytesIO(download.data))
        assert [o.title for o in reader.outline if not isinstance(o, list)][:2] == [
            name for name in _names(app, ids[:3]) if name != broken
        ]


def _number(app, firm_id):
    db = connect(app.config["DATABASE"])
    try:
        return db.execute("SELECT business_number FROM firms WHERE id = ?", [firm_id]).fetchone()[0]
    finally:
        db.conn.close()


def _names(app, assessment_ids):
    db = connect(app.config["DATABASE"])
    try:
        return [
            db.execute(
                "SELECT f.name FROM firms f JOIN assessments a ON a.firm_id = f.id WHERE a.id = ?",
                [a],
            ).fetchone()[0]
            for a in assessment_ids
        ]
    finally:
        db.conn.close()


def _queued_app(tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "DEMO_DATA": False,
            "INSTANCE_PATH": str(tmp_path),
            "QUEUE_IMMEDIATE": False,
            **config,
        }
    )


def test_the_embedded_queue_prints_from_the_command_line_with_a_progress_bar(tmp_path):
    """Nothing but the SQLite file: the command starts a consumer, shows the progress and
    stops the consumer it started."""
    app = _queued_app(tmp_path)
    staff, ids = _firms(app)
    broken = _break(app, ids[0])
    out = tmp_path / "reports.zip"
    result = app.test_cli_runner().invoke(
        args=[
            "roadmap",
            "batch",
            "--center",
            str(staff["center_id"]),
            "-o",
            str(out),
            "--workers",
            "1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "batch 1" in result.output and "3 reports, 1 failed" in result.output
    assert broken in result.output
    with zipfile.ZipFile(out) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 3
    assert (tmp_path / "queue.sqlite3").exists()
    # the track filter: the reports are rendered by now, so the queue runs in this process
    # (the test mode) rather than in a second consumer that would find them all cached
    app = _queued_app(tmp_path, QUEUE_IMMEDIATE=True)
    only = tmp_path / "ax.pdf"
    db = connect(app.config["DATABASE"])
    tracks = [r[0] for r in db.execute("SELECT track FROM predictions")]
    db.conn.close()
    track = next(t for t in tracks if tracks.count(t) >= 1)
    result = app.test_cli_runner().invoke(
        args=[
            "roadmap",
            "batch",
            "--center",
            "센터 A",
            "--track",
            track,
            "-o",
            str(only),
            "--workers",
            "1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert len(PdfReader(only).outline) >= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _consumer(instance: Path, queue_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": str(instance),
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_QUEUE_URL": queue_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


@pytest.mark.skipif(
    not shutil.which("redis-server"), reason="redis-server is installed by setup.sh"
)
def test_redis_spreads_one_batch_over_two_consumer_processes(tmp_path):
    port = _free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    consumers: list[subprocess.Popen] = []
    try:
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        app = _queued_app(tmp_path, QUEUE_URL=url, BATCH_PARALLEL=4)
        staff, ids = _firms(app)
        logs = [tmp_path / f"consumer-{i}.log" for i in range(2)]
        consumers = [_consumer(tmp_path, url, log) for log in logs]
        db = connect(app.config["DATABASE"])
        try:
            # four renders: each consumer renders one report at a time, so both take part
            batch_id = batch.create_batch(db, None, ids, "ko", "zip", center_id=staff["center_id"])
            with app.app_context():
                batch.enqueue_batch(batch_id, len(ids))
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                state = batch.progress(db, batch_id)["status"]
                if state in ("done", "failed"):
                    break
                time.sleep(0.3)
            assert state == "done", state
            assert len(ids) == 4 and batch.progress(db, batch_id)["done"] == 4
            # both consumer processes rendered some of the reports
            rendered = [log.read_text().count("rendered report") for log in logs]
            assert all(n >= 1 for n in rendered), rendered
            assert sum(rendered) == 4
        finally:
            db.conn.close()
    finally:
        for process in consumers:
            process.send_signal(signal.SIGTERM)
        for process in consumers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        redis.terminate()
        redis.wait(timeout=10)
        pdf_module._close_sandboxes()


def test_a_report_lost_with_its_consumer_is_taken_up_again(app):
    """A consumer killed mid-render leaves its report 'rendering': once that is older than
    any render may take, the page's next poll starts the batch's chain again."""
    staff, ids = _firms(app)
    db = connect(app.config["DATABASE"])
    try:
        from types import SimpleNamespace

        user = SimpleNamespace(**staff, home_center_id=staff["center_id"], role="center_staff")
        batch_id = batch.create_batch(db, user, ids[:1], "ko", "zip")
        db.execute(
            "UPDATE batch_items SET status = 'rendering', started_at = '2026-01-01T00:00:00+00:00'"
        )
        assert batch.stalled(db, app.config, batch_id)
    finally:
        db.conn.close()
    browser = Browser(app)
    browser.login(staff["email"])
    state = browser.get(f"/center/batches/{batch_id}/status").json
    again = browser.get(f"/center/batches/{batch_id}/status").json
    assert "done" in (state["status"], again["status"]) and again["done"] == 1
