"""Everything the roadmap report shows, gathered as plain values (never database rows).

``report_context`` needs the explanation sentences in the report's language, so it runs in an
app context. Issuing a report, its PDF and the queue are the report service's
(``services.reports``); a download's answer is the web's (``web.reports``).
"""

from __future__ import annotations

import logging
import math
import re
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlite_utils
import yaml
from babel.dates import format_date, format_interval, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from ..diagnosis.explanations import track_name
from ..diagnosis.scoring import is_visible
from ..profile import employees_of
from ..templating import KST
from .catalogue import RoadmapData, makes_goods, prerequisites_of
from .charts import radar_svg
from .pdf import TEMPLATES, svg
from .planner import (
    CEO_AWARENESS,
    COACHING,
    DATA_PREPARATION,
    FIRM_WIDE,
    JOB_ANALYSIS,
    OWN_WORDS_PROJECT,
    Plan,
    month_date,
    short_task,
)
from .themes import theme_name

log = logging.getLogger(__name__)

ANSWER_LIMIT = 600  # characters of one free-text answer or note the appendix prints
REASON_LIMIT = 3
_CODE_PREFIX = re.compile(r"^[A-Z]\.\s*")


# --- words for the report ------------------------------------------------------------------


def clip(text: Any, limit: int = ANSWER_LIMIT) -> str:
    """A free text as the report prints it: whole up to ``limit`` characters, then cut with
    a mark (a firm's note can be any size; the report stays a report)."""
    text = str(text or "").strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "… " + _("(shortened)")


def month_label(day: date, lang: str) -> str:
    """A calendar month: "2027년 1월", "Jan 2027" (Babel's CLDR patterns)."""
    return format_skeleton("yMMM", day, locale=lang)


def months_label(start: date, first: int, last: int, lang: str) -> str:
    """Calendar months ``first``..``last`` (inclusive) of a plan starting on ``start``:
    "2027년 1월~3월", "Jan – Mar 2027"."""
    a, b = month_date(start, first), month_date(start, last)
    if a == b:
        return month_label(a, lang)
    return format_interval(a, b, "yMMM", locale=lang)


def day_label(day: date, lang: str) -> str:
    return format_date(day, "long", locale=lang)


def hours_label(hours: float, lang: str) -> str:
    """A number of hours kept with its unit: "16시간", "16 h" (a no-break space)."""
    number = format_decimal(hours, "#,##0.#", locale=lang)
    return f"{number}시간" if lang == "ko" else f"{number}\u00a0h"


def about_hours_label(hours: float, lang: str) -> str:
    """An average (hours a month): whole hours, at least one ("약 14시간", not "13.3시간")."""
    return hours_label(max(1, math.floor(hours + 0.5)), lang)


def won(amount: int, lang: str) -> str:
    """Korean won: "1,234,567원", "₩1,234,567"."""
    pattern = "#,##0원" if lang == "ko" else None
    return format_currency(amount, "KRW", format=pattern, locale=lang, currency_digits=True)


def group_assumed(roadmap: Plan, group: str) -> bool:
    """The plan's own number for a group the firm gave none for (never the CEO)."""
    return group != "executives" and group not in roadmap.trainees_stated


def count_assumed(roadmap: Plan, placed, module, answers: dict[str, Any]) -> bool:
    """Whether the number of people taking a placed module is the plan's own assumption, the
    firm having given none: for the one person who runs training, the answer says so where
    someone does it beside other work (``train_hrd_owner``); else the group's number
    (``group_assumed``). The report and the API say it the same."""
    if placed.lane and module.training_owner and placed.job_group != "executives":
        return answers.get("train_hrd_owner") != "side_job"
    return group_assumed(roadmap, placed.job_group)


def people_label(
    group: str, count: int, jobs: list[str], lang: str, employees: int, assumed: bool = False
) -> str:
    """Who attends, by role: "대표", "경영지원 담당 2명", "Office staff (2)"; a number the firm
    did not give is marked as the plan's assumption ("사무직 6명(가정)")."""
    if group == "executives":
        if count == 1:
            return _("The CEO")
        return _("The CEO and %(n)s other executive", n=count - 1)
    role = jobs[0] if len(jobs) == 1 else GROUP_NAMES()[group]
    if assumed:
        return ngettext(
            "%(role)s (%(num)s person, assumed)", "%(role)s (%(num)s people, assumed)", count,
            role=role,
        )  # fmt: skip
    return ngettext("%(role)s (%(num)s person)", "%(role)s (%(num)s people)", count, role=role)


def GROUP_NAMES() -> dict[str, str]:  # noqa: N802  (a table, built in the report's language)
    return {
        "executives": _("Executives"),
        "office": _("Office staff"),
        "engineers": _("Engineers and IT"),
        "production": _("Production and field staff"),
    }


