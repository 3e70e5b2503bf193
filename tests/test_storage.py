"""Schema migrations: a new database, an old one, and running them twice."""

import re
import sqlite3

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.storage import (
    MIGRATIONS,
    MigrationError,
    connect,
    load_migrations,
    migrate,
    schema_version,
    split_statements,
    transaction,
)


def test_new_database_gets_every_migration_in_wal_mode(tmp_path):
    db = connect(tmp_path / "new.sqlite3")
    assert migrate(db) == len(MIGRATIONS)
    assert schema_version(db) == MIGRATIONS[-1][0]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"centers", "users", "firms", "assessments", "answers"} <= set(db.table_names())


def test_migrating_twice_changes_nothing(tmp_path):
    db = connect(tmp_path / "twice.sqlite3")
    migrate(db)
    assert migrate(db) == 0


def test_an_old_database_is_brought_up_to_date_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = connect(path)
    migrate(old, MIGRATIONS[:1])  # a database from before assessments existed
    old.execute("INSERT INTO centers (name, region, created_at) VALUES ('센터', 'seoul', 'x')")
    old.conn.close()

    db = connect(path)
    assert schema_version(db) == 1
    assert migrate(db) == len(MIGRATIONS) - 1
    assert schema_version(db) == MIGRATIONS[-1][0]
    assert db.execute("SELECT name FROM centers").fetchone()[0] == "센터"
    assert "answers" in db.table_names()


def test_the_app_creates_and_migrates_its_database_on_an_empty_instance(make_app, instance):
    app = make_app()
    assert app.config["DATABASE"].startswith(str(instance))
    db = connect(app.config["DATABASE"])
    assert schema_version(db) == MIGRATIONS[-1][0]


def test_a_failed_transaction_leaves_nothing(tmp_path):
    db = connect(tmp_path / "tx.sqlite3")
    migrate(db)
    with pytest.raises(sqlite3.IntegrityError), transaction(db):
        db.execute("INSERT INTO centers (name, region, created_at) VALUES ('a', 'seoul', 'x')")
        db.execute("INSERT INTO centers (name, region, created_at) VALUES (NULL, 'seoul', 'x')")
    assert db.execute("SELECT COUNT(*) FROM centers").fetchone()[0] == 0


def test_nested_transactions_roll_back_only_the_inner_part(tmp_path):
    db = connect(tmp_path / "nested.sqlite3")
    migrate(db)
    with transaction(db):
        db.execute("INSERT INTO centers (name, region, created_at) VALUES ('outer', 'seoul', 'x')")
        with pytest.raises(RuntimeError), transaction(db):
            db.execute("INSERT INTO centers (name, region, created_at) VALUES ('inner', 's', 'x')")
            raise RuntimeError
    assert [r[0] for r in db.execute("SELECT name FROM centers")] == ["outer"]


