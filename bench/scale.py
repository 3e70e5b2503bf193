"""A national programme on one machine: an instance of ``--firms`` firms over 10 centers,
then its backup under writes, dashboard under load, last page of the firm list and exports.

    .venv/bin/python bench/scale.py [--firms 50000] [--centers 10] [--seconds 40]

Builds the instance in a fresh folder under /tmp with the project's own functions: centers
and logins (``auth``), firms (``create_firm``), submitted diagnoses with their answers
(``record_submitted_assessment``) scored and stored by ``store.diagnose`` (the track model's
prediction is computed once per synthetic firm template, 200 of them, and reused: the model
is not what is measured), consultants' decisions (``record_decision``, one in six an
override), re-diagnoses of three firms in ten (from their first diagnosis), open drafts,
training records (``record_training``), self-assessed firms' requests for a consultant
(``request_consultant``), assignments (``assign_firms``) and an audit row per autosave
(eight per diagnosis). Each center has 8 consultants and a staff member.

Then prints, each on a line of its own:

    database size: <MB> MB
    backup under writes: <seconds> s       (20 consultants autosaving at the page's pace)
    dashboard idle: <ms> ms                (one request at a time, median of 20; kept and afresh)
      (idle: a firm list page and an autosave, each with the server's CPU time a request)
    dashboard p99 under load: <ms> ms      (20 savers and 50 staff, gunicorn -w 2 --threads 8)
    firm list last page: <ms> ms           (the largest center, staff, median of 5)
    xlsx export of one center: <seconds> s, <MB> MB   (growth of the process's peak memory)
    cli xlsx export of all centers: <seconds> s, <MB> MB   (`flask export`, its peak memory)

The staff open a dashboard, read it for ``--think`` seconds (3 s, a tool assumption) and
open the next; the savers save a note every 0.8 s (the interview page's own delay).
Loopback only, bounded in time; it stops the processes it started, by their PID.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

# One thread per prediction: on a shared 2-core machine OpenMP's threads only wait on each other.
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import HOST, SECRET, VENV_BIN, Client, free_port  # noqa: E402

TEMPLATES = 200
REGIONS = [
    "seoul",
    "busan",
    "daegu",
    "incheon",
    "gwangju",
    "daejeon",
    "ulsan",
    "gyeonggi",
    "gyeongnam",
    "jeonbuk",
]


class TemplateModel:
    """The track model, asked once per template's answers (the same dict object each time)."""

    def __init__(self, model):
        self.model, self.cache = model, {}

    def __getattr__(self, name):  # the rest (the scorecard's shadow model) as the model's
        return getattr(self.model, name)

    def predict(self, questionnaire, profile, answers):
        from diagnose.diagnosis.scorecard import assess

        key = id(answers)
        if key not in self.cache:
            self.cache[key] = assess(questionnaire, profile, answers, model=self.model)
        return self.cache[key]


def business_number(n: int) -> str:
    from diagnose.business_number import check_digit

    first = f"{100 + n % 800:03d}{n // 800 % 100:02d}{n % 100000:05d}"[:9]
    first = f"{first[:3]}{(n // 100000) % 10}{first[4:]}"
    return first + str(check_digit(first))