def DELIVERY_NAMES() -> dict[str, str]:  # noqa: N802
    return {
        "free_online": _("Free online course"),
        "blended": _("Online and classroom"),
        "onsite_pbl": _("Project at your site"),
        "shared_center": _("At a shared training center"),
    }


def BENEFIT_MEASURES() -> dict[str, str]:  # noqa: N802
    """The measure of each benefit a firm may name, for any task: it names nothing a firm
    might not have (no enquiries, no written standard; defects only where goods are made)."""
    return {
        "time_saving": _("hours the task takes, before and after"),
        "quality": _("errors and rework, before and after"),
        "cost": _("cost of the task per month, before and after"),
        "sales": _("sales, before and after"),
        "safety": _("incidents and near misses, before and after"),
        "skill_transfer": _("staff who can do the task without the expert, before and after"),
        "labour_shortage": _("work handled without extra staff"),
    }


def THEME_MEASURES() -> dict[tuple[str, str], str]:  # noqa: N802
    """The measure of a benefit on a task of a theme, where the theme says what to count (a
    forecast's waste and sell-outs, an inspection's missed defects)."""
    return {
        ("demand_forecasting", "cost"): _("stock left over or thrown away, before and after"),
        ("demand_forecasting", "sales"): _("times sold out, and sales, before and after"),
        ("demand_forecasting", "quality"): _("how far forecasts miss, before and after"),
        ("demand_forecasting", "time_saving"): _(
            "hours spent setting quantities, before and after"
        ),
        ("predictive_maintenance", "cost"): _("repair costs and hours stopped, before and after"),
        ("predictive_maintenance", "time_saving"): _("hours stopped, before and after"),
        ("visual_inspection", "quality"): _("defects found and missed, before and after"),
        ("visual_inspection", "time_saving"): _("hours of inspection, before and after"),
        ("process_quality_analytics", "quality"): _("defect rate, before and after"),
        ("customer_service", "sales"): _("enquiries, bookings and sales, before and after"),
        ("customer_service", "time_saving"): _("time per enquiry or booking, before and after"),
        ("marketing_content", "sales"): _("enquiries and sales, before and after"),
        ("marketing_content", "time_saving"): _("hours per piece of content, before and after"),
        ("genai_writing", "quality"): _("errors found in the documents, before and after"),
        ("document_processing", "quality"): _("errors found in the documents, before and after"),
        ("reporting_automation", "quality"): _("errors found in the reports, before and after"),
        ("dispatch_scheduling", "cost"): _(
            "empty runs or idle hours and their cost, before and after"
        ),
    }


def benefit_measures(theme: str | None, benefits: list[str], goods: bool) -> list[str]:
    """How a task's success is measured: by its theme where the theme says what to count,
    else by the benefit the firm named (a firm that makes goods counts defects)."""
    general = BENEFIT_MEASURES()
    if goods:
        general["quality"] = _("defect rate, before and after")
    themed = THEME_MEASURES()
    measures = [themed.get((theme or "", b)) or general[b] for b in benefits if b in general]
    return list(dict.fromkeys(measures))


def OWNER_TEXT() -> dict[str, str]:  # noqa: N802
    return {
        "none": _("No owner yet: the job analysis names one."),
        "not_yet": _("An owner can be named; do it before the project starts."),
        "named_no_time": _("An owner is named; agree the hours they may spend on it."),
        "named_with_time": _("An owner is named, and the project counts as working time."),
    }


def _answer(item, value: Any, lang: str) -> str:
    """An answer as the appendix prints it, in the report's language (free text cut short)."""
    return item.kind.text(value, lang, shorten=clip)


# --- the context -----------------------------------------------------------------------------


