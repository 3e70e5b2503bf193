"""Every sentence of a diagnosis, parsed and checked against the firm's own answers and scores.

Shared by ``tests/test_sentences.py`` and ``bench/predict.py``. Each sentence is matched
against the templates of its language (the message catalogue's own translation, with each
``%(name)s`` turned into a group); a sentence no template matches is false. The claims a
template makes are then checked here, from the answers and scores the test computes itself:
a line's side from the firm's own score, a one-step change by rescoring the changed answers
in full, an inconsistency from the answers it names. Nothing is taken from the decision
whose sentences are being checked, except which levers it proposed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale, get_translations

from diagnose.diagnosis import explanations as ex
from diagnose.diagnosis.policy import LINES, RULE_SOURCES, Firm, scored_steps, track_for
from diagnose.diagnosis.scoring import NOT_APPLICABLE
from diagnose.questionnaire.schema import Questionnaire

USE_ITEMS = (
    "use_genai_office",
    "use_area_quality",
    "use_area_forecast",
    "use_area_maintenance",
    "use_area_customer",
    "use_area_marketing",
)
TRYING = {"considering", "individual"}
NOT_USED = {"none", "not_used"}
CONCRETE = {"named", "quantified", "scoped"}
SHORT = {"free_online", "learning_card"}
HEAVY = {"vision", "robot", "automation_line"}
# 고용보험법 시행령 제12조, as DOMAIN.md states it: the test's own table
SME = {"C": 500, **dict.fromkeys("BFHJNMQ", 300), **dict.fromkeys("GIKR", 200)}
LINE_SCORE = {
    "readiness_floor": None,
    "readiness_mature": None,
    "ai_use_floor": "ai_use",
    "training_floor": "training_system",
    "data_base": "data_infra",
    "leadership": "leadership",
}


class FalseSentence(AssertionError):
    pass


@dataclass
class Case:
    """One firm's diagnosis in one language, as the checks need it."""

    questionnaire: Questionnaire
    firm: Firm
    prediction: Any
    lang: str
    sides: dict[str, bool] = field(default_factory=dict)  # line -> below, across sentences
    tracks_after: dict[tuple[str, str], str] = field(default_factory=dict)  # one change -> track

    def chosen(self, item_id: str) -> list[str]:
        given = self.firm.answers.get(item_id)
        if given in (None, "", NOT_APPLICABLE):
            return []
        return [v for v in (given if isinstance(given, list) else [given]) if v != NOT_APPLICABLE]

    def first(self, item_id: str) -> str | None:
        chosen = self.chosen(item_id)
        return chosen[0] if chosen else None


def _check(ok: bool, why: str) -> None:
    if not ok:
        raise FalseSentence(why)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _names(text: str, names: Mapping[str, Any]) -> list[str]:
    """The ids behind a list of names joined with ", " (names may not hold ", ")."""
    reverse = {str(v): k for k, v in names.items()}
    found = []
    for part in text.split(", "):
        _check(part in reverse, f"unknown name {part!r}")
        found.append(reverse[part])
    return found


def _readiness(case: Case) -> float:
    return case.firm.readiness if case.firm.readiness is not None else 0.0


def _score(case: Case, line: str) -> float:
    dimension = LINE_SCORE[line]
    if dimension is None:
        return _readiness(case)
    return case.firm.scores.get(dimension) or 0.0


def _line(case: Case, line: str, below: bool, groups: Mapping[str, str]) -> None:
    """ "X is V, under/at or above T": V the firm's own score, on the side it says, both as
    printed and as it is."""
    actual, threshold = _score(case, line), LINES[line].value
    value, printed_threshold = _number(groups["value"]), _number(groups["threshold"])
    _check(printed_threshold == threshold, f"{line}: line {printed_threshold} is not {threshold}")
    decimals = "." in groups["value"]
    _check(abs(value - actual) <= (0.1 if decimals else 0.5) + 1e-9, f"{line}: {value} != {actual}")
    _check((actual < threshold) == below, f"{line}: {actual} is not on the side said")
    _check((value < threshold) == below, f"{line}: printed {value} is not on the side said")
    seen = case.sides.setdefault(line, below)
    _check(seen == below, f"{line}: both sides said in one diagnosis")


