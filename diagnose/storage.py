"""The SQLite database: connection, schema migrations, transactions.

One file, WAL mode so readers never wait for the writer, and explicit, numbered migrations
that run at start. Each migration runs once, inside its own ``BEGIN IMMEDIATE`` transaction,
and is recorded in ``schema_migrations``: running them again changes nothing.
"""

from __future__ import annotations

import logging
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
# Append only. A migration that has shipped is never edited: write a new one.

# A migration that rebuilds a table (SQLite cannot drop a constraint in place) starts with this
# line: it runs with foreign keys off, as SQLite's documented procedure asks, and is checked
# with ``PRAGMA foreign_key_check`` before it commits.
REBUILDS_TABLES = "-- rebuilds tables"


# --- a firm's latest state, maintained by triggers (migration 37) ------------------------------
# What every list, dashboard and export needs per firm, computed once when it changes instead
# of in every column of every query: its open draft, its latest diagnosis (when, the track it
# ended with, its readiness), its last activity, how many diagnoses (by a consultant), an open
# request, its latest training. Rows are made on first need (a firm never worked on has none:
# read it with a LEFT JOIN). The SQL below is part of migration 37: never change its output.


def _latest_refresh(firm: str, where: str) -> str:
    """Statements that recompute ``firm_latest`` for the firm ``firm`` (an SQL expression)."""
    return f"""
        UPDATE firm_latest SET
            draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = {firm}
                        AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
            diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = {firm}
                        AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
            last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                        WHERE a.firm_id = {firm}),
            submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = {firm}
                        AND a.status = 'submitted'),
            by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = {firm}
                        AND a.status = 'submitted' AND a.source != 'self')
        {where};
        {_latest_track(where)}"""


def _latest_track(where: str) -> str:
    return f"""UPDATE firm_latest SET
            diagnosed_at = (SELECT a.submitted_at FROM assessments a
                        WHERE a.id = firm_latest.diagnosed_id),
            track = COALESCE(
                (SELECT d.final_track FROM decisions d
                 WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
                (SELECT p.track FROM predictions p
                 WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
            readiness = (SELECT p.readiness FROM predictions p
                        WHERE p.assessment_id = firm_latest.diagnosed_id
                        ORDER BY p.id DESC LIMIT 1)
        {where};"""


def _latest_others(firm: str, where: str) -> str:
    return f"""UPDATE firm_latest SET
            requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = {firm}
                        AND r.status = 'new'),
            training_started = (SELECT MAX(t.started_on) FROM training_records t
                        WHERE t.firm_id = {firm})
        {where};"""


def _latest_triggers() -> str:
    """The triggers that keep ``firm_latest`` (none on ``firms``: a rebuild of that table
    would drop them)."""

    def on(name: str, event: str, firm: str, body: str) -> str:
        return f"""
        CREATE TRIGGER firm_latest_{name} {event}
        BEGIN
            INSERT INTO firm_latest (firm_id) SELECT {firm} WHERE {firm} IS NOT NULL
                ON CONFLICT DO NOTHING;
            {body}
        END;"""

    def everything(firm: str) -> str:
        where = f"WHERE firm_id = {firm}"
        return _latest_refresh(firm, where) + _latest_others(firm, where)

    of_assessment = "(SELECT firm_id FROM assessments WHERE id = {row}.assessment_id)"
    sql = ""
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        sql += on(
            f"assessment_{event.lower()}",
            f"AFTER {event} ON assessments",
            f"{row}.firm_id",
            everything(f"{row}.firm_id"),
        )
        for table in ("predictions", "decisions"):
            firm = of_assessment.format(row=row)
            sql += on(
                f"{table}_{event.lower()}",
                f"AFTER {event} ON {table}",
                firm,
                _latest_track(f"WHERE firm_id = {firm}"),
            )
        for table in ("training_records", "consultant_requests"):
            sql += on(
                f"{table}_{event.lower()}",
                f"AFTER {event} ON {table}",
                f"{row}.firm_id",
                _latest_others(f"{row}.firm_id", f"WHERE firm_id = {row}.firm_id"),
            )
    sql += on(
        "assessment_update",
        "AFTER UPDATE OF firm_id, status, submitted_at, updated_at, source ON assessments",
        "NEW.firm_id",
        everything("NEW.firm_id"),
    )
    sql += on(
        "assessment_move",
        "AFTER UPDATE OF firm_id ON assessments WHEN OLD.firm_id IS NOT NEW.firm_id",
        "OLD.firm_id",
        everything("OLD.firm_id"),
    )
    for table, columns in (
        ("predictions", "track, readiness, assessment_id"),
        ("decisions", "final_track, assessment_id"),
    ):
        sql += on(
            f"{table}_update",
            f"AFTER UPDATE OF {columns} ON {table}",
            of_assessment.format(row="NEW"),
            _latest_track(f"WHERE firm_id = {of_assessment.format(row='NEW')}"),
        )
    for table, columns in (
        ("training_records", "started_on, firm_id"),
        ("consultant_requests", "status, firm_id"),
    ):
        for row in ("NEW", "OLD"):
            sql += on(
                f"{table}_update_{row.lower()}",
                f"AFTER UPDATE OF {columns} ON {table}",
                f"{row}.firm_id",
                _latest_others(f"{row}.firm_id", f"WHERE firm_id = {row}.firm_id"),
            )
    return sql


MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "centers, users and firms",
        """
        CREATE TABLE centers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'consultant',
            created_at TEXT NOT NULL
        );
        CREATE TABLE firms (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            name TEXT NOT NULL,
            business_number TEXT NOT NULL,
            region TEXT NOT NULL,
            industry TEXT NOT NULL,
            employees INTEGER NOT NULL,
            revenue_band TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL DEFAULT '',
            contact_email TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (center_id, business_number)
        );
        CREATE INDEX firms_center_name ON firms (center_id, name);
        """,
    ),
    (
        2,
        "questionnaire versions, assessments and answers",
        """
        CREATE TABLE questionnaire_versions (
            questionnaire_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            digest TEXT NOT NULL,
            definition TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (questionnaire_id, version)
        );
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            firm_id INTEGER NOT NULL REFERENCES firms(id),
            center_id INTEGER NOT NULL REFERENCES centers(id),
            consultant_id INTEGER REFERENCES users(id),
            questionnaire_id TEXT NOT NULL,
            questionnaire_version INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
            profile TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            submitted_at TEXT,
            FOREIGN KEY (questionnaire_id, questionnaire_version)
                REFERENCES questionnaire_versions (questionnaire_id, version)
        );
        CREATE INDEX assessments_firm ON assessments (firm_id, created_at);
        CREATE INDEX assessments_center ON assessments (center_id, status);
        CREATE TABLE answers (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            value TEXT,
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (assessment_id, item_id)
        );
        """,
    ),
    (
        3,
        "predictions, consultant decisions, API tokens, self-assessment links",
        """
        CREATE TABLE predictions (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            track TEXT NOT NULL,
            probabilities TEXT NOT NULL,
            explanation TEXT NOT NULL,
            scores TEXT NOT NULL,
            readiness REAL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX predictions_assessment ON predictions (assessment_id, id);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            prediction_id INTEGER NOT NULL REFERENCES predictions(id),
            predicted_track TEXT NOT NULL,
            final_track TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('confirm', 'override')),
            reason TEXT NOT NULL DEFAULT '',
            decided_by INTEGER NOT NULL REFERENCES users(id),
            decided_at TEXT NOT NULL
        );
        CREATE INDEX decisions_assessment ON decisions (assessment_id, id);
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_used_at TEXT
        );
        ALTER TABLE assessments ADD COLUMN source TEXT NOT NULL DEFAULT 'consultant';
        ALTER TABLE assessments ADD COLUMN result_token_hash TEXT;
        CREATE UNIQUE INDEX assessments_result_token ON assessments (result_token_hash);
        """,
    ),
    (
        4,
        "login sessions kept on the server, so logging out ends them for good",
        """
        CREATE TABLE login_sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX login_sessions_user ON login_sessions (user_id, ended_at);
        """,
    ),
    (
        5,
        "how a firm reaches its center and consultant (the report's 'whom to call')",
        """
        ALTER TABLE centers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        ALTER TABLE centers ADD COLUMN email TEXT NOT NULL DEFAULT '';
        ALTER TABLE centers ADD COLUMN address TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        """,
    ),
    (
        6,
        "firms: self-assessed firms apart from a center's own, erasure on request",
        f"""{REBUILDS_TABLES}
        CREATE TABLE firms_rebuilt (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            name TEXT NOT NULL,
            business_number TEXT NOT NULL,
            region TEXT NOT NULL,
            industry TEXT NOT NULL,
            employees INTEGER NOT NULL,
            revenue_band TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL DEFAULT '',
            contact_email TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'center' CHECK (origin IN ('center', 'self')),
            erased_at TEXT
        );
        INSERT INTO firms_rebuilt (id, center_id, name, business_number, region, industry,
            employees, revenue_band, contact_name, contact_phone, contact_email, created_by,
            created_at, updated_at, origin)
        SELECT id, center_id, name, business_number, region, industry, employees, revenue_band,
            contact_name, contact_phone, contact_email, created_by, created_at, updated_at,
            CASE WHEN created_by IS NULL THEN 'self' ELSE 'center' END
        FROM firms;
        DROP TABLE firms;
        ALTER TABLE firms_rebuilt RENAME TO firms;
        CREATE INDEX firms_center_name ON firms (center_id, name);
        CREATE UNIQUE INDEX firms_center_number ON firms (center_id, business_number)
            WHERE origin = 'center' AND erased_at IS NULL;
        CREATE INDEX firms_peer_group ON firms (industry, employees);
        """,
    ),
    (
        7,
        "API tokens that expire and can be revoked; result links that expire",
        """
        ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
        ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
        ALTER TABLE assessments ADD COLUMN result_expires_at TEXT;
        -- what was handed out before lasts the default 90 days from then, not for ever
        UPDATE api_tokens
            SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+90 days');
        UPDATE assessments
            SET result_expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', submitted_at, '+90 days')
            WHERE result_token_hash IS NOT NULL;
        """,
    ),
    (
        8,
        "idempotency keys of API submissions",
        """
        CREATE TABLE idempotency_keys (
            scope TEXT NOT NULL,
            key_hash TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            result_token TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (scope, key_hash)
        );
        """,
    ),
    (
        9,
        "audit log: who viewed, changed or downloaded what (append-only)",
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            center_id INTEGER REFERENCES centers(id),
            user_id INTEGER REFERENCES users(id),
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            target_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_center ON audit_log (center_id, id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
    ),
    (
        10,
        "a self-assessed firm's request for a consultant, in its regional center's queue",
        """
        CREATE TABLE consultant_requests (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            firm_id INTEGER NOT NULL REFERENCES firms(id),
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL DEFAULT '',
            contact_email TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            consent_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'assigned', 'closed')),
            assigned_to INTEGER REFERENCES users(id),
            assigned_by INTEGER REFERENCES users(id),
            assigned_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX consultant_requests_center ON consultant_requests (center_id, status, id);
        CREATE UNIQUE INDEX consultant_requests_open ON consultant_requests (assessment_id)
            WHERE status != 'closed';
        """,
    ),
    (
        11,
        "a draft started from earlier answers: a re-diagnosis, or the firm's own self-assessment",
        """
        ALTER TABLE assessments ADD COLUMN based_on INTEGER REFERENCES assessments(id);
        ALTER TABLE answers ADD COLUMN carried_from INTEGER REFERENCES assessments(id);
        """,
    ),
    (
        12,
        "a firm owner's self-assessment by secret link: the answers being given, then its result",
        """
        CREATE TABLE self_assessments (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            questionnaire_id TEXT NOT NULL,
            questionnaire_version INTEGER NOT NULL,
            form TEXT NOT NULL DEFAULT 'short' CHECK (form IN ('short', 'full')),
            status TEXT NOT NULL DEFAULT 'answering'
                CHECK (status IN ('answering', 'submitted')),
            profile TEXT NOT NULL DEFAULT '{}',
            answers TEXT NOT NULL DEFAULT '{}',
            submissions INTEGER NOT NULL DEFAULT 0,
            assessment_id INTEGER REFERENCES assessments(id),
            lang TEXT NOT NULL DEFAULT 'ko',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            submitted_at TEXT,
            FOREIGN KEY (questionnaire_id, questionnaire_version)
                REFERENCES questionnaire_versions (questionnaire_id, version)
        );
        CREATE INDEX self_assessments_expiry ON self_assessments (expires_at);
        CREATE INDEX self_assessments_assessment ON self_assessments (assessment_id);
        """,
    ),
    (
        20,
        "roles (administrator, center staff, consultant), firms assigned to a consultant",
        """
        UPDATE users SET role = 'center_staff' WHERE role = 'center_admin';
        ALTER TABLE users ADD COLUMN disabled_at TEXT;
        ALTER TABLE firms ADD COLUMN assigned_to INTEGER REFERENCES users(id);
        ALTER TABLE firms ADD COLUMN assigned_at TEXT;
        CREATE INDEX firms_assigned ON firms (assigned_to);
        CREATE INDEX assessments_consultant ON assessments (consultant_id, firm_id);
        CREATE TRIGGER users_role_insert BEFORE INSERT ON users
            WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
            BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
        CREATE TRIGGER users_role_update BEFORE UPDATE OF role ON users
            WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
            BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
        """,
    ),
    (
        21,
        "training a firm took between two diagnoses (module, dates, hours)",
        """
        CREATE TABLE training_records (
            id INTEGER PRIMARY KEY,
            firm_id INTEGER NOT NULL REFERENCES firms(id) ON DELETE CASCADE,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            module_id TEXT NOT NULL,
            title TEXT NOT NULL,
            started_on TEXT NOT NULL,
            ended_on TEXT,
            hours REAL NOT NULL CHECK (hours > 0),
            trainees INTEGER,
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX training_records_firm ON training_records (firm_id, started_on);
        """,
    ),
    (
        22,
        "batch printing: a batch of reports rendered on the task queue, item by item",
        """
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            center_id INTEGER REFERENCES centers(id),
            created_by INTEGER REFERENCES users(id),
            lang TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('zip', 'pdf')),
            filters TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'assembling', 'done', 'failed')),
            total INTEGER NOT NULL,
            file TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE batch_items (
            batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            position INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'rendering', 'done', 'failed')),
            cache_key TEXT,
            error TEXT,
            started_at TEXT,
            finished_at TEXT,
            PRIMARY KEY (batch_id, assessment_id)
        );
        CREATE INDEX batch_items_status ON batch_items (batch_id, status);
        """,
    ),
    (
        23,
        "the shared-center registry and the training catalogue kept in the database",
        """
        CREATE TABLE registry_centers (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            sample INTEGER NOT NULL DEFAULT 0,
            file_digest TEXT,
            edited_by INTEGER REFERENCES users(id),
            edited_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE catalogue_modules (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            file_digest TEXT,
            edited_by INTEGER REFERENCES users(id),
            edited_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE roadmap_revision (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            revision INTEGER NOT NULL
        );
        INSERT INTO roadmap_revision (id, revision) VALUES (1, 0);
        """,
    ),
    (
        24,
        "the scorecard decides; the model's track is kept beside it in shadow",
        """
        ALTER TABLE predictions ADD COLUMN decided_by TEXT NOT NULL DEFAULT 'model';
        ALTER TABLE predictions ADD COLUMN shadow_track TEXT;
        """,
    ),
    (
        26,
        "the themes of a firm's stated task: the task model's reading and the consultant's setting",
        """
        CREATE TABLE task_readings (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id) ON DELETE CASCADE,
            text_digest TEXT NOT NULL,
            model_version TEXT NOT NULL,
            best_theme TEXT,
            best_confidence REAL,
            read_at TEXT NOT NULL
        );
        CREATE TABLE assessment_themes (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            theme TEXT NOT NULL,
            confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
            source TEXT NOT NULL CHECK (source IN ('model', 'consultant')),
            set_by INTEGER REFERENCES users(id),
            set_at TEXT NOT NULL,
            PRIMARY KEY (assessment_id, source, theme)
        );
        """,
    ),
    (
        28,
        "firm ids are never reused (AUTOINCREMENT): an old audit entry never names another firm",
        f"""{REBUILDS_TABLES}
        CREATE TABLE firms_rebuilt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            name TEXT NOT NULL,
            business_number TEXT NOT NULL,
            region TEXT NOT NULL,
            industry TEXT NOT NULL,
            employees INTEGER NOT NULL,
            revenue_band TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL DEFAULT '',
            contact_email TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'center' CHECK (origin IN ('center', 'self')),
            erased_at TEXT,
            assigned_to INTEGER REFERENCES users(id),
            assigned_at TEXT
        );
        -- every column, in order: a column added since migration 23 stops this loudly
        INSERT INTO firms_rebuilt SELECT * FROM firms;
        DROP TABLE firms;
        ALTER TABLE firms_rebuilt RENAME TO firms;
        CREATE INDEX firms_center_name ON firms (center_id, name);
        CREATE UNIQUE INDEX firms_center_number ON firms (center_id, business_number)
            WHERE origin = 'center' AND erased_at IS NULL;
        CREATE INDEX firms_peer_group ON firms (industry, employees);
        CREATE INDEX firms_assigned ON firms (assigned_to);
        -- ids handed out before, deleted since (a linked self-assessment), stay used
        INSERT INTO sqlite_sequence (name, seq)
            SELECT 'firms', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'firms');
        UPDATE sqlite_sequence SET seq = MAX(
            seq,
            COALESCE((SELECT MAX(id) FROM firms), 0),
            COALESCE((SELECT MAX(target_id) FROM audit_log WHERE target = 'firm'), 0),
            COALESCE((SELECT MAX(firm_id) FROM assessments), 0)
        ) WHERE name = 'firms';
        """,
    ),
    (
        30,
        "reports as issued: the HTML a firm received, with its catalogue version and render state",
        """
        CREATE TABLE roadmap_versions (
            revision INTEGER PRIMARY KEY,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE issued_reports (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            lang TEXT NOT NULL,
            revision INTEGER NOT NULL,
            roadmap_revision INTEGER NOT NULL,
            diagnosis TEXT NOT NULL,
            html TEXT NOT NULL,
            cache_key TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by INTEGER REFERENCES users(id),
            delivered_at TEXT,
            render_state TEXT NOT NULL DEFAULT 'new'
                CHECK (render_state IN ('new', 'queued', 'done', 'failed')),
            render_queued_at TEXT,
            render_error TEXT,
            render_failures INTEGER NOT NULL DEFAULT 0,
            retry_after TEXT,
            PRIMARY KEY (assessment_id, lang, revision)
        );
        CREATE INDEX issued_reports_failed ON issued_reports (render_state, retry_after);
        """,
    ),
    (
        31,
        "an erasure may blank an audit entry's detail (the rest of the log stays append-only)",
        """
        DROP TRIGGER audit_log_no_update;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            WHEN NOT (NEW.detail = '(erased)' AND NEW.id = OLD.id AND NEW.at = OLD.at
                AND NEW.center_id IS OLD.center_id AND NEW.user_id IS OLD.user_id
                AND NEW.actor = OLD.actor AND NEW.action = OLD.action
                AND NEW.target = OLD.target AND NEW.target_id IS OLD.target_id)
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
    ),
    (
        32,
        "a consultant request followed to the visit: contacted, visit booked, visited, closed",
        f"""{REBUILDS_TABLES}
        CREATE TABLE consultant_requests_rebuilt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            firm_id INTEGER NOT NULL REFERENCES firms(id),
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL DEFAULT '',
            contact_email TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            consent_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                ('new', 'assigned', 'contacted', 'booked', 'visited', 'closed')),
            assigned_to INTEGER REFERENCES users(id),
            assigned_by INTEGER REFERENCES users(id),
            assigned_at TEXT,
            created_at TEXT NOT NULL,
            contacted_at TEXT,
            visit_on TEXT,
            visit_time TEXT,
            visit_place TEXT,
            booked_at TEXT,
            visited_at TEXT,
            closed_at TEXT,
            close_reason TEXT CHECK (close_reason IN
                ('duplicate', 'unreachable', 'declined', 'done')),
            merged_into INTEGER REFERENCES consultant_requests(id),
            lang TEXT NOT NULL DEFAULT 'ko'
        );
        INSERT INTO consultant_requests_rebuilt (id, center_id, firm_id, assessment_id,
            contact_name, contact_phone, contact_email, message, consent_at, status,
            assigned_to, assigned_by, assigned_at, created_at, closed_at, close_reason)
        SELECT id, center_id, firm_id, assessment_id, contact_name, contact_phone,
            contact_email, message, consent_at, status, assigned_to, assigned_by, assigned_at,
            created_at, CASE WHEN status = 'closed' THEN created_at END,
            CASE WHEN status = 'closed' THEN 'done' END
        FROM consultant_requests;
        DROP TABLE consultant_requests;
        ALTER TABLE consultant_requests_rebuilt RENAME TO consultant_requests;
        CREATE INDEX consultant_requests_center ON consultant_requests (center_id, status, id);
        CREATE INDEX consultant_requests_assigned ON consultant_requests (assigned_to, status);
        CREATE INDEX consultant_requests_firm ON consultant_requests (firm_id);
        CREATE UNIQUE INDEX consultant_requests_open ON consultant_requests (assessment_id)
            WHERE status != 'closed';
        ALTER TABLE centers ADD COLUMN answer_days INTEGER;
        """,
    ),
    (
        33,
        "notices by e-mail: an outbox every mail waits in until it is sent; an owner's address",
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            center_id INTEGER REFERENCES centers(id),
            firm_id INTEGER REFERENCES firms(id),
            request_id INTEGER REFERENCES consultant_requests(id),
            channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms')),
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            lang TEXT NOT NULL DEFAULT 'ko',
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            calendar TEXT,
            status TEXT NOT NULL DEFAULT 'waiting'
                CHECK (status IN ('waiting', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_center ON outbox (center_id, status, id);
        CREATE INDEX outbox_firm ON outbox (firm_id);
        ALTER TABLE self_assessments ADD COLUMN notify_email TEXT;
        ALTER TABLE self_assessments ADD COLUMN notify_consent_at TEXT;
        ALTER TABLE self_assessments ADD COLUMN link_sealed TEXT;
        CREATE INDEX self_assessments_notify ON self_assessments (notify_email COLLATE NOCASE);
        """,
    ),
    (
        35,
        "cohorts for the joint training centers: firms of one theme and timing, invited, joined",
        """
        CREATE TABLE cohorts (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            theme TEXT NOT NULL,
            title TEXT NOT NULL,
            start_window TEXT NOT NULL,
            seats INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'forming' CHECK (status IN ('forming', 'closed')),
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX cohorts_center ON cohorts (center_id, status);
        CREATE TABLE cohort_members (
            cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
            firm_id INTEGER NOT NULL REFERENCES firms(id),
            assessment_id INTEGER REFERENCES assessments(id),
            trainees INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'proposed'
                CHECK (status IN ('proposed', 'invited', 'joined', 'declined')),
            invited_at TEXT,
            invited_by INTEGER REFERENCES users(id),
            invited_email TEXT,
            answered_at TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (cohort_id, firm_id)
        );
        CREATE INDEX cohort_members_firm ON cohort_members (firm_id);
        """,
    ),
    (
        37,
        "each firm's latest state kept by triggers; indexes for the latest diagnosis and draft",
        """
        CREATE TABLE firm_latest (
            firm_id INTEGER PRIMARY KEY,
            draft_id INTEGER,
            diagnosed_id INTEGER,
            diagnosed_at TEXT,
            track TEXT,
            readiness REAL,
            last_activity TEXT,
            submitted INTEGER NOT NULL DEFAULT 0,
            by_consultant INTEGER NOT NULL DEFAULT 0,
            requested INTEGER NOT NULL DEFAULT 0,
            training_started TEXT
        );
        CREATE INDEX assessments_firm_submitted ON assessments (firm_id, submitted_at, id)
            WHERE status = 'submitted';
        CREATE INDEX assessments_firm_draft ON assessments (firm_id, updated_at, id)
            WHERE status = 'draft';
        CREATE INDEX consultant_requests_firm_status ON consultant_requests (firm_id, status);
        INSERT INTO firm_latest (firm_id)
            SELECT DISTINCT firm_id FROM assessments
            UNION SELECT firm_id FROM training_records
            UNION SELECT firm_id FROM consultant_requests;
        """
        + _latest_refresh("firm_latest.firm_id", "")
        + _latest_others("firm_latest.firm_id", "")
        + _latest_triggers(),
    ),
]


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
                for statement in _statements(sql):
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


def _statements(sql: str) -> list[str]:
    """The statements of a migration; a trigger's body keeps its inner semicolons."""
    text = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    statements, current = [], ""
    for part in text.split(";"):
        current += part
        if "CREATE TRIGGER" in current.upper() and not current.strip().upper().endswith("END"):
            current += ";"  # still inside the trigger's BEGIN … END
            continue
        if current.strip():
            statements.append(current.strip())
        current = ""
    return statements


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
