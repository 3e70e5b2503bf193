"""Configuration from the environment: every setting is ``DIAGNOSE_<NAME>``.

Safe defaults for local use; production mode (``DIAGNOSE_ENV=production``) refuses to start
without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_WEAK_KEYS = {"", "dev", "changeme", "secret", "change-me"}


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    return Path(os.environ.get("DIAGNOSE_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def from_environment(instance: Path) -> dict:
    env = os.environ
    production = env.get("DIAGNOSE_ENV", "development").lower() == "production"
    config = {
        "ENV_NAME": "production" if production else "development",
        "DATABASE": env.get("DIAGNOSE_DATABASE") or str(instance / "diagnose.sqlite3"),
        "QUESTIONNAIRES": env.get("DIAGNOSE_QUESTIONNAIRES")
        or str(PROJECT_ROOT / "questionnaires"),
        "QUESTIONNAIRE_ID": env.get("DIAGNOSE_QUESTIONNAIRE_ID") or None,
        "DEMO_DATA": _flag(env.get("DIAGNOSE_DEMO_DATA", "0" if production else "1")),
        "BABEL_DEFAULT_LOCALE": "ko",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # Interviews run long and span sittings: a login lasts a working day, and a CSRF token
        # as long as the session (an expired one is renewed by the page, never loses answers).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env.get("DIAGNOSE_SESSION_HOURS", "12"))),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # --- the task queue and report rendering (diagnose/jobs.py) ---
        # Empty: a SQLite file under the instance folder; "redis://host:6379/0": Redis, which
        # lets consumers on several machines share the queue.
        "QUEUE_URL": env.get("DIAGNOSE_QUEUE_URL", ""),
        # Run tasks inline instead of in a consumer (the tests; never in production).
        "QUEUE_IMMEDIATE": _flag(env.get("DIAGNOSE_QUEUE_IMMEDIATE", "0")),
        # Reports a consumer renders at once (each in a render child of its own).
        "RENDER_WORKERS": int(env.get("DIAGNOSE_RENDER_WORKERS", "2")),
        # Renders waiting beyond this many: a download is refused with 503 until they clear.
        "RENDER_QUEUE_LIMIT": int(env.get("DIAGNOSE_RENDER_QUEUE_LIMIT", "20")),
        # A render that runs longer, or needs more memory, is stopped (its child is killed).
        "RENDER_TIMEOUT": float(env.get("DIAGNOSE_RENDER_TIMEOUT", "30")),
        "RENDER_MEMORY_MB": int(env.get("DIAGNOSE_RENDER_MEMORY_MB", "1024")),
        # How long a download waits for a render before answering "being prepared".
        "RENDER_WAIT": float(env.get("DIAGNOSE_RENDER_WAIT", "5")),
        # No real firm fills in twenty self-assessments an hour from one address.
        "SELF_ASSESSMENT_RATE_LIMIT": env.get("DIAGNOSE_SELF_ASSESSMENT_RATE_LIMIT")
        or "20 per hour",
        # Failed logins per client address: a person who mistypes never meets it, a password
        # guesser soon does.
        "LOGIN_RATE_LIMIT": env.get("DIAGNOSE_LOGIN_RATE_LIMIT") or "10 per minute; 30 per hour",
        "RATELIMIT_STORAGE_URI": env.get("DIAGNOSE_RATELIMIT_STORAGE_URI") or "memory://",
    }
    config["SECRET_KEY"] = _secret_key(env.get("DIAGNOSE_SECRET_KEY", ""), production, instance)
    return config


def _secret_key(given: str, production: bool, instance: Path) -> str:
    if given.strip() not in _WEAK_KEYS and len(given) >= 32:
        return given
    if production:
        raise ConfigError(
            "DIAGNOSE_SECRET_KEY must be set to a random string of at least 32 characters in "
            "production, e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if given.strip():
        return given
    # Local use: a random key kept in the instance folder, so logins survive a restart.
    path = instance / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