def report_values(
    db: sqlite_utils.Database,
    record: dict[str, Any],
    lang: str,
    built: Any,
    comparison: Any,
    compared: dict[str, Any] | None,
    issue: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values the report template needs for one submitted assessment, from what the
    services found (``services.roadmaps.report_context``): ``built``, the firm's plan with
    the catalogue and registry it is issued with; ``comparison``, its peers' scores (None
    when too few to show); ``compared``, T0 against T1 when this diagnosis follows an earlier
    one; ``issue`` marks a revised report (its revision, its date, the first issue's date)."""
    data, questionnaire, diagnosis = built.data, built.questionnaire, built.diagnosis
    answers, notes, track, scores = built.answers, built.notes, built.track, built.scores
    roadmap, words, submitted = built.plan, built.words, built.submitted
    profile = record["profile"]
    prediction = diagnosis["prediction"]
    decision = diagnosis["decision"]
    employees = employees_of(profile)
    goods = makes_goods(profile)  # factory wording (products, samples) only for them
    peers = comparison.means if comparison else {}
    show_peers = comparison is not None
    with force_locale(lang):
        dimensions = [
            {
                "id": d.id,
                "title": d.title.get(lang),
                "score": scores.get(d.id),
                "level": diagnosis["scores"][d.id]["level"],
                "level_text": _level_text(
                    data, d.id, diagnosis["scores"][d.id]["level"], answers, lang, goods
                ),
                "peer": round(peers[d.id]) if show_peers and d.id in peers else None,
            }
            for d in questionnaire.dimensions
        ]
        plan_view = _plan_view(roadmap, data, questionnaire, answers, lang, employees, profile)
        people = _people(db, record)
        peer_readiness = (
            round(sum(d["peer"] for d in dimensions) / len(dimensions))
            if show_peers and all(d["peer"] is not None for d in dimensions)
            else None
        )
        context = {
            "firm": {
                "name": record["firm_name"],
                "makes_goods": goods,
                "employees": employees,
                "region": questionnaire.profile_field("region").choice_label(
                    profile.get("region", ""), lang
                ),
                "industry": _CODE_PREFIX.sub(
                    "",
                    questionnaire.profile_field("industry").choice_label(
                        profile.get("industry", ""), lang
                    ),
                ),
            },
            "consultant": people["consultant"],
            "center": people["center"],
            "diagnosed_on": day_label(submitted, lang),
            "source": record.get("source", "consultant"),
            "track": track,
            "track_label": track_name(track),
            "job_analysis_first": roadmap.job_analysis_first,
            "overridden": bool(decision and decision["action"] == "override"),
            "decision_reason": clip(decision["reason"], 300) if decision else "",
            # The model's reasons explain the model's track: only when that is the firm's.
            "reasons": [clip(r, 240) for r in words["ceo_reasons"][:REASON_LIMIT]]
            if track == prediction.track
            else [],
            # A beginner's way forward: the one-step levers toward the next track (or, when a
            # few steps do not reach it, those that go furthest), on the model's track only.
            "way_forward": {
                "head": words["counterfactual_head"],
                "steps": [
                    clip(s, 240) for s in way_forward_steps(prediction, questionnaire, lang, words)
                ],
            }
            if track == prediction.track == "beginner" and words["counterfactual_steps"]
            else None,
            "method_note": words["method_note"],  # the scorecard's lines: policy or assumption
            "readiness": diagnosis["readiness"],
            "peer_readiness": peer_readiness,
            "dimensions": dimensions,
            "radar": svg(
                radar_svg(
                    [d["title"] for d in dimensions],
                    [d["score"] or 0 for d in dimensions],
                    [d["peer"] for d in dimensions] if show_peers else None,
                    _("This company"),
                    _("Peers of the same industry and size"),
                    title=_radar_alternative(dimensions, show_peers),
                )
            ),
            "peers": {"shown": show_peers},
            "plan": plan_view,
            "appendix": answers_record(questionnaire, answers, notes, lang),
            "generated_on": day_label(date.today(), lang),
            "issue": issue,
            # A result link shows only what its holder typed (and the decision on it): never
            # the registered firm's earlier diagnoses or training (issue 17, item 2).
            "progress": None if record.get("link_view") else _progress(compared, lang),
        }
    return context


def answers_record(questionnaire, answers, notes, lang: str) -> list[dict[str, Any]]:
    """The answers as a record apart from the CEO's report: per dimension, each shown
    question with its answer and the consultant's note, in the given language."""
    return [
        {
            "title": d.title.get(lang),
            "answers": [
                {
                    "question": i.question.get(lang),
                    "answer": _answer(i, answers.get(i.id), lang),
                    "note": clip(notes.get(i.id, ""), 300),
                }
                for i in d.items
                if is_visible(i, answers)
            ],
        }
        for d in questionnaire.dimensions
    ]


def _level_text(
    data: RoadmapData, dimension: str, level: int | None, answers, lang: str, goods: bool
) -> str:
    text = data.levels.text_for(dimension, level or 0, answers, goods)
    if text:
        return text.get(lang)
    # the level's line would contradict the answers: say what the answers of the area do
    if dimension == "job_ax_needs" and level:
        return ax_needs_text(answers)
    if dimension == "data_infra" and level:
        return data_infra_text(answers)
    return ""


def data_infra_text(answers: dict[str, Any]) -> str:
    """What the data and digital base score says, from the answers it is made of: where the
    core records are kept, then what is still missing (the weakest answers of the area)."""
    head = {
        "paper": _("Core records are kept mostly on paper."),
        "personal_files": _("Core records are kept in each person's own spreadsheets."),
        "shared_files": _("Core records are kept together in shared files."),
        "system": _("Core records are entered into business systems."),
        "integrated": _("Core records are in linked systems, viewable in one place."),
    }.get(answers.get("data_storage"), "")
    gaps = {
        "data_systems": {"none": _("no business systems")},
        "data_history": {
            "none": _("almost no records kept electronically"),
            "under_1_year": _("less than a year of electronic records"),
        },
        "data_quality": {
            "unreliable": _("figures that differ with no way to tell which is right"),
            "person_dependent": _("figures one person must tidy before they can be trusted"),
        },
        "data_collection": {
            "none": _("field data not recorded"),
            "paper_then_typed": _("field data typed in from paper"),
        },
        "data_security": {
            "none": _("no security rules"),
            "verbal": _("security rules given only by word of mouth"),
        },
        "data_it_staff": {"none": _("no one looking after IT")},
    }
    found = []
    for item, said in gaps.items():
        given = answers.get(item)
        values = given if isinstance(given, list) else [given]
        found += [said[v] for v in values if v in said]
    if not found:
        return head
    missing = _("Still missing: %(list)s.", list=", ".join(found))
    return f"{head} {missing}" if head else missing


def ax_needs_text(answers: dict[str, Any]) -> str:
    """What the job-level AX needs score says, from the answers it is made of: how far the
    task is stated, then what is still open before a project (its data, owner, team, hours,
    money); where nothing is, that a project can start."""
    task = str(answers.get("need_task") or "").strip()
    clarity = answers.get("need_problem_clarity")
    if clarity == "scoped":
        head = _("A written brief sets out the task, a target, an owner and the data.")
    elif clarity == "quantified":
        head = _("The task for AI is named and its problem put in numbers.")
    elif clarity == "named":
        head = _("The task for AI and its problem are named.")
    elif task:
        head = _("A task for AI is named, but the problem it should solve is not yet clear.")
    elif clarity == "vague":
        head = _("There is a wish to use AI, but no task or problem is named yet.")
    else:
        head = _("No task or problem for AI has been picked yet.")
    gaps = {
        "need_data_ready": {
            "none": _("no data recorded for the task"),
            "paper": _("its data only on paper"),
            "scattered": _("its data scattered"),
            "organised": _("the outcome of each case not recorded with its data"),
        },
        "need_owner": {
            "none": _("no one to lead the project"),
            "not_yet": _("no owner named yet"),
            "named_no_time": _("no time set aside for the owner"),
        },
        "need_trainees": {
            "none": _("no trainees chosen"),
            "department": _("the department chosen, not yet the people"),
        },
        "need_budget_commit": {"free_only": _("only free training possible")},
    }
    found = [said[answers[i]] for i, said in gaps.items() if answers.get(i) in said]
    hours = answers.get("need_release_hours")
    if _number(hours) == 0:
        found.append(_("no working hours released for training"))
    if found:
        return head + " " + _("Still open before a project: %(list)s.", list=", ".join(found))
    settled = (
        answers.get("need_data_ready") == "labelled"
        and answers.get("need_owner") == "named_with_time"
        and answers.get("need_trainees") in ("named", "named_cover")
    )
    if settled and clarity in ("named", "quantified", "scoped"):
        return head + " " + _("The data, the owner and the team are settled: a project can start.")
    return head


def _number(value: Any) -> float | None:
    """A number answer as a number (None when not given or not a number)."""
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@cache
def _answer_steps() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / "answer_steps.yaml").read_text(encoding="utf-8"))


