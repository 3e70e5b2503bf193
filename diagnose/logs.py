"""Access logs without secrets: a result link's token never reaches a log file.

A self-assessment's result link carries its token in the path (``/r/<token>``) and the API
accepts ``?token=``; whoever reads the access log could open those results. The app server's
log (gunicorn: ``--logger-class diagnose.logs.GunicornLogger``) and the development server's
(the ``werkzeug`` logger) both write the address with the token replaced.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_RESULT_PATH = re.compile(r"(/r/)[^/?#\s\"]+")
_TOKEN_PARAM = re.compile(r"((?:^|[?&])token=)[^&#\s\"]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every result-link token in it replaced."""
    return _TOKEN_PARAM.sub(r"\1" + REDACTED, _RESULT_PATH.sub(r"\1" + REDACTED, text))


class RedactTokens(logging.Filter):
    """For the development server's request lines (the ``werkzeug`` logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is for serving only
    _GunicornLogger = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's access log with result-link tokens replaced in the request line, the path
    and the query string."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e", "{path_info}e", "{query_string}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
