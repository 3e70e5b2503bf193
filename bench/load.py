"""Autosave under load: concurrent interviews against gunicorn on loopback, with a backup.

    .venv/bin/python bench/load.py [--savers 20] [--seconds 30] [--workers 2] [--renders 0]
                                   [--pace 0.8]

Starts the app under gunicorn on 127.0.0.1 (a free port, a fresh instance folder under /tmp
with the demo center), logs ``--savers`` consultants in, each with a draft of its own, and has
each save a changing note in the background as the interview page does, for ``--seconds``:
``--pace`` seconds after each answer (0.8 s, the page's own wait after a keystroke: a person
typing without pause; ``--pace 0.05`` is a stress test that saturates the server).
Halfway it takes a backup with ``flask backup`` while the saves go on. ``--renders N`` starts a
queue consumer (``python -m diagnose.jobs``, as in production) and keeps N roadmap-PDF
downloads under way through the normal PDF address the whole time; each download
waits for its PDF as a browser does (reloading the "being prepared" page), while the report
cache is emptied every few seconds so that renders stay under way.

Prints: saves acknowledged, answers lost (an acknowledged save the database does not hold at
the end), 5xx answers, save latency p50/p99 (all, and after the first seconds of a freshly
started server), the slowest saves with when they came, peak memory of all app processes
(gunicorn and its children, summed), and the backup's PRAGMA integrity_check once restored.
Loopback only; bounded in count (``--max-saves``) and time; it stops the server it started,
by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SECRET = "bench-" + "0123456789abcdef" * 4
WARM_UP = 3.0  # seconds after the start whose saves count only in the overall figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Client:
    """One browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        body = urlencode(form, doseq=True) if form is not None else None
        sent = {"Cookie": self.cookie, **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data

    def csrf(self, path: str) -> str:
        _status, page = self.request("GET", path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1).decode()

    def login(self, email: str, password: str) -> None:
        token = self.csrf("/login")
        status, _ = self.request(
            "POST", "/login", {"email": email, "password": password, "csrf_token": token}
        )
        if status != 302:
            raise RuntimeError(f"login failed: {status}")


def seed(instance: Path, env: dict, savers: int) -> tuple[str, str, list[int], list[int], str]:
    """The demo center, plus one draft per saver; returns the login, drafts and reports."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from diagnose import create_app
    from diagnose.business_number import check_digit
    from diagnose.records.assessments import start_assessment
    from diagnose.records.firms import create_firm
    from diagnose.storage import connect

    logging.disable(logging.INFO)  # the seeding's log lines are not the figures
    app = create_app()
    email, password = (instance / "demo-login.txt").read_text().split()
    db = connect(app.config["DATABASE"])
    questionnaire = app.extensions["questionnaires"].current
    center_id, user_id = db.execute("SELECT center_id, id FROM users LIMIT 1").fetchone()
    drafts = []
    for n in range(savers):
        first = f"{700 + n:03d}81{20000 + n:05d}"[:9]
        profile = {
            "company_name": f"부하시험{n}",
            "business_number": first + str(check_digit(first)),
            "region": "gyeongnam",
            "industry": "C",
            "employees": "20",
            "revenue_band": "1b_5b",
            "contact_name": "담당",
        }
        firm_id = create_firm(db, center_id, user_id, profile)
        firm = next(db.query("SELECT * FROM firms WHERE id = ?", [firm_id]))
        drafts.append(start_assessment(db, firm, user_id, questionnaire)[0])
    reports = [r[0] for r in db.execute("SELECT id FROM assessments WHERE status = 'submitted'")]
    step = questionnaire.dimensions[0]
    item = step.items[0].id
    db.conn.close()
    return email, password, drafts, reports, f"{step.id}:{item}"


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        except (OSError, AttributeError):
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--savers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="per worker, as in production")
    parser.add_argument("--renders", type=int, default=0, help="PDF downloads kept under way")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.8,
        help="seconds a saver waits after each answer (0.8: the page's own autosave delay)",
    )
    parser.add_argument("--max-saves", type=int, default=200_000, help="a bound on all saves")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 300)

    instance = Path(tempfile.mkdtemp(prefix="diagnose-load-"))
    port = free_port()
    env = {
        "DIAGNOSE_INSTANCE_PATH": str(instance),
        "DIAGNOSE_SECRET_KEY": SECRET,
        "DIAGNOSE_DEMO_DATA": "1",
        "DIAGNOSE_BASE_URL": f"http://{HOST}:{port}",
    }
    email, password, drafts, reports, target = seed(instance, env, args.savers)
    step, item = target.split(":")
    log = open(instance / "gunicorn.log", "w")  # noqa: SIM115 (closed after the server stops)
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-b",
            f"{HOST}:{port}",
            "--logger-class",
            "diagnose.logs.GunicornLogger",
            "diagnose:create_app()",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    consumer = (
        subprocess.Popen(
            [sys.executable, "-m", "diagnose.jobs", "--workers", str(args.workers)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        if args.renders
        else None
    )
    pids = [server.pid] + ([consumer.pid] if consumer else [])
    try:
        for _ in range(100):
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        run(args, port, pids, email, password, drafts, reports, step, item, instance, env)
    finally:
        for process in (server, consumer):
            if process is None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def run(args, port, pids, email, password, drafts, reports, step, item, instance, env):
    clients = []
    for _ in drafts:
        client = Client(port)
        client.login(email, password)
        clients.append(client)
    timeline: list[tuple[float, float]] = []  # (seconds into the run, latency) of each save
    began = time.perf_counter()
    acked: dict[int, int] = {}
    errors = {"5xx": 0, "other": 0}
    lock = threading.Lock()
    stop = threading.Event()
    budget = [args.max_saves]
    deadline = time.monotonic() + args.seconds

    def saver(client: Client, assessment_id: int, index: int) -> None:
        # People do not open their interviews at the same instant: spread over one pace.
        time.sleep(index * args.pace / len(drafts))
        token = client.csrf(f"/assessments/{assessment_id}/{step}")
        n = 0
        while time.monotonic() < deadline and not stop.is_set():
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            n += 1
            form = {"csrf_token": token, "step": step, f"{item}__note": f"save {n}"}
            start = time.perf_counter()
            status, _ = client.request(
                "POST",
                f"/assessments/{assessment_id}/autosave",
                form,
                {"X-Requested-With": "fetch", "Accept": "application/json"},
            )
            elapsed = time.perf_counter() - start
            with lock:
                timeline.append((start - began, elapsed))
                if status == 200:
                    acked[assessment_id] = n
                elif status >= 500:
                    errors["5xx"] += 1
                else:
                    errors["other"] += 1
            time.sleep(args.pace)  # the page saves 0.8 s after the last keystroke

    renders = {"done": 0, "5xx": 0, "busy": 0, "seconds": []}

    def renderer(index: int) -> None:
        """A consultant downloading reports one after another, as a browser does: a 503
        "being prepared" page is reloaded after its Retry-After until the PDF comes."""
        client = Client(port)
        client.login(email, password)
        n = 0
        while time.monotonic() < deadline and not stop.is_set():
            assessment_id = reports[(index + n) % len(reports)]
            lang = "en" if (index + n) % 2 else "ko"
            start = time.perf_counter()
            while time.monotonic() < deadline and not stop.is_set():
                status, _ = client.request(
                    "GET", f"/assessments/{assessment_id}/roadmap.pdf?lang={lang}"
                )
                with lock:
                    renders["busy"] += status == 503  # the self-reloading "being prepared" page
                    renders["5xx"] += status >= 500 and status != 503
                    if status >= 500 and status != 503:
                        renders.setdefault("statuses", []).append(status)
                if status != 503:
                    break
                time.sleep(2)  # the page reloads itself (Retry-After)
            with lock:
                renders["done"] += status == 200
                if status == 200:
                    renders["seconds"].append(time.perf_counter() - start)
            n += 1

    def sweeper() -> None:
        """Empties the report cache every few seconds, so downloads keep causing real
        renders rather than reading cached files."""
        while not stop.is_set() and time.monotonic() < deadline:
            for cached in (instance / "reports").rglob("*.pdf"):
                cached.unlink(missing_ok=True)
            time.sleep(3)

    peak = [0]

    def sample_memory() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(tree_rss_kb(pid) for pid in pids))
            time.sleep(0.25)

    backup_result: dict[str, str] = {}

    def take_backup() -> None:
        time.sleep(args.seconds / 2)
        target = instance / "during-load.sqlite3"
        started = time.perf_counter()
        backup_result["from"] = started - began
        done = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "diagnose", "backup", str(target)],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        backup_result["seconds"] = f"{time.perf_counter() - started:.2f}"
        backup_result["to"] = time.perf_counter() - began
        backup_result["output"] = [
            line for line in (done.stdout + done.stderr).splitlines() if "integrity" in line
        ] or [f"failed ({done.returncode})"]
        restored = instance / "restored.sqlite3"
        from diagnose.services.lifecycle import check_integrity, restore

        restore(target, restored)
        backup_result["integrity"] = check_integrity(restored)

    threads = [
        threading.Thread(target=saver, args=(c, a, i))
        for i, (c, a) in enumerate(zip(clients, drafts, strict=True))
    ]
    threads += [threading.Thread(target=renderer, args=(i,)) for i in range(args.renders)]
    threads += [threading.Thread(target=sweeper)] if args.renders else []
    helpers = [threading.Thread(target=sample_memory), threading.Thread(target=take_backup)]
    started = time.perf_counter()
    for t in threads + helpers:
        t.start()
    for t in threads:
        t.join(timeout=args.seconds + 120)
    stop.set()
    for t in helpers:
        t.join(timeout=150)
    wall = time.perf_counter() - started

    sys.path.insert(0, str(ROOT))
    from diagnose.records.assessments import load_answers
    from diagnose.storage import connect

    db = connect(instance / "diagnose.sqlite3")
    lost = sum(
        1
        for assessment_id, n in acked.items()
        if load_answers(db, assessment_id)[1].get(item) != f"save {n}"
    )
    ordered = sorted(took for _at, took in timeline)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    print(
        f"savers {len(drafts)}, gunicorn {args.workers} workers x {args.threads} threads, "
        f"{wall:.1f} s, renders {args.renders}, pace {args.pace} s"
    )
    print(f"saves acknowledged      {len(timeline) - errors['5xx'] - errors['other']}")
    print(f"answers lost            {lost}")
    print(f"5xx answers             {errors['5xx']} (other non-200: {errors['other']})")
    print(f"save latency p50 / p99  {pct(0.5):.0f} ms / {pct(0.99):.0f} ms")
    # The first seconds after a start: every thread's first request, templates compiled.
    warm = sorted(took for at, took in timeline if at >= WARM_UP)
    if warm:
        print(
            f"  after {WARM_UP:.0f} s warm-up    {warm[len(warm) // 2] * 1000:.0f} ms / "
            f"{warm[min(len(warm) - 1, int(0.99 * len(warm)))] * 1000:.0f} ms "
            f"({len(warm)} saves)"
        )
    print(f"saves per second        {len(timeline) / wall:.0f}")
    if args.renders:
        seconds = renders["seconds"] or [0]
        print(
            f"PDFs downloaded         {renders['done']}, click to PDF median "
            f"{statistics.median(seconds):.1f} s, max {max(seconds):.1f} s "
            f"('being prepared' pages {renders['busy']}, other 5xx {renders['5xx']}"
            f"{' ' + str(sorted(set(renders['statuses']))) if renders.get('statuses') else ''})"
        )
    slowest = sorted(timeline, key=lambda t: -t[1])[:8]
    print(
        "slowest saves (at s: ms) "
        + ", ".join(f"{at:.1f}: {took * 1000:.0f}" for at, took in sorted(slowest))
        + f"; backup from {backup_result.get('from', 0):.1f} to {backup_result.get('to', 0):.1f} s"
    )
    print(f"peak memory, app procs  {peak[0] / 1024:.0f} MB")
    print(
        f"backup during load      {backup_result.get('seconds', '?')} s: "
        f"{' '.join(backup_result.get('output', []))}"
    )
    print(f"restored backup         PRAGMA integrity_check: {backup_result.get('integrity')}")


if __name__ == "__main__":
    main()
