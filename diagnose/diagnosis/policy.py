"""The scorecard: which firm goes to which track, why, and what a consultant should re-check.

The track comes from these rules alone (the published scorecard). A trained model runs beside
them in shadow (``model.py``) and never decides. Every line the rules draw is in ``LINES``
with its source: the seed line it follows, or "tool assumption, to be validated" with the date
it was set. The consultant page, the owner's result and the PDF's method note say which is
which.

The rules decide in two stages, in the policy's order (seed 000, line 45):

1. **Beginner or not.** The plan names firms whose AI-training experience is *lacking*
   (부족한) as the ones to start on free online courses: a grade, not "none at all". A firm
   whose staff at most *try* AI (a few on personal accounts, an area "considered") and took
   no AI course, or only one short free course, starts there however good its digital base.
   Past that gate a firm still starts as a beginner when its readiness is low, or when it has
   neither a concrete problem on a sound base nor the maturity to find one in a job analysis.
   A hands-on need never opens this gate: lacking a robot is not readiness (DOMAIN.md).
2. **Shared training center or AX (PBL), among the others** (seed 000, line 54):
   - a firm that lacks the equipment a hands-on need calls for (vision inspection, robots,
     an automation line) goes there, judged per need: its own lab does not hold what it lacks;
   - IoT sensors and GPU work are within reach of a firm that can teach itself (sensors are
     cheap and GPUs can be rented by the hour), so they send a firm to a center only when it
     lacks the people or room to train for them (see ``can_train_alone``);
   - a small firm with no one in charge of training, no room and no instructors is served
     better by a center running its PBL than by employer training it cannot organise;
   - every other firm past the gate is an AX firm: a job analysis, then PBL on its own
     problems. Only a firm with no concrete problem at all is told that its job analysis must
     first find one (``job_analysis_first``).

Beside the track the scorecard raises **review items**, each naming the answers to re-check
(``review_items``): an inconsistency between answers (in the manner of SIRI's guiding
statements), a firm above the SME line (고용보험법 시행령 제12조: flagged, never refused). The
answers one step from another track are found exactly in ``levers.one_step_changes`` and
raised as one item naming them, with the lines the firm sits near (``near_lines``) as the
reason; a line near but out of any one answer's reach raises nothing.

Each rule is monotone by construction: a better answer can only take a firm out of the
beginner track, never into it; a hands-on need it cannot train for can only take it toward
the shared center. ``tests/test_policy.py`` checks both over a sample of firms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..profile import employees_of
from ..questionnaire.schema import Questionnaire
from ..vocabulary import TRACKS, Track  # noqa: F401  (stated once there; imported from here)
from .scoring import NOT_APPLICABLE, scorer

ASSUMPTION = "tool assumption, to be validated"


@dataclass(frozen=True)
class Line:
    """A line the rules draw, with where it comes from."""

    id: str
    value: float
    meaning: str
    source: str  # a seed line or regulation, or ASSUMPTION
    set_on: str = ""  # the date a tool assumption was set

    @property
    def assumption(self) -> bool:
        return self.source == ASSUMPTION


SET_ON = "2026-11-26"  # the day the point lines were first written (git log -S)
LINES = {
    line.id: line
    for line in (
        Line(
            "readiness_floor",
            33.0,
            "AI readiness below which only the basics fit",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "ai_use_floor",
            22.0,
            "AI use in work; with the training system also under its line, basics first",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "training_floor",
            30.0,
            "the training system; with AI use also under its line, basics first",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "readiness_mature",
            50.0,
            "AI readiness at which a job analysis can find the problem",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "data_base",
            40.0,
            "the data and digital base a concrete problem needs",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "leadership",
            40.0,
            "the management commitment a concrete problem needs",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "small_firm",
            50.0,
            "employees below which a firm without training staff cannot run PBL itself",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "near",
            2.0,
            "points from a line that ask for the consultant's judgement",
            ASSUMPTION,
            SET_ON,
        ),
        Line(
            "experience_lacking",
            1.0,
            "AI-training experience lacking: no use of AI beyond "
            "trying it, and no AI course or only one short course",
            "seed 000 line 45 (AI 훈련 경험이 부족한 기업); 'one short course' and 'trying' "
            "are a " + ASSUMPTION,
            "2026-12-02",
        ),
    )
}
# The rules' sources in one place, for the pages, the API and the PDF's method note.
RULE_SOURCES = {
    "experience_lacking": "seed 000 line 45",
    "no_ai_experience": "seed 000 line 45",
    "low_readiness": ASSUMPTION,
    "not_ready": "seed 000 line 45 (AX firms get PBL on job analysis); lines: " + ASSUMPTION,
    "equipment_lacking": "seed 000 line 54",
    "cannot_train_alone": "seed 000 line 54; who can train alone: " + ASSUMPTION,
    "no_training_capacity": "seed 000 line 54; DOMAIN.md (joint centers run consortium "
    "training); the size line: " + ASSUMPTION,
    "ax_ready": "seed 000 line 45",
    "mature_no_problem": "seed 000 line 45",
    "mature_thin_base": "seed 000 line 45; lines: " + ASSUMPTION,
    "trains_alone": "seed 000 line 45",
}
SME_SOURCE = "고용보험법 시행령 제12조 (우선지원대상기업)"

READINESS_FLOOR = LINES["readiness_floor"].value
AI_USE_FLOOR = LINES["ai_use_floor"].value
TRAINING_FLOOR = LINES["training_floor"].value
READINESS_MATURE = LINES["readiness_mature"].value
DATA_BASE_MIN = LINES["data_base"].value
LEADERSHIP_MIN = LINES["leadership"].value
SMALL_FIRM = int(LINES["small_firm"].value)
NEAR = LINES["near"].value

# SME line by KSIC section (고용보험법 시행령 제12조, regular workers; DOMAIN.md). Any firm that
# is an SME under 중소기업기본법 by revenue qualifies too, so above the line is a flag only.
SME_LINES = {
    **dict.fromkeys(("C",), 500),
    **dict.fromkeys(("B", "F", "H", "J", "N", "M", "Q"), 300),
    **dict.fromkeys(("G", "I", "K", "R"), 200),
}
SME_OTHER = 100

# --- the answers the rules read (declared in questionnaire/contract.py) ----------------------
AI_USE_ITEMS = (
    "use_genai_office",
    "use_area_quality",
    "use_area_forecast",
    "use_area_maintenance",
    "use_area_customer",
    "use_area_marketing",
)
# At or below these options AI is at most tried ("considering", a few staff on personal
# accounts): not use at work. Tool assumption, to be validated.
AI_USE_FLOOR_OPTIONS = frozenset({"none", "not_used", "considering", "individual"})
NO_AI_OPTIONS = frozenset({"none", "not_used"})
# One of these alone is "one short course": it does not make a firm experienced (DOMAIN.md).
SHORT_COURSES = ("free_online", "learning_card")
CONCRETE_PROBLEM = ("named", "quantified", "scoped")
# Equipment a firm cannot own for training: lacking it, it trains where the equipment is.
HEAVY_EQUIPMENT = ("vision", "robot", "automation_line")
# Equipment a firm that can teach itself buys or rents for its own PBL.
LIGHT_EQUIPMENT = ("iot_sensors", "gpu")
HANDS_ON_EQUIPMENT = HEAVY_EQUIPMENT + LIGHT_EQUIPMENT
INSTRUCTORS = ("some", "pool")  # in-house instructors who teach from prepared materials
TRAINING_ROOM = ("training_room", "practice_lab")
ENGINEERS_WHO_CODE = ("coding", "prototype", "production")
NO_INSTRUCTORS = ("none", "ojt_only")
# AI at these levels is running, not tried: it needs systems and data behind it.
AI_RUNNING = ("testing", "operating")
DATA_STAFF = ("dedicated", "team")
AX_SUPPORT = ("smart_factory", "voucher")  # seed 000 line 57: AX support, packaged with training


@dataclass(frozen=True)
class Firm:
    """A diagnosis as the rules see it: profile, answers, and the scores they give."""

    profile: Mapping[str, Any]
    answers: Mapping[str, Any]
    scores: Mapping[str, float | None]  # dimension id -> 0..100, None when nothing counts
    readiness: float | None

    @classmethod
    def of(
        cls, questionnaire: Questionnaire, profile: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> Firm:
        # ``scoring.dimension_scores`` and ``readiness``, compiled once per questionnaire
        scores, ready = scorer(questionnaire).scores(answers)
        return cls(profile=profile, answers=answers, scores=scores, readiness=ready)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_chosen", {})  # the rules read an answer many times

    def varied(
        self, item_id: str, value: Any, scores: Mapping[str, float | None], readiness: float | None
    ) -> Firm:
        """The firm with one answer changed, scored as given: what it chose elsewhere is
        already read (a search reads thousands of such variants of one firm)."""
        firm = Firm(self.profile, {**self.answers, item_id: value}, scores, readiness)
        chosen = dict(self._chosen)
        chosen.pop(item_id, None)
        object.__setattr__(firm, "_chosen", chosen)
        return firm

    def chosen(self, item_id: str) -> list[str]:
        found = self._chosen.get(item_id)
        if found is None:
            given = self.answers.get(item_id)
            if given in (None, "", NOT_APPLICABLE):
                found = []
            else:
                values = given if isinstance(given, list) else [given]
                found = [v for v in values if v != NOT_APPLICABLE]
            self._chosen[item_id] = found
        return found

    def chose(self, item_id: str, *values: str) -> bool:
        return any(v in self.chosen(item_id) for v in values)

    def score(self, dimension: str) -> float:
        return self.scores.get(dimension) or 0.0

    @property
    def employees(self) -> int:
        return employees_of(self.profile)

    @property
    def industry(self) -> str:
        return str(self.profile.get("industry") or "").strip().upper()[:1]


# --- what the rules look at ------------------------------------------------------------------


def _use_levels(firm: Firm) -> list[tuple[str, str]]:
    return [(i, given[0]) for i in AI_USE_ITEMS if (given := firm.chosen(i))]


def ai_uses(firm: Firm) -> list[str]:
    """The AI-use items answered beyond trying: the firm uses AI at work there."""
    return [i for i, level in _use_levels(firm) if level not in AI_USE_FLOOR_OPTIONS]


def ai_tries(firm: Firm) -> list[str]:
    """The AI-use items where AI is tried or considered, not used at work."""
    return [
        i
        for i, level in _use_levels(firm)
        if level in AI_USE_FLOOR_OPTIONS and level not in NO_AI_OPTIONS
    ]


def ai_courses(firm: Firm) -> list[str]:
    """The AI or digital courses staff or executives took (``train_ai_courses``)."""
    return [v for v in firm.chosen("train_ai_courses") if v != "none"]


def one_short_course(courses: list[str]) -> bool:
    return len(courses) == 1 and courses[0] in SHORT_COURSES


def experience_grade(firm: Firm) -> str | None:
    """AI-training experience as a grade: ``none``, ``lacking`` or ``some``.

    ``lacking`` (seed 000 line 45): no use of AI at work beyond trying it, and no AI course or
    only one short course. None when the AI-use or the course answers are missing.
    """
    levels = _use_levels(firm)
    if not levels or not firm.chosen("train_ai_courses"):
        return None
    courses = ai_courses(firm)
    if any(v not in AI_USE_FLOOR_OPTIONS for _i, v in levels) or (
        courses and not one_short_course(courses)
    ):
        return "some"
    tried = any(v not in NO_AI_OPTIONS for _i, v in levels)
    return "none" if not courses and not tried else "lacking"


def no_ai_experience(firm: Firm) -> bool:
    """AI-training experience lacking (a grade, see ``experience_grade``): courses first."""
    return experience_grade(firm) in ("none", "lacking")


def low_readiness(firm: Firm) -> bool:
    """Readiness under the floor, or AI use and the training system both under theirs."""
    if firm.readiness is None:
        return True
    return firm.readiness < READINESS_FLOOR or (
        firm.score("ai_use") < AI_USE_FLOOR and firm.score("training_system") < TRAINING_FLOOR
    )


def concrete_problem(firm: Firm) -> bool:
    return firm.chose("need_problem_clarity", *CONCRETE_PROBLEM)


def ax_ready(firm: Firm) -> bool:
    """A concrete problem on a data base, with management behind it."""
    return (
        concrete_problem(firm)
        and firm.score("data_infra") >= DATA_BASE_MIN
        and firm.score("leadership") >= LEADERSHIP_MIN
    )


def mature(firm: Firm) -> bool:
    return (firm.readiness or 0.0) >= READINESS_MATURE


def hands_on_needs(firm: Firm) -> list[str]:
    """The hands-on equipment the firm needs for the training it wants and does not have."""
    return [v for v in firm.chosen("need_equipment") if v in HANDS_ON_EQUIPMENT]


def can_train_alone(firm: Firm, need: str) -> bool:
    """Whether the firm can train for ``need`` without a center's equipment and instructors.

    Judged per need: never for equipment it lacks and cannot own (vision, robots, lines);
    for IoT sensors when it has a training room and instructors; for GPU work when its
    engineers already work with data in code and it has instructors (GPUs are rented).
    """
    return need in LIGHT_EQUIPMENT and not missing_to_train(firm.answers, need)


def missing_to_train(answers: Mapping[str, Any], need: str) -> tuple[str, ...]:
    """What a firm lacks to train for the light ``need`` itself (``can_train_alone``'s pieces,
    named so that a sentence says exactly which): ``instructors``, ``training_room`` (IoT),
    ``engineers`` (GPU); empty when it has them all."""

    def chose(item_id: str, values: tuple[str, ...]) -> bool:
        given = answers.get(item_id)
        return any(v in values for v in (given if isinstance(given, list) else [given]))

    missing = [] if chose("train_instructors", INSTRUCTORS) else ["instructors"]
    if need == "iot_sensors" and not chose("train_facility", TRAINING_ROOM):
        missing.append("training_room")
    if need == "gpu" and not chose("skill_eng_data", ENGINEERS_WHO_CODE):
        missing.append("engineers")
    return tuple(missing)


def no_training_capacity(firm: Firm) -> bool:
    """A small firm with no one in charge of training, no room and no instructors.

    A firm that never trained is not asked about its room (skip logic): it has none in use.
    """
    room = firm.chosen("train_facility")
    return (
        0 < firm.employees < SMALL_FIRM
        and firm.chosen("train_hrd_owner") == ["none"]
        and (not room or room == ["none"])
        and firm.chose("train_instructors", *NO_INSTRUCTORS)
    )


def sme_line(industry: str) -> int:
    """The head count up to which a firm of this KSIC section is 우선지원대상기업."""
    return SME_LINES.get(industry, SME_OTHER)


# --- the decision, with what decided it -------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One observation the rules rest on, and the side it speaks for.

    ``supports`` is a track, or ``"not_beginner"`` for what opens the gate to either of the
    other two. For a line, ``value`` is the exact value the rule compared with ``threshold``
    (``line`` names it in ``LINES``); the sentence reads its side from the same comparison.
    """

    code: str
    supports: str
    items: tuple[str, ...] = ()
    value: float | None = None
    threshold: float | None = None
    detail: tuple[str, ...] = ()
    line: str = ""

    def near(self) -> bool:
        return (
            self.value is not None
            and self.threshold is not None
            and abs(self.value - self.threshold) < NEAR
        )

    @property
    def below(self) -> bool:
        return (self.value or 0.0) < (self.threshold or 0.0)