def step_text(questionnaire, item_id: str, before: Any, after: Any, lang: str) -> str | None:
    """A one-step change of an answer, said as a step to take (``answer_steps.yaml``): the
    option it reaches, or the number. None for a step down or an option the file lacks."""
    steps = _answer_steps()
    item = questionnaire.find_item(item_id)
    if item is None:
        return None
    if not item.kind.has_options:
        phrase = steps["numbers"].get(item_id)
        old, new = _number(before), _number(after)
        if not phrase or new is None or (old is not None and new <= old):
            return None
        return phrase[lang].replace("%(n)s", format_decimal(new, "#,##0.#", locale=lang))
    olds = set(before) if isinstance(before, list) else {before}
    news = after if isinstance(after, list) else [after]
    added = [v for v in news if v not in olds]
    if len(added) != 1 or (item.option(added[0]) is None):
        return None
    if not item.kind.many:
        old = item.option(before)
        if old is not None and item.option(added[0]).score <= old.score:
            return None
    phrase = steps["options"].get(item_id, {}).get(added[0])
    return phrase.get(lang) if phrase else None


def way_forward_steps(prediction, questionnaire, lang: str, words: dict[str, Any]) -> list[str]:
    """The summary's steps toward the next track, each a step to take in plain words (the
    scorecard's own lines, which quote the questionnaire's options, where there is none):
    the first few answers that alone change the track, or every step of the few a head such
    as "these 4 one-step changes together" counts."""
    if prediction.sensitivity:
        changes = [(s["item"], s["before"], s["after"], s["track"]) for s in prediction.sensitivity]
        said = words["ceo_steps"]
    elif prediction.counterfactual is not None:
        changes = [(c.item, c.before, c.after, "") for c in prediction.counterfactual.changes]
        said = words["counterfactual_steps"]
    else:
        changes, said = [], []
    steps = []
    for (item_id, before, after, track), line in zip(changes, said, strict=False):
        text = step_text(questionnaire, item_id, before, after, lang)
        if text and track:
            text = _("%(step)s (this alone gives %(track)s)", step=text, track=track_name(track))
        steps.append(text or line)
    return steps


