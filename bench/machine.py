"""How fast this machine runs plain Python, printed beside a benchmark's figures.

CPU seconds per report or per request depend on the processor as much as on the code. This
figure (the CPU time of a fixed pure-Python loop, the median of three, on one core) lets two
runs on different machines be compared: divide a figure by it, or scale a target by it.
"""

from __future__ import annotations

import statistics
import time

LOOP = 10_000_000


def python_loop_seconds() -> float:
    """CPU seconds for ``LOOP`` additions in a Python loop (median of three)."""
    runs = []
    for _ in range(3):
        start, total = time.process_time(), 0
        for i in range(LOOP):
            total += i
        runs.append(time.process_time() - start)
    return statistics.median(runs)


def describe() -> str:
    return (
        f"machine: a Python loop of {LOOP:,} additions takes {python_loop_seconds():.2f} s of CPU "
        f"(smaller is faster; compare runs on different machines by it)"
    )


if __name__ == "__main__":
    print(describe())
