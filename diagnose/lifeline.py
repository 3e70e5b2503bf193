"""Child processes that never outlive their parent (Linux ``PR_SET_PDEATHSIG``).

A queue consumer started by ``run.py`` calls ``follow_parent`` first thing: if the app is
killed outright, the kernel kills the consumer too, and its render children with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent() -> int:
    """Ask the kernel to kill this process when its parent dies; return the parent's pid."""
    parent = os.getppid()
    with contextlib.suppress(OSError):  # not Linux: the watch in follow_parent still ends it
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent or parent == 1:  # the parent died before the request took
        os._exit(1)
    return parent


def follow_parent() -> None:
    """``die_with_parent``, and a watch on the parent as a second line."""
    parent = die_with_parent()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()
