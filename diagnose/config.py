"""Configuration from the environment: every setting is ``DIAGNOSE_<NAME>``.

Safe defaults for local use; production mode (``DIAGNOSE_ENV=production``) refuses to start
without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from .secret_key import secret_key_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
        # Reports of one batch in the queue at once: enough to keep every consumer busy,
        # few enough that a download or a new diagnosis never waits behind a batch.
        "BATCH_PARALLEL": int(env.get("DIAGNOSE_BATCH_PARALLEL", "4")),
        # How long a download waits for a render before answering "being prepared".
        "RENDER_WAIT": float(env.get("DIAGNOSE_RENDER_WAIT", "1")),
        # No real firm fills in twenty self-assessments an hour from one address.
        "SELF_ASSESSMENT_RATE_LIMIT": env.get("DIAGNOSE_SELF_ASSESSMENT_RATE_LIMIT")
        or "20 per hour",
        # Failed logins per client address: a person who mistypes never meets it, a password
        # guesser soon does.
        "LOGIN_RATE_LIMIT": env.get("DIAGNOSE_LOGIN_RATE_LIMIT") or "10 per minute; 30 per hour",
        # Failed logins per account, from anywhere: slows a guesser who spreads over addresses.
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("DIAGNOSE_LOGIN_ACCOUNT_RATE_LIMIT") or "20 per hour",
        "RATELIMIT_STORAGE_URI": env.get("DIAGNOSE_RATELIMIT_STORAGE_URI") or "memory://",
        # Proxies in front of the app whose X-Forwarded-For/-Proto are to be believed (0: none,
        # so a client cannot pose as another address to dodge or aim the login limits).
        "PROXY_HOPS": int(env.get("DIAGNOSE_PROXY_HOPS", "0")),
        # Absolute links (a self-assessment's result link) start with this, never with the
        # Host header a caller sent; required in production. Unset in development: the
        # address the browser used.
        "BASE_URL": (env.get("DIAGNOSE_BASE_URL") or "").rstrip("/"),
        "RESULT_LINK_DAYS": int(env.get("DIAGNOSE_RESULT_LINK_DAYS", "90")),
        # A self-assessment's resume link works this many days after its last saved answer
        # (then its answers are purged); once submitted it lasts as the result link does.
        "RESUME_LINK_DAYS": int(env.get("DIAGNOSE_RESUME_LINK_DAYS", "30")),
        "API_TOKEN_DAYS": int(env.get("DIAGNOSE_API_TOKEN_DAYS", "90")),
        # Retention: what `flask purge` deletes. Ended or expired logins after this many days,
        # cached report files not used for this many days, idempotency keys after a day.
        "RETAIN_LOGIN_SESSIONS_DAYS": int(env.get("DIAGNOSE_RETAIN_LOGIN_SESSIONS_DAYS", "30")),
        "RETAIN_REPORT_FILES_DAYS": int(env.get("DIAGNOSE_RETAIN_REPORT_FILES_DAYS", "14")),
        "RETAIN_IDEMPOTENCY_HOURS": int(env.get("DIAGNOSE_RETAIN_IDEMPOTENCY_HOURS", "24")),
        "HSTS": production,
        # --- backups and nightly maintenance (services/lifecycle.py, diagnose/maintenance.py) ---
        # Where `flask backup` (without a file) and the queue's nightly task put backups, and
        # how many of the newest they keep (0: all).
        "BACKUP_FOLDER": env.get("DIAGNOSE_BACKUP_FOLDER") or str(instance / "backups"),
        "BACKUP_KEEP": int(env.get("DIAGNOSE_BACKUP_KEEP", "14")),
        # The hour (UTC; 18 is 03:00 in Korea) at which a queue consumer backs up and purges;
        # empty: no nightly task (run `flask backup` and `flask purge` from cron instead).
        "MAINTENANCE_HOUR": env.get("DIAGNOSE_MAINTENANCE_HOUR", "18"),
    }
    config.update(_mail_settings(env))
    config["SECRET_KEY"] = _secret_key(env.get("DIAGNOSE_SECRET_KEY", ""), production, instance)
    if production and not config["BASE_URL"]:
        raise ConfigError(
            "DIAGNOSE_BASE_URL must be set in production, e.g. https://diagnose.example.kr: "
            "links sent to firms are built on it"
        )
    return config


def _mail_settings(env) -> dict:
    """Notices by e-mail (``diagnose/mailing.py``, Flask-Mailman). No server: the mails wait
    in the outbox, listed for staff, until one is set (``flask mail send``)."""
    return {
        "MAIL_SERVER": env.get("DIAGNOSE_MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("DIAGNOSE_MAIL_PORT") or "587"),
        "MAIL_USERNAME": env.get("DIAGNOSE_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("DIAGNOSE_MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env.get("DIAGNOSE_MAIL_USE_TLS", "1")),
        "MAIL_DEFAULT_SENDER": env.get("DIAGNOSE_MAIL_FROM") or "noreply@localhost",
        "MAIL_BACKEND": "smtp",  # Flask-Mailman's default in tests is a memory box: never
        "MAIL_TIMEOUT": 10,
        # Business days a center promises to answer a request in (a center's own setting
        # on its row wins); 2 is the tool's assumption, to be validated with the centers.
        "REQUEST_ANSWER_DAYS": int(env.get("DIAGNOSE_REQUEST_ANSWER_DAYS") or "2"),
    }


def is_strong_key(key: str) -> bool:
    return secret_key_problem(key) is None


def _secret_key(given: str, production: bool, instance: Path) -> str:
    problem = secret_key_problem(given)
    if problem is None:
        return given
    if production:
        raise ConfigError(
            f"DIAGNOSE_SECRET_KEY is refused ({problem}): production needs a random string of "
            "at least 32 characters, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
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
