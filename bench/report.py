"""How fast the roadmap report renders, how big it is, and Chromium for comparison.

    .venv/bin/python bench/report.py

Prints, from one run on this machine: the cold time (a new process, start to PDF), warm
p50/p90 over 20 renders (the cache bypassed) as the app renders (sections laid out in two
worker processes) and in one process, peak memory of the app process and of a worker, PDF
size, the time of a cached report, and the time Chromium (kept running, driven by
Playwright) takes to print the same HTML, as a ratio.
Targets (2 cores): warm p50 <= 0.4 s, PDF <= 300 KB, peak <= 250 MB.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(tempfile.gettempdir()) / "diagnose-bench-report"
FIRM = 1  # the demo's 한빛정밀: shared-center track, peers shown, the longest report


def child(mode: str) -> None:
    """Runs in a new process: build the app (demo data), render, report timings as JSON."""
    start = time.perf_counter()
    os.environ["DIAGNOSE_INSTANCE_PATH"] = str(INSTANCE)
    from diagnose import create_app
    from diagnose.assessments import assessment_record
    from diagnose.roadmap.pdf import render, render_html, render_pdf
    from diagnose.roadmap.report import report_context
    from diagnose.storage import connect

    app = create_app()
    db = connect(app.config["DATABASE"])
    record = assessment_record(db, FIRM)
    with app.test_request_context():
        html = render_html("report.html", report_context(db, record, "ko"), "ko")
    workers = app.config["RENDER_WORKERS"]
    pdf = render(html, workers)
    cold = time.perf_counter() - start
    result = {"cold": cold, "size": len(pdf), "workers": workers}
    if mode in ("warm", "serial"):
        draw = (lambda h: render(h, workers)) if mode == "warm" else render_pdf
        for key in (mode,):
            times = []
            for _ in range(20):
                t = time.perf_counter()
                with app.test_request_context():
                    html = render_html("report.html", report_context(db, record, "ko"), "ko")
                draw(html)
                times.append(time.perf_counter() - t)
            result[key] = times
        from diagnose.roadmap.pdf import cached_pdf

        folder = INSTANCE / "bench-cache"
        cached_pdf(html, folder)
        t = time.perf_counter()
        again, hit = cached_pdf(html, folder)
        result["cached"] = time.perf_counter() - t
        result["cache_hit"] = hit
        (INSTANCE / "report.html").write_text(html, encoding="utf-8")
        (INSTANCE / "report.pdf").write_bytes(pdf)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from diagnose.roadmap import pdf as pdf_module

    if pdf_module._pool is not None:
        peaks = [pdf_module._pool.submit(worker_peak).result() for _ in range(4)]
        result["worker_peak_mb"] = max(peaks)
    print(json.dumps(result))


def worker_peak() -> float:
    """In a render worker: its own peak memory, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def chromium_print(html_path: Path, repeat: int = 10) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        css = (ROOT / "roadmap_templates/report.css").read_text(encoding="utf-8")
        html = html_path.read_text(encoding="utf-8").replace(
            "</head>", f"<style>{css}</style></head>"
        )
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            page.set_content(html)
            page.pdf(format="A4", print_background=True)
            times.append(time.perf_counter() - t)
        browser.close()
    return times


def main() -> None:
    run("prepare")  # seeds the demo database once, so the cold run measures a normal start
    cold = run("cold")
    warm = run("warm")
    warm["serial"] = run("serial")["serial"]
    times = sorted(warm["warm"])
    p50, p90 = statistics.median(times), times[int(0.9 * len(times)) - 1]
    serial = sorted(warm["serial"])
    s50, s90 = statistics.median(serial), serial[int(0.9 * len(serial)) - 1]
    chrome = sorted(chromium_print(INSTANCE / "report.html"))
    c50 = statistics.median(chrome)
    pages = subprocess.run(
        ["pdfinfo", str(INSTANCE / "report.pdf")], capture_output=True, text=True
    ).stdout
    page_count = next(
        (line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?"
    )
    print(f"report: demo firm {FIRM}, Korean, {page_count} pages")
    print(f"cold (new process, app start + first render): {cold['cold']:.2f} s")
    print(
        f"warm over 20 renders, as the app renders ({warm['workers']} workers): "
        f"p50 {p50:.3f} s, p90 {p90:.3f} s"
    )
    print(f"warm over 20 renders in one process: p50 {s50:.3f} s, p90 {s90:.3f} s")
    print(f"cached (identical inputs): {1000 * warm['cached']:.1f} ms, hit={warm['cache_hit']}")
    print(
        f"peak memory: app process {warm['peak_mb']:.0f} MB, "
        f"largest worker {warm['worker_peak_mb']:.0f} MB"
    )
    print(f"PDF size: {warm['size'] / 1024:.0f} KB")
    print(
        f"Chromium print of the same HTML (kept running): p50 {c50:.3f} s; "
        f"WeasyPrint/Chromium = {p50 / c50:.2f}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