@dataclass(frozen=True)
class ReviewItem:
    """An answer (or answers) the consultant should re-check, and why.

    ``kind``: ``inconsistent``, ``above_sme_line`` or ``one_step`` (added by
    ``scorecard.assess``, with the near lines beside it). ``code`` names the check. Diagnoses
    stored before issue 15 may hold a ``near_line`` item, still shown as such.
    """

    kind: str
    code: str
    items: tuple[str, ...] = ()
    value: float | None = None
    threshold: float | None = None
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The scorecard's track for a firm, the rule that decided it and everything it weighed.

    ``decisive`` are the findings that decided the track (most important first); ``others``
    the rest, for the consultant. ``exceptions`` names the rules that set aside the usual
    course (notes for the consultant, not review items); ``near`` the lines the firm is within
    ``NEAR`` points of where crossing one alone would change the track (``near_lines``, by
    the rules themselves); ``review`` what to re-check.
    """

    track: str
    rule: str
    decisive: tuple[Finding, ...]
    others: tuple[Finding, ...] = ()
    exceptions: tuple[str, ...] = ()
    near: tuple[Finding, ...] = ()
    job_analysis_first: bool = False
    lacking: tuple[str, ...] = field(default=())  # hands-on needs it cannot train for alone
    experience: str | None = None  # the grade, see ``experience_grade``
    review: tuple[ReviewItem, ...] = ()
    support: tuple[str, ...] = ()  # AX support already used (``external_support``)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.decisive + self.others


def _line(firm: Firm, line: str, supports_below: str, dimension: str | None = None) -> Finding:
    """A finding for one line, from the exact value the rule compares."""
    value = firm.score(dimension) if dimension else (firm.readiness or 0.0)
    threshold = LINES[line].value
    below = value < threshold
    items = (f"dim:{dimension}",) if dimension else ("readiness",)
    other = "not_beginner" if supports_below == "beginner" else "beginner"
    return Finding(line, supports_below if below else other, items, value, threshold, line=line)


def _experience(firm: Firm) -> tuple[Finding, Finding]:
    uses, tries, courses = ai_uses(firm), ai_tries(firm), ai_courses(firm)
    use = (
        Finding("ai_in_use", "not_beginner", tuple(uses), detail=tuple(uses))
        if uses
        else Finding("ai_use_none", "beginner", AI_USE_ITEMS, detail=tuple(tries))
    )
    if not courses:
        course = Finding("no_ai_training", "beginner", ("train_ai_courses",))
    elif one_short_course(courses):
        course = Finding(
            "one_short_course", "beginner", ("train_ai_courses",), detail=tuple(courses)
        )
    else:
        course = Finding(
            "ai_training", "not_beginner", ("train_ai_courses",), detail=tuple(courses)
        )
    return use, course


def decide(firm: Firm) -> Decision:
    """The scorecard's track for ``firm``: the first rule that holds in the policy's order."""
    decision = _decide(firm)
    return Decision(
        **{
            **decision.__dict__,
            "near": near_lines(firm, decision.track),
            "review": review_items(firm, decision),
            "support": external_support(firm),
        }
    )


def _decide(firm: Firm) -> Decision:
    grade = experience_grade(firm)
    use, course = _experience(firm)
    experience = [f for f in (use, course) if f.supports == "not_beginner"]
    needs = hands_on_needs(firm)
    problem = (
        Finding("concrete_problem", "not_beginner", ("need_problem_clarity",))
        if concrete_problem(firm)
        else Finding("no_concrete_problem", "beginner", ("need_problem_clarity",))
    )
    maturity = _line(firm, "readiness_mature", "beginner")

    # Stage 1: the gate (seed 000 line 45).
    if grade in ("none", "lacking"):
        return Decision(
            "beginner",
            "experience_lacking",
            (use, course),
            (maturity,) if mature(firm) else (),
            exceptions=("no_ai_experience",) if mature(firm) or ax_ready(firm) else (),
            experience=grade,
        )
    gate = _line(firm, "readiness_floor", "beginner")
    use_floor = _line(firm, "ai_use_floor", "beginner", "ai_use")
    training_floor = _line(firm, "training_floor", "beginner", "training_system")
    if low_readiness(firm):
        below = [f for f in (use_floor, training_floor) if f.below]
        if firm.readiness is None or gate.below:
            decisive = (gate, *below)
        else:
            decisive = (use_floor, training_floor)
        if not concrete_problem(firm):
            decisive = (*decisive, problem)
        return Decision(
            "beginner",
            "low_readiness",
            decisive,
            tuple(experience),
            experience=grade,
        )

    data = _line(firm, "data_base", "beginner", "data_infra")
    leadership = _line(firm, "leadership", "beginner", "leadership")
    if not (ax_ready(firm) or mature(firm)):
        missing = [problem] if not concrete_problem(firm) else []
        missing += [f for f in (data, leadership) if concrete_problem(firm) and f.below]
        return Decision(
            "beginner",
            "not_ready",
            (maturity, *missing),
            tuple(experience),
            experience=grade,
        )

    # Stage 2 (seed 000 line 54): who cannot train alone goes to a shared center.
    opened = list(experience)
    if ax_ready(firm):
        opened = [problem, data, leadership, *opened]
    else:
        opened = [maturity, problem, *opened]
    lacking = tuple(n for n in needs if not can_train_alone(firm, n))
    alone = tuple(n for n in needs if can_train_alone(firm, n))
    heavy = tuple(n for n in lacking if n in HEAVY_EQUIPMENT)
    light = tuple(n for n in lacking if n not in HEAVY_EQUIPMENT)
    if heavy or light:
        decisive = []
        if heavy:
            decisive.append(
                Finding("equipment_lacking", "shared_center", ("need_equipment",), detail=heavy)
            )
        if light:
            decisive.append(
                Finding(
                    "cannot_train_alone",
                    "shared_center",
                    ("need_equipment", "train_instructors", "train_facility", "skill_eng_data"),
                    detail=light,
                )
            )
        return Decision(
            "shared_center",
            "equipment_lacking" if heavy else "cannot_train_alone",
            tuple(decisive),
            tuple(opened),
            # "only for want of the people" is true only when no heavy equipment is lacking
            exceptions=("cannot_train_alone",) if light and not heavy else (),
            lacking=lacking,
            experience=grade,
        )
    if no_training_capacity(firm):
        return Decision(
            "shared_center",
            "no_training_capacity",
            (
                Finding(
                    "no_training_capacity",
                    "shared_center",
                    ("train_hrd_owner", "train_facility", "train_instructors"),
                    float(firm.employees),
                    float(SMALL_FIRM),
                    line="small_firm",
                ),
            ),
            tuple(opened),
            exceptions=("no_training_capacity",),
            experience=grade,
        )
    ready = ax_ready(firm)
    decisive = tuple(opened[:3]) if ready else (maturity, problem)
    others = [f for f in opened if f not in decisive]
    if alone:
        others.append(
            Finding(
                "trains_alone",
                "ax",
                ("need_equipment", "train_instructors", "skill_eng_data", "train_facility"),
                detail=alone,
            )
        )
    if not ready:
        # mature: with no concrete problem the job analysis must find one; with a problem on
        # a thin base it analyses that problem
        if not concrete_problem(firm):
            rule = "mature_no_problem"
        else:
            rule = "mature_thin_base"
            decisive = (maturity, problem, *(f for f in (data, leadership) if f.below))
    else:
        rule = "ax_ready"
    return Decision(
        "ax",
        rule,
        decisive,
        tuple(others),
        exceptions=("mature_no_problem",) if rule == "mature_no_problem" else (),
        job_analysis_first=not concrete_problem(firm),
        experience=grade,
    )


def track_for(firm: Firm) -> str:
    """The scorecard's track for a firm: ``decide``'s order without building its findings.

    The one-step search calls it some ninety times a firm; ``tests/test_policy.py`` checks it
    agrees with ``decide`` over thousands of firms.
    """
    if no_ai_experience(firm) or low_readiness(firm) or not (ax_ready(firm) or mature(firm)):
        return "beginner"
    if any(not can_train_alone(firm, n) for n in hands_on_needs(firm)):
        return "shared_center"
    return "shared_center" if no_training_capacity(firm) else "ax"


# Every answer ``track_for`` reads besides the scores and the profile. A search over one-answer
# variants of a firm (``levers``) judges a step on any other answer by the score it gives its
# dimension alone; ``tests/test_levers_fast.py`` checks that no other answer moves the track.
TRACK_READS = (
    *AI_USE_ITEMS,
    "train_ai_courses",
    "need_problem_clarity",
    "need_equipment",
    "train_instructors",
    "train_facility",
    "skill_eng_data",
    "train_hrd_owner",
)

# The score each point line is drawn on (None: AI readiness, the mean of the dimensions).
LINE_DIMENSIONS = {
    "readiness_floor": None,
    "ai_use_floor": "ai_use",
    "training_floor": "training_system",
    "readiness_mature": None,
    "data_base": "data_infra",
    "leadership": "leadership",
}


def near_lines(firm: Firm, track: str) -> tuple[Finding, ...]:
    """The lines the firm is within ``NEAR`` points of *and* whose crossing alone, every other
    score and answer held, gives another track: found by applying the rules to the firm with
    that one score moved just across the line, not by a reading of the rules' structure.

    A line the firm is close to but whose crossing cannot move it (a beginner held by the
    gate, or by another line as well) is not near in this sense: nothing to re-check there.
    """
    near = []
    for line, dimension in LINE_DIMENSIONS.items():
        finding = _line(firm, line, "beginner", dimension)
        if not finding.near():
            continue
        threshold = LINES[line].value
        across = threshold if finding.below else threshold - 0.05
        if dimension is None:
            moved = Firm(firm.profile, firm.answers, firm.scores, across)
        else:
            moved = Firm(
                firm.profile, firm.answers, {**firm.scores, dimension: across}, firm.readiness
            )
        if track_for(moved) != track:
            near.append(finding)
    return tuple(near)


# --- review items: what the consultant should re-check ----------------------------------------


def inconsistencies(firm: Firm) -> list[ReviewItem]:
    """Answers that contradict each other, in the manner of SIRI's guiding statements."""
    found = []
    no_systems = firm.chosen("data_systems") == ["none"]
    paper = firm.chose("data_storage", "paper")
    running = [i for i in AI_USE_ITEMS if firm.chose(i, *AI_RUNNING)]
    if running and (no_systems or paper):
        found.append(
            ReviewItem(
                "inconsistent",
                "ai_without_systems",
                ("data_systems" if no_systems else "data_storage", *running),
                detail=tuple(running),
            )
        )
    if firm.chose("data_it_staff", *DATA_STAFF) and paper and no_systems:
        found.append(
            ReviewItem(
                "inconsistent",
                "data_team_without_data",
                ("data_it_staff", "data_storage", "data_systems"),
            )
        )
    support = [v for v in firm.chosen("lead_external") if v == "smart_factory"]
    if support and no_systems:
        found.append(
            ReviewItem(
                "inconsistent",
                "smart_factory_without_systems",
                ("lead_external", "data_systems"),
            )
        )
    return found


