"""The scorecard's diagnosis in plain Korean or English: the track, why, what to re-check,
and which answers would change it.

Every sentence is built from the comparison that decided it: a line's side is read from the
value and the line themselves (never from a code fixed for one side), and a number is printed
so that it stays on its side ("21.6, under 22", never "22, under 22"). Point lines are the
tool's assumptions and say so ("the tool's provisional line"); the policy's own rules cite
their seed line. ``tests/test_sentences.py`` parses every sentence of thousands of generated
firms in both languages against each firm's own answers and scores.

A firm's CEO gets at most three reasons; the consultant gets them all, with the rule and its
source, what pointed the other way, the review items and the one-step changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..questionnaire.schema import Questionnaire
from .model import Change, Prediction
from .policy import LINES, NEAR, RULE_SOURCES, SME_SOURCE, missing_to_train

TRACK_NAMES = {
    "beginner": _l("Beginner"),
    "ax": _l("AX firm (PBL)"),
    "shared_center": _l("Shared training center"),
}
TRACK_SUMMARIES = {
    "beginner": _l(
        "Free online courses, a CEO awareness session and one small first use "
        "case; re-diagnose in about six months."
    ),
    "ax": _l(
        "A job analysis of the target jobs, then project-based training on the firm's "
        "own problems, funded as employer training, with coaching."
    ),
    "shared_center": _l(
        "Training at an AI joint training center or physical-AI lab, which brings the "
        "equipment and instructors the firm lacks: diagnosis, a CEO course, at least 18 hours "
        "of hands-on problem solving, then coaching."
    ),
}
# Short names of the scored answers, for the levers ("Who is in charge of training: …").
ITEM_NAMES = {
    "lead_ceo_understanding": _l("The CEO's grasp of what AI can do"),
    "lead_strategy_doc": _l("A written AI or digital plan"),
    "lead_budget": _l("Spending on AI and digital"),
    "lead_owner": _l("Who drives AI and digital change"),
    "lead_staff_ideas": _l("How staff ideas are taken up"),
    "lead_external": _l("Outside support used for AI and digital change"),
    "data_storage": _l("Where core business data is kept"),
    "data_collection": _l("How production data is collected"),
    "data_systems": _l("Business systems in use"),
    "data_quality": _l("Who manages data, and how reliable it is"),
    "data_history": _l("How many years of data are kept"),
    "data_cloud": _l("Use of cloud and SaaS"),
    "data_security": _l("Information-security rules"),
    "data_it_staff": _l("Who looks after IT"),
    "use_genai_office": _l("Generative AI in office work"),
    "use_area_quality": _l("AI in quality inspection"),
    "use_area_forecast": _l("AI in forecasting and planning"),
    "use_area_maintenance": _l("AI in predictive maintenance"),
    "use_area_customer": _l("AI in customer service"),
    "use_area_marketing": _l("AI in marketing and sales"),
    "use_rules": _l("Rules for using AI tools"),
    "use_effect_measure": _l("Measuring what AI brings"),
    "skill_exec_ai": _l("Executives' use of AI"),
    "skill_office_digital": _l("Office staff's digital skills"),
    "skill_office_ai": _l("Office staff's use of generative AI"),
    "skill_eng_data": _l("Engineers' data and AI skills"),
    "skill_field_digital": _l("Field staff's digital skills"),
    "skill_field_ai": _l("Field staff's use of AI equipment"),
    "skill_attitude": _l("Staff attitude to AI"),
    "skill_champion": _l("Someone who teaches colleagues AI"),
    "train_past": _l("Training beyond the legal minimum"),
    "train_hrd_owner": _l("Who is in charge of training"),
    "train_employer_funded": _l("Use of employer training subsidies"),
    "train_card": _l("Use of the Tomorrow Learning Card"),
    "train_hours": _l("Training hours per person a year"),
    "train_ai_courses": _l("AI and digital courses taken"),
    "train_instructors": _l("In-house instructors"),
    "train_facility": _l("Training room and practice equipment"),
    "train_evaluation": _l("How training results are checked"),
    "need_problem_clarity": _l("How concrete the problem to solve is"),
    "need_data_ready": _l("Data for that task"),
    "need_owner": _l("A person to carry the AI project"),
    "need_trainees": _l("Staff chosen for the training"),
    "need_release_hours": _l("Hours a month a trainee can be released"),
    "need_budget_commit": _l("What the firm will pay toward training"),
}
AI_USE_NAMES = {
    "use_genai_office": _l("generative AI in office work"),
    "use_area_quality": _l("quality inspection"),
    "use_area_forecast": _l("forecasting and planning"),
    "use_area_maintenance": _l("predictive maintenance"),
    "use_area_customer": _l("customer service"),
    "use_area_marketing": _l("marketing and sales"),
}
EQUIPMENT_NAMES = {
    "vision": _l("vision inspection equipment"),
    "robot": _l("robots"),
    "automation_line": _l("an automation practice line"),
    "gpu": _l("GPU servers"),
    "iot_sensors": _l("IoT sensors"),
}
# What a firm lacks to train for a piece of equipment itself (``policy.missing_to_train``).
TRAINING_PIECE_NAMES = {
    "instructors": _l("in-house instructors"),
    "training_room": _l("a training room"),
    "engineers": _l("engineers who work with data in code"),
}
COURSE_NAMES = {
    "free_online": _l("a free online course"),
    "learning_card": _l("a Tomorrow Learning Card course"),
    "outside_course": _l("an outside course"),
    "vendor": _l("a vendor course"),
    "in_house": _l("in-house training"),
    "executive": _l("an executive course"),
}
SUPPORT_NAMES = {
    "smart_factory": _l("smart-factory support"),
    "voucher": _l("an AI or data voucher"),
}
EXPERIENCE_GRADES = {
    "none": _l("none: no AI tried and no AI course"),
    "lacking": _l("lacking: AI only tried, or one short course"),
    "some": _l("some: AI used at work, or more than one short course"),
}
RULE_NAMES = {
    "experience_lacking": _l("AI-training experience lacking: free online courses first"),
    "no_ai_experience": _l("no AI experience yet: free online courses first"),
    "low_readiness": _l("readiness below the floor for anything but the basics"),
    "not_ready": _l(
        "not ready for AX yet: no concrete problem on a sound base, and readiness under the AX line"
    ),
    "equipment_lacking": _l("lacks the equipment its hands-on need calls for"),
    "cannot_train_alone": _l("cannot train alone for its IoT or GPU needs"),
    "no_training_capacity": _l(
        "a small firm without training capacity: the joint center runs its PBL"
    ),
    "ax_ready": _l("a concrete problem on a sound base"),
    "mature_no_problem": _l("mature, but no concrete problem yet: the job analysis finds it first"),
    "mature_thin_base": _l("mature, with a concrete problem on a base still to strengthen"),
    "trains_alone": _l("hands-on needs it can train for itself"),
}
JOB_ANALYSIS_FIRST = _l(
    "There is no concrete problem yet: the job analysis starts by finding the task where AI "
    "will help, before any project-based training."
)
CEO_REASONS = 3


def track_name(track: str) -> str:
    return str(TRACK_NAMES.get(track, track))


def item_name(item_id: str, questionnaire: Questionnaire | None = None, lang: str = "ko") -> str:
    """A short name for an answer; the question itself only for an item this code never
    named (a new questionnaire version's)."""
    if item_id in ITEM_NAMES:
        return str(ITEM_NAMES[item_id])
    item = questionnaire.find_item(item_id) if questionnaire else None
    return item.question.get(lang) if item else item_id


def _names(values, names: Mapping[str, Any]) -> str:
    return ", ".join(str(names[v]) for v in values if v in names)


def shown(value: float, threshold: float | None = None) -> str:
    """A score as printed: whole where that keeps it on its side of ``threshold``, else to one
    decimal cut toward its side (21.96 under 22 is "21.9", never "22")."""
    whole = round(value)
    if threshold is None or (whole < threshold) == (value < threshold):
        return f"{whole:d}"
    cut = math.floor(value * 10) / 10 if value < threshold else math.ceil(value * 10) / 10
    return f"{cut:.1f}"


def _line_text(line: str, value: float, threshold: float) -> str:
    """One line's sentence; its side from the very comparison the rule made."""
    v, t = shown(value, threshold), shown(threshold)
    below = value < threshold
    texts = {
        ("readiness_floor", True): lambda: _(
            "AI readiness is %(value)s, under %(threshold)s, the tool's provisional line for "
            "going beyond the basics.",
            value=v,
            threshold=t,
        ),
        ("readiness_floor", False): lambda: _(
            "AI readiness is %(value)s, at or above %(threshold)s, the tool's provisional line "
            "for going beyond the basics.",
            value=v,
            threshold=t,
        ),
        ("readiness_mature", True): lambda: _(
            "AI readiness is %(value)s, under %(threshold)s, the tool's provisional line for an "
            "AX job analysis.",
            value=v,
            threshold=t,
        ),
        ("readiness_mature", False): lambda: _(
            "AI readiness is %(value)s, at or above %(threshold)s, the tool's provisional line "
            "for an AX job analysis.",
            value=v,
            threshold=t,
        ),
        ("ai_use_floor", True): lambda: _(
            "AI use in work scores %(value)s, under %(threshold)s, the tool's provisional line "
            "for AI use.",
            value=v,
            threshold=t,
        ),
        ("ai_use_floor", False): lambda: _(
            "AI use in work scores %(value)s, at or above %(threshold)s, the tool's provisional "
            "line for AI use.",
            value=v,
            threshold=t,
        ),
        ("training_floor", True): lambda: _(
            "The training system scores %(value)s, under %(threshold)s, the tool's provisional "
            "line for a training system.",
            value=v,
            threshold=t,
        ),
        ("training_floor", False): lambda: _(
            "The training system scores %(value)s, at or above %(threshold)s, the tool's "
            "provisional line for a training system.",
            value=v,
            threshold=t,
        ),
        ("data_base", True): lambda: _(
            "The data and digital base scores %(value)s, under %(threshold)s, the tool's "
            "provisional line for a concrete AI project.",
            value=v,
            threshold=t,
        ),
        ("data_base", False): lambda: _(
            "The data and digital base scores %(value)s, at or above %(threshold)s, the tool's "
            "provisional line for a concrete AI project.",
            value=v,
            threshold=t,
        ),
        ("leadership", True): lambda: _(
            "Leadership and AI strategy score %(value)s, under %(threshold)s, the tool's "
            "provisional line for a concrete AI project.",
            value=v,
            threshold=t,
        ),
        ("leadership", False): lambda: _(
            "Leadership and AI strategy score %(value)s, at or above %(threshold)s, the tool's "
            "provisional line for a concrete AI project.",
            value=v,
            threshold=t,
        ),
    }
    return texts[(line, below)]()


# Codes of diagnoses stored before the lines were named, and the line each one is.
OLD_LINE_CODES = {
    "readiness_low": "readiness_floor",
    "ai_use_low": "ai_use_floor",
    "training_low": "training_floor",
    "readiness_below_mature": "readiness_mature",
    "data_base_thin": "data_base",
    "leadership_thin": "leadership",
}


def _no_use_text(detail: tuple | list, answers: Mapping[str, Any] | None) -> str:
    """No AI at work: the areas where it is only being considered are not called "tried".

    An area answered "considering" (a vendor consulted, an idea weighed) is named as being
    considered; an item some staff try on their own ("individual") as tried. Without the
    answers (an old record) the two stay in one list, named for what both share."""
    if not detail:
        return _("No one uses AI at work beyond trying it.")
    if answers is None:
        return _(
            "No one uses AI at work beyond trying it (tried or considered: %(items)s).",
            items=_names(detail, AI_USE_NAMES),
        )
    considered = [i for i in detail if answers.get(i) == "considering"]  # single-choice items
    tried = [i for i in detail if i not in considered]
    if considered and tried:
        return _(
            "No one uses AI at work yet: a few people try it in %(tried)s, and it is being "
            "considered for %(considered)s.",
            tried=_names(tried, AI_USE_NAMES),
            considered=_names(considered, AI_USE_NAMES),
        )
    if considered:
        return _(
            "No one uses AI at work yet; it is being considered for %(considered)s.",
            considered=_names(considered, AI_USE_NAMES),
        )
    return _(
        "No one uses AI at work beyond trying it (tried: %(tried)s).",
        tried=_names(tried, AI_USE_NAMES),
    )


def finding_text(finding: Mapping[str, Any], answers: Mapping[str, Any] | None = None) -> str:
    """One finding of the scorecard as a plain sentence."""
    code = finding["code"]
    line = finding.get("line") or OLD_LINE_CODES.get(code) or code
    value, threshold = finding.get("value"), finding.get("threshold")
    if line in LINES and line != "small_firm" and value is not None and threshold is not None:
        return _line_text(line, float(value), float(threshold))
    detail = finding.get("detail") or ()
    task = str((answers or {}).get("need_task") or "").strip()
    if len(task) > 60:
        task = task[:59].rstrip() + "…"
    texts = {
        "no_ai_use": lambda: _("No one uses AI at work beyond trying it."),
        "ai_use_none": lambda: _no_use_text(detail, answers),
        "ai_in_use": lambda: _(
            "AI is in use at work beyond trying it: %(uses)s.", uses=_names(detail, AI_USE_NAMES)
        ),
        "no_ai_training": lambda: _("No one in the firm has had an AI course yet."),
        "one_short_course": lambda: _(
            "The only AI course taken is one short course (%(courses)s): that does not yet make "
            "the firm experienced.",
            courses=_names(detail, COURSE_NAMES),
        ),
        "ai_training": lambda: (
            _(
                "Staff or executives have had AI or digital training beyond one short course: "
                "%(courses)s.",
                courses=_names(detail, COURSE_NAMES),
            )
            if detail
            else _("Staff or executives have already had AI or digital training.")
        ),
        "no_concrete_problem": lambda: _("There is no concrete problem to solve with AI yet."),
        "concrete_problem": lambda: (
            _("The firm has a concrete task for AI: ‘%(task)s’.", task=task)
            if task
            else _("The firm can name the task and the problem it wants AI to solve.")
        ),
        "equipment_lacking": lambda: _(
            "The training it needs calls for equipment it does not have: %(equipment)s.",
            equipment=_names(detail, EQUIPMENT_NAMES),
        ),
        "cannot_train_alone": lambda: _cannot_train_text(detail, answers),
        "no_training_capacity": lambda: _(
            "With %(employees)s employees (under %(threshold)s, the tool's provisional line for "
            "a small firm), no one in charge of training, no training room and no instructors, "
            "it cannot run project-based training itself.",
            employees=shown(float(value or 0)),
            threshold=shown(float(threshold or 0)),
        ),
        "trains_alone": lambda: _(
            "It has the instructors and the engineers or room to train for %(equipment)s itself, "
            "buying or renting what it lacks.",
            equipment=_names(detail, EQUIPMENT_NAMES),
        ),
    }
    return texts[code]() if code in texts else code


def _cannot_train_text(needs, answers: Mapping[str, Any] | None) -> str:
    """Why the firm cannot train for its light needs itself, naming what it lacks (a firm with
    engineers who code is not told it has none)."""
    needs = [need for need in needs if need in EQUIPMENT_NAMES]
    missing = dict.fromkeys(
        piece for need in needs for piece in missing_to_train(answers or {}, need)
    )
    if answers is None or not missing:  # a stored finding shown without its answers
        return _(
            "It lacks the instructors, room or engineers to train for %(equipment)s itself.",
            equipment=_names(needs, EQUIPMENT_NAMES),
        )
    return _(
        "To train for %(equipment)s itself, it lacks %(missing)s.",
        equipment=_names(needs, EQUIPMENT_NAMES),
        missing=_names(sorted(missing, key=list(TRAINING_PIECE_NAMES).index), TRAINING_PIECE_NAMES),
    )


def experience_text(grade: str | None) -> str:
    """The gate's grade in words, with its source."""
    if not grade:
        return ""
    return _(
        "AI-training experience: %(grade)s. Firms whose AI-training experience is lacking start "
        "with free online courses (policy source: seed 000, line 45).",
        grade=str(EXPERIENCE_GRADES[grade]),
    )


def _sides(prediction: Prediction) -> tuple[list[dict], list[dict]]:
    """Findings for the given track and against it; an answer is never on both sides."""
    track = prediction.track

    def speaks_for(finding: Mapping[str, Any]) -> bool:
        supports = finding["supports"]
        return supports == track or (supports == "not_beginner" and track != "beginner")

    ordered = list(prediction.decisive) + list(prediction.others)
    pro, con, seen_pro, seen_con = [], [], set(), set()
    for finding in ordered:
        items = set(finding.get("items") or ())
        if speaks_for(finding) and not items & seen_con:
            pro.append(finding)
            seen_pro |= items
        elif not speaks_for(finding) and not items & seen_pro:
            con.append(finding)
            seen_con |= items
    return pro, con


INCONSISTENCIES = {
    "ai_without_systems": _l(
        "Answers that contradict each other: AI is being tested or in operation (%(areas)s), "
        "but there are no business systems or records are kept on paper."
    ),
    "data_team_without_data": _l(
        "Answers that contradict each other: a dedicated IT or data staff, but records are kept "
        "on paper and there are no business systems."
    ),
    "smart_factory_without_systems": _l(
        "Answers that contradict each other: smart-factory support was received, but there are "
        "no business systems (a smart factory usually brings MES or ERP)."
    ),
}


def review_text(item: Any, prediction: Prediction) -> str:
    """A review item in words: what to re-check and why."""
    return " ".join(review_parts(item, prediction))


def _near_text(line: str, value: float, threshold: float) -> str:
    return _(
        "Within %(near)s points of a line: %(sentence)s",
        near=shown(NEAR),
        sentence=_line_text(line, float(value), float(threshold)),
    )


def review_parts(item: Any, prediction: Prediction) -> list[str]:
    """A review item as sentences: what to re-check, then why (the lines the firm sits near,
    for the answers one step from another track)."""
    if isinstance(item, str):  # a diagnosis stored before review items had names
        return [_legacy_review_text(item)]
    kind, code, detail = item["kind"], item["code"], item.get("detail") or ()
    if kind == "near_line":  # stored before issue 15 merged it into the one-step item
        return [_near_text(code, item["value"], item["threshold"])]
    if kind == "one_step":
        return [
            _(
                "One answer from another track: re-check %(answers)s.",
                answers=", ".join(f"‘{item_name(i)}’" for i in item.get("items") or ()),
            ),
            *(_near_text(n["line"], n["value"], n["threshold"]) for n in item.get("near") or ()),
        ]
    return [_review_sentence(item, kind, code, detail)]


def _review_sentence(item: Any, kind: str, code: str, detail: Any) -> str:
    if kind == "inconsistent":
        return str(INCONSISTENCIES[code]) % {"areas": _names(detail, AI_USE_NAMES)}
    if kind == "above_sme_line":
        return _(
            "%(employees)s employees: above %(line)s, the line for 우선지원대상기업 in this "
            "industry (%(source)s, counted in regular workers). Check whether it is an SME "
            "under 중소기업기본법 before planning subsidised training: a flag, not a refusal.",
            employees=shown(float(item["value"])),
            line=shown(float(item["threshold"])),
            source=SME_SOURCE,
        )
    return code


def _legacy_review_text(code: str) -> str:
    kind, _sep, detail = code.partition(":")
    if kind == "exception":
        return exception_text(detail)
    return {
        "rule_disagrees": _("An earlier model and the rules differed: the consultant decides."),
        "close_call": _("An earlier model's probabilities sat close to the line between tracks."),
    }.get(kind, _("Within a few points of a line."))


def exception_text(code: str) -> str:
    """A rule that sets aside the usual course, as a note for the consultant."""
    return {
        "no_ai_experience": _(
            "AI-training experience is lacking, so it starts with free online courses first, "
            "although the rest of its base would carry it further."
        ),
        "no_training_capacity": _(
            "Referred for want of training capacity, not of equipment: check whether the "
            "firm could name someone in charge, a room or an instructor."
        ),
        "cannot_train_alone": _(
            "IoT or GPU work goes to a center only because the firm lacks the people to "
            "teach it: check its instructors and engineers."
        ),
        "mature_no_problem": _(
            "Mature enough for AX but without a concrete problem: the job analysis must "
            "find one first."
        ),
    }.get(code, code)


def support_text(support: list[str]) -> str:
    if not support:
        return ""
    return _(
        "It has used %(support)s: the plan packages AX support with training (seed 000, "
        "line 57), so plan the training with it.",
        support=_names(support, SUPPORT_NAMES),
    )


def answer_label(item, value: Any, lang: str) -> str:
    """An answer as the firm chose it, in words."""
    if not item.kind.has_options:  # a number, with its unit
        unit = item.unit.get(lang) if item.unit else ""
        return f"{value}{unit if lang == 'ko' else ' ' + unit}".strip()
    values = value if isinstance(value, list) else [value]
    return ", ".join(o.label.get(lang) for v in values if (o := item.option(v)))


def _exclusive(item, value: Any) -> bool:
    option = item.option(value)
    return bool(option and option.exclusive)


def sensitivity_text(step: Mapping[str, Any], questionnaire: Questionnaire, lang: str) -> str:
    """One answer one option away, and the track that change alone would give."""
    item = questionnaire.find_item(step["item"])
    if item is None:
        return step["item"]
    if item.kind.many:  # one option added or dropped
        before = step["before"] if isinstance(step["before"], list) else [step["before"]]
        after = step["after"] if isinstance(step["after"], list) else [step["after"]]
        added = [v for v in after if v not in before and not _exclusive(item, v)]
        dropped = [v for v in before if v not in after and not _exclusive(item, v)]
        if len(added) + len(dropped) == 1:
            option = answer_label(item, (added or dropped)[0], lang)
            words = {
                "item": item_name(step["item"], questionnaire, lang),
                "option": option,
                "track": track_name(step["track"]),
            }
            if added:
                return _("%(item)s: add ‘%(option)s’ (this change alone gives %(track)s)", **words)
            return _("%(item)s: without ‘%(option)s’ (this change alone gives %(track)s)", **words)
    return _(
        "%(item)s: ‘%(before)s’ → ‘%(after)s’ (this change alone gives %(track)s)",
        item=item_name(step["item"], questionnaire, lang),
        before=answer_label(item, step["before"], lang),
        after=answer_label(item, step["after"], lang),
        track=track_name(step["track"]),
    )


def change_text(change: Change, questionnaire: Questionnaire, lang: str) -> str:
    item = questionnaire.find_item(change.item)
    if item is None:
        return change.item
    values = change.after if isinstance(change.after, list) else [change.after]
    before = change.before if isinstance(change.before, list) else [change.before]
    added = [v for v in values if v not in before] or values
    labels = [o.label.get(lang) for v in added if (o := item.option(v))]
    if not item.kind.has_options:
        labels = [answer_label(item, change.after, lang)]
    return _(
        "%(item)s: ‘%(answer)s’",
        item=item_name(change.item, questionnaire, lang),
        answer=", ".join(labels),
    )


def counterfactual_parts(
    prediction: Prediction, questionnaire: Questionnaire, lang: str
) -> tuple[str, list[str]]:
    """What would change the track: every single answer one option away (exact), or, where
    there is none, the fewest one-step changes toward the next track ("" and [] if none)."""
    if prediction.sensitivity:
        return _("Any one of these answers, changed by one option, would change the track:"), [
            sensitivity_text(s, questionnaire, lang) for s in prediction.sensitivity
        ]
    cf = prediction.counterfactual
    if cf is None or not cf.changes:
        return "", []
    steps = [change_text(c, questionnaire, lang) for c in cf.changes]
    track = track_name(cf.target)
    if not cf.reached:
        head = _(
            "A few one-step changes are not enough to reach %(track)s; these go furthest "
            "toward it:",
            track=track,
        )
    elif cf.alternatives:
        head = _("Any one of these would make it %(track)s:", track=track)
    elif len(steps) == 1:
        head = _("One step would make it %(track)s:", track=track)
    else:
        head = _(
            "These %(n)s one-step changes together would make it %(track)s:",
            n=len(steps),
            track=track,
        )
    return head, steps


def counterfactual_text(prediction: Prediction, questionnaire: Questionnaire, lang: str) -> str:
    head, steps = counterfactual_parts(prediction, questionnaire, lang)
    return f"{head} {'; '.join(steps)}." if steps else ""


# The words of the rules' sources (``policy.RULE_SOURCES``, written once, in English), as the
# reader's language says them.
_SOURCE_WORDS = (
    ("(AX firms get PBL on job analysis)", _l("(AX firms get PBL on job analysis)")),
    ("who can train alone: ", _l("who can train alone: ")),
    ("DOMAIN.md (joint centers run consortium training)",
     _l("the product brief (joint centers run consortium training)")),
    ("the size line: ", _l("the size line: ")),
    ("lines: ", _l("lines: ")),
    ("tool assumption, to be validated", _l("tool assumption, to be validated")),
)  # fmt: skip


def source_label(source: str) -> str:
    """A rule's source in the reader's language: "seed 000 line 45" is "자료 000, 45행"."""
    text = source
    for words, said in _SOURCE_WORDS:
        text = text.replace(words, str(said))
    return re.sub(
        r"seed (\d{3}) line (\d+)",
        lambda m: _("seed %(seed)s line %(line)s", seed=m[1], line=m[2]),
        text,
    )


def rule_source(rule: str) -> str:
    source = RULE_SOURCES.get(rule, "")
    return _("Source: %(source)s", source=source_label(source)) if source else ""


def method_note() -> str:
    """Which parts are the policy's and which the tool's, in plain words (page and PDF)."""
    return _(
        "How this result was reached: the track follows the published rules of the AI+ "
        "capability plan (Ministry of Employment and Labor, 18 Dec 2025). Point lines called "
        "‘provisional’ are this tool's assumptions, set on %(day)s and still to be validated "
        "against consultants' decisions; they are not an official standard.",
        day=LINES["readiness_floor"].set_on,
    )


def lines_used(prediction: Prediction) -> list[dict[str, Any]]:
    """The lines this diagnosis compared, each with its value, side and source (consultant)."""
    used: dict[str, dict[str, Any]] = {}
    for finding in [*prediction.decisive, *prediction.others]:
        line = finding.get("line") or OLD_LINE_CODES.get(finding["code"], "")
        if line in LINES and finding.get("value") is not None and line not in used:
            spec = LINES[line]
            used[line] = {
                "line": line,
                "text": finding_text(finding),
                "source": spec.source,
                "assumption": spec.assumption,
                "set_on": spec.set_on,
            }
    return list(used.values())


def explain(
    prediction: Prediction,
    questionnaire: Questionnaire,
    scores: Mapping[str, Any],
    lang: str,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The explanation as sentences, ready for a page, a PDF or the API.

    ``ceo_reasons``: at most three plain sentences for the firm; ``reasons``: every finding
    for the consultant, each marked for or against the track.
    """
    rival = {"beginner": "ax", "ax": "beginner", "shared_center": "ax"}.get(prediction.track, "ax")
    if prediction.sensitivity:
        rival = prediction.sensitivity[0]["track"]
    pro, con = _sides(prediction)
    pro_texts = list(dict.fromkeys(finding_text(f, answers) for f in pro))
    con_texts = list(dict.fromkeys(finding_text(f, answers) for f in con))
    reasons = [{"text": t, "side": "for"} for t in pro_texts] + [
        {"text": t, "side": "against"} for t in con_texts
    ]
    job_analysis_first = prediction.job_analysis_first and prediction.track == "ax"
    head, steps = counterfactual_parts(prediction, questionnaire, lang)
    shadow = prediction.shadow or {}
    promoted = bool(shadow.get("promoted"))
    review = [review_parts(item, prediction) for item in prediction.review]
    return {
        "track_name": track_name(prediction.track),
        "rival": rival,
        "rival_name": track_name(rival),
        "track_summary": str(TRACK_SUMMARIES.get(prediction.track, "")),
        "ceo_reasons": pro_texts[:CEO_REASONS],
        "reasons": reasons,
        "toward": pro_texts,
        "away": con_texts,
        "rule": str(RULE_NAMES.get(prediction.rule, prediction.rule)) if prediction.rule else "",
        "rule_source": rule_source(prediction.rule),
        "rule_track": prediction.rule_track,
        "rule_track_name": track_name(prediction.rule_track) if prediction.rule_track else "",
        "agrees_with_rules": prediction.rule_track in ("", prediction.track),
        "experience": experience_text(prediction.experience),
        "review": [" ".join(parts) for parts in review],
        "review_parts": review,  # each item as sentences: what to re-check, then why
        "notes": [exception_text(e) for e in prediction.exceptions]
        + ([support_text(prediction.support)] if prediction.support else []),
        "lines": lines_used(prediction),
        "method_note": method_note(),
        "job_analysis_first": job_analysis_first,
        "job_analysis_text": str(JOB_ANALYSIS_FIRST) if job_analysis_first else "",
        "counterfactual": f"{head} {'; '.join(steps)}." if steps else "",
        "counterfactual_head": head,
        "counterfactual_steps": steps,
        # for the firm's one-page summary: the first few (any one of them alone is enough)
        "ceo_steps": steps[:CEO_REASONS],
        "needs_review": prediction.needs_review,
        # the shadow model, shown only once promoted, and never in place of the track
        "consultants_usually": _(
            "Consultants usually decide %(track)s for firms like this (a model trained on "
            "consultants' decisions; the scorecard's track above stands).",
            track=track_name(shadow["track"]),
        )
        if promoted and shadow.get("track")
        else "",
    }


def diagnosis_json(
    assessment_id: int,
    questionnaire: Questionnaire,
    diagnosis: Mapping[str, Any],
    lang: str,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The API's view of a diagnosis."""
    prediction: Prediction = diagnosis["prediction"]
    scores = diagnosis["scores"]
    words = explain(prediction, questionnaire, scores, lang, answers)
    decision = diagnosis.get("decision")
    cf = prediction.counterfactual
    return {
        "id": assessment_id,
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version},
        "dimensions": {
            d.id: {
                "score": scores[d.id]["score"],
                "level": scores[d.id]["level"],
                "level_description": d.levels[scores[d.id]["level"] - 1].get(lang)
                if scores[d.id]["level"]
                else None,
                "answered": scores[d.id]["answered"],
                "applicable": scores[d.id]["applicable"],
            }
            for d in questionnaire.dimensions
        },
        "readiness": diagnosis["readiness"],
        "track": prediction.track,
        "track_name": words["track_name"],
        "decided_by": "scorecard",
        "needs_review": prediction.needs_review,
        "review": words["review"],
        "review_items": [
            {
                "kind": item["kind"],
                "answers": list(item.get("items") or ()),
                "text": text,
            }
            for item, text in zip(prediction.review, words["review"], strict=True)
            if isinstance(item, dict)
        ],
        "rule": {
            "id": prediction.rule,
            "text": words["rule"],
            "track": prediction.rule_track,
            "source": RULE_SOURCES.get(prediction.rule, ""),
        },
        "experience": prediction.experience,
        "lines": [
            {k: line[k] for k in ("line", "text", "source", "assumption", "set_on")}
            for line in words["lines"]
        ],
        "method_note": words["method_note"],
        "job_analysis_first": words["job_analysis_first"],
        "reasons": {
            "against": words["rival"],
            "summary": words["ceo_reasons"],
            "toward": words["toward"],
            "away": words["away"],
        },
        "sensitivity": [
            {
                "item": st["item"],
                "before": st["before"],
                "after": st["after"],
                "track": st["track"],
                "text": text,
            }
            for st, text in zip(prediction.sensitivity, words["counterfactual_steps"], strict=False)
        ],
        "counterfactual": {
            "target": cf.target,
            "reached": cf.reached,
            "alternatives": cf.alternatives,
            "changes": [{"item": c.item, "from": c.before, "to": c.after} for c in cf.changes],
            "text": words["counterfactual"],
        }
        if cf and not prediction.sensitivity
        else None,
        "consultants_usually": words["consultants_usually"] or None,
        "decision": {
            "action": decision["action"],
            "final_track": decision["final_track"],
            "reason": decision["reason"],
            "decided_at": decision["decided_at"],
        }
        if decision
        else None,
        "diagnosed_at": diagnosis["created_at"],
    }
