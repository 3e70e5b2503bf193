"""The policy: each rule and exception shown by a firm, and its directions over a sample."""

from pathlib import Path

import pytest

from diagnose.diagnosis.policy import (
    HANDS_ON_EQUIPMENT,
    LINE_DIMENSIONS,
    LINES,
    NEAR,
    READINESS_MATURE,
    Firm,
    can_train_alone,
    decide,
    scored_steps,
    track_for,
)
from diagnose.diagnosis.training import property_firms
from diagnose.questionnaire.schema import load_questionnaire

Q = load_questionnaire(Path(__file__).parent.parent / "questionnaires/ai_training_needs/v1.yaml")


def answers_at(level: float, **overrides) -> dict:
    """Every item answered about ``level`` (0..1) up its scale, then ``overrides``."""
    answers: dict = {}
    for item in Q.items():
        if item.type == "single" and item.is_scored:
            ladder = sorted(item.options, key=lambda o: o.score)
            answers[item.id] = ladder[round(level * (len(ladder) - 1))].value
        elif item.type == "single":
            answers[item.id] = item.options[0].value
        elif item.type == "multi" and item.is_scored:
            real = [o.value for o in item.options if not o.exclusive]
            count = round(level * len(real))
            answers[item.id] = real[:count] or [o.value for o in item.options if o.exclusive]
        elif item.type == "multi":
            answers[item.id] = [item.options[0].value]
        elif item.type == "number":
            answers[item.id] = str(round(level * 40))
    answers["need_equipment"] = ["none"]
    answers.update(overrides)
    return answers


def firm(level: float, employees: int = 30, industry: str = "C", **overrides) -> Firm:
    profile = {"employees": str(employees), "industry": industry}
    return Firm.of(Q, profile, answers_at(level, **overrides))


NO_AI = {
    "use_genai_office": "none",
    "use_area_quality": "not_used",
    "use_area_forecast": "considering",
    "use_area_maintenance": "not_used",
    "use_area_customer": "not_used",
    "use_area_marketing": "not_used",
    "train_ai_courses": ["none"],
}


def test_lacking_ai_training_experience_starts_with_free_courses_however_good_the_base():
    strong = firm(0.8, **NO_AI)
    assert strong.readiness >= READINESS_MATURE
    decision = decide(strong)
    assert (decision.track, decision.rule, decision.experience) == (
        "beginner",
        "experience_lacking",
        "lacking",  # AI in forecasting is "considered": tried, not used
    )
    assert decide(firm(0.8, **{**NO_AI, "use_area_forecast": "not_used"})).experience == "none"
    assert "no_ai_experience" in decision.exceptions  # a strong firm held back: a note
    # "lacking" is a grade (seed 000 line 45): one short free course, or a few staff trying
    # generative AI on personal accounts, does not make a firm experienced
    for lacking in (
        {"train_ai_courses": ["free_online"]},
        {"use_genai_office": "individual"},
        {"train_ai_courses": ["learning_card"], "use_genai_office": "individual"},
    ):
        decision = decide(firm(0.8, **{**NO_AI, **lacking}))
        assert (decision.track, decision.experience) == ("beginner", "lacking"), lacking
    # a second course, a longer one, or AI used at work beyond trying it opens the gate
    for experienced in (
        {"train_ai_courses": ["free_online", "vendor"]},
        {"train_ai_courses": ["outside_course"]},
        {"use_genai_office": "widespread"},
        {"use_area_forecast": "prototyping"},
    ):
        decision = decide(firm(0.8, **{**NO_AI, **experienced}))
        assert decision.track != "beginner" and decision.experience == "some", experienced


def test_low_readiness_is_a_beginner():
    decision = decide(firm(0.15, train_ai_courses=["outside_course"]))
    assert (decision.track, decision.rule) == ("beginner", "low_readiness")
    assert decision.decisive[0].threshold is not None


def test_without_a_concrete_problem_or_maturity_a_firm_starts_with_the_basics():
    middling = firm(0.45, need_problem_clarity="vague")
    assert middling.readiness < READINESS_MATURE
    decision = decide(middling)
    assert (decision.track, decision.rule) == ("beginner", "not_ready")
    codes = [f.code for f in decision.decisive]
    assert codes == ["readiness_mature", "no_concrete_problem"]
    assert decision.decisive[0].below and decision.decisive[0].supports == "beginner"


def test_a_concrete_problem_on_a_sound_base_is_an_ax_firm():
    decision = decide(firm(0.6, need_problem_clarity="quantified"))
    assert (decision.track, decision.rule) == ("ax", "ax_ready")
    assert not decision.job_analysis_first


def test_mature_without_a_concrete_problem_is_ax_with_a_job_analysis_first():
    decision = decide(firm(0.8, need_problem_clarity="vague"))
    assert (decision.track, decision.rule) == ("ax", "mature_no_problem")
    assert decision.job_analysis_first
    assert "mature_no_problem" in decision.exceptions
    # a mature firm that named its problem on a thin base analyses that problem: no
    # "find the problem first" (it was shown to firms that had one)
    thin = decide(
        firm(
            0.8,
            need_problem_clarity="named",
            data_storage="paper",
            data_systems=["none"],
            data_quality="unreliable",
            data_history="none",
            data_cloud="none",
            data_security="none",
            data_it_staff="none",
        )
    )
    if thin.track == "ax":
        assert not thin.job_analysis_first and thin.rule in ("ax_ready", "mature_thin_base")


