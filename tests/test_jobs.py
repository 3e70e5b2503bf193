"""The task queue and the render child: reports are rendered only there, within a time and
memory limit, by a real huey consumer on the embedded SQLite queue; no process is ever left
behind; a full queue or a slow render answers 503 in the user's language.

Processes started here are started by these tests and stopped by their PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pdfcheck
import pytest
from firms import FIRMS, store_firm

from diagnose import create_app
from diagnose.auth import create_center, create_user
from diagnose.business_number import check_digit
from diagnose.roadmap import pdf as pdf_module
from diagnose.roadmap.pdf import RenderError, RenderSandbox
from diagnose.services import reports
from diagnose.storage import connect

ROOT = Path(__file__).parent.parent
SMALL = "<html lang='ko'><body><p>작은 보고서</p></body></html>"
LONG = (
    "<html lang='ko'><body>"
    + "<p>가나다라 마바사 아자차카 타파하 0123</p>" * 4000
    + "</body></html>"
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _wait(predicate, seconds: float = 20.0, step: float = 0.1) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_a_render_over_its_time_is_killed_and_the_next_one_works():
    sandbox = RenderSandbox(timeout=1.0, memory_mb=1024)
    try:
        assert sandbox.render(SMALL)[:4] == b"%PDF"
        first = sandbox.pid
        started = time.monotonic()
        with pytest.raises(RenderError, match="longer than"):
            sandbox.render(LONG)
        assert time.monotonic() - started < 3
        assert not _alive(first)  # killed, not left running
        assert sandbox.render(SMALL)[:4] == b"%PDF" and sandbox.pid != first
    finally:
        sandbox.close()


def test_the_render_child_has_a_memory_cap_and_a_crash_is_an_error():
    sandbox = RenderSandbox(timeout=30, memory_mb=900)
    try:
        assert sandbox.render(SMALL)[:4] == b"%PDF"
        limits = Path(f"/proc/{sandbox.pid}/limits").read_text()
        line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
        assert line.split()[3] == str(900 * 1024 * 1024)
        # A child that dies mid-render (out of memory, killed) is an error, then a new child.
        victim = sandbox.pid
        timer = threading.Timer(0.5, os.kill, [victim, signal.SIGKILL])
        timer.start()
        with pytest.raises(RenderError, match="ended"):
            sandbox.render(LONG)
        timer.join()
        assert sandbox.render(SMALL)[:4] == b"%PDF" and sandbox.pid != victim
    finally:
        sandbox.close()


def test_the_render_child_dies_with_its_parent(tmp_path):
    """A killed web or queue worker leaves no renderer running (PR_SET_PDEATHSIG)."""
    script = (
        "import sys, time\n"
        "from diagnose.roadmap.pdf import RenderSandbox\n"
        "s = RenderSandbox(); s.start(); print(s.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()
        parent.wait()
        assert _wait(lambda: not _alive(child), 5), "the render child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()


def _firm(app) -> int:
    db = connect(app.config["DATABASE"])
    try:
        center_id = create_center(db, "센터 Q", "gyeongnam")
        user_id = create_user(db, center_id, "q@center.test", "큐 주치의", "correct horse battery")
        first = "61081" + "4321"
        return store_firm(
            app, db, FIRMS["logistics"], center_id, user_id, first + str(check_digit(first))
        )
    finally:
        db.conn.close()


def _queued_app(tmp_path, **config):
    settings = {
        "TESTING": True,
        "DEMO_DATA": False,
        "INSTANCE_PATH": str(tmp_path),
        "QUEUE_IMMEDIATE": False,
        "RENDER_WAIT": 0.3,
        **config,
    }
    return create_app(settings)


def test_a_full_queue_or_a_slow_render_answers_503_in_the_users_language(tmp_path):
    """No consumer runs: the first download waits briefly and asks to reload; once the queue
    holds its limit, downloads are refused until it clears. Nothing is rendered here."""
    app = _queued_app(tmp_path, RENDER_QUEUE_LIMIT=1)
    assessment_id = _firm(app)
    from conftest import Browser

    browser = Browser(app)
    browser.login("q@center.test", "correct horse battery")
    url = f"/assessments/{assessment_id}/roadmap.pdf"
    waiting = browser.get(url)
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "5"
    assert "보고서를 만들고 있습니다" in waiting.get_data(as_text=True)
    assert app.extensions["queue"].pending_count() == 1
    full = browser.get(url + "?lang=en")
    assert full.status_code == 503 and full.headers["Retry-After"] == "60"
    assert "Many reports are being prepared" in full.get_data(as_text=True)
    assert not list((tmp_path / "reports").glob("*/*.pdf"))  # the web process rendered nothing
    app.extensions["queue"].flush()


def test_a_report_purged_between_its_render_and_its_read_is_asked_for_again(tmp_path, monkeypatch):
    """The purge (or an erasure) may remove a cached report after the download found it and
    before the file is read: the download asks for it again, and answers "being prepared"
    rather than a 500 if it is gone once more. (Seen under load: bench/load.py, whose sweeper
    empties the cache as the purge does.)"""
    app = _queued_app(tmp_path, QUEUE_IMMEDIATE=True)  # renders inline, in a render child
    assessment_id = _firm(app)
    from conftest import Browser

    browser = Browser(app)
    browser.login("q@center.test", "correct horse battery")
    url = f"/assessments/{assessment_id}/roadmap.pdf"
    real = reports.report_pdf
    purged = []

    def purged_after_render(record, lang, wait=None):
        path = real(record, lang, wait)
        if len(purged) < times:
            path.unlink()  # what the purge does to a file it finds stale
            purged.append(path)
        return path

    monkeypatch.setattr(reports, "report_pdf", purged_after_render)
    times = 1
    once = browser.get(url)
    assert once.status_code == 200 and once.data.startswith(b"%PDF")
    assert len(purged) == 1
    times = 3
    always = browser.get(url + "?lang=en")
    assert always.status_code == 503 and always.headers["Retry-After"] == "5"
    assert "being prepared" in always.get_data(as_text=True)


def _consumer(instance: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": str(instance),
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_QUEUE_IMMEDIATE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", "1", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_consumer_renders_downloads_and_submissions_and_the_web_never_does(tmp_path, monkeypatch):
    app = _queued_app(tmp_path, RENDER_WAIT=20)
    assessment_id = _firm(app)
    consumer = _consumer(tmp_path)
    try:
        # The web process never lays a report out: any attempt here would fail the test.
        monkeypatch.setattr(RenderSandbox, "render", lambda *_a: pytest.fail("rendered on web"))
        from conftest import Browser

        browser = Browser(app)
        browser.login("q@center.test", "correct horse battery")
        url = f"/assessments/{assessment_id}/roadmap.pdf"
        first = browser.get(url)  # not cached: the consumer renders it while the request waits
        assert first.status_code == 200 and first.data[:4] == b"%PDF"
        assert (tmp_path / "queue.sqlite3").exists()  # the embedded queue
        with app.test_request_context():
            reports.enqueue_report(assessment_id)  # as after a submission: both languages
        folder = tmp_path / "reports"
        assert _wait(lambda: len(list(folder.glob("*/*.pdf"))) == 2, 60), "no English report"
        started = time.monotonic()
        again = browser.get(url + "?lang=en")
        assert time.monotonic() - started < 2  # a cached file, not a render
        assert again.status_code == 200 and again.data[:4] == b"%PDF"
        english = "".join(pdfcheck.pages_text(again.data))
        assert "What to do next" in english and "다음에 할 일" not in english
        assert "다음에 할 일" in "".join(pdfcheck.pages_text(first.data))  # Korean first
        renderers = _children(consumer.pid)
        assert renderers, "the consumer renders in a child of its own"
        consumer.kill()  # a consumer killed outright takes its render child with it
        consumer.wait()
        assert _wait(lambda: not any(_alive(p) for p in renderers), 5)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_serve_command_starts_a_consumer_and_leaves_nothing_behind(tmp_path):
    """``run.py`` (what ``setup.sh serve`` runs) starts the consumer; stopping it stops the
    consumer, and killing it outright still leaves no consumer or renderer running."""
    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": str(tmp_path),
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_PORT": str(_free_port()),
    }
    for how in (signal.SIGTERM, signal.SIGKILL):
        server = subprocess.Popen(
            [sys.executable, "run.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            pid = server.pid
            assert _wait(lambda pid=pid: _children(pid), 30), "no consumer started"
            consumer = _children(pid)[0]
            assert _wait(lambda c=consumer: _children(c), 30), "the consumer has no renderer"
            family = [consumer, *_children(consumer)]
            server.send_signal(how)
            server.wait(timeout=20)
            assert _wait(lambda f=family: not any(_alive(p) for p in f), 10), (
                how,
                [(p, Path(f"/proc/{p}/stat").read_text()[:80]) for p in family if _alive(p)],
            )
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


@pytest.fixture(autouse=True)
def _no_stray_sandboxes():
    yield
    pdf_module._close_sandboxes()
