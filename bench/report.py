"""How fast the roadmap report renders, how big and full it is, and Chromium for comparison.

    .venv/bin/python bench/report.py

Prints, from one run on this machine:
- cold start to first PDF: a queue consumer started from nothing (``python -m diagnose.jobs``)
  with a download's report waiting in the queue, until the PDF is in the cache; the same
  with a report queued by assessment id (the consumer builds its app for it first); and how
  long the web app itself takes to start (it loads the track model);
- for the demo's longest report and for the four interviewed firms of tests/firms.py, in
  Korean and English: pages, KB, the emptiest page's fill (the last page aside), warm p50
  and p90 over repeated renders in the render child the app uses, and Chromium (kept
  running, driven by Playwright) printing the same HTML, with the ratio;
- each engine's floor, the same stylesheet on a one-paragraph page, and the ratio of what
  the reports cost above it (what the content costs each engine);
- the CPU time the render child spends on each report (user + system, from /proc: what the
  report costs, whatever else the machine runs), p50 per report and the median over them;
- the task-theme model's cold load (a new process reading one task: the shipped arrays and
  Kiwi), and the cold start of a consumer whose first report must read its task with it;
- the render child's peak memory, the time a download takes when the report is cached, and
  the load average, since the machine may be shared (wall times then stretch; CPU times and
  the ratio to Chromium, measured in the same run, much less).
Targets (issues 8 and 16, 2 cores): warm p50 <= 1.5 x Chromium (issue 16: <= 2.0 x and <= 0.3 s
CPU a report); PDF <= 120 KB; cold start <= 2 s.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_INSTANCE: another folder, so that two people's runs on one machine do not collide
INSTANCE = Path(
    os.environ.get("BENCH_INSTANCE") or Path(tempfile.gettempdir()) / "diagnose-bench-report"
)
REPEAT = 15


def _cold(app, waiting: bool, assessment_id: int) -> float:
    """A consumer started from nothing (``python -m diagnose.jobs``), with one report waiting
    in the queue (``waiting``: an issued report a download waits for; else a new diagnosis's
    report, which the consumer issues first): seconds from its start to the PDF in the cache."""
    from diagnose.roadmap.pdf import cache_path
    from diagnose.services import reports
    from diagnose.storage import connect

    shutil.rmtree(INSTANCE / "reports", ignore_errors=True)
    queue = app.extensions["queue"]
    queue.flush()
    tasks = app.extensions["queue_tasks"]
    if waiting:
        db = connect(app.config["DATABASE"])
        with app.test_request_context():
            from diagnose.records.assessments import assessment_record

            issued = reports.issue(db, assessment_record(db, assessment_id), "ko")
        db.conn.close()
        queue.enqueue(tasks["render_issued"].s(assessment_id, "ko", issued["revision"]))
        target = cache_path(INSTANCE / "reports", issued["cache_key"])
    else:
        # the consumer reads the task again (its themes are kept once read): its first
        # report then loads the task-theme model, as a new diagnosis's report does
        db = connect(app.config["DATABASE"])
        with db.conn:
            db.execute("DELETE FROM task_readings WHERE assessment_id = ?", [assessment_id])
            db.execute(
                "DELETE FROM assessment_themes WHERE assessment_id = ? AND source = 'model'",
                [assessment_id],
            )
            db.execute("DELETE FROM issued_reports WHERE assessment_id = ?", [assessment_id])
        db.conn.close()
        queue.enqueue(tasks["render_report"].s(assessment_id, "ko"))
        target = None
    env = {**os.environ, "DIAGNOSE_INSTANCE_PATH": str(INSTANCE), "DIAGNOSE_QUEUE_IMMEDIATE": "0"}
    start = time.perf_counter()
    consumer = subprocess.Popen(
        [sys.executable, "-m", "diagnose.jobs", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            done = target.exists() if target else any((INSTANCE / "reports").glob("*/*.pdf"))
            if done:
                return time.perf_counter() - start
            if time.perf_counter() - start > 60:
                raise RuntimeError("no PDF within a minute")
            time.sleep(0.01)
    finally:
        consumer.terminate()
        consumer.wait()


def child_themes() -> None:
    """A new process reads one task: the shipped theme model and Kiwi loaded from nothing."""
    start_cpu = time.process_time()
    from diagnose.roadmap import themes

    model = themes.current_model()
    loaded = time.process_time()
    model.read("프레스 라인 설비의 고장 예측과 부품 외관 불량 검출")
    print(json.dumps({
        "done": time.time(), "model_cpu": loaded - start_cpu,
        "read_cpu": time.process_time() - loaded, "cpu": time.process_time(),
    }))  # fmt: skip


def child_web_start() -> None:
    os.environ["DIAGNOSE_INSTANCE_PATH"] = str(INSTANCE)
    from diagnose import create_app

    create_app()
    print(json.dumps({"done": time.time()}))


def _timed_child(mode: str, details: bool = False):
    start = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "wall": result["done"] - start} if details else result["done"] - start


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reports(app, db) -> list[tuple[str, str, str]]:
    """``(label, lang, html)`` for the demo firm 1 and the four interviewed firms."""
    sys.path.insert(0, str(ROOT / "tests"))
    from firms import FIRMS, store_firm

    from diagnose.business_number import check_digit
    from diagnose.records.assessments import assessment_record
    from diagnose.services.roadmaps import report_html

    center, user = db.execute("SELECT center_id, id FROM users LIMIT 1").fetchone()
    ids = {"demo firm 1 (한빛정밀)": 1}
    for index, (name, firm) in enumerate(FIRMS.items()):
        row = db.execute(
            "SELECT a.id FROM assessments a JOIN firms f ON f.id = a.firm_id WHERE f.name = ? "
            "AND a.status = 'submitted' ORDER BY a.id DESC",
            [firm["profile"]["company_name"] + " (bench)"],
        ).fetchone()
        if row is None:
            first = f"{700 + index:03d}81{30000 + index * 43:05d}"[:9]
            bench_firm = {
                **firm,
                "profile": {
                    **firm["profile"],
                    "company_name": firm["profile"]["company_name"] + " (bench)",
                },
            }
            number = first + str(check_digit(first))
            ids[name] = store_firm(app, db, bench_firm, center, user, number)
        else:
            ids[name] = row[0]
    out = []
    for label, assessment_id in ids.items():
        for lang in ("ko", "en"):
            with app.test_request_context():
                html = report_html(db, assessment_record(db, assessment_id), lang)
            out.append((label, lang, html))
    return out


def _fill(pdf_path: Path) -> tuple[int, float]:
    sys.path.insert(0, str(ROOT / "tests"))
    import pdfcheck

    fills = pdfcheck.page_fill(pdf_path.read_bytes())
    return len(fills), min(fills[1:-1]) if len(fills) > 2 else 1.0


def chromium(htmls: list[str]) -> list[list[float]]:
    from playwright.sync_api import sync_playwright

    css = (ROOT / "roadmap_templates/report.css").read_text(encoding="utf-8")
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        for html in htmls:
            html = html.replace("</head>", f"<style>{css}</style></head>")
            page.set_content(html)
            page.pdf(format="A4", print_background=True)  # warm
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                page.set_content(html)
                page.pdf(format="A4", print_background=True)
                times.append(time.perf_counter() - t)
            results.append(times)
        browser.close()
    return results


def main() -> None:
    os.environ["DIAGNOSE_INSTANCE_PATH"] = str(INSTANCE)
    from diagnose import create_app
    from diagnose.roadmap.pdf import RenderSandbox
    from diagnose.services import reports as report_service
    from diagnose.storage import connect

    # Seeds the demo database once, so the cold runs measure a normal start.
    app = create_app({"QUEUE_IMMEDIATE": False, "DEMO_DATA": True})
    db = connect(app.config["DATABASE"])
    reports = _reports(app, db)

    colds = [_cold(app, True, 1) for _ in range(3)]
    by_id = [_cold(app, False, 1) for _ in range(3)]
    web = [_timed_child("web") for _ in range(3)]
    theme_loads = [_timed_child("themes", details=True) for _ in range(3)]

    sandbox = RenderSandbox(timeout=120, memory_mb=app.config["RENDER_MEMORY_MB"])
    rows, out = [], Path(tempfile.mkdtemp(prefix="bench-report-"))
    for label, lang, html in reports:
        sandbox.render(html)  # warm for this document
        times, cpus = [], []
        for _ in range(REPEAT):
            c, t = _cpu_of(sandbox.pid), time.perf_counter()
            pdf = sandbox.render(html)
            times.append(time.perf_counter() - t)
            cpus.append(_cpu_of(sandbox.pid) - c)
        path = out / f"{len(rows)}.pdf"
        path.write_bytes(pdf)
        pages, emptiest = _fill(path)
        rows.append((label, lang, html, sorted(times), len(pdf), pages, emptiest, cpus))
    # The engines' floor: the same stylesheet on a one-paragraph page (what each pays whatever
    # the report says), to read the ratio above it.
    floor_html = reports[0][2].split("<body", 1)[0] + "<body><p>가 A 1</p></body></html>"
    sandbox.render(floor_html)
    floor_times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        sandbox.render(floor_html)
        floor_times.append(time.perf_counter() - t)
    peak = [
        line.split()[1]
        for line in Path(f"/proc/{sandbox.pid}/status").read_text().splitlines()
        if line.startswith("VmHWM")
    ][0]
    sandbox.close()
    *chrome, chrome_floor = chromium([r[2] for r in rows] + [floor_html])

    with app.test_request_context():
        from diagnose.records.assessments import assessment_record

        record = assessment_record(db, 1)
        report_service.report_pdf(record, "ko")  # rendered by now or rendered into the cache
        t = time.perf_counter()
        for _ in range(10):
            report_service.report_pdf(record, "ko")
        cached = (time.perf_counter() - t) / 10

    each = ", ".join(f"{c:.2f}" for c in colds)
    print(
        "cold start to first PDF (a consumer started with a download waiting): "
        f"median {statistics.median(colds):.2f} s of {len(colds)} ({each})"
    )
    print(
        "cold start to first PDF (a consumer started with a new diagnosis's report queued by "
        "id: it builds its app, issues the report and reads the task with the task-theme "
        f"model): median {statistics.median(by_id):.2f} s of {len(by_id)} "
        f"({', '.join(f'{c:.2f}' for c in by_id)})"
    )
    model_cpu = statistics.median(t["model_cpu"] for t in theme_loads)
    read_cpu = statistics.median(t["read_cpu"] for t in theme_loads)
    print(
        "task-theme model, a new process reading one task: median "
        f"{statistics.median(t['wall'] for t in theme_loads):.2f} s wall from its start; CPU: "
        f"{model_cpu:.2f} s to import the package and load the shipped model (plain arrays), "
        f"{read_cpu:.2f} s for "
        f"the first reading (Kiwi's load and the analysis), "
        f"{statistics.median(t['cpu'] for t in theme_loads):.2f} s in all with the imports"
    )
    print(f"web app start (loads the track model): median {statistics.median(web):.2f} s")
    print(f"render child peak memory: {int(peak) / 1024:.0f} MB")
    print(f"download of a cached report (HTML built, file found): {1000 * cached:.0f} ms")
    print()
    print(f"{'report':<28}{'lang':<6}{'pages':>6}{'KB':>6}{'emptiest':>10}{'p50 s':>8}{'p90 s':>8}"
          f"{'CPU s':>8}{'chromium s':>12}{'ratio':>7}")  # fmt: skip
    ratios, cpu_each = [], []
    for (label, lang, _html, times, size, pages, emptiest, cpus), c in zip(
        rows, chrome, strict=True
    ):
        p50, p90 = statistics.median(times), times[int(0.9 * len(times)) - 1]
        c50 = statistics.median(c)
        ratios.append(p50 / c50)
        cpu_each.append(statistics.median(cpus))
        print(
            f"{label:<28}{lang:<6}{pages:>6}{size / 1024:>6.0f}{emptiest:>10.0%}"
            f"{p50:>8.3f}{p90:>8.3f}{cpu_each[-1]:>8.3f}{c50:>12.3f}{p50 / c50:>7.2f}"
        )
    print(f"\nratio WeasyPrint (render child) / Chromium, median over the reports: "
          f"{statistics.median(ratios):.2f} (target <= 2.0)")  # fmt: skip
    floor_w, floor_c = statistics.median(floor_times), statistics.median(chrome_floor)
    above = statistics.median(
        (statistics.median(r[3]) - floor_w) / (statistics.median(c) - floor_c)
        for r, c in zip(rows, chrome, strict=True)
    )
    print(
        f"a one-paragraph page with the same stylesheet: WeasyPrint {floor_w:.3f} s, Chromium "
        f"{floor_c:.3f} s; above that floor, the reports cost WeasyPrint {above:.1f} x what they "
        "cost Chromium (median)"
    )
    print(
        f"render child CPU per report (user + system), median over the reports: "
        f"{statistics.median(cpu_each):.3f} s (target <= 0.3)"
    )
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    from machine import describe

    print(describe())


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        {"web": child_web_start, "themes": child_themes}[sys.argv[2]]()
    else:
        main()