def test_rebuilding_the_firms_table_keeps_firms_their_assessments_and_foreign_keys(tmp_path):
    path = tmp_path / "before6.sqlite3"
    old = connect(path)
    migrate(old, [m for m in MIGRATIONS if m[0] <= 4])
    with old.conn:
        old.execute("INSERT INTO centers (name, region, created_at) VALUES ('센터', 'seoul', 'x')")
        old.execute("INSERT INTO users VALUES (1, 1, 'a@b.c', 'n', 'h', 'consultant', 'x')")
        old.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
        for firm_id, created_by in ((1, 1), (2, None)):  # a registered and a self-assessed firm
            old.execute(
                "INSERT INTO firms (id, center_id, name, business_number, region, industry, "
                "employees, revenue_band, contact_name, created_by, created_at, updated_at) "
                "VALUES (?, 1, '기업', ?, 'seoul', 'C', 5, 'b', 'c', ?, 'x', 'x')",
                [firm_id, str(firm_id), created_by],
            )
            old.execute(
                "INSERT INTO assessments (firm_id, center_id, questionnaire_id, "
                "questionnaire_version, created_at, updated_at) VALUES (?, 1, 'q', 1, 'x', 'x')",
                [firm_id],
            )
    old.conn.close()

    db = connect(path)
    migrate(db)
    assert [tuple(r) for r in db.execute("SELECT id, origin FROM firms ORDER BY id")] == [
        (1, "center"),
        (2, "self"),
    ]
    assert db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 2
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):  # the assessments still point at firms
        db.execute("DELETE FROM firms WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError):  # one registered firm per number and center
        db.execute(
            "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
            "revenue_band, contact_name, created_at, updated_at) "
            "VALUES (1, 'x', '1', 'seoul', 'C', 5, 'b', 'c', 'x', 'x')"
        )
    db.execute(  # a self-assessment with the same number stands apart
        "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
        "revenue_band, contact_name, created_at, updated_at, origin) "
        "VALUES (1, 'x', '1', 'seoul', 'C', 5, 'b', 'c', 'x', 'x', 'self')"
    )


def test_tokens_and_result_links_from_before_expiry_get_the_default_lifetime(tmp_path):
    db = connect(tmp_path / "before7.sqlite3")
    migrate(db, [m for m in MIGRATIONS if m[0] <= 6])
    with db.conn:
        db.execute("INSERT INTO centers (name, region, created_at) VALUES ('c', 'seoul', 'x')")
        db.execute(
            "INSERT INTO users (id, center_id, email, name, password_hash, role, created_at) "
            "VALUES (1, 1, 'a@b.c', 'n', 'h', 'consultant', 'x')"
        )
        db.execute(
            "INSERT INTO api_tokens (user_id, token_hash, created_at) "
            "VALUES (1, 'h', '2026-01-01T00:00:00+00:00')"
        )
    migrate(db)
    assert db.execute("SELECT expires_at FROM api_tokens").fetchone()[0] == (
        "2026-04-01T00:00:00+00:00"
    )


def test_a_draft_can_start_from_an_earlier_assessment_and_marks_what_it_carried(app, db):
    from diagnose.auth import create_center
    from diagnose.records.assessments import (
        carried_answers,
        load_answers,
        record_submitted_assessment,
        save_answers,
        start_assessment,
    )
    from diagnose.records.firms import create_firm

    q = app.extensions["questionnaires"].current
    center = create_center(db, "센터", "seoul")
    profile = {
        "company_name": "가나",
        "business_number": "1018115218",
        "region": "seoul",
        "industry": "C",
        "employees": "10",
        "revenue_band": q.profile_field("revenue_band").choices[0].value,
        "contact_name": "김",
    }
    firm_id = create_firm(db, center, None, profile)
    before = {"use_genai_office": "individual", "need_task": "견적", "retired_item": "x"}
    earlier = record_submitted_assessment(db, firm_id, center, None, q, profile, before, "self")
    firm = next(db.query("SELECT * FROM firms WHERE id = ?", [firm_id]))
    draft, created = start_assessment(db, firm, None, q, based_on=earlier)
    answers, _notes = load_answers(db, draft)
    assert created and answers == {"use_genai_office": "individual", "need_task": "견적"}
    assert carried_answers(db, draft) == {"use_genai_office": earlier, "need_task": earlier}
    save_answers(db, draft, {"use_genai_office": "widespread"}, {})  # its page was saved
    assert carried_answers(db, draft) == {"need_task": earlier}
    other = create_firm(db, center, None, {**profile, "business_number": "1108100010"})
    other_firm = next(db.query("SELECT * FROM firms WHERE id = ?", [other]))
    with pytest.raises(ValueError):  # another firm's answers are never carried
        start_assessment(db, other_firm, None, q, based_on=earlier)


def _insert_firm(db, firm_id=None, number="1", origin="self") -> int:
    return db.execute(
        "INSERT INTO firms (id, center_id, name, business_number, region, industry, employees, "
        "revenue_band, contact_name, created_at, updated_at, origin) "
        "VALUES (?, 1, '기업', ?, 'seoul', 'C', 5, 'b', 'c', 'x', 'x', ?)",
        [firm_id, number, origin],
    ).lastrowid


def test_a_deleted_firms_id_is_never_given_to_another_firm(tmp_path):
    """A link deletes the self-assessed firm; its id, named in the audit log, stays its own."""
    path = tmp_path / "before28.sqlite3"
    old = connect(path)
    migrate(old, [m for m in MIGRATIONS if m[0] < 28])
    with old.conn:
        old.execute("INSERT INTO centers (name, region, created_at) VALUES ('센터', 'seoul', 'x')")
        for firm_id in (1, 2, 3):
            _insert_firm(old, firm_id, str(firm_id))
        old.execute("DELETE FROM firms WHERE id = 3")  # deleted before the migration
        old.execute(  # and named by the audit log, as a link or an erasure leaves it
            "INSERT INTO audit_log (at, actor, action, target, target_id) "
            "VALUES ('x', 'staff', 'link', 'firm', 3)"
        )
    old.conn.close()

    db = connect(path)
    migrate(db)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [r[0] for r in db.execute("SELECT id FROM firms ORDER BY id")] == [1, 2]
    new = _insert_firm(db, number="4")
    assert new == 4  # not 3, which the audit log names
    db.execute("DELETE FROM firms WHERE id = ?", [new])  # a link deletes the newest firm
    assert _insert_firm(db, number="5") == 5  # its id is not handed out again
    with pytest.raises(sqlite3.IntegrityError):  # the constraints came through the rebuild
        _insert_firm(db, 1, "9")
    _insert_firm(db, number="6", origin="center")
    with pytest.raises(sqlite3.IntegrityError):
        _insert_firm(db, number="6", origin="center")


# --- migration files and their splitter ------------------------------------------------------


def test_a_semicolon_in_a_string_a_comment_or_a_trigger_ends_no_statement(tmp_path):
    sql = """
    -- a comment; with a semicolon
    CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); /* one; more */
    INSERT INTO notes (body) VALUES ('first; second');
    INSERT INTO notes (body) VALUES ('it''s -- not a comment; really');
    CREATE TRIGGER notes_kept BEFORE DELETE ON notes
        BEGIN SELECT RAISE(ABORT, 'kept; always'); END;
    -- a line comment that holds /* without closing it
    INSERT INTO notes (body) VALUES ('after /* in a line comment');
    -- trailing words; after the last statement
    """
    statements = split_statements(sql)
    assert len(statements) == 5, statements
    db = connect(tmp_path / "split.sqlite3")
    for statement in statements:
        db.execute(statement)
    assert [r[0] for r in db.execute("SELECT body FROM notes ORDER BY id")] == [
        "first; second",
        "it's -- not a comment; really",
        "after /* in a line comment",
    ]
    with pytest.raises(sqlite3.IntegrityError, match="kept; always"):
        db.execute("DELETE FROM notes")


# Statements whose text holds what broke the old splitter: semicolons, quotes, dashes, the
# words of a trigger, inside strings and comments.
_TRICKY = st.text(alphabet=";'\"-/*\n BEGINDaz가", max_size=30)


@given(
    bodies=st.lists(_TRICKY, min_size=1, max_size=6),
    comments=st.lists(_TRICKY.map(lambda t: t.replace("\n", " ")), max_size=6),
)
@settings(max_examples=200, deadline=None)
def test_split_statements_returns_each_statement_whole(bodies, comments):
    """Any mix of INSERTs of awkward strings and line comments splits into exactly the INSERTs,
    and running them stores every string unchanged."""
    quoted = ["'" + body.replace("'", "''") + "'" for body in bodies]
    inserts = [f"INSERT INTO t (body) VALUES ({q});" for q in quoted]
    lines = []
    for i, insert in enumerate(inserts):
        if i < len(comments):
            lines.append(f"-- {comments[i]}")
        lines.append(insert)
    statements = split_statements("\n".join(lines))
    assert len(statements) == len(inserts)
    assert all(s.endswith(insert) for s, insert in zip(statements, inserts, strict=True))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    for statement in statements:
        db.execute(statement)
    assert [r[0] for r in db.execute("SELECT body FROM t ORDER BY id")] == bodies


def test_migration_files_are_numbered_described_and_unique(tmp_path):
    versions = [version for version, _name, _sql in MIGRATIONS]
    assert versions == sorted(set(versions))
    assert all(name and "\n" not in name for _v, name, _sql in MIGRATIONS)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("-- the first\nCREATE TABLE a (id INTEGER);\n")
    assert load_migrations(folder) == [(1, "the first", "CREATE TABLE a (id INTEGER);\n")]
    (folder / "0002_no_description.sql").write_text("CREATE TABLE b (id INTEGER);\n")
    with pytest.raises(MigrationError, match="first line"):
        load_migrations(folder)
    (folder / "0002_no_description.sql").unlink()
    (folder / "2_short.sql").write_text("-- short\nSELECT 1;\n")
    with pytest.raises(MigrationError, match="NNNN_slug.sql"):
        load_migrations(folder)
    (folder / "2_short.sql").unlink()
    (folder / "0001_again.sql").write_text("-- again\nSELECT 1;\n")
    with pytest.raises(MigrationError, match="share a number"):
        load_migrations(folder)


def _schema(db) -> dict[str, str]:
    return {
        name: re.sub(r"\s+", " ", sql).strip()
        for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != ?",
            ["schema_migrations"],
        )
    }


def test_a_database_of_the_release_before_the_migration_files_keeps_working(tmp_path):
    """A database that migrations 1-23 made when they were SQL strings in storage.py: the
    files run none of them again, and give a new database the very same schema."""
    old = connect(tmp_path / "v23.sqlite3")
    old.conn.executescript((DATA / "schema_v23.sql").read_text(encoding="utf-8"))
    recorded = [tuple(r) for r in old.execute("SELECT version, name FROM schema_migrations")]
    assert recorded == [(v, name) for v, name, _sql in MIGRATIONS if v <= 23]
    new = connect(tmp_path / "new.sqlite3")
    migrate(new, [m for m in MIGRATIONS if m[0] <= 23])
    assert _schema(new) == _schema(old)
    assert migrate(old, [m for m in MIGRATIONS if m[0] <= 23]) == 0
    migrate(old)  # and the newer ones, if any, apply on top
    assert schema_version(old) == MIGRATIONS[-1][0]