def build(app, firms: int, centers: int, savers: int) -> dict:
    """The instance; returns the logins the load needs."""
    import numpy as np

    from diagnose.auth import create_center, create_user
    from diagnose.diagnosis.store import diagnose
    from diagnose.diagnosis.synthetic import synthetic_firm
    from diagnose.records.assessments import record_submitted_assessment, start_assessment
    from diagnose.records.firms import create_firm
    from diagnose.services import audit, caseload, decisions, requests
    from diagnose.storage import connect, transaction

    db = connect(app.config["DATABASE"])
    db.execute("PRAGMA synchronous = NORMAL")  # the build only: WAL survives a crash anyway
    questionnaire = app.extensions["questionnaires"].current
    model = TemplateModel(app.extensions["track_model"])
    rng = np.random.default_rng(20)
    templates = [synthetic_firm(rng, questionnaire) for _ in range(TEMPLATES)]
    answers = [dict(t.answers) for t in templates]
    modules = [m["id"] for m in _modules(db)][:20] or ["ai_basics"]
    rnd = random.Random(20)
    people = []
    for c in range(centers):
        center_id = create_center(db, f"규모 {c + 1} 센터", REGIONS[c % len(REGIONS)])
        staff = create_user(
            db, center_id, f"staff{c}@scale.example", f"직원{c}", "scale-pass-1234", "center_staff"
        )
        doctors = [
            create_user(
                db,
                center_id,
                f"doctor{c}-{d}@scale.example",
                f"주치의{c}-{d}",
                "scale-pass-1234",
                "consultant",
            )
            for d in range(8)
        ]
        people.append(
            {
                "center_id": center_id,
                "staff": SimpleNamespace(
                    id=staff, center_id=center_id, home_center_id=center_id, role="center_staff"
                ),
                "doctors": [
                    SimpleNamespace(
                        id=d, center_id=center_id, home_center_id=center_id, role="consultant"
                    )
                    for d in doctors
                ],
            }
        )
    start = datetime.now(UTC) - timedelta(days=3 * 365)
    assigned: dict[int, dict[int, list[int]]] = {p["center_id"]: {} for p in people}

    def stamp_at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat(timespec="seconds")

    def spread(assessment_id: int, days: float) -> None:
        moment = stamp_at(days)
        db.execute(
            "UPDATE assessments SET created_at = ?, updated_at = ?, submitted_at = ? WHERE id = ?",
            [moment, moment, moment, assessment_id],
        )

    def autosaves(assessment_id: int, center_id: int, user_id: int | None) -> None:
        for _ in range(8):
            audit.record(
                db, "save", "assessment", assessment_id, center_id=center_id, user_id=user_id
            )

    first_prediction: dict[int, tuple[int, dict]] = {}

    def diagnosed(assessment_id: int, t: int, profile: dict) -> dict:
        """``store.diagnose`` for a template's first firm; its stored prediction row copied for
        the next ones (the same answers give the same scores, track and reasons)."""
        if t not in first_prediction:
            result = diagnose(db, model, questionnaire, assessment_id, profile, answers[t])
            first_prediction[t] = (result["prediction_id"], result)
            return result
        prediction_id, result = first_prediction[t]
        db.execute(
            "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
            "explanation, scores, readiness, created_at) SELECT ?, model_version, track, "
            "probabilities, explanation, scores, readiness, created_at FROM predictions "
            "WHERE id = ?",
            [assessment_id, prediction_id],
        )
        return result

    chunk = 500
    for first in range(0, firms, chunk):
        with transaction(db):
            for n in range(first, min(firms, first + chunk)):
                center = people[n % centers]
                doctor = center["doctors"][n // centers % 8]
                t = n % TEMPLATES
                own = rnd.random() < 0.1  # a self-assessed firm
                profile = {
                    **templates[t].profile,
                    "company_name": f"규모시험{n:06d}",
                    "business_number": business_number(n),
                    "contact_name": "담당자",
                    "region": REGIONS[n % centers % len(REGIONS)],
                }
                firm_id = create_firm(
                    db,
                    center["center_id"],
                    None if own else doctor.id,
                    profile,
                    origin="self" if own else "center",
                )
                day = rnd.uniform(0, 3 * 365 - 200)
                first_id = record_submitted_assessment(
                    db,
                    firm_id,
                    center["center_id"],
                    None if own else doctor.id,
                    questionnaire,
                    profile,
                    answers[t],
                    "self" if own else "consultant",
                )
                diagnosis = diagnosed(first_id, t, profile)
                spread(first_id, day)
                autosaves(first_id, center["center_id"], None if own else doctor.id)
                if own and rnd.random() < 0.5:
                    requests.request_consultant(
                        db,
                        first_id,
                        {
                            "contact_name": "김담당",
                            "contact_phone": "010-1234-5678",
                            "message": "상담을 원합니다",
                        },
                        True,
                    )
                    continue
                if own:
                    continue
                assigned[center["center_id"]].setdefault(doctor.id, []).append(firm_id)
                if rnd.random() < 0.6:
                    track = diagnosis["prediction"].track
                    other = rnd.choice(
                        [x for x in ("beginner", "ax", "shared_center") if x != track]
                    )
                    override = rnd.random() < 1 / 6
                    decisions.record_decision(
                        db,
                        first_id,
                        doctor,
                        other if override else track,
                        "현장 면담 결과 교육 담당자가 없어 조정" if override else "",
                    )
                firm = {"id": firm_id, "center_id": center["center_id"], "assigned_to": None}
                if rnd.random() < 0.25:
                    begun = start.date() + timedelta(days=day + 30)
                    caseload.record_training(
                        db,
                        center["staff"],
                        firm,
                        rnd.choice(modules),
                        "AI 기초 과정",
                        begun,
                        begun + timedelta(days=10),
                        16.0,
                        rnd.randint(1, 12),
                    )
                if rnd.random() < 0.3:
                    later = (t + 1 + rnd.randrange(TEMPLATES - 1)) % TEMPLATES
                    second = record_submitted_assessment(
                        db,
                        firm_id,
                        center["center_id"],
                        doctor.id,
                        questionnaire,
                        profile,
                        answers[later],
                        "consultant",
                    )
                    db.execute(
                        "UPDATE assessments SET based_on = ? WHERE id = ?", [first_id, second]
                    )
                    diagnosed(second, later, profile)
                    spread(second, day + rnd.uniform(120, 200))
                    autosaves(second, center["center_id"], doctor.id)
                elif rnd.random() < 0.05:
                    start_assessment(db, _firm(db, firm_id), doctor.id, questionnaire)
        if first and first % 10000 == 0:
            print(f"  {first} firms", flush=True)
    for center in people:
        for doctor_id, ids in assigned[center["center_id"]].items():
            caseload.assign_firms(db, center["staff"], ids[: len(ids) * 7 // 10], doctor_id)
    # one open draft per saver, in their own caseload
    drafts = []
    for s in range(savers):
        center = people[s % centers]
        doctor = center["doctors"][s // centers % 8]
        profile = {
            **templates[0].profile,
            "company_name": f"저장시험{s}",
            "business_number": business_number(firms + s),
            "contact_name": "담당",
        }
        firm_id = create_firm(db, center["center_id"], doctor.id, profile)
        record = _firm(db, firm_id)
        drafts.append(
            (
                f"doctor{s % centers}-{s // centers % 8}@scale.example",
                start_assessment(db, record, doctor.id, questionnaire)[0],
            )
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    step = questionnaire.dimensions[0]
    return {
        "staff": [f"staff{c}@scale.example" for c in range(centers)],
        "drafts": drafts,
        "step": step.id,
        "item": step.items[0].id,
        "centers": [p["center_id"] for p in people],
        "people": people,
    }


def read_themes(app, people) -> None:
    """Each center's cohort suggestions once: the task themes of its decided firms are read
    and stored, as a running instance has them; the load then measures the dashboard, not
    this one-time reading of 50,000 firms' tasks."""
    from diagnose.services import cohorts
    from diagnose.storage import connect

    db = connect(app.config["DATABASE"])
    for center in people:
        cohorts.suggestions(db, center["staff"])
    db.conn.close()


def _firm(db, firm_id: int) -> dict:
    return next(db.query("SELECT * FROM firms WHERE id = ?", [firm_id]))


def _modules(db):
    return list(db.query("SELECT id FROM catalogue_modules ORDER BY position"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def last_page_ms(app, staff) -> float:
    from diagnose.records.firms import FirmFilter
    from diagnose.services import caseload
    from diagnose.storage import connect

    db = connect(app.config["DATABASE"])
    first = caseload.firm_list(db, staff, FirmFilter(), page=1)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        page = caseload.firm_list(db, staff, FirmFilter(), page=first["pages"])
        times.append((time.perf_counter() - began) * 1000)
    assert page["firms"], "the last page is empty"
    db.conn.close()
    return statistics.median(times)


EXPORT_ONE = """
import json, sys, time
from diagnose import create_app
from diagnose.records.firms import FirmFilter
from diagnose.services import export
from diagnose.storage import connect


def high_water():  # this process's own peak (MB): unlike ru_maxrss, not its parent's at fork
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


app = create_app({"TRACK_MODEL": False})
db = connect(app.config["DATABASE"])
from types import SimpleNamespace
staff = SimpleNamespace(**json.loads(sys.argv[1]))
before = high_water()
began = time.perf_counter()
with app.test_request_context(), open(sys.argv[2], "wb") as out:
    firms = export.export(db, staff, FirmFilter(), "xlsx", app.extensions["questionnaires"].current,
                          out)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "mb": high_water() - before, "firms": firms}))
"""


def export_one_center(env: dict, staff, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_ONE, json.dumps(vars(staff)), str(out)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# Started by a small Python rather than by this script: a child forked from this process
# (some 230 MB once the instance is built) reports this process's pages as its own peak.
MEASURED = """
import os, subprocess, sys, time
began = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - began, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
"""


def _flask(env: dict, *args: str) -> tuple[float, float]:
    """Run a ``flask --app diagnose`` command: its seconds and peak memory (MB)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, str(VENV_BIN / "flask"), "--app", "diagnose", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak, code = result.stdout.split()
    if int(code):
        raise RuntimeError(f"flask {' '.join(args)} failed")
    return float(seconds), float(peak)


def export_all_centers(env: dict, out: Path) -> tuple[float, float, float]:
    """The CLI export of every center: seconds, peak memory, and the peak of the same command
    line doing nothing but start (``migrate``: the app, its questionnaire and model)."""
    _seconds, start_up = _flask(env, "migrate")
    seconds, peak = _flask(env, "export", "--format", "xlsx", "-o", str(out))
    return seconds, peak, start_up


def idle_dashboard(port: int, database: Path, center: dict, workers: list[int]) -> dict:
    """The largest center's dashboard, one request at a time (median of 20): as kept, and
    computed afresh (the center's version raised before each request, as a change would);
    with the server's CPU time a view (less moved by a shared machine than the clock)."""
    import sqlite3

    client = Client(port)
    client.login(_staff_email(database, center), "scale-pass-1234")
    client.request("GET", "/center")
    kept, fresh = [], []
    conn = sqlite3.connect(database, timeout=30)
    cpu = [_cpu_seconds(workers)]
    for _ in range(20):
        began = time.perf_counter()
        status, _body = client.request("GET", "/center")
        kept.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    cpu.append(_cpu_seconds(workers))
    for _ in range(20):
        with conn:
            conn.execute(
                "UPDATE center_versions SET version = version + 1 WHERE center_id = ?",
                [center["center_id"]],
            )
        began = time.perf_counter()
        status, _body = client.request("GET", "/center")
        fresh.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    cpu.append(_cpu_seconds(workers))
    conn.close()
    return {
        "kept": statistics.median(kept),
        "fresh": statistics.median(fresh),
        "kept_cpu": (cpu[1] - cpu[0]) * 1000 / 20,
        "fresh_cpu": (cpu[2] - cpu[1]) * 1000 / 20,
    }


def idle_pages(port: int, database: Path, center: dict, logins: dict, workers: list[int]) -> dict:
    """The other requests of the load, one at a time (median of 20), with the server's CPU
    time a request: the firm list's first page (the largest center's staff) and an autosave
    of one changed note (a consultant's open draft)."""
    staff = Client(port)
    staff.login(_staff_email(database, center), "scale-pass-1234")
    staff.request("GET", "/firms")
    times, cpu = [], _cpu_seconds(workers)
    for _ in range(20):
        began = time.perf_counter()
        status, _body = staff.request("GET", "/firms")
        times.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    listed = (statistics.median(times), (_cpu_seconds(workers) - cpu) * 1000 / 20)
    email, draft = logins["drafts"][0]
    saver = Client(port)
    saver.login(email, "scale-pass-1234")
    token = saver.csrf(f"/assessments/{draft}/{logins['step']}")
    times, cpu = [], _cpu_seconds(workers)
    for n in range(20):
        form = {"csrf_token": token, "step": logins["step"], f"{logins['item']}__note": f"idle {n}"}
        began = time.perf_counter()
        status, _body = saver.request(
            "POST",
            f"/assessments/{draft}/autosave",
            form,
            {"X-Requested-With": "fetch", "Accept": "application/json"},
        )
        times.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    saved = (statistics.median(times), (_cpu_seconds(workers) - cpu) * 1000 / 20)
    return {"list": listed, "save": saved}


def _children(pid: int) -> list[int]:
    """The gunicorn master's workers."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _staff_email(database: Path, center: dict) -> str:
    import sqlite3

    conn = sqlite3.connect(database)
    row = conn.execute("SELECT email FROM users WHERE id = ?", [center["staff"].id]).fetchone()
    conn.close()
    return row[0]


def under_load(args, env, logins, port, database: Path, backup_to: Path, cpu) -> dict:
    """20 savers and 50 staff against gunicorn; a backup taken while they work. ``cpu()``:
    the server's CPU seconds, this script's, and the clock, read when the load starts (after
    the logins) and when it ends."""
    from diagnose.services import lifecycle

    stop = threading.Event()
    lock = threading.Lock()
    dashboards: list[float] = []
    saves: list[float] = []
    errors = {"5xx": 0}
    # Everyone logs in first (a login costs a password hash: not what is measured).
    sessions: dict[str, list[Client]] = {}

    def log_in(email: str) -> None:
        client = Client(port)
        client.login(email, "scale-pass-1234")
        with lock:
            sessions.setdefault(email, []).append(client)

    emails = [email for email, _draft in logins["drafts"][: args.savers]] + [
        logins["staff"][i % len(logins["staff"])] for i in range(args.staff)
    ]
    for group in range(0, len(emails), 8):
        batch = [threading.Thread(target=log_in, args=(e,)) for e in emails[group : group + 8]]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join()

    def session(email: str) -> Client:
        with lock:
            return sessions[email].pop()

    deadline = time.monotonic() + args.seconds

    failures: list[str] = []

    def reported(work):
        def run(*a):
            try:
                work(*a)
            except Exception as exc:  # a bench thread that died says why, once
                with lock:
                    failures.append(f"{work.__name__}: {exc!r}")

        return run

    @reported
    def saver(email: str, assessment_id: int, index: int) -> None:
        client = session(email)
        time.sleep(index * 0.8 / args.savers)
        token = client.csrf(f"/assessments/{assessment_id}/{logins['step']}")
        n = 0
        while time.monotonic() < deadline and not stop.is_set():
            n += 1
            form = {
                "csrf_token": token,
                "step": logins["step"],
                f"{logins['item']}__note": f"save {n}",
            }
            began = time.perf_counter()
            status, _ = client.request(
                "POST",
                f"/assessments/{assessment_id}/autosave",
                form,
                {"X-Requested-With": "fetch", "Accept": "application/json"},
            )
            with lock:
                saves.append(time.perf_counter() - began)
                errors["5xx"] += status >= 500
            time.sleep(0.8)

    @reported
    def staff(email: str, index: int) -> None:
        client = session(email)
        time.sleep(index * args.think / args.staff)
        while time.monotonic() < deadline and not stop.is_set():
            began = time.perf_counter()
            status, _ = client.request("GET", "/center")
            with lock:
                if time.monotonic() > warm:
                    dashboards.append(time.perf_counter() - began)
                errors["5xx"] += status >= 500
            time.sleep(args.think)

    warm = time.monotonic() + 5
    cpu_before = cpu()
    threads = [
        threading.Thread(target=saver, args=(email, draft, i))
        for i, (email, draft) in enumerate(logins["drafts"][: args.savers])
    ]
    threads += [
        threading.Thread(target=staff, args=(logins["staff"][i % len(logins["staff"])], i))
        for i in range(args.staff)
    ]
    for thread in threads:
        thread.start()
    time.sleep(min(10, args.seconds / 3))
    began = time.perf_counter()
    lifecycle.backup(database, backup_to)
    backup_seconds = time.perf_counter() - began
    for thread in threads:
        thread.join(timeout=args.seconds + 60)
    stop.set()
    cpu_after = cpu()
    for failure in sorted(set(failures))[:5]:
        print("  thread failed:", failure, file=sys.stderr)
    return {
        "backup": backup_seconds,
        "dashboard_p50": percentile(dashboards, 0.5) * 1000,
        "dashboard_p99": percentile(dashboards, 0.99) * 1000,
        "dashboards": len(dashboards),
        "save_p50": percentile(saves, 0.5) * 1000,
        "save_p99": percentile(saves, 0.99) * 1000,
        "saves": len(saves),
        "5xx": errors["5xx"],
        "server_cpu": cpu_after[0] - cpu_before[0],
        "bench_cpu": cpu_after[1] - cpu_before[1],
        "seconds": cpu_after[2] - cpu_before[2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, default=50_000)
    parser.add_argument("--centers", type=int, default=10)
    parser.add_argument("--savers", type=int, default=20)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--think", type=float, default=3.0, help="seconds staff read a page")
    parser.add_argument("--seconds", type=float, default=40, help="the load's length")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument(
        "--instance",
        type=Path,
        help="the instance folder: built there when it holds none, else measured as it is "
        "(kept; --firms and --centers are then those it was built with)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the instance (--instance), no measuring"
    )
    args = parser.parse_args()
    args.seconds = min(args.seconds, 300)

    if args.instance:
        instance = args.instance.resolve()
        instance.mkdir(parents=True, exist_ok=True)
        args.keep = True
    else:
        instance = Path(tempfile.mkdtemp(prefix="diagnose-scale-"))
    saved = instance / "scale-logins.json"
    port = free_port()
    env = {
        "DIAGNOSE_INSTANCE_PATH": str(instance),
        "DIAGNOSE_SECRET_KEY": SECRET,
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_BASE_URL": f"http://{HOST}:{port}",
        "DIAGNOSE_MAINTENANCE_HOUR": "",
        # 70 people log in from one address within a minute
        "DIAGNOSE_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    os.environ.update(env)
    logging.disable(logging.INFO)
    from diagnose import create_app

    app = create_app({"QUEUE_IMMEDIATE": True})
    database = Path(app.config["DATABASE"])
    reused = saved.exists()
    if reused:
        logins = _loaded(saved)
        print(f"instance {instance} as it was built: {logins['built']}", flush=True)
    else:
        began = time.perf_counter()
        with app.app_context():
            logins = build(app, args.firms, args.centers, max(args.savers, 20))
        built = time.perf_counter() - began
        logins["built"] = f"{args.firms} firms over {args.centers} centers"
        print(f"built {logins['built']} in {built:.0f} s", flush=True)
        began = time.perf_counter()
        with app.app_context():
            read_themes(app, logins["people"])
        print(
            f"task themes read for the decided firms: {time.perf_counter() - began:.0f} s "
            "(once, as a running instance has them: the first cohort suggestions read and "
            "store them)",
            flush=True,
        )
        _save(saved, logins)
    if args.build_only:
        return
    if reused:  # fits a newer schema keeps may be missing: computed once, as built
        began = time.perf_counter()
        with app.app_context():
            read_themes(app, logins["people"])
        print(f"cohort fits checked: {time.perf_counter() - began:.0f} s", flush=True)
    sizes = _counts(database)
    print("rows: " + ", ".join(f"{k} {v}" for k, v in sizes.items()), flush=True)
    print(f"database size: {database.stat().st_size / 1e6:.0f} MB", flush=True)

    largest = max(logins["people"], key=lambda p: _firms_of(database, p["center_id"]))
    staff = largest["staff"]
    print(f"firm list last page: {last_page_ms(app, staff):.1f} ms", flush=True)
    one = export_one_center(env, staff, instance / "one.xlsx")
    print(
        f"xlsx export of one center: {one['seconds']:.2f} s, {one['mb']:.0f} MB "
        f"({one['firms']} firms)",
        flush=True,
    )
    seconds, peak, start_up = export_all_centers(env, instance / "all.xlsx")
    print(
        f"cli xlsx export of all centers: {seconds:.1f} s, {peak:.0f} MB "
        f"(the command's peak; its start-up alone {start_up:.0f} MB)",
        flush=True,
    )

    log = open(instance / "gunicorn.log", "w")  # noqa: SIM115 (closed after the server stops)
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            "2",
            "--threads",
            "8",
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
    try:
        for _ in range(600):  # gunicorn's workers load the app (and the model) first
            try:
                client = Client(port)
                if client.request("GET", "/login")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        workers = _children(server.pid)
        idle = idle_dashboard(port, database, largest, workers)
        pages = idle_pages(port, database, largest, logins, workers)
        load = under_load(
            args,
            env,
            logins,
            port,
            database,
            instance / "backup.sqlite3",
            lambda: (_cpu_seconds(workers), time.process_time(), time.perf_counter()),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print(
        f"dashboard idle: {idle['kept']:.0f} ms (one request at a time, median of 20; "
        f"figures computed afresh: {idle['fresh']:.0f} ms, the center's version raised before "
        f"each; server CPU a view {idle['kept_cpu']:.0f} ms kept, {idle['fresh_cpu']:.0f} ms "
        "afresh)",
        flush=True,
    )
    print(
        f"  (idle, one request at a time, median of 20: firm list page {pages['list'][0]:.0f} ms, "
        f"server CPU {pages['list'][1]:.0f} ms; autosave {pages['save'][0]:.0f} ms, server CPU "
        f"{pages['save'][1]:.1f} ms)",
        flush=True,
    )
    print(f"backup under writes: {load['backup']:.1f} s", flush=True)
    print(f"dashboard p99 under load: {load['dashboard_p99']:.0f} ms", flush=True)
    print(
        f"  (dashboard p50 {load['dashboard_p50']:.0f} ms over {load['dashboards']} views; "
        f"autosave p50 {load['save_p50']:.0f} ms, p99 {load['save_p99']:.0f} ms over "
        f"{load['saves']} saves; 5xx {load['5xx']}; {args.savers} savers, {args.staff} staff "
        f"reading {args.think:.0f} s a page)"
    )
    print(
        f"  (CPU during the load: the server's workers {load['server_cpu']:.0f} s, this "
        f"script's clients {load['bench_cpu']:.0f} s, in {load['seconds']:.0f} s of 2 cores; "
        f"load average {os.getloadavg()[0]:.1f} at the end)",
        flush=True,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak memory of this script: {peak} MB")
    if not args.keep:
        import shutil

        shutil.rmtree(instance, ignore_errors=True)
    else:
        print(f"instance kept in {instance}")


def _save(path: Path, logins: dict) -> None:
    """The logins the load needs, beside the instance (to measure it again without a build)."""
    people = [
        {**p, "staff": vars(p["staff"]), "doctors": [vars(d) for d in p["doctors"]]}
        for p in logins["people"]
    ]
    path.write_text(json.dumps({**logins, "people": people}))


def _loaded(path: Path) -> dict:
    logins = json.loads(path.read_text())
    for p in logins["people"]:
        p["staff"] = SimpleNamespace(**p["staff"])
        p["doctors"] = [SimpleNamespace(**d) for d in p["doctors"]]
    logins["drafts"] = [tuple(d) for d in logins["drafts"]]
    return logins


def _counts(database: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(database)
    tables = (
        "firms",
        "assessments",
        "answers",
        "predictions",
        "decisions",
        "training_records",
        "consultant_requests",
        "audit_log",
    )
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    conn.close()
    return counts


def _firms_of(database: Path, center_id: int) -> int:
    import sqlite3

    conn = sqlite3.connect(database)
    n = conn.execute("SELECT COUNT(*) FROM firms WHERE center_id = ?", [center_id]).fetchone()[0]
    conn.close()
    return n


if __name__ == "__main__":
    main()
