"""The SQLite database: connection, schema migrations, transactions.

One file, WAL mode so readers never wait for the writer, and explicit, numbered migrations
that run at start. Each migration runs once, inside its own ``BEGIN IMMEDIATE`` transaction,
and is recorded in ``schema_migrations``: running them again changes nothing.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from flask import Flask, current_app, g

log = logging.getLogger(__name__)


def now() -> str:
    """Timestamps are stored as ISO 8601 UTC text: sortable and readable in the sqlite shell."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path | str) -> sqlite_utils.Database:
    # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE where a write
    # follows a read), instead of letting the driver open deferred ones behind our back.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    # deleted or replaced rows are overwritten with zeros: an erased firm's name does not
    # linger in free pages of the file (services/erasure.py)
    conn.execute("PRAGMA secure_delete = ON")
    return sqlite_utils.Database(conn)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front, so a read inside it stays true.

    Writes inside use ``db.execute``: sqlite-utils' own insert helpers commit on their own.
    Nested use becomes a savepoint, so operations compose into one transaction.
    """
    if db.conn.in_transaction:
        db.execute("SAVEPOINT nested")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK TO nested")
            db.execute("RELEASE nested")
            raise
        db.execute("RELEASE nested")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# --- migrations ------------------------------------------------------------------------------
# One file per migration in ``diagnose/migrations/``: ``NNNN_slug.sql``, NNNN its version
# number, its first line ``-- <description>`` (the name recorded in ``schema_migrations``),
# then its SQL, statements ending in ``;``. Append only: a migration that has shipped is never
# edited; write a new file with the next free number.

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

# A migration that rebuilds a table (SQLite cannot drop a constraint in place) starts with this
# line (after its description): it runs with foreign keys off, as SQLite's documented procedure
# asks, and is checked with ``PRAGMA foreign_key_check`` before it commits.
REBUILDS_TABLES = "-- rebuilds tables"

_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """A migration file is misnamed or misformed: the app does not start on it."""


def load_migrations(folder: Path = MIGRATIONS_FOLDER) -> list[tuple[int, str, str]]:
    """``(version, description, sql)`` of every ``NNNN_slug.sql`` in ``folder``, in order."""
    migrations = []
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _MIGRATION_FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: a migration file is named NNNN_slug.sql")
        first, _newline, sql = path.read_text(encoding="utf-8").partition("\n")
        if not first.startswith("-- ") or not first[3:].strip():
            raise MigrationError(f"{path.name}: the first line is '-- <what it does>'")
        migrations.append((int(match.group(1)), first[3:].strip(), sql))
    versions = [version for version, _name, _sql in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number in {folder}")
    return migrations


MIGRATIONS: list[tuple[int, str, str]] = load_migrations()


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(db: sqlite_utils.Database, migrations: list[tuple[int, str, str]] = MIGRATIONS) -> int:
    """Bring the database up to the newest schema; return how many migrations ran."""
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    ran = 0
    for version, name, sql in migrations:
        rebuild = sql.lstrip().startswith(REBUILDS_TABLES)
        if rebuild:
            db.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        try:
            with transaction(db):
                # Checked inside the write lock: two processes starting at once apply it once.
                done = db.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", [version]
                ).fetchone()
                if done:
                    continue
                for statement in split_statements(sql):
                    db.execute(statement)
                if rebuild and db.execute("PRAGMA foreign_key_check").fetchone():
                    raise sqlite3.IntegrityError(f"migration {version} broke a foreign key")
                db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [version, name, now()],
                )
        finally:
            if rebuild:
                db.execute("PRAGMA foreign_keys = ON")
        log.info("applied migration %s: %s", version, name)
        ran += 1
    return ran


def split_statements(sql: str) -> list[str]:
    """The statements of a migration, as SQLite itself reads them (``sqlite3.complete_statement``):
    a ``;`` inside a quoted string, a comment or a trigger's ``BEGIN … END`` ends nothing.
    Comments stay with the statement they precede; text after the last ``;`` that holds no
    statement (blank lines, comments) is dropped, and any other is returned as is, for SQLite
    to refuse."""
    statements, start = [], 0
    for end, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : end + 1]):
            statement = sql[start : end + 1].strip()
            if _holds_sql(statement):
                statements.append(statement)
            start = end + 1
    rest = sql[start:].strip()
    if _holds_sql(rest):
        statements.append(rest)
    return statements


def _holds_sql(text: str) -> bool:
    """Whether ``text`` holds more than comments, whitespace and semicolons (read in order:
    a ``/*`` inside a ``--`` comment opens nothing)."""
    i = 0
    while i < len(text):
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        elif text[i].isspace() or text[i] == ";":
            i += 1
        else:
            return True
    return False


# --- Flask wiring ----------------------------------------------------------------------------


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def restrict_files(path: Path) -> None:
    """The database and its WAL files readable by the app's own user only (a database made
    by an older release, or copied in, may have been world-readable)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            file.chmod(0o600)


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask, on_ready: Callable[[sqlite_utils.Database], None] | None = None) -> None:
    """Create and migrate the database at start, and close connections after each request."""
    path = Path(app.config["DATABASE"])
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = connect(path)
    try:
        migrate(db)
        if on_ready:
            on_ready(db)
    finally:
        db.conn.close()
    restrict_files(path)
    app.teardown_appcontext(close_db)