def review_items(firm: Firm, decision: Decision) -> tuple[ReviewItem, ...]:
    """An inconsistency, above the SME line. The answers one step from another track are added
    by ``scorecard.assess`` (exact, ``levers.one_step_changes``), with the near lines as the
    reason beside them: a line near but out of any one answer's reach is no item of its own
    (nothing for the consultant to re-check; issue 15)."""
    items = inconsistencies(firm)
    line = sme_line(firm.industry)
    if firm.employees > line:
        items.append(
            ReviewItem(
                "above_sme_line",
                "above_sme_line",
                ("profile:employees", "profile:industry"),
                float(firm.employees),
                float(line),
                detail=(firm.industry,),
            )
        )
    return tuple(items)


def external_support(firm: Firm) -> tuple[str, ...]:
    """Smart-factory or voucher support the firm used: seed 000 line 57 packages AX support
    with training, so the consultant plans the training with it (a note, not a track)."""
    return tuple(v for v in firm.chosen("lead_external") if v in AX_SUPPORT)


# --- one-step changes: what "improving an answer" means ---------------------------------------


def scored_steps(questionnaire: Questionnaire, answers: Mapping[str, Any], up: bool = True):
    """Every answer changed by one option on its own scale: ``(item id, new value)``.

    Up: a single choice one option higher, a multiple choice with one more scored option (the
    "none" option dropped), a number into the next score band. Down: the reverse. Items that
    are hidden, unanswered or "not applicable" have no step.
    """
    # each item's ``kind.steps``, remembered by answer (``scoring.Scorer.steps``)
    yield from scorer(questionnaire).steps(answers, up)