def test_lacking_equipment_goes_to_a_shared_center_even_with_a_lab_of_its_own():
    big = dict(
        train_facility="practice_lab",
        train_instructors="pool",
        train_hrd_owner="hrd_team",
        need_problem_clarity="scoped",
        need_equipment=["robot"],
    )
    decision = decide(firm(0.7, employees=150, **big))
    assert (decision.track, decision.rule) == ("shared_center", "equipment_lacking")
    # better instructors never turn it into a beginner (today's bug): it stays where it was
    assert track_for(firm(0.7, employees=150, **{**big, "train_instructors": "some"})) == (
        "shared_center"
    )


def test_gpu_work_a_software_firm_can_teach_itself_is_ax():
    coders = dict(
        need_problem_clarity="named",
        need_equipment=["gpu"],
        skill_eng_data="prototype",
        train_instructors="some",
    )
    software = firm(0.6, employees=40, industry="J", **coders)
    assert can_train_alone(software, "gpu")
    decision = decide(software)
    assert decision.track == "ax"
    assert any(f.code == "trains_alone" for f in decision.others)


def test_gpu_work_without_engineers_or_instructors_goes_to_a_center():
    decision = decide(
        firm(
            0.6,
            employees=40,
            industry="J",
            need_problem_clarity="named",
            need_equipment=["gpu"],
            skill_eng_data="spreadsheet",
            train_instructors="ojt_only",
        )
    )
    assert (decision.track, decision.rule) == ("shared_center", "cannot_train_alone")
    assert decision.lacking == ("gpu",)


def test_a_small_ready_firm_without_training_capacity_is_trained_by_a_joint_center():
    without = dict(
        need_problem_clarity="quantified",
        train_hrd_owner="none",
        train_facility="none",
        train_instructors="ojt_only",
    )
    decision = decide(firm(0.6, employees=12, **without))
    assert (decision.track, decision.rule) == ("shared_center", "no_training_capacity")
    assert "no_training_capacity" in decision.exceptions
    # any one of someone in charge, a room or an instructor lets it run its own PBL
    for item, value in (
        ("train_hrd_owner", "side_job"),
        ("train_facility", "shared_room"),
        ("train_instructors", "some"),
    ):
        assert track_for(firm(0.6, employees=12, **{**without, item: value})) == "ax"
    # a large firm in the same state is not "small": it organises employer training
    assert track_for(firm(0.6, employees=120, **without)) == "ax"


@pytest.fixture(scope="module")
def sample():
    return property_firms(Q)


def test_a_line_is_near_only_where_crossing_it_alone_moves_the_track(sample):
    """Over 500 firms, every point line: within NEAR points of it, a firm has it in ``near``
    exactly when that one score, put on the line's other side with every other score and answer
    held, gives another track (the test moves the score itself, to a point of its own). A
    beginner close to the floor but held there by the gate or by another line is not near:
    issue 15's noise. A near line never raises a review item of its own."""
    near = close_not_near = 0
    for base in sample:
        decision = decide(base)
        listed = {f.line for f in decision.near}
        assert all(r.kind != "near_line" for r in decision.review)
        for line, dimension in LINE_DIMENSIONS.items():
            value = (base.readiness if dimension is None else base.scores.get(dimension)) or 0.0
            threshold = LINES[line].value
            if abs(value - threshold) >= NEAR:
                assert line not in listed, (line, value)
                continue
            other = threshold + 0.01 if value < threshold else threshold - 0.01
            if dimension is None:
                moved = Firm(base.profile, base.answers, base.scores, other)
            else:
                moved = Firm(
                    base.profile, base.answers, {**base.scores, dimension: other}, base.readiness
                )
            crosses = track_for(moved) != decision.track
            assert (line in listed) == crosses, (line, value, decision.rule)
            near += crosses
            close_not_near += not crosses
    assert near >= 5 and close_not_near >= 20, (near, close_not_near)  # both kinds were met


def test_the_rules_never_move_a_firm_toward_beginner_for_a_better_answer(sample):
    """Over 500 firms, every one-option raise and lower of every scored answer."""
    raises = lowers = 0
    for base in sample:
        before = track_for(base)
        for up in (True, False):
            for item_id, value in scored_steps(Q, base.answers, up=up):
                after = track_for(Firm.of(Q, base.profile, {**base.answers, item_id: value}))
                if up:
                    raises += 1
                    assert not (after == "beginner" and before != "beginner"), (item_id, value)
                else:
                    lowers += 1
                    assert not (after != "beginner" and before == "beginner"), (item_id, value)
    assert len(sample) >= 500 and raises > 10_000 and lowers > 10_000


