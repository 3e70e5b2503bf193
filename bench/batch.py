"""Batch printing throughput: 200 firms' reports on the task queue, on this machine.

    .venv/bin/python bench/batch.py [--firms 200] [--workers 2] [--lang ko] [--format zip]

Builds an instance with ``--firms`` diagnosed firms (synthetic answers, seeded), starts one
queue consumer (``python -m diagnose.jobs --workers N``) on the embedded SQLite queue, lets
it warm up, then times one batch from the moment it is queued until its file is assembled.
Prints, from one run: reports per second with every report rendered (the cache emptied), the
time to the file, each core's busy share over the run (from /proc/stat), the consumer's own
CPU time per report and its share of the machine (the machine may be shared: the rest is
other work), the consumer's memory (its process and its render children, RSS sampled every
0.2 s) at the start, the peak and the end, so "flat" can be read; then the same batch again,
from the report cache, as it runs once reports were rendered after each diagnosis.
Targets (2 cores): >= 5 reports/s (issue 16; issue 11: 4), both cores busy, memory flat.
Everything runs on this machine; the consumer is stopped by its PID.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# BENCH_INSTANCE: another folder, so that two people's runs on one machine do not collide
INSTANCE = Path(
    os.environ.get("BENCH_INSTANCE") or Path(tempfile.gettempdir()) / "diagnose-bench-batch"
)


def _instance(firms: int):
    """A fresh instance with one center and ``firms`` diagnosed firms."""
    import numpy as np

    from diagnose import create_app
    from diagnose.auth import create_center, create_user
    from diagnose.business_number import check_digit
    from diagnose.diagnosis.store import diagnose
    from diagnose.diagnosis.synthetic import synthetic_firm
    from diagnose.records.assessments import record_submitted_assessment
    from diagnose.records.firms import create_firm
    from diagnose.storage import connect, transaction

    shutil.rmtree(INSTANCE, ignore_errors=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(INSTANCE),
            "DEMO_DATA": False,
            "TESTING": True,
            "QUEUE_IMMEDIATE": False,
        }
    )
    questionnaire = app.extensions["questionnaires"].current
    model = app.extensions["track_model"]
    rng = np.random.default_rng(20261126)
    db = connect(app.config["DATABASE"])
    with transaction(db):
        center = create_center(db, "벤치 센터", "gyeongnam")
        user = create_user(db, center, "bench@center.example", "벤치 주치의", "bench-password-1")
        regions = [c.value for c in questionnaire.profile_field("region").choices]
        industries = [c.value for c in questionnaire.profile_field("industry").choices]
        bands = [c.value for c in questionnaire.profile_field("revenue_band").choices]
        ids = []
        for i in range(firms):
            synthetic = synthetic_firm(rng, questionnaire)
            first = f"{300 + i % 600:03d}82{i:05d}"[:9]
            profile = {
                "company_name": f"벤치기업{i:03d}",
                "business_number": first + str(check_digit(first)),
                "region": regions[i % len(regions)],
                "industry": industries[i % len(industries)],
                "employees": str(5 + (i * 7) % 280),
                "revenue_band": bands[i % len(bands)],
                "contact_name": "담당자",
                "contact_phone": "",
                "contact_email": "",
            }
            answers = {
                **synthetic.answers,
                "need_task": f"{i}번 공정의 검사 기록 정리",
                "need_problem": "검사 기록을 손으로 옮겨 적느라 하루 두 시간이 듭니다",
            }
            firm_id = create_firm(db, center, user, profile)
            assessment = record_submitted_assessment(
                db, firm_id, center, user, questionnaire, profile, answers, "consultant"
            )
            diagnose(db, model, questionnaire, assessment, profile, answers)
            ids.append(assessment)
    db.conn.close()
    return app, center, ids


def _cpu() -> list[tuple[int, int]]:
    """(busy, total) jiffies per core."""
    cores = []
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3].isdigit():
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + values[4]
            cores.append((sum(values) - idle, sum(values)))
    return cores


def _family(pid: int) -> list[int]:
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if int(fields[1]) == parent:
                    found.append(int(entry.name))
                    frontier.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (and of their reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--format", default="zip", choices=["zip", "pdf"])
    args = parser.parse_args()

    started = time.perf_counter()
    app, center, ids = _instance(args.firms)
    print(f"instance: {args.firms} diagnosed firms in {time.perf_counter() - started:.0f} s")
    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": str(INSTANCE),
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_BATCH_PARALLEL": str(args.workers * 2),
    }
    consumer = subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", str(args.workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    samples: list[float] = []
    stop = threading.Event()
    try:
        from diagnose.services import batch
        from diagnose.storage import connect

        # warm-up: one report, so the consumer's app and render children are up
        db = connect(app.config["DATABASE"])
        app.config["BATCH_PARALLEL"] = args.workers * 2
        warm = batch.create_batch(db, None, ids[:1], args.lang, args.format, center_id=center)
        with app.app_context():
            batch.enqueue_batch(warm, 1)
        while batch.progress(db, warm)["status"] not in ("done", "failed"):
            time.sleep(0.1)
        # the cache would answer a second render of the same report: empty it
        shutil.rmtree(INSTANCE / "reports", ignore_errors=True)

        def sample() -> None:
            while not stop.is_set():
                samples.append(_rss_mb(_family(consumer.pid)))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu_before = _cpu()
        own_before = _cpu_seconds(_family(consumer.pid))
        start = time.perf_counter()
        batch_id = batch.create_batch(db, None, ids, args.lang, args.format, center_id=center)
        with app.app_context():
            batch.enqueue_batch(batch_id, len(ids))
        while True:
            state = batch.progress(db, batch_id)
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        cpu_after = _cpu()
        own = _cpu_seconds(_family(consumer.pid)) - own_before
        stop.set()
        sampler.join()
        rendered = state["done"]
        busy = [
            (b2 - b1) / max(1, t2 - t1)
            for (b1, t1), (b2, t2) in zip(cpu_before, cpu_after, strict=True)
        ]
        file = INSTANCE / "batches" / f"batch-{batch_id}.{args.format}"
        print(f"batch: {rendered} reports ({state['failed']} failed) in {elapsed:.1f} s")
        print(f"throughput: {rendered / elapsed:.2f} reports/s (target >= 5)")
        print("cores busy: " + ", ".join(f"cpu{i} {b:.0%}" for i, b in enumerate(busy)))
        share = own / (elapsed * len(busy))
        print(
            f"the consumer's own CPU: {own:.0f} s = {own / rendered:.2f} s per report, "
            f"{share:.0%} of the machine's {len(busy)} cores over the run "
            f"(the rest: other work on this shared machine)"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        from machine import describe

        print(describe())
        print(
            f"consumer memory (RSS, process + render children): start {samples[0]:.0f} MB, "
            f"peak {max(samples):.0f} MB, end {samples[-1]:.0f} MB"
        )
        print(f"file: {file.name}, {file.stat().st_size / 1e6:.1f} MB")
        # the same batch again: every report is in the cache, as it is once each diagnosis
        # has had its reports rendered after submission (services.reports.after_diagnosis)
        start = time.perf_counter()
        again = batch.create_batch(db, None, ids, args.lang, args.format, center_id=center)
        with app.app_context():
            batch.enqueue_batch(again, len(ids))
        while batch.progress(db, again)["status"] not in ("done", "failed"):
            time.sleep(0.05)
        cached = time.perf_counter() - start
        print(
            f"the same batch from the report cache: {len(ids) / cached:.1f} reports/s "
            f"({cached:.1f} s)"
        )
        db.conn.close()
    finally:
        stop.set()
        consumer.send_signal(signal.SIGTERM)
        try:
            consumer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()


if __name__ == "__main__":
    main()