def _grade(case: Case) -> str | None:
    levels = [case.first(i) for i in USE_ITEMS if case.first(i)]
    courses = [c for c in case.chosen("train_ai_courses") if c != "none"]
    if not levels or not case.chosen("train_ai_courses"):
        return None
    used = any(v not in TRYING | NOT_USED for v in levels)
    one_short = len(courses) == 1 and courses[0] in SHORT
    if used or (courses and not one_short):
        return "some"
    return "none" if not courses and all(v in NOT_USED for v in levels) else "lacking"


def _can_train(case: Case, need: str) -> bool:
    instructors = case.first("train_instructors") in ("some", "pool")
    if need == "iot_sensors":
        return instructors and case.first("train_facility") in ("training_room", "practice_lab")
    if need == "gpu":
        return instructors and case.first("skill_eng_data") in ("coding", "prototype", "production")
    return False


def _track_after(case: Case, item_id: str, value: Any) -> str:
    """The track with that one answer changed, rescored in full (once per change and case:
    several sentences of one diagnosis ask of the same change)."""
    key = (item_id, repr(value))
    if key not in case.tracks_after:
        firm = case.firm
        changed = Firm.of(case.questionnaire, firm.profile, {**firm.answers, item_id: value})
        case.tracks_after[key] = track_for(changed)
    return case.tracks_after[key]


def _label(case: Case, item_id: str, value: Any) -> str:
    return ex.answer_label(case.questionnaire.item(item_id), value, case.lang)


_ITEM_IDS: dict[str, dict[str, str]] = {}  # locale -> answer's short name -> item id


def _item_by_name(case: Case, name: str) -> str:
    """The item whose short name (in the language being spoken) is ``name``: the first one,
    as a walk over ``ITEM_NAMES`` in order would find it."""
    locale = str(get_locale())
    names = _ITEM_IDS.get(locale)
    if names is None:
        names = _ITEM_IDS[locale] = {}
        for item_id in ex.ITEM_NAMES:
            names.setdefault(str(ex.ITEM_NAMES[item_id]), item_id)
    if name in names:
        return names[name]
    raise FalseSentence(f"unknown answer {name!r}")


def _track_by_name(name: str) -> str:
    for track in ("beginner", "ax", "shared_center"):
        if ex.track_name(track) == name:
            return track
    raise FalseSentence(f"unknown track {name!r}")


def _one_step(case: Case, groups: Mapping[str, str]) -> None:
    """ "A: 'before' -> 'after' gives T": rescored in full, that one change gives T."""
    item_id = _item_by_name(case, groups["item"])
    track = _track_by_name(groups["track"])
    _check(groups["before"] == _label(case, item_id, case.firm.answers.get(item_id)), "before")
    steps = [
        v
        for up in (True, False)
        for i, v in scored_steps(case.questionnaire, case.firm.answers, up)
        if i == item_id
    ]
    _check(
        any(
            _label(case, item_id, v) == groups["after"] and _track_after(case, item_id, v) == track
            for v in steps
        ),
        f"{item_id} -> {groups['after']} does not give {track}",
    )
    _check(track != case.prediction.track, "a one-step change to the same track")


def _one_option(case: Case, groups: Mapping[str, str], add: bool) -> None:
    """ "A: add 'X' gives T" (or "without 'X'"): that one option, added to or dropped from
    the firm's answer, rescored in full, gives T."""
    item_id = _item_by_name(case, groups["item"])
    item = case.questionnaire.item(item_id)
    track = _track_by_name(groups["track"])
    option = next((o for o in item.options if o.label.get(case.lang) == groups["option"]), None)
    _check(option is not None and not option.exclusive, f"unknown option {groups['option']!r}")
    real = [v for v in case.chosen(item_id) if not item.option(v).exclusive]
    _check((option.value not in real) == add, "the firm's answer already says so")
    if add:
        after = [*real, option.value]
    else:
        after = [v for v in real if v != option.value] or [
            o.value for o in item.options if o.exclusive
        ][:1]
    _check(_track_after(case, item_id, after) == track != case.prediction.track, "track")


