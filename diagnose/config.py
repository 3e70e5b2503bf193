"""Configuration from the environment: every setting is ``DIAGNOSE_<NAME>``.

The settings are fields of ``Settings`` (pydantic-settings): each one's type, default and
why, in one place; ``from_environment`` turns them into the app's configuration, where a
field ``render_workers`` becomes ``RENDER_WORKERS``. A new setting is one more field (and a
line in the README's table). Safe defaults for local use; production mode
(``DIAGNOSE_ENV=production``) refuses to start without a real secret key.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .secret_key import secret_key_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


class Settings(BaseSettings):
    """``DIAGNOSE_<NAME>`` variables; an empty variable counts as unset (its default)."""

    model_config = SettingsConfigDict(
        env_prefix="DIAGNOSE_", env_ignore_empty=True, extra="ignore", validate_default=True
    )

    env: str = "development"  # "production": secure cookies, no demo data, a real secret key
    secret_key: str = ""
    instance_path: Path | None = None  # default: ./instance
    database: str | None = None  # default: <instance>/diagnose.sqlite3
    questionnaires: str = str(PROJECT_ROOT / "questionnaires")
    questionnaire_id: str | None = None
    demo_data: bool | None = None  # default: on in development, off in production
    # Interviews run long and span sittings: a login lasts a working day.
    session_hours: int = 12
    # --- the task queue and report rendering (diagnose/jobs.py) ---
    # Empty: a SQLite file under the instance folder; "redis://host:6379/0": Redis, which
    # lets consumers on several machines share the queue.
    queue_url: str = ""
    # Run tasks inline instead of in a consumer (the tests; never in production).
    queue_immediate: bool = False
    # Reports a consumer renders at once (each in a render child of its own).
    render_workers: int = 2
    # Renders waiting beyond this many: a download is refused with 503 until they clear.
    render_queue_limit: int = 20
    # A render that runs longer, or needs more memory, is stopped (its child is killed).
    render_timeout: float = 30
    render_memory_mb: int = 1024
    # Reports of one batch in the queue at once: enough to keep every consumer busy,
    # few enough that a download or a new diagnosis never waits behind a batch.
    batch_parallel: int = 4
    # How long a download waits for a render before answering "being prepared".
    render_wait: float = 1
    # --- limits ---
    # No real firm fills in twenty self-assessments an hour from one address.
    self_assessment_rate_limit: str = "20 per hour"
    # Failed logins per client address: a person who mistypes never meets it, a password
    # guesser soon does.
    login_rate_limit: str = "10 per minute; 30 per hour"
    # Failed logins per account, from anywhere: slows a guesser who spreads over addresses.
    login_account_rate_limit: str = "20 per hour"
    ratelimit_storage_uri: str = "memory://"
    # Proxies in front of the app whose X-Forwarded-For/-Proto are to be believed (0: none,
    # so a client cannot pose as another address to dodge or aim the login limits).
    proxy_hops: int = 0
    # --- links and their lifetimes ---
    # Absolute links (a self-assessment's result link) start with this, never with the
    # Host header a caller sent; required in production. Unset in development: the
    # address the browser used.
    base_url: str = ""
    result_link_days: int = 90
    # A self-assessment's resume link works this many days after its last saved answer
    # (then its answers are purged); once submitted it lasts as the result link does.
    resume_link_days: int = 30
    api_token_days: int = 90
    # --- retention: what `flask purge` deletes ---
    # Ended or expired logins after this many days, cached report files not used for this
    # many days, idempotency keys after a day.
    retain_login_sessions_days: int = 30
    retain_report_files_days: int = 14
    retain_idempotency_hours: int = 24
    # --- notices by e-mail (diagnose/services/mailing.py, Flask-Mailman) ---
    # No server: the mails wait in the outbox, listed for staff, until one is set
    # (`flask mail send`).
    mail_server: str = ""
    mail_port: int = 587
    mail_username: str | None = None
    mail_password: str | None = None
    mail_use_tls: bool = True
    mail_from: str = "noreply@localhost"
    # Business days a center promises to answer a request in (a center's own setting on its
    # row wins); 2 is the tool's assumption, to be validated with the centers.
    request_answer_days: int = 2
    # --- backups and nightly maintenance (services/lifecycle.py, diagnose/maintenance.py) ---
    # Where `flask backup` (without a file) and the queue's nightly task put backups (default:
    # <instance>/backups), and how many of the newest they keep (0: all).
    backup_folder: str | None = None
    backup_keep: int = 14
    # The hour (UTC; 18 is 03:00 in Korea) at which a queue consumer backs up and purges;
    # "off": no nightly task (run `flask backup` and `flask purge` from cron instead).
    maintenance_hour: str = "18"
    # --- where `python run.py` listens ---
    host: str = "127.0.0.1"
    port: int = 5000


def read_settings() -> Settings:
    """The ``DIAGNOSE_`` variables, checked; a wrong one stops the start, named."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"DIAGNOSE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            f" (got {err['input']!r})"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


def instance_path() -> Path:
    return (read_settings().instance_path or PROJECT_ROOT / "instance").resolve()


# Settings the app's configuration holds under other names or in other forms.
_DERIVED = {
    "env",
    "secret_key",
    "instance_path",
    "database",
    "demo_data",
    "session_hours",
    "mail_from",
    "backup_folder",
    "maintenance_hour",
}


def from_environment(instance: Path) -> dict[str, Any]:
    settings = read_settings()
    production = settings.env.lower() == "production"
    config = {
        name.upper(): value for name, value in settings.model_dump().items() if name not in _DERIVED
    }
    config |= {
        "ENV_NAME": "production" if production else "development",
        "DATABASE": settings.database or str(instance / "diagnose.sqlite3"),
        "DEMO_DATA": (not production) if settings.demo_data is None else settings.demo_data,
        "BABEL_DEFAULT_LOCALE": "ko",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # A CSRF token lasts as long as the session (an expired one is renewed by the page,
        # never loses answers).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=settings.session_hours),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "BASE_URL": settings.base_url.rstrip("/"),
        "HSTS": production,
        "MAIL_DEFAULT_SENDER": settings.mail_from,
        "MAIL_BACKEND": "smtp",  # Flask-Mailman's default in tests is a memory box: never
        "MAIL_TIMEOUT": 10,
        "BACKUP_FOLDER": settings.backup_folder or str(instance / "backups"),
        "MAINTENANCE_HOUR": ""
        if settings.maintenance_hour.strip().lower() in ("off", "none", "no")
        else settings.maintenance_hour,
    }
    config["SECRET_KEY"] = _secret_key(settings.secret_key, production, instance)
    if production and not config["BASE_URL"]:
        raise ConfigError(
            "DIAGNOSE_BASE_URL must be set in production, e.g. https://diagnose.example.kr: "
            "links sent to firms are built on it"
        )
    return config


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
