"""The dashboard's figures, as the service gives them (kept in the shared cache, the cohort
suggestions from their kept fits), equal a straightforward computation from the rows on an
instance of a few hundred firms built by ``bench/scale.py`` with the project's own
functions, before and after changes (a decision, an override, a theme set, a request, a firm
moved to another size band)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from diagnose.diagnosis.policy import TRACKS
from diagnose.records.firms import SIZE_BANDS, FirmFilter
from diagnose.services import cohorts, dashboard
from diagnose.storage import connect

ROOT = Path(__file__).resolve().parent.parent
FIRMS = 300
CENTERS = 2
THEMES = ("visual_inspection", "predictive_maintenance")
URGENCY = ("within_3_months", "within_6_months", "within_1_year", "undecided")


def _scale():
    spec = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "bench"))
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One instance for the module (its build is the slow part)."""
    from diagnose import create_app
    from diagnose.roadmap.themes import set_themes, theme_specs

    folder = tmp_path_factory.mktemp("scale")
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(folder), "DEMO_DATA": False, "QUEUE_IMMEDIATE": True}
    )
    with app.app_context():
        logins = _scale().build(app, FIRMS, CENTERS, 2)
    db = connect(app.config["DATABASE"])
    themes = list(THEMES)
    assert set(themes) <= set(theme_specs())
    # Consultants set the PBL theme of some decided diagnoses and the firms said when they
    # want to start: what the cohort suggestions group by.
    decided = db.execute(
        "SELECT DISTINCT a.id, a.consultant_id FROM assessments a "
        "JOIN decisions d ON d.assessment_id = a.id ORDER BY a.id"
    ).fetchall()
    for n, (assessment, consultant) in enumerate(decided):
        if n % 3 == 2:
            continue
        set_themes(db, assessment, [themes[n % len(themes)]], consultant)
        with db.conn:
            db.execute(
                "INSERT OR REPLACE INTO answers (assessment_id, item_id, value, note, updated_at) "
                "VALUES (?, 'need_urgency', ?, '', '2026-01-05T10:00:00+00:00')",
                [assessment, json.dumps(URGENCY[n % len(URGENCY)])],
            )
    yield app, db, logins
    db.conn.close()