def _recheck(case: Case, groups: Mapping[str, str]) -> None:
    """ "One answer from another track: re-check A, B": each alone moves the firm."""
    for part in groups["answers"].strip("‘’").split("’, ‘"):
        item_id = _item_by_name(case, part)
        steps = [
            v
            for up in (True, False)
            for i, v in scored_steps(case.questionnaire, case.firm.answers, up)
            if i == item_id
        ]
        _check(
            any(_track_after(case, item_id, v) != case.prediction.track for v in steps),
            f"{item_id}: no one-step change moves the firm",
        )


def _levers(case: Case, mode: str, groups: Mapping[str, str]) -> None:
    """The fewest steps toward a track: applied together (or each alone), they do what the
    head says."""
    cf = case.prediction.counterfactual
    _check(cf is not None and not case.prediction.sensitivity, "levers without a search")
    target = _track_by_name(groups["track"]) if "track" in groups else cf.target
    _check(target == cf.target, "levers toward another track")
    answers = dict(case.firm.answers)
    if mode == "each":
        for change in cf.changes:
            _check(_track_after(case, change.item, change.after) == target, "one lever alone")
        return
    for change in cf.changes:
        answers[change.item] = change.after
    after = track_for(Firm.of(case.questionnaire, case.firm.profile, answers))
    _check((after == target) == (mode == "together"), f"levers give {after}, not {target}")
    if "n" in groups:
        _check(int(groups["n"]) == len(cf.changes), "the count of levers")


def _lever_line(case: Case, groups: Mapping[str, str]) -> None:
    cf = case.prediction.counterfactual
    _check(cf is not None, "a lever without levers")
    item_id = _item_by_name(case, groups["item"])
    change = next((c for c in cf.changes if c.item == item_id), None)
    _check(change is not None, f"{item_id} is not a lever")
    _check(
        groups["answer"]
        == ex.change_text(change, case.questionnaire, case.lang).split("‘", 1)[1][:-1],
        "label",
    )


def _rule(case: Case, rule: str) -> None:
    """A rule's name makes claims of its own: each checked from the answers."""
    readiness = _readiness(case)
    concrete = case.first("need_problem_clarity") in CONCRETE
    data, lead = case.firm.scores.get("data_infra") or 0, case.firm.scores.get("leadership") or 0
    ready = concrete and data >= 40 and lead >= 40
    needs = [n for n in case.chosen("need_equipment") if n in HEAVY | {"iot_sensors", "gpu"}]
    checks: dict[str, Callable[[], bool]] = {
        "experience_lacking": lambda: _grade(case) in ("none", "lacking"),
        "low_readiness": lambda: (
            readiness < 33
            or (
                (case.firm.scores.get("ai_use") or 0) < 22
                and (case.firm.scores.get("training_system") or 0) < 30
            )
        ),
        "not_ready": lambda: readiness < 50 and not ready,
        "equipment_lacking": lambda: any(n in HEAVY for n in needs),
        "cannot_train_alone": lambda: any(not _can_train(case, n) for n in needs),
        "no_training_capacity": lambda: case.chosen("train_hrd_owner") == ["none"],
        "ax_ready": lambda: ready,
        "mature_no_problem": lambda: readiness >= 50 and not concrete,
        "mature_thin_base": lambda: readiness >= 50 and concrete and not ready,
    }
    _check(rule in checks and checks[rule](), f"rule {rule} does not hold")