def _progress(compared: dict[str, Any] | None, lang: str):
    """T0 against T1 when this diagnosis follows an earlier one (``services.rediagnosis``):
    the table with its bars, what moved, and the training taken in between."""
    from .movement import movement_table

    if compared is None:
        return None
    t0 = datetime.fromisoformat(compared["t0"]["submitted_at"]).astimezone(KST).date()
    return {
        "since": day_label(t0, lang),
        "readiness_t0": compared["t0"]["readiness"],
        "readiness_t1": compared["t1"]["readiness"],
        "track_t0": track_name(compared["t0"]["track"]),
        "basis": [
            _("a consultant's decision")
            if compared[t]["basis"] == "consultant"
            else _("your submitted self-assessment")
            for t in ("t0", "t1")
        ],
        "track_changed": compared["track_changed"],
        "table": svg(
            movement_table(
                compared["dimensions"],
                {
                    "caption": _(
                        "Scores out of 100 on %(t0)s (grey) and now (blue).",
                        t0=day_label(t0, lang),
                    ),
                    "area": _("Area"),
                    "t0": _("Before"),
                    "t1": _("Now"),
                    "change": _("Score change"),
                    "chart": _("Chart"),
                },
            )
        ),
        "moved": [
            _("%(area)s: %(change)s points", area=d["title"], change=f"{d['change']:+.0f}")
            for d in compared["moved"]
        ],
        "training": [
            {
                "title": clip(t["title"], 120),
                "when": day_label(date.fromisoformat(t["started_on"]), lang),
                "hours": hours_label(t["hours"], lang),
                "people": t["trainees"],
            }
            for t in compared["training"]
        ],
    }


def _radar_alternative(dimensions: list[dict[str, Any]], peers: bool) -> str:
    """The chart in words, for a screen reader: each area's score (and the peers')."""
    parts = []
    for d in dimensions:
        score = "–" if d["score"] is None else f"{d['score']:.0f}"
        if peers and d["peer"] is not None:
            parts.append(
                _(
                    "%(area)s %(score)s (peers %(peer)s)",
                    area=d["title"],
                    score=score,
                    peer=d["peer"],
                )
            )
        else:
            parts.append(_("%(area)s %(score)s", area=d["title"], score=score))
    return _("Radar chart of the six areas, scores out of 100: %(list)s.", list="; ".join(parts))


