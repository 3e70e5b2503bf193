"""Tracks and roles are stated once (``diagnose/vocabulary.py``); every table keyed by them and
every type that lists them says the same, and the stored values did not change."""

from __future__ import annotations

import sqlite3
from typing import get_args

import pytest

from diagnose.storage import connect, migrate
from diagnose.vocabulary import ROLES, TRACKS, Role, Track


def test_the_stored_values_are_unchanged():
    assert [str(t) for t in TRACKS] == ["beginner", "ax", "shared_center"]
    assert [str(r) for r in ROLES] == ["consultant", "center_staff", "administrator"]
    assert Track.AX == "ax" and f"{Role.CONSULTANT}" == "consultant"


def test_every_table_and_type_keyed_by_track_names_exactly_the_tracks():
    from diagnose.diagnosis import policy
    from diagnose.diagnosis.explanations import TRACK_NAMES, TRACK_SUMMARIES
    from diagnose.records.firms import FIRM_STATES
    from diagnose.roadmap import catalogue, planner
    from diagnose.services import schemas
    from diagnose.web.charts import TRACK_COLOURS

    tracks = set(TRACKS)
    assert set(policy.TRACKS) == tracks
    assert set(get_args(schemas.Track)) == tracks  # the API's (and OpenAPI's) type
    assert set(get_args(catalogue.Track)) == tracks  # the catalogue files' type
    for table in (TRACK_NAMES, TRACK_SUMMARIES, TRACK_COLOURS, planner.PLAN_MONTHS):
        assert set(table) == tracks, table
    assert set(FIRM_STATES) - {"draft", "none"} == tracks


def test_the_database_takes_every_role_and_refuses_others(tmp_path):
    db = connect(tmp_path / "roles.sqlite3")
    migrate(db)
    db.execute("INSERT INTO centers (name, region, created_at) VALUES ('센터', 'seoul', 'x')")
    for n, role in enumerate(Role):
        db.execute(
            "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
            "VALUES (1, ?, 'n', 'h', ?, 'x')",
            [f"{n}@x.example", role],
        )
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
            "VALUES (1, 'z@x.example', 'n', 'h', 'superuser', 'x')"
        )