def _reference(db, center_id: int, dimension_ids: list[str]) -> dict:
    """The figures computed firm by firm from the rows, with none of the service's SQL."""
    firms = list(db.query("SELECT * FROM firms WHERE center_id = ?", [center_id]))
    pipeline = dict.fromkeys(dashboard.STAGES, 0)
    tracks = dict.fromkeys(TRACKS, 0)
    by_industry: dict = {}
    by_size: dict = {band: {} for band in SIZE_BANDS}
    by_track = {t: {"decisions": 0, "overrides": 0, "to": {}, "reasons": []} for t in TRACKS}
    overrides = []
    moved: dict = {}
    for firm in firms:
        rows = list(db.query("SELECT * FROM assessments WHERE firm_id = ?", [firm["id"]]))
        submitted = sorted(
            (a for a in rows if a["status"] == "submitted"),
            key=lambda a: (a["submitted_at"], a["id"]),
        )
        drafts = [a for a in rows if a["status"] == "draft"]
        for a in rows:
            a["decision"] = _last(db, "decisions", a["id"])
            a["prediction"] = _last(db, "predictions", a["id"])
            if a["decision"]:
                decision = a["decision"]
                stats = by_track[decision["predicted_track"]]
                stats["decisions"] += 1
                if decision["action"] == "override":
                    stats["overrides"] += 1
                    to = stats["to"]
                    to[decision["final_track"]] = to.get(decision["final_track"], 0) + 1
                    overrides.append(decision)
        latest = submitted[-1] if submitted else None
        track = None
        if latest:
            track = (latest["decision"] or {}).get("final_track") or (
                latest["prediction"] or {}
            ).get("track")
        requested = db.execute(
            "SELECT COUNT(*) FROM consultant_requests WHERE firm_id = ? AND status = 'new'",
            [firm["id"]],
        ).fetchone()[0]
        by_consultant = sum(1 for a in submitted if a["source"] != "self")
        training = db.execute(
            "SELECT MAX(started_on) FROM training_records WHERE firm_id = ?", [firm["id"]]
        ).fetchone()[0]
        if requested and not by_consultant:
            stage = "requested"
        elif latest is None:
            stage = "draft" if drafts else "registered"
        elif training and training >= latest["submitted_at"][:10]:
            stage = "in_training"
        elif len(submitted) >= 2:
            stage = "rediagnosed"
        elif track == "shared_center":
            stage = "referred"
        else:
            stage = "diagnosed"
        pipeline[stage] += 1
        if track:
            tracks[track] += 1
            industry = by_industry.setdefault(firm["industry"], {})
            industry[track] = industry.get(track, 0) + 1
            for band, (low, high) in SIZE_BANDS.items():
                employees = firm["employees"]
                if employees is not None and employees >= low and (not high or employees <= high):
                    by_size[band][track] = by_size[band].get(track, 0) + 1
        # movement: the firm's decided diagnoses (a self-assessment counts undecided)
        history = []
        for a in submitted:
            if a["prediction"] is None:
                continue
            decided = (a["decision"] or {}).get("final_track") or (
                a["prediction"]["track"] if a["source"] == "self" else None
            )
            if decided:
                history.append({**a, "track": decided})
        if len(submitted) >= 2 and len(history) >= 2:
            t1 = history[-1]
            t0 = {a["id"]: a for a in history[:-1]}.get(t1["based_on"]) or history[-2]
            group = moved.setdefault(
                t0["track"], {"firms": 0, "moved_track": 0, "readiness": [], "dims": {}}
            )
            group["firms"] += 1
            group["moved_track"] += t0["track"] != t1["track"]
            r0, r1 = t0["prediction"]["readiness"], t1["prediction"]["readiness"]
            if r0 is not None and r1 is not None:
                group["readiness"].append(r1 - r0)
            before = json.loads(t0["prediction"]["scores"])
            after = json.loads(t1["prediction"]["scores"])
            for d in dimension_ids:
                x, y = before.get(d, {}).get("score"), after.get(d, {}).get("score")
                if x is not None and y is not None:
                    group["dims"].setdefault(d, []).append(y - x)
    for track, stats in by_track.items():
        shown = sorted(
            (o for o in overrides if o["predicted_track"] == track),
            key=lambda o: (o["decided_at"], o["id"]),
            reverse=True,
        )[:5]
        stats["reasons"] = [o["id"] for o in shown]
        stats["rate"] = stats["overrides"] / stats["decisions"] if stats["decisions"] else None

    def mean(values):
        return round(sum(values) / len(values), 1) if values else None

    waiting = [
        r[0]
        for r in db.execute(
            "SELECT id FROM consultant_requests WHERE center_id = ? AND status = 'new'",
            [center_id],
        )
    ]
    return {
        "total": len(firms),
        "diagnosed": sum(tracks.values()),
        "pipeline": [(s, pipeline[s]) for s in dashboard.STAGES],
        "tracks": tracks,
        "by_industry": by_industry,
        "by_size": [(band, by_size[band]) for band in SIZE_BANDS],
        "overrides": by_track,
        "movement": [
            {
                "track": t,
                "firms": moved[t]["firms"],
                "moved_track": moved[t]["moved_track"],
                "readiness": mean(moved[t]["readiness"]),
                "dimensions": {d: mean(v) for d, v in moved[t]["dims"].items()},
            }
            for t in TRACKS
            if t in moved
        ],
        "requests_waiting": len(waiting),
        "requests": sorted(waiting)[: dashboard.REQUESTS_SHOWN],
    }


def _last(db, table: str, assessment_id: int) -> dict | None:
    rows = list(
        db.query(
            f"SELECT * FROM {table} WHERE assessment_id = ? ORDER BY id DESC LIMIT 1",
            [assessment_id],
        )
    )
    return rows[0] if rows else None


def _reference_suggestions(db, staff) -> list[dict]:
    """The suggestions computed firm by firm, as before the fits were kept: each firm's
    latest decided diagnosis, its themes read now, the planner asked for its trainees."""
    from diagnose.roadmap.themes import themes_for_assessments

    found = []
    for firm in db.query(
        "SELECT * FROM firms WHERE center_id = ? AND erased_at IS NULL", [staff.center_id]
    ):
        busy = db.execute(
            "SELECT 1 FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id WHERE "
            "m.firm_id = ? AND c.status = 'forming' AND m.status IN "
            "('proposed', 'invited', 'joined')",
            [firm["id"]],
        ).fetchone()
        decided = [
            a
            for a in db.query(
                "SELECT * FROM assessments WHERE firm_id = ? AND status = 'submitted'",
                [firm["id"]],
            )
            if _last(db, "decisions", a["id"])
        ]
        if busy or not decided:
            continue
        latest = max(decided, key=lambda a: (a["submitted_at"], a["id"]))
        track = _last(db, "decisions", latest["id"])["final_track"]
        themes = themes_for_assessments(db, [latest["id"]])[latest["id"]]
        if track not in ("ax", "shared_center") or not themes:
            continue
        answers = dict(
            db.execute(
                "SELECT item_id, value FROM answers WHERE assessment_id = ?", [latest["id"]]
            ).fetchall()
        )
        urgency = json.loads(answers["need_urgency"]) if answers.get("need_urgency") else None
        found.append(
            (
                latest["submitted_at"],
                firm["id"],
                themes[0].theme,
                cohorts._window(latest["submitted_at"], urgency),
                cohorts._trainees(db, latest["id"], themes[0].theme),
            )
        )
    groups: dict = {}
    for _at, firm_id, theme, window, trainees in sorted(found):
        groups.setdefault(theme, {}).setdefault(window, []).append(
            {"firm_id": firm_id, "trainees": trainees}
        )
    suggested = []
    for theme, windows in groups.items():
        flexible = windows.pop(None, [])
        for window in sorted(windows, key=str):
            suggested += cohorts._fill(
                theme, window, windows[window] + flexible, cohorts.COURSE_SEATS, cohorts.MIN_FIRMS
            )
            taken = {f["firm_id"] for s in suggested for f in s["firms"]}
            flexible = [f for f in flexible if f["firm_id"] not in taken]
        suggested += cohorts._fill(theme, None, flexible, cohorts.COURSE_SEATS, cohorts.MIN_FIRMS)
    return sorted(suggested, key=lambda s: (-len(s["firms"]), s["window"] or "9999", s["theme"]))