def _people(db: sqlite_utils.Database, record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The consultant and center, with how to reach them (contact columns of migration 5)."""
    center = db.execute(
        "SELECT name, phone, email, address FROM centers WHERE id = ?", [record["center_id"]]
    ).fetchone()
    consultant = db.execute(
        "SELECT name, phone, email FROM users WHERE id = ?", [record.get("consultant_id")]
    ).fetchone()
    return {
        "center": dict(
            zip(("name", "phone", "email", "address"), center or ("",) * 4, strict=True)
        ),
        "consultant": dict(zip(("name", "phone", "email"), consultant or ("",) * 3, strict=True)),
    }


def _named_by_its_task(module, tasks: list[str]) -> bool:
    return module.id in OWN_WORDS_PROJECT.values() and len(set(tasks)) == 1


def title_holds_task(module, tasks: list[str]) -> bool:
    """The module's title quotes its one task whole (not a shortened form): a line "On your
    task: …" under it would only repeat it."""
    return _named_by_its_task(module, tasks) and short_task(tasks[0]) == " ".join(
        str(tasks[0]).split()
    )


def project_title(module, tasks: list[str], lang: str) -> str:
    """A project on the firm's own words, which assumes no kind of AI, is named by the one
    task it works on (a short form); every other module by its catalogue title."""
    if _named_by_its_task(module, tasks):
        if module.delivery == "onsite_pbl":
            return _("PBL: “%(task)s”", task=short_task(tasks[0]))
        return _("A first task: “%(task)s”", task=short_task(tasks[0]))
    return module.title.get(lang)


def module_title(roadmap: Plan, module, lang: str) -> str:
    """A module's name wherever the report or the API lists it: a project on the firm's own
    words by the task of its brief, any other by its catalogue title."""
    return project_title(module, [b.task for b in roadmap.briefs if b.module_id == module.id], lang)


def _plan_view(
    roadmap: Plan,
    data: RoadmapData,
    questionnaire,
    answers: dict[str, Any],
    lang: str,
    employees: int,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """The plan with every id turned into words of the report's language (``profile``: a
    firm that makes goods, sells them or serves reads the module summaries written for it)."""
    goods = makes_goods(profile)
    catalogue, centers = data.catalogue, data.centers
    modules = catalogue.by_id
    start = date.fromisoformat(roadmap.start)
    named = answers.get("need_target_jobs") or []
    named = named if isinstance(named, list) else [named]

    def label(item_id: str, value: Any) -> str:
        item = questionnaire.find_item(item_id)
        option = item.option(value) if item and value else None
        return option.label.get(lang) if option else ""

    def data_ready_text(value: Any, theme: str | None) -> str:
        """The firm's answer on its data as a sentence of the report (the questionnaire's
        label is a question's option, with a factory's example in it): what is missing is
        said in the task's terms: failures for machines, pass or fail where goods are made
        and the task is an inspection's or of no kind read yet, else how each case ended."""
        if value == "organised":
            if theme == "predictive_maintenance":
                return _("Kept in one system, without the machines' failures.")
            if goods and theme in (None, "visual_inspection", "process_quality_analytics"):
                return _("Kept in one system, without whether each item passed or failed.")
            return _("Kept in one system, without how each case ended.")
        return {
            "none": _("Nothing is recorded for this task yet."),
            "paper": _("Kept only on paper or in people's experience."),
            "scattered": _("Electronic, but scattered: it needs tidying."),
            "labelled": _("Plenty of it, organised, with the outcome of each case."),
        }.get(value, "")

    def jobs_of(group: str) -> list[str]:
        from .planner import JOB_TO_GROUP

        return [label("need_target_jobs", j) for j in named if JOB_TO_GROUP.get(j) == group]

    # Briefs whose project other people of the group take side by side (named by job).
    in_lane = {m.brief for m in roadmap.modules if m.brief is not None and m.lane}

    def who_of(x) -> str:
        """Who takes one placed module: its group's people, or the one job of its lane (a
        project's named job, the one person who runs training) with that lane's number, said
        to be assumed where the answers gave none (``count_assumed``)."""
        guessed = count_assumed(roadmap, x, modules[x.module_id], answers)
        return people_label(
            x.job_group,
            x.trainees,
            [label("need_target_jobs", x.lane)] if x.lane else jobs_of(x.job_group),
            lang,
            employees,
            guessed,
        )

    def row(group: list) -> dict[str, Any]:
        """One module as the report lists it: every group taking it in a phase together."""
        m = group[0]
        module = modules[m.module_id]
        route = catalogue.funding(m.funding)
        amounts = [module.cost.firm_pays(x.trainees) for x in group]
        amount = None if None in amounts else sum(amounts)
        tasks = [
            b.task
            for b in roadmap.briefs
            if b.module_id == m.module_id
            # coaching carries a completed project of the task into daily work
            or (m.module_id == COACHING and b.completed and not b.module_id)
        ]
        first_month, last_month = (
            min(x.start_month for x in group),
            max(x.end_month for x in group) - 1,
        )
        return {
            "id": m.module_id,
            "title": project_title(module, tasks, lang),
            # a maker's, a shop's or a service firm's own wording (Module.summary_for)
            "summary": module.summary_for(profile).get(lang),
            "tasks": tasks,
            "tasks_short": [clip(t, 80) for t in tasks],
            # the title already quotes the whole task: no "On your task" line under it
            "task_in_title": title_holds_task(module, tasks),
            "prepares": any((x.module_id, x.job_group) in preparing for x in group),
            "who": " · ".join(who_of(x) for x in group),
            "group": m.job_group if len(group) == 1 else "mixed",
            "when": months_label(start, first_month, last_month, lang),
            "start_month": first_month,
            "hours": hours_label(m.hours, lang),
            "per_month": about_hours_label(m.hours / m.months, lang),
            "delivery": DELIVERY_NAMES()[m.delivery],
            "route": route.short_name.get(lang),
            "cost": _("Free") if amount == 0 else won(amount, lang) if amount else "",
            "cost_basis": _(
                "Fee %(fee)s a person, %(share)s subsidised (%(source)s, checked %(day)s)",
                fee=won(module.cost.fee_krw, lang),
                share=format_percent(module.cost.subsidy_share, locale=lang),
                source=module.cost.source.get(lang),
                day=day_label(module.cost.checked, lang),
            )
            if amount
            else "",
            "firm_pays": route.firm_pays_short.get(lang),
            # Impact: what the firm asked for (its task, its equipment, the track's opening
            # step) counts in full, a gap by its size; effort: the hours one person gives.
            "rank": max(x.impact for x in group) / (1 + m.hours / 40),
        }

    # What the task's projects need before them, for the people who take them: their
    # prerequisites all the way down (a firm-wide one for whoever leads it), and the
    # preparation of their data (by whoever holds it).
    preparing: set[tuple[str, str]] = set()
    for project in (m for m in roadmap.modules if m.brief is not None):
        needed = prerequisites_of(modules, [project.module_id])
        preparing |= {
            (m.module_id, m.job_group)
            for m in roadmap.modules
            if m.module_id == DATA_PREPARATION
            or (m.module_id in needed and (m.job_group == project.job_group
                                           or m.module_id in FIRM_WIDE))
        }  # fmt: skip

    def lane_of(m) -> str:
        if m.lane:
            return who_of(m)
        g = m.job_group
        return people_label(
            g, roadmap.trainees.get(g, 1), jobs_of(g), lang, employees, group_assumed(roadmap, g)
        )

    def lanes_of(phase) -> list[dict[str, Any]]:
        lanes: dict[str, list[str]] = {}
        for m in phase.modules:
            lanes.setdefault(lane_of(m), []).append(m.module_id)
        return [
            {
                "who": who,
                "titles": [module_title(roadmap, modules[i], lang) for i in dict.fromkeys(ids)],
            }
            for who, ids in lanes.items()
        ]

    def rows_of(phase) -> list[dict[str, Any]]:
        grouped: dict[str, list] = {}
        for m in phase.modules:
            grouped.setdefault(m.module_id, []).append(m)
        return [row(group) for group in grouped.values()]

    phases = [
        {
            "key": p.key,
            "title": _(
                "Months %(start)s–%(end)s · %(when)s",
                start=p.start_month + 1,
                end=p.end_month,
                when=months_label(start, p.start_month, p.end_month - 1, lang),
            ),
            "hours": hours_label(p.hours, lang),
            "rows": rows_of(p),
            # one lane per group of people, a lane of its own for one job's people (a
            # project's named job, the one person who runs training): the lane says who
            "lanes": lanes_of(p),
        }
        for p in roadmap.phases
    ]
    rows = [r for p in phases for r in p["rows"]]
    # The first three actions: the most impact for the effort among what starts in the plan's
    # first months (the first phase, then the next).
    first = first_actions(rows, roadmap.phases[0].end_month)
    first_step = first_step_text(first, lang)
    routes_used = list(
        dict.fromkeys(modules[m.module_id].funding for p in roadmap.phases for m in p.modules)
    )
    referral_centers = [
        (r, centers.center(r.center_id))
        for r in roadmap.referrals
        if not centers.is_sample(centers.center(r.center_id))
    ]
    equipment, uses = _wanted_names(answers, data, lang)
    used_groups = {m.job_group for m in roadmap.modules}
    return {
        "months": roadmap.months,
        "release": hours_label(roadmap.release_hours, lang),
        "release_stated": hours_label(roadmap.release_stated, lang)
        if roadmap.release_stated
        else "",
        "release_capped": roadmap.release_stated is not None
        and roadmap.release_stated > roadmap.release_hours,
        "release_missing": not roadmap.release_stated or roadmap.release_stated <= 0,
        "busiest": about_hours_label(roadmap.busiest_month(), lang),
        "total_hours": hours_label(roadmap.total_hours, lang),
        "module_count": len(rows),
        "phases": phases,
        "first": first,
        "first_step": first_step,
        "has_project": any(r["tasks"] for r in rows),
        # the summary speaks of a session for the CEO only where the plan holds one
        "ceo_session": any(
            m.module_id == CEO_AWARENESS and m.job_group == "executives" for m in roadmap.modules
        ),
        "rediagnose": month_label(month_date(start, roadmap.rediagnose_month), lang),
        "plan_end": month_label(month_date(start, roadmap.months - 1), lang),
        "unplaced": [modules[m].title.get(lang) for m in roadmap.unplaced],
        "funding_routes": [
            {
                "name": catalogue.funding(r).name.get(lang),
                "note": catalogue.funding(r).note.get(lang),
                "firm_pays": catalogue.funding(r).firm_pays.get(lang),
                "source": catalogue.funding(r).source.get(lang),
                "checked": catalogue.funding(r).checked.isoformat(),
            }
            for r in routes_used
        ],
        "costs_unknown": any(not r["cost"] for r in rows),
        "briefs": [
            {
                "task": b.task,
                "job": label("need_target_jobs", b.job) or GROUP_NAMES()[b.job_group],
                "problem": b.problem,
                "data": data_ready_text(b.data_ready, b.theme),
                "data_description": b.data_description,
                "owner": OWNER_TEXT().get(b.owner or "", ""),
                "who": people_label(
                    b.job_group,
                    b.trainees,
                    [label("need_target_jobs", b.job)]
                    if index in in_lane
                    else jobs_of(b.job_group),
                    lang,
                    employees,
                    group_assumed(roadmap, b.job_group),
                ),
                "measures": benefit_measures(b.theme, b.benefits, goods),
                "module": module_title(roadmap, modules[b.module_id], lang)
                if b.module_id
                else _(
                    "%(module)s, completed earlier: its results go into daily work with "
                    "%(coaching)s",
                    module=modules[b.completed].title.get(lang),
                    coaching=modules[COACHING].title.get(lang),
                )
                if b.completed and b.completed in modules and COACHING in modules
                else "",
                "theme": theme_name(b.theme, lang) if b.theme else "",
                "theme_confirmed": b.theme_confirmed,
                "when": next(
                    (r["when"] for r in rows if r["id"] == b.module_id and r["tasks"]), ""
                ),
            }
            for index, b in enumerate(roadmap.briefs)
        ],
        "referrals": [
            {
                "name": c.name.get(lang),
                "equipment": c.equipment.get(lang),
                "bring": c.bring.get(lang),
                "send": c.send.get(lang),
                "contact": c.contact.get(lang),
                "same_region": r.same_region,
                "distance": r.distance_km,
                "matched": [centers.specialisation(s).name.get(lang) for s in r.matched],
            }
            for r, c in referral_centers
        ],
        # Sample entries are never printed; the report then says the center will find one.
        "registry_incomplete": bool(roadmap.referrals)
        and not referral_centers
        or (roadmap.track == "shared_center" and not referral_centers),
        "needs": equipment + uses,
        "theme_to_confirm": roadmap.theme_to_confirm,
        # what the sentences about the projects may say: a job analysis, projects done
        "job_analysis_planned": any(m.module_id == JOB_ANALYSIS for m in roadmap.modules),
        "projects_completed": bool(roadmap.briefs)
        and all(b.completed and not b.module_id for b in roadmap.briefs),
        # Headcounts the plan assumes (the firm gave no number for the group): said so.
        "assumed_counts": [
            people_label(g, roadmap.trainees[g], jobs_of(g), lang, employees)
            for g in roadmap.job_groups
            if g != "executives" and g not in roadmap.trainees_stated and g in used_groups
        ],
    }


def first_actions(rows: list[dict[str, Any]], first_phase_end: int) -> list[dict[str, Any]]:
    """The first three actions: the task's first project and what prepares it (its
    prerequisites, its data) first, then the most impact for the effort among what starts
    first; printed in date order."""
    ranked = sorted(
        rows, key=lambda r: (r["start_month"] >= first_phase_end, -r["rank"], r["start_month"])
    )
    project = next((r for r in sorted(rows, key=lambda r: r["start_month"]) if r["tasks"]), None)
    if project is None:
        chosen = ranked[:3]
    else:
        preparing = [
            r for r in ranked
            if r is not project and r.get("prepares") and r["start_month"] <= project["start_month"]
        ]  # fmt: skip
        chosen = [project, *preparing[:2]]
        # then the task's other projects, then the most impact for the effort
        for r in [*(r for r in ranked if r["tasks"]), *ranked]:
            if len(chosen) < 3 and all(r is not c for c in chosen):
                chosen.append(r)
    return sorted(chosen, key=lambda r: (r["start_month"], -r["rank"]))


def first_step_text(first: list[dict[str, Any]], lang: str) -> str:
    """What to do this month, from the plan's first actions: the ones that start first, each
    with who takes it ("대표의 ‘경영자를 위한 AI 이해’"), never a course the plan does not hold."""
    if not first:
        return ""
    month = min(a["start_month"] for a in first)
    parts = [
        _("%(who)s: ‘%(title)s’", who=a["who"], title=a["title"])
        for a in first
        if a["start_month"] == month
    ]
    return _(
        "This month, sign up for the first steps of the plan — %(list)s.",
        list=(", " if lang == "ko" else "; ").join(parts),
    )


def _wanted_names(answers, data: RoadmapData, lang: str) -> tuple[list[str], list[str]]:
    from .planner import wanted_specialisations

    equipment, uses = wanted_specialisations(answers)
    name = data.centers.specialisation
    return [name(s).name.get(lang) for s in equipment], [name(s).name.get(lang) for s in uses]


def registry_needs_real_entries(data: RoadmapData) -> bool:
    """True while the registry of shared centers holds only sample entries: referrals then
    name no center in a firm's report, and the consultant should enter the real ones."""
    return all(data.centers.is_sample(c) for c in data.centers.centers)
