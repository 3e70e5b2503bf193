"""One firm's roadmap: the inputs gathered once (diagnosis, answers, the catalogue as the center
keeps it, the task's themes) and the plan built from them, for the report, the API and the CLI.

``planned`` is the one place a plan is made for an assessment; ``roadmap_json`` is the plan as
the API answers it (``GET /api/v1/assessments/<id>/roadmap``, model ``schemas.Roadmap``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlite_utils
from flask import current_app
from flask_babel import force_locale

from ..diagnosis.explanations import explain
from ..diagnosis.store import latest_diagnosis
from ..profile import employees_of
from ..records.assessments import load_answers
from ..records.questionnaire_versions import questionnaire_of
from ..roadmap.catalogue import RoadmapData
from ..roadmap.pdf import render_html
from ..roadmap.planner import (
    COACHING,
    DATA_PREPARATION,
    JOB_ANALYSIS,
    NEED_TO_MODULES,
    USE_AREA_TO_MODULE,
    Plan,
    month_date,
    plan,
)
from ..roadmap.report import answers_record, count_assumed, module_title, report_values
from ..roadmap.themes import Theme, suggested_theme, theme_name, themes_for_assessments
from ..templating import KST
from .peers import peer_scores
from .rediagnosis import comparison


@dataclass(frozen=True)
class Planned:
    plan: Plan
    data: RoadmapData
    questionnaire: Any
    diagnosis: dict[str, Any]
    answers: dict[str, Any]
    notes: dict[str, str]
    track: str
    scores: dict[str, float | None]
    submitted: date
    themes: list[Theme]
    words: dict[str, Any]  # the explanation in the plan's language


def roadmap_data(db: sqlite_utils.Database, app, data: RoadmapData | None = None) -> RoadmapData:
    """The registry and catalogue as the center keeps them now (or ``data``: those a report
    was issued with), sample centers left out (they are never printed, so they never take a
    referral's place either)."""
    from .registry import current_data

    if data is None:
        data = current_data(db, app)
    real = tuple(c for c in data.centers.centers if not data.centers.is_sample(c))
    if real:
        data = replace(data, centers=data.centers.model_copy(update={"centers": real}))
    return data


def planned(
    db: sqlite_utils.Database,
    app,
    record: dict[str, Any],
    lang: str,
    data: RoadmapData | None = None,
) -> Planned:
    """The plan of a submitted assessment, with what it was built from: the catalogue and
    registry as they are now, or ``data`` (those its report was issued with)."""
    data = roadmap_data(db, app, data)
    questionnaire = questionnaire_of(db, app.extensions["questionnaires"], record)
    diagnosis = latest_diagnosis(db, record["id"])
    answers, notes = load_answers(db, record["id"])
    prediction = diagnosis["prediction"]
    decision = diagnosis["decision"]
    track = decision["final_track"] if decision else prediction.track
    scores = {d: s["score"] for d, s in diagnosis["scores"].items()}
    submitted = datetime.fromisoformat(record["submitted_at"]).astimezone(KST).date()
    themes = themes_for_assessments(db, [record["id"]])[record["id"]]
    with force_locale(lang):
        words = explain(prediction, questionnaire, diagnosis["scores"], lang, answers)
    roadmap = plan(
        scores,
        track,
        answers,
        record["profile"],
        data,
        submitted,
        job_analysis_first=bool(words.get("job_analysis_first", False)),
        themes=[(t.theme, t.confidence, t.confirmed) for t in themes],
        done=completed_modules(db, record),
    )
    return Planned(
        roadmap, data, questionnaire, diagnosis, answers, notes, track, scores, submitted,
        themes, words,
    )  # fmt: skip


def completed_modules(db: sqlite_utils.Database, record: dict[str, Any]) -> set[str]:
    """The catalogue modules the firm's training records show it completed before this
    diagnosis (re-diagnosis: what was done is not planned again)."""
    if "training_records" not in db.table_names():
        return set()
    rows = db.execute(
        "SELECT module_id FROM training_records WHERE firm_id = ? AND ended_on IS NOT NULL "
        "AND ended_on <= ?",
        [record["firm_id"], record["submitted_at"][:10]],
    ).fetchall()
    return {r[0] for r in rows}


def module_reasons(p: Planned) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Why each planned module is there: the answers (and scores) it follows from."""
    roadmap, answers = p.plan, p.answers
    modules = p.data.catalogue.by_id
    gaps = dict(roadmap.gaps)
    prerequisite_of: dict[str, list[str]] = {}
    for m in roadmap.modules:
        for q in modules[m.module_id].prerequisites:
            prerequisite_of.setdefault(q, []).append(m.module_id)
    wanted_by_item = {m: "need_equipment" for ms in NEED_TO_MODULES.values() for m in ms}
    wanted_by_item.update({m: item for item, m in USE_AREA_TO_MODULE.items()})
    reasons: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in roadmap.modules:
        why: list[dict[str, Any]] = []
        if m.brief is not None:
            why.append({"item": "need_task", "answer": roadmap.briefs[m.brief].task})
        if m.module_id == DATA_PREPARATION and answers.get("need_data_ready"):
            why.append({"item": "need_data_ready", "answer": answers["need_data_ready"]})
        item = wanted_by_item.get(m.module_id)
        if item and answers.get(item) not in (None, ""):
            why.append({"item": item, "answer": answers[item]})
        for needing in prerequisite_of.get(m.module_id, []):
            why.append({"prerequisite_of": needing})
        for d in modules[m.module_id].closes:
            if d in gaps:
                why.append({"dimension": d, "score": gaps[d]})
        if m.module_id == COACHING:  # carries the projects' results into daily work
            why += [
                {"after": b.module_id or b.completed}
                for b in roadmap.briefs
                if b.module_id or b.completed
            ]
        if m.module_id == JOB_ANALYSIS and roadmap.job_analysis_first:
            why.append(
                {"item": "need_problem_clarity", "answer": answers.get("need_problem_clarity")}
            )
        if not why:  # what the track opens with (the CEO's awareness on the beginner track)
            why.append({"track": roadmap.track})
        reasons[(m.module_id, m.job_group)] = why
    return reasons


def roadmap_json(db: sqlite_utils.Database, app, record: dict[str, Any], lang: str) -> dict:
    """The plan as the API answers it (checked by ``schemas.Roadmap``)."""
    from . import schemas

    p = planned(db, app, record, lang)
    roadmap = p.plan
    catalogue = p.data.catalogue
    start = date.fromisoformat(roadmap.start)
    reasons = module_reasons(p)
    suggestion = suggested_theme(db, record["id"]) if roadmap.theme_to_confirm else None
    body = {
        "assessment_id": record["id"],
        "track": roadmap.track,
        "themes": [
            {
                "theme": t.theme,
                "name": theme_name(t.theme, lang),
                "confidence": t.confidence,
                "confirmed": t.confirmed,
            }
            for t in p.themes
        ],
        "theme_to_confirm": roadmap.theme_to_confirm,
        "suggested_theme": suggestion.theme if suggestion else None,
        "start": roadmap.start,
        "months": roadmap.months,
        "release_hours": roadmap.release_hours,
        "release_hours_stated": roadmap.release_stated,
        "rediagnosis": month_date(start, roadmap.rediagnose_month).isoformat(),
        "projects": [
            {
                "task": b.task,
                "theme": b.theme,
                "module": b.module_id,
                "job_group": b.job_group,
                "trainees": b.trainees,
            }
            for b in roadmap.briefs
        ],
        "modules": [
            {
                "module": m.module_id,
                # named as the report names it: a project on the firm's own words by its task
                "title": _titled(roadmap, catalogue.by_id[m.module_id], lang),
                "phase": phase.key,
                "why": reasons[(m.module_id, m.job_group)],
                "who": {
                    "job_group": m.job_group,
                    "trainees": m.trainees,
                    "job": m.lane or None,
                    "assumed": count_assumed(roadmap, m, catalogue.by_id[m.module_id], p.answers),
                },
                "when": {
                    "start": month_date(start, m.start_month).isoformat(),
                    "end": month_date(start, m.end_month - 1).isoformat(),
                },
                "hours_per_person": m.hours,
                "hours_total": m.total_hours,
                "delivery": m.delivery,
                "cost": _cost(catalogue, m, lang),
                "funding_route": {
                    "id": m.funding,
                    "name": catalogue.funding(m.funding).name.get(lang),
                },
            }
            for phase in roadmap.phases
            for m in phase.modules
        ],
        "unplaced": roadmap.unplaced,
    }
    return schemas.Roadmap.model_validate(body).model_dump(mode="json")


def _titled(roadmap, module, lang: str) -> str:
    """A module's title as the report gives it, in ``lang`` whatever the request's."""
    with force_locale(lang):
        return module_title(roadmap, module, lang)


def _cost(catalogue, m, lang: str) -> dict[str, Any]:
    cost = catalogue.by_id[m.module_id].cost
    firm_pays = cost.firm_pays(m.trainees)
    return {
        "firm_pays_krw": firm_pays,
        "fee_krw_per_person": cost.fee_krw,
        "subsidy_share": cost.subsidy_share,
        "source": cost.source.get(lang),
        "checked": cost.checked.isoformat(),
        "known": firm_pays is not None,
    }


def set_task_themes(db: sqlite_utils.Database, assessment_id: int, themes: list[str], user) -> None:
    """A consultant sets or confirms the themes of an assessment's task (kept, audited, and
    a label for the task model's next training)."""
    from ..roadmap.themes import set_themes
    from ..storage import transaction
    from . import audit

    set_themes(db, assessment_id, themes, user.id)
    with transaction(db):
        audit.record(
            db, "change", "assessment", assessment_id, center_id=user.center_id,
            user_id=user.id, detail="task themes: " + ", ".join(themes),
        )  # fmt: skip


def task_view(db: sqlite_utils.Database, app, record: dict[str, Any], lang: str) -> dict:
    """The task's themes as the consultant's page shows them, with the answers record."""
    from ..roadmap.themes import theme_specs

    questionnaire = questionnaire_of(db, app.extensions["questionnaires"], record)
    answers, notes = load_answers(db, record["id"])
    found = themes_for_assessments(db, [record["id"]])[record["id"]]
    suggestion = None if found else suggested_theme(db, record["id"])
    return {
        "task": answers.get("need_task") or "",
        "themes": [
            {
                "id": t.theme,
                "name": theme_name(t.theme, lang),
                "confidence": t.confidence,
                "confirmed": t.confirmed,
            }
            for t in found
        ],  # fmt: skip
        "suggestion": theme_name(suggestion.theme, lang) if suggestion else "",
        "choices": [(t, spec.name.get(lang, t)) for t, spec in theme_specs().items()],
        "record": answers_record(questionnaire, answers, notes, lang),
    }


# --- the report ------------------------------------------------------------------------------


def report_context(
    db: sqlite_utils.Database,
    record: dict[str, Any],
    lang: str,
    data: RoadmapData | None = None,
    issue: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values the report template needs for one submitted assessment: with ``data``, the
    catalogue and registry the report is issued with (the report service passes them);
    ``issue`` marks a revised report (its revision, its date, the first issue's date)."""
    built = planned(db, current_app, record, lang, data)
    profile = record["profile"]
    # Other centers' confirmed diagnoses only, enough firms and centers, rounded, no count.
    peers = peer_scores(db, profile.get("industry", ""), employees_of(profile), record["firm_id"])
    # A result link shows only what its holder typed: never the firm's earlier diagnoses.
    compared = (
        None if record.get("link_view") else comparison(db, built.questionnaire, record["id"], lang)
    )
    return report_values(db, record, lang, built, peers, compared, issue)


def report_html(
    db: sqlite_utils.Database,
    record: dict[str, Any],
    lang: str,
    data: RoadmapData | None = None,
    issue: dict[str, Any] | None = None,
) -> str:
    """The report's HTML: what the PDF is rendered from, and what its cache key is made of."""
    return render_html("report.html", report_context(db, record, lang, data, issue), lang)
