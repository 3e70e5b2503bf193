"""Everything the roadmap report shows, gathered as plain values (never database rows).

``report_context`` needs the explanation sentences in the report's language, so it runs in an
app context; the rendering itself (``pdf.py``) does not.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from flask import current_app
from flask_babel import force_locale

from .. import assessments as ops
from ..diagnosis.explanations import TRACK_SUMMARIES, explain, track_name
from ..diagnosis.scoring import is_visible
from ..diagnosis.store import latest_diagnosis
from ..templating import KST, answer_text
from .charts import radar_svg
from .pdf import cached_pdf, render_html, svg
from .planner import employees_of, plan

SIZE_BANDS = ((1, 9), (10, 49), (50, 99), (100, 299), (300, 10**9))
PEER_MINIMUM = 5  # fewer peers than this and no firm's line is shown: it could be identified


def size_band(employees: int) -> tuple[int, int]:
    return next(b for b in SIZE_BANDS if b[0] <= employees <= b[1])


def peer_scores(
    db: sqlite_utils.Database,
    industry: str,
    employees: int,
    firm_id: int,
) -> tuple[int, dict[str, float]]:
    """Mean dimension scores of other firms of the same industry and size band (latest each)."""
    low, high = size_band(employees)
    rows = db.query(
        """
        SELECT p.scores FROM predictions p JOIN assessments a ON a.id = p.assessment_id
        JOIN firms f ON f.id = a.firm_id
        WHERE f.industry = ? AND f.employees BETWEEN ? AND ? AND f.id != ?
          AND p.id = (SELECT MAX(p2.id) FROM predictions p2 JOIN assessments a2
                      ON a2.id = p2.assessment_id WHERE a2.firm_id = f.id)
        """,
        [industry, low, high, firm_id],
    )
    totals: dict[str, list[float]] = {}
    count = 0
    for row in rows:
        count += 1
        for dimension, score in json.loads(row["scores"]).items():
            if score["score"] is not None:
                totals.setdefault(dimension, []).append(score["score"])
    return count, {d: sum(v) / len(v) for d, v in totals.items()}


def report_context(db: sqlite_utils.Database, record: dict[str, Any], lang: str) -> dict[str, Any]:
    """The values the report template needs for one submitted assessment."""
    catalogue = current_app.extensions["questionnaires"]
    roadmap_data = current_app.extensions["roadmap_data"]
    questionnaire = ops.questionnaire_of(db, catalogue, record)
    diagnosis = latest_diagnosis(db, record["id"])
    answers, notes = ops.load_answers(db, record["id"])
    profile = record["profile"]
    prediction = diagnosis["prediction"]
    decision = diagnosis["decision"]
    track = decision["final_track"] if decision else prediction.track
    scores = {d: s["score"] for d, s in diagnosis["scores"].items()}
    submitted = datetime.fromisoformat(record["submitted_at"]).astimezone(KST).date()
    roadmap = plan(scores, track, answers, profile, roadmap_data, submitted)
    employees = employees_of(profile)
    peers_n, peers = peer_scores(db, profile.get("industry", ""), employees, record["firm_id"])
    show_peers = peers_n >= PEER_MINIMUM
    with force_locale(lang):
        words = explain(prediction, questionnaire, diagnosis["scores"], lang, answers)
        track_label = track_name(track)
        track_summary = str(TRACK_SUMMARIES.get(track, ""))
        firm_label, peer_label = _chart_labels(lang, peers_n)
    people = _people(db, record)
    dimensions = [
        {
            "id": d.id,
            "title": d.title.get(lang),
            "score": scores.get(d.id),
            "level": diagnosis["scores"][d.id]["level"],
            "level_text": d.levels[diagnosis["scores"][d.id]["level"] - 1].get(lang)
            if diagnosis["scores"][d.id]["level"]
            else "",
            "peer": round(peers[d.id]) if show_peers and d.id in peers else None,
        }
        for d in questionnaire.dimensions
    ]
    region = questionnaire.profile_field("region")
    industry = questionnaire.profile_field("industry")
    return {
        "firm": {
            "name": record["firm_name"],
            "employees": employees,
            "region": region.choice_label(profile.get("region", ""), lang),
            "industry": industry.choice_label(profile.get("industry", ""), lang),
        },
        "consultant": people["consultant"],
        "center": people["center"],
        "diagnosed_on": submitted.isoformat(),
        "source": record.get("source", "consultant"),
        "track": track,
        "track_label": track_label,
        "track_summary": track_summary,
        "model_track": prediction.track,
        "decision": {"action": decision["action"], "reason": decision["reason"]}
        if decision
        else None,
        "words": words,
        "readiness": diagnosis["readiness"],
        "dimensions": dimensions,
        "gaps": [d for d in sorted(dimensions, key=lambda d: d["score"] or 0)][:3],
        "radar": svg(
            radar_svg(
                [d["title"] for d in dimensions],
                [d["score"] or 0 for d in dimensions],
                [d["peer"] for d in dimensions] if show_peers else None,
                firm_label,
                peer_label,
            )
        ),
        "peers": {"shown": show_peers, "count": peers_n, "minimum": PEER_MINIMUM},
        "plan": _plan_view(roadmap, roadmap_data, questionnaire, lang),
        "appendix": [
            {
                "title": d.title.get(lang),
                "answers": [
                    {
                        "question": i.question.get(lang),
                        "answer": answer_text(i, answers.get(i.id), lang)
                        if answers.get(i.id) not in (None, "", [])
                        else "–",
                        "note": notes.get(i.id, ""),
                    }
                    for i in d.items
                    if is_visible(i, answers)
                ],
            }
            for d in questionnaire.dimensions
        ],
        "generated_on": date.today().isoformat(),
    }


def _chart_labels(lang: str, peers_n: int) -> tuple[str, str]:
    from flask_babel import gettext as _

    return _("This firm"), _("Peers (same industry and size, %(n)s firms)", n=peers_n)


def _people(db: sqlite_utils.Database, record: dict[str, Any]) -> dict[str, str]:
    row = db.execute(
        "SELECT c.name, u.name FROM centers c LEFT JOIN users u ON u.id = ? WHERE c.id = ?",
        [record.get("consultant_id"), record["center_id"]],
    ).fetchone()
    return {"center": row[0] if row else "", "consultant": (row[1] or "") if row else ""}


def _plan_view(roadmap, data, questionnaire, lang: str) -> dict[str, Any]:
    """The plan with every id turned into words of the report's language."""
    catalogue, centers = data.catalogue, data.centers
    modules = catalogue.by_id

    def label(item_id: str, value: str | None) -> str:
        item = questionnaire.find_item(item_id)
        option = item.option(value) if item and value else None
        return option.label.get(lang) if option else (value or "")

    return {
        "capacity": roadmap.monthly_capacity,
        "rediagnose_on": roadmap.rediagnose_on,
        "job_groups": roadmap.job_groups,
        "trainees": roadmap.trainees,
        "total_hours": roadmap.total_hours,
        "unplaced": [modules[m].title.get(lang) for m in roadmap.unplaced],
        "phases": [
            {
                "key": p.key,
                "start": p.start_month,
                "end": p.end_month,
                "hours": p.hours,
                "capacity": p.capacity,
                "modules": [
                    {
                        "title": modules[m.module_id].title.get(lang),
                        "summary": modules[m.module_id].summary.get(lang),
                        "job_group": m.job_group,
                        "trainees": m.trainees,
                        "hours": m.hours,
                        "total_hours": m.total_hours,
                        "delivery": m.delivery,
                        "funding": catalogue.funding(m.funding).name.get(lang),
                    }
                    for m in p.modules
                ],
            }
            for p in roadmap.phases
        ],
        "funding_routes": [
            {"name": r.name.get(lang), "note": r.note.get(lang)}
            for r in catalogue.funding_routes
            if any(m.funding == r.id for p in roadmap.phases for m in p.modules)
        ],
        "briefs": [
            {
                "job": label("need_target_jobs", b.job),
                "job_group": b.job_group,
                "task": b.task,
                "problem": b.problem,
                "data": label("need_data_ready", b.data_ready),
                "data_description": b.data_description,
                "benefits": [label("need_benefit", v) for v in b.benefits],
                "urgency": label("need_urgency", b.urgency),
            }
            for b in roadmap.briefs
        ],
        "referrals": [
            {
                "name": c.name.get(lang),
                "kind": c.kind,
                "equipment": c.equipment.get(lang),
                "bring": c.bring.get(lang),
                "send": c.send.get(lang),
                "contact": c.contact.get(lang),
                "same_region": r.same_region,
                "matched": [centers.specialisation(s).name.get(lang) for s in r.matched],
            }
            for r in roadmap.referrals
            for c in [centers.center(r.center_id)]
        ],
        "sample_centers": centers.notice.get(lang) if centers.sample and centers.notice else "",
    }


def render_report(db: sqlite_utils.Database, record: dict[str, Any], lang: str) -> bytes:
    """The roadmap PDF of a submitted assessment, from the cache when nothing changed."""
    html = render_html("report.html", report_context(db, record, lang), lang)
    pdf, _hit = cached_pdf(
        html, Path(current_app.instance_path) / "reports", current_app.config["RENDER_WORKERS"]
    )
    return pdf


def pdf_response(record: dict[str, Any], lang: str):
    """A download of the roadmap PDF; the file name carries the firm and the date."""
    from urllib.parse import quote

    from flask import Response

    from ..storage import get_db

    pdf = render_report(get_db(), record, lang)
    name = f"roadmap-{record['firm_name']}-{record['submitted_at'][:10]}-{lang}.pdf"
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"roadmap-{record['id']}-{lang}.pdf\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