def _build(case: Case) -> list[tuple[re.Pattern, Callable[[Case, Mapping[str, str]], None]]]:
    """The templates of the case's language, each with the check of its claims."""
    templates: list[tuple[str, Callable[[Case, Mapping[str, str]], None], str]] = []

    def add(msgid: str, check: Callable[[Case, Mapping[str, str]], None], line: str = "") -> None:
        # the catalogue's own text: particles still in their two-form notation (``_literal``)
        templates.append((get_translations().gettext(msgid), check, line))

    line_ids = {
        "AI readiness is %(value)s, under %(threshold)s, the tool's provisional line for going "
        "beyond the basics.": ("readiness_floor", True),
        "AI readiness is %(value)s, at or above %(threshold)s, the tool's provisional line for "
        "going beyond the basics.": ("readiness_floor", False),
        "AI readiness is %(value)s, under %(threshold)s, the tool's provisional line for an AX "
        "job analysis.": ("readiness_mature", True),
        "AI readiness is %(value)s, at or above %(threshold)s, the tool's provisional line for "
        "an AX job analysis.": ("readiness_mature", False),
        "AI use in work scores %(value)s, under %(threshold)s, the tool's provisional line for "
        "AI use.": ("ai_use_floor", True),
        "AI use in work scores %(value)s, at or above %(threshold)s, the tool's provisional "
        "line for AI use.": ("ai_use_floor", False),
        "The training system scores %(value)s, under %(threshold)s, the tool's provisional line "
        "for a training system.": ("training_floor", True),
        "The training system scores %(value)s, at or above %(threshold)s, the tool's "
        "provisional line for a training system.": ("training_floor", False),
        "The data and digital base scores %(value)s, under %(threshold)s, the tool's "
        "provisional line for a concrete AI project.": ("data_base", True),
        "The data and digital base scores %(value)s, at or above %(threshold)s, the tool's "
        "provisional line for a concrete AI project.": ("data_base", False),
        "Leadership and AI strategy score %(value)s, under %(threshold)s, the tool's "
        "provisional line for a concrete AI project.": ("leadership", True),
        "Leadership and AI strategy score %(value)s, at or above %(threshold)s, the tool's "
        "provisional line for a concrete AI project.": ("leadership", False),
    }
    for msgid, (line, below) in line_ids.items():
        add(msgid, lambda c, g, line=line, below=below: _line(c, line, below, g), line)

    def no_use(c: Case, g: Mapping[str, str]) -> None:
        _check(all(c.first(i) in TRYING | NOT_USED | {None} for i in USE_ITEMS), "AI is used")
        for item_id in _names(g["tried"], ex.AI_USE_NAMES) if "tried" in g else ():
            _check(c.first(item_id) in TRYING, f"{item_id} is not tried")

    def no_use_split(c: Case, g: Mapping[str, str]) -> None:
        """Areas only being considered are named as such, never as tried, and every area
        tried or considered is named in its own list."""
        no_use(c, g)
        tried = _names(g["tried"], ex.AI_USE_NAMES) if "tried" in g else []
        considered = _names(g["considered"], ex.AI_USE_NAMES) if "considered" in g else []
        for item_id in tried:
            _check(c.first(item_id) in TRYING - {"considering"}, f"{item_id} called tried")
        for item_id in considered:
            _check(c.first(item_id) == "considering", f"{item_id} called considered")
        named = set(tried) | set(considered)
        for item_id in USE_ITEMS:
            if c.first(item_id) in TRYING:
                _check(item_id in named, f"{item_id} tried or considered but not named")

    add("No one uses AI at work beyond trying it.", no_use)
    add("No one uses AI at work beyond trying it (tried: %(tried)s).", no_use_split)
    add(
        "No one uses AI at work yet: a few people try it in %(tried)s, and it is being "
        "considered for %(considered)s.",
        no_use_split,
    )
    add("No one uses AI at work yet; it is being considered for %(considered)s.", no_use_split)
    add(
        "AI is in use at work beyond trying it: %(uses)s.",
        lambda c, g: [
            _check(c.first(i) not in TRYING | NOT_USED | {None}, f"{i} not in use")
            for i in _names(g["uses"], ex.AI_USE_NAMES)
        ],
    )
    courses = lambda c: [v for v in c.chosen("train_ai_courses") if v != "none"]  # noqa: E731
    add(
        "No one in the firm has had an AI course yet.",
        lambda c, g: _check(not courses(c), "a course"),
    )

    def one_short(c: Case, g: Mapping[str, str]) -> None:
        named = _names(g["courses"], ex.COURSE_NAMES)
        _check(courses(c) == named and len(named) == 1 and named[0] in SHORT, "one short course")

    add(
        "The only AI course taken is one short course (%(courses)s): that does not yet make "
        "the firm experienced.",
        one_short,
    )

    def beyond(c: Case, g: Mapping[str, str]) -> None:
        named = _names(g["courses"], ex.COURSE_NAMES)
        _check(set(named) <= set(courses(c)), "courses not taken")
        _check(len(courses(c)) > 1 or (courses(c) and courses(c)[0] not in SHORT), "one short")

    add(
        "Staff or executives have had AI or digital training beyond one short course: %(courses)s.",
        beyond,
    )
    concrete = lambda c: c.first("need_problem_clarity") in CONCRETE  # noqa: E731
    add(
        "There is no concrete problem to solve with AI yet.",
        lambda c, g: _check(not concrete(c), "the firm named a concrete problem"),
    )
    add(
        "The firm can name the task and the problem it wants AI to solve.",
        lambda c, g: _check(concrete(c), "no concrete problem"),
    )

    def task(c: Case, g: Mapping[str, str]) -> None:
        _check(concrete(c), "no concrete problem")
        given = str(c.firm.answers.get("need_task") or "").strip()
        _check(given.startswith(g["task"].rstrip("…").rstrip()), "not the firm's task")

    add("The firm has a concrete task for AI: ‘%(task)s’.", task)
    needs = lambda c: set(c.chosen("need_equipment"))  # noqa: E731

    def lacking(c: Case, g: Mapping[str, str]) -> None:
        for need in _names(g["equipment"], ex.EQUIPMENT_NAMES):
            _check(need in needs(c) and need in HEAVY, f"{need} not lacked")

    add("The training it needs calls for equipment it does not have: %(equipment)s.", lacking)

    def cannot(c: Case, g: Mapping[str, str]) -> None:
        for need in _names(g["equipment"], ex.EQUIPMENT_NAMES):
            _check(need in needs(c) and not _can_train(c, need), f"{need}: it can train")

    add("It lacks the instructors, room or engineers to train for %(equipment)s itself.", cannot)

    def lacks(c: Case, g: Mapping[str, str]) -> None:
        pieces = set(_names(g["missing"], ex.TRAINING_PIECE_NAMES))
        expected = set()
        for need in _names(g["equipment"], ex.EQUIPMENT_NAMES):
            _check(need in needs(c) and not _can_train(c, need), f"{need}: it can train")
            if c.first("train_instructors") not in ("some", "pool"):
                expected.add("instructors")
            if need == "iot_sensors" and c.first("train_facility") not in (
                "training_room",
                "practice_lab",
            ):
                expected.add("training_room")
            if need == "gpu" and c.first("skill_eng_data") not in (
                "coding",
                "prototype",
                "production",
            ):
                expected.add("engineers")
        _check(pieces == expected, f"it lacks {sorted(expected)}, not {sorted(pieces)}")

    add("To train for %(equipment)s itself, it lacks %(missing)s.", lacks)

    def alone(c: Case, g: Mapping[str, str]) -> None:
        for need in _names(g["equipment"], ex.EQUIPMENT_NAMES):
            _check(need in needs(c) and _can_train(c, need), f"{need}: it cannot train alone")

    add(
        "It has the instructors and the engineers or room to train for %(equipment)s itself, "
        "buying or renting what it lacks.",
        alone,
    )

    def capacity(c: Case, g: Mapping[str, str]) -> None:
        _check(_number(g["employees"]) == c.firm.employees, "head count")
        _check(c.firm.employees < _number(g["threshold"]) == LINES["small_firm"].value, "small")
        _check(c.chosen("train_hrd_owner") == ["none"], "someone is in charge")
        _check(c.first("train_facility") in (None, "none"), "it has a room")
        _check(c.first("train_instructors") in ("none", "ojt_only"), "it has instructors")

    add(
        "With %(employees)s employees (under %(threshold)s, the tool's provisional line for "
        "a small firm), no one in charge of training, no training room and no instructors, "
        "it cannot run project-based training itself.",
        capacity,
    )
    add(
        "AI-training experience: %(grade)s. Firms whose AI-training experience is lacking start "
        "with free online courses (policy source: seed 000, line 45).",
        lambda c, g: _check(
            {str(v): k for k, v in ex.EXPERIENCE_GRADES.items()}.get(g["grade"]) == _grade(c),
            "not the firm's grade",
        ),
    )

    def near(c: Case, g: Mapping[str, str]) -> None:
        _check(_number(g["near"]) == LINES["near"].value, "near")
        line = check_sentence(c, g["sentence"])
        _check(line in LINE_SCORE, "near what?")
        _check(abs(_score(c, line) - LINES[line].value) < LINES["near"].value, f"{line} not near")

    add("Within %(near)s points of a line: %(sentence)s", near)
    add("One answer from another track: re-check %(answers)s.", _recheck)

    def sme(c: Case, g: Mapping[str, str]) -> None:
        line = SME.get(c.firm.industry, 100)
        _check(_number(g["employees"]) == c.firm.employees > line == _number(g["line"]), "SME")

    add(
        "%(employees)s employees: above %(line)s, the line for 우선지원대상기업 in this "
        "industry (%(source)s, counted in regular workers). Check whether it is an SME "
        "under 중소기업기본법 before planning subsidised training: a flag, not a refusal.",
        sme,
    )
    no_systems = lambda c: c.chosen("data_systems") == ["none"]  # noqa: E731
    paper = lambda c: c.first("data_storage") == "paper"  # noqa: E731

    def ai_without_systems(c: Case, g: Mapping[str, str]) -> None:
        _check(no_systems(c) or paper(c), "it has systems and no paper")
        for item_id in _names(g["areas"], ex.AI_USE_NAMES):
            _check(c.first(item_id) in ("testing", "operating"), f"{item_id} not running")

    add(
        "Answers that contradict each other: AI is being tested or in operation (%(areas)s), "
        "but there are no business systems or records are kept on paper.",
        ai_without_systems,
    )
    add(
        "Answers that contradict each other: a dedicated IT or data staff, but records are kept "
        "on paper and there are no business systems.",
        lambda c, g: _check(
            c.first("data_it_staff") in ("dedicated", "team") and paper(c) and no_systems(c),
            "no contradiction",
        ),
    )
    add(
        "Answers that contradict each other: smart-factory support was received, but there are "
        "no business systems (a smart factory usually brings MES or ERP).",
        lambda c, g: _check(
            "smart_factory" in c.chosen("lead_external") and no_systems(c), "no contradiction"
        ),
    )

    def readiness_ok(c):
        return _readiness(c) >= 50 or (
            concrete(c)
            and (c.firm.scores.get("data_infra") or 0) >= 40
            and (c.firm.scores.get("leadership") or 0) >= 40
        )

    add(
        "AI-training experience is lacking, so it starts with free online courses first, "
        "although the rest of its base would carry it further.",
        lambda c, g: _check(_grade(c) in ("none", "lacking") and readiness_ok(c), "base"),
    )
    add(
        "Referred for want of training capacity, not of equipment: check whether the "
        "firm could name someone in charge, a room or an instructor.",
        lambda c, g: _check(
            all(_can_train(c, n) for n in needs(c) & (HEAVY | {"gpu", "iot_sensors"})),
            "equipment lacking too",
        ),
    )
    add(
        "IoT or GPU work goes to a center only because the firm lacks the people to "
        "teach it: check its instructors and engineers.",
        lambda c, g: _check(not needs(c) & HEAVY, "heavy equipment lacking too"),
    )
    add(
        "Mature enough for AX but without a concrete problem: the job analysis must "
        "find one first.",
        lambda c, g: _check(_readiness(c) >= 50 and not concrete(c), "not mature or a problem"),
    )
    add(
        "It has used %(support)s: the plan packages AX support with training (seed 000, "
        "line 57), so plan the training with it.",
        lambda c, g: _check(
            set(_names(g["support"], ex.SUPPORT_NAMES)) <= set(c.chosen("lead_external")),
            "support not used",
        ),
    )
    add(
        "There is no concrete problem yet: the job analysis starts by finding the task where AI "
        "will help, before any project-based training.",
        lambda c, g: _check(not concrete(c) and c.prediction.track == "ax", "a concrete problem"),
    )
    add("%(item)s: ‘%(before)s’ → ‘%(after)s’ (this change alone gives %(track)s)", _one_step)
    add(
        "%(item)s: add ‘%(option)s’ (this change alone gives %(track)s)",
        lambda c, g: _one_option(c, g, True),
    )
    add(
        "%(item)s: without ‘%(option)s’ (this change alone gives %(track)s)",
        lambda c, g: _one_option(c, g, False),
    )
    add(
        "Any one of these answers, changed by one option, would change the track:",
        lambda c, g: _check(bool(c.prediction.sensitivity), "no answer would"),
    )
    add(
        "A few one-step changes are not enough to reach %(track)s; these go furthest toward it:",
        lambda c, g: _levers(c, "short", g),
    )
    add("Any one of these would make it %(track)s:", lambda c, g: _levers(c, "each", g))
    add("One step would make it %(track)s:", lambda c, g: _levers(c, "together", g))
    add(
        "These %(n)s one-step changes together would make it %(track)s:",
        lambda c, g: _levers(c, "together", g),
    )
    add("%(item)s: ‘%(answer)s’", _lever_line)
    add(
        "Source: %(source)s",
        lambda c, g: _check(
            g["source"] == ex.source_label(RULE_SOURCES.get(c.prediction.rule, "")), "source"
        ),
    )
    for rule, name in ex.RULE_NAMES.items():
        templates.append((str(name), lambda c, g, rule=rule: _rule(c, rule), ""))
    return [(re.compile(f"^{_pattern(t)}$"), check, line) for t, check, line in templates]