def _shown(app, db, staff) -> dict:
    """What the service gives the dashboard, in the reference's terms."""
    dims = [d.id for d in app.extensions["questionnaires"].current.dimensions]
    with app.test_request_context():
        data = dashboard.dashboard(db, staff, FirmFilter(), dims)
    overrides = {
        t: {**s, "reasons": [r["id"] for r in s["reasons"]]} for t, s in data["overrides"].items()
    }
    return {
        **{k: data[k] for k in ("total", "diagnosed", "pipeline", "tracks", "by_size")},
        "by_industry": dict(data["by_industry"]),
        "overrides": overrides,
        "movement": data["movement"],
        "requests_waiting": data["requests_waiting"],
        "requests": [r["id"] for r in data["requests"]],
        "industry_order": [sum(v.values()) for _k, v in data["by_industry"]],
    }


def _check(app, db, staff) -> None:
    dims = [d.id for d in app.extensions["questionnaires"].current.dimensions]
    expected = _reference(db, staff.center_id, dims)
    for _ in range(2):  # computed, then as kept
        shown = _shown(app, db, staff)
        order = shown.pop("industry_order")
        assert order == sorted(order, reverse=True)
        assert shown == expected
    with app.test_request_context():
        suggested = cohorts.suggestions(db, staff)
        expected_suggestions = _reference_suggestions(db, staff)
    assert [
        (s["theme"], s["window"], [(f["firm_id"], f["trainees"]) for f in s["firms"]])
        for s in suggested
    ] == [
        (s["theme"], s["window"], [(f["firm_id"], f["trainees"]) for f in s["firms"]])
        for s in expected_suggestions
    ]
    return suggested


def test_the_figures_equal_a_computation_from_the_rows(instance):
    app, db, logins = instance
    for center in logins["people"]:
        suggested = _check(app, db, center["staff"])
        assert suggested or center is not logins["people"][0]
    staff = logins["people"][0]["staff"]
    assert _reference(db, staff.center_id, [])["overrides"]["ax"]["decisions"] > 0


def test_the_figures_follow_every_change_at_once(instance):
    from diagnose.diagnosis.store import decide
    from diagnose.roadmap.themes import set_themes

    app, db, logins = instance
    center = logins["people"][0]
    staff, doctor = center["staff"], center["doctors"][0]
    _check(app, db, staff)
    undecided = db.execute(
        "SELECT a.id FROM assessments a JOIN firms f ON f.id = a.firm_id "
        "WHERE f.center_id = ? AND a.status = 'submitted' AND NOT EXISTS "
        "(SELECT 1 FROM decisions d WHERE d.assessment_id = a.id) AND NOT EXISTS "
        "(SELECT 1 FROM consultant_requests r WHERE r.assessment_id = a.id) "
        "ORDER BY a.id LIMIT 2",
        [staff.center_id],
    ).fetchall()
    decided = db.execute(
        "SELECT a.id FROM assessments a JOIN firms f ON f.id = a.firm_id "
        "JOIN decisions d ON d.assessment_id = a.id WHERE f.center_id = ? "
        "ORDER BY a.id LIMIT 1",
        [staff.center_id],
    ).fetchone()[0]
    # a new decision, an override of a decided diagnosis, a theme set and one changed
    decide(db, undecided[0][0], doctor.id, "ax", "현장 확인")
    decide(db, decided, doctor.id, "shared_center", "장비가 없어 공동훈련센터로")
    set_themes(db, undecided[0][0], [THEMES[0]], doctor.id)
    set_themes(db, decided, [THEMES[1]], doctor.id)
    with db.conn:  # a firm grows into another size band; a request waits for a consultant
        db.execute(
            "UPDATE firms SET employees = employees + 300, updated_at = 'x' WHERE id = "
            "(SELECT MIN(id) FROM firms WHERE center_id = ?)",
            [staff.center_id],
        )
        db.execute(
            "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, contact_name, "
            "consent_at, created_at) SELECT ?, firm_id, id, 'n', 'x', 'x' FROM assessments "
            "WHERE id = ?",
            [staff.center_id, undecided[1][0]],
        )
    _check(app, db, staff)