def test_a_need_the_firm_cannot_train_for_never_takes_it_away_from_a_center(sample):
    checked = 0
    for base in sample:
        chosen = [v for v in base.chosen("need_equipment") if v != "none"]
        before = track_for(base)
        for need in HANDS_ON_EQUIPMENT:
            if need in chosen or can_train_alone(base, need):
                continue
            moved = Firm.of(Q, base.profile, {**base.answers, "need_equipment": [*chosen, need]})
            after = track_for(moved)
            checked += 1
            assert before != "shared_center" or after == "shared_center"
            if before != "beginner":
                assert after == "shared_center", (need, before, after)
    assert checked > 500


def test_steps_are_one_option_each():
    base = firm(0.5)
    for item_id, value in scored_steps(Q, base.answers):
        item = Q.item(item_id)
        if item.type == "single":
            ladder = [o.value for o in sorted(item.options, key=lambda o: o.score)]
            assert ladder.index(value) == ladder.index(base.answers[item_id]) + 1
        elif item.type == "multi":
            before = [v for v in base.answers[item_id] if not item.option(v).exclusive]
            assert len(value) == len(before) + 1


def test_track_for_agrees_with_decide(sample):
    assert all(track_for(f) == decide(f).track for f in sample)


def test_a_lacked_piece_of_equipment_never_opens_the_gate(sample):
    """Ticking any one hands-on need never lifts a beginner (295 of 295 did before)."""
    beginners = [f for f in sample if track_for(f) == "beginner"]
    ticks = 0
    for base in beginners:
        chosen = [v for v in base.chosen("need_equipment") if v != "none"]
        for need in HANDS_ON_EQUIPMENT:
            if need not in chosen:
                ticks += 1
                moved = Firm.of(
                    Q, base.profile, {**base.answers, "need_equipment": [*chosen, need]}
                )
                assert track_for(moved) == "beginner", (need, base.answers)
    assert len(beginners) > 100 and ticks > 300


def test_job_analysis_first_only_without_a_concrete_problem(sample):
    told = 0
    for f in sample:
        decision = decide(f)
        clarity = f.answers.get("need_problem_clarity")
        if decision.job_analysis_first:
            told += 1
            assert clarity not in ("named", "quantified", "scoped"), clarity
        if decision.track == "ax" and clarity in ("named", "quantified", "scoped"):
            assert not decision.job_analysis_first
    assert told > 0


def test_only_for_want_of_people_is_never_said_when_heavy_equipment_is_lacking(sample):
    for f in sample:
        decision = decide(f)
        if "cannot_train_alone" in decision.exceptions:
            assert not any(n in ("vision", "robot", "automation_line") for n in decision.lacking)


def test_a_firm_above_the_sme_line_is_flagged_with_its_line_not_refused():
    big = decide(firm(0.6, employees=5000, industry="C", need_problem_clarity="quantified"))
    flags = [r for r in big.review if r.kind == "above_sme_line"]
    assert flags and flags[0].threshold == 500 and flags[0].value == 5000
    assert big.track in ("ax", "shared_center")  # served, not refused
    # the line depends on the industry (고용보험법 시행령 제12조): 200 for retail
    shop = decide(firm(0.6, employees=250, industry="G"))
    assert [r.threshold for r in shop.review if r.kind == "above_sme_line"] == [200]
    assert not [
        r
        for r in decide(firm(0.6, employees=250, industry="C")).review
        if r.kind == "above_sme_line"
    ]


def test_contradictory_answers_raise_a_named_review_item_not_a_track():
    paper = dict(
        data_storage="paper",
        data_systems=["none"],
        **{
            i: "operating"
            for i in (
                "use_area_quality",
                "use_area_forecast",
                "use_area_maintenance",
                "use_area_customer",
                "use_area_marketing",
            )
        },
    )
    plain = decide(firm(0.6, need_problem_clarity="quantified"))
    odd = decide(firm(0.6, need_problem_clarity="quantified", **paper))
    codes = [r.code for r in odd.review if r.kind == "inconsistent"]
    assert "ai_without_systems" in codes
    assert not [r for r in plain.review if r.kind == "inconsistent"]
    item = next(r for r in odd.review if r.code == "ai_without_systems")
    assert "data_systems" in item.items and "use_area_quality" in item.items
    team = decide(firm(0.4, data_it_staff="team", data_storage="paper", data_systems=["none"]))
    assert "data_team_without_data" in [r.code for r in team.review]
    factory = decide(firm(0.4, lead_external=["smart_factory"], data_systems=["none"]))
    assert "smart_factory_without_systems" in [r.code for r in factory.review]


def test_ax_support_received_is_a_note_for_the_plan():
    decision = decide(firm(0.3, lead_external=["voucher", "seminar"]))
    assert decision.support == ("voucher",)


def test_every_line_states_its_source_and_every_assumption_its_date():
    from diagnose.diagnosis.policy import ASSUMPTION, LINES, RULE_SOURCES

    for line in LINES.values():
        assert line.source
        if line.source == ASSUMPTION:
            assert line.set_on and line.assumption
    assert LINES["experience_lacking"].source.startswith("seed 000 line 45")
    assert all(RULE_SOURCES.values())