def _literal(part: str) -> str:
    """A template's text as a pattern; a Korean particle in the two-form notation
    (``을(를)``, ``(이)었`` …, ``diagnose/korean.py``) matches either form it resolves to."""
    from diagnose.korean import _NOTATIONS, _PATTERN

    out, position = [], 0
    for match in _PATTERN.finditer(part):
        out.append(re.escape(part[position : match.start()]))
        forms = _NOTATIONS[match.group()]
        out.append("(?:" + "|".join(re.escape(f) for f in dict.fromkeys(forms)) + ")")
        position = match.end()
    out.append(re.escape(part[position:]))
    return "".join(out)


def _pattern(template: str) -> str:
    parts = re.split(r"%\((\w+)\)s", template)
    out = []
    for index, part in enumerate(parts):
        out.append(_literal(part) if index % 2 == 0 else f"(?P<{part}>.+?)")
    return "".join(out)


_PATTERNS: dict[str, list] = {}


def check_sentence(case: Case, sentence: str) -> str:
    """Parse one sentence and check its claims; raise ``FalseSentence`` if one is false.

    Returns the line a line's sentence speaks of ("" for any other sentence).
    """
    if case.lang not in _PATTERNS:
        _PATTERNS[case.lang] = _build(case)
    for pattern, check, line in _PATTERNS[case.lang]:
        match = pattern.match(sentence)
        if match:
            check(case, match.groupdict())
            return line
    raise FalseSentence(f"no template says {sentence!r}")


def sentences_of(words: Mapping[str, Any]) -> list[str]:
    """Every sentence of an explanation that says something about the firm."""
    found = [
        *words["toward"],
        *words["away"],
        *words["ceo_reasons"],
        *(part for parts in words["review_parts"] for part in parts),
        *words["notes"],
        *(line["text"] for line in words["lines"]),
        *words["counterfactual_steps"],
    ]
    for key in ("experience", "job_analysis_text", "counterfactual_head", "rule", "rule_source"):
        if words.get(key):
            found.append(words[key])
    return found
