"""The training catalogue, the center registry and the planner (plain data, no Flask)."""

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.questionnaire.schema import QuestionnaireError, load_questionnaire
from diagnose.roadmap.catalogue import load_roadmap_data
from diagnose.roadmap.planner import (
    PLAN_MONTHS,
    first_month,
    month_date,
    plan,
    referrals,
    release_hours,
    stated_tasks,
)

ROOT = Path(__file__).parent.parent
Q = load_questionnaire(ROOT / "questionnaires/ai_training_needs/v1.yaml")
DIMS = {d.id for d in Q.dimensions}
REGIONS = {c.value for c in Q.profile_field("region").choices}
DATA = load_roadmap_data(ROOT / "roadmap_templates", DIMS, REGIONS)
DAY = date(2026, 11, 22)


def test_the_catalogue_is_big_enough_and_consistent():
    modules = DATA.catalogue.modules
    assert len(modules) >= 30
    assert {m.delivery for m in modules} == {
        "free_online",
        "blended",
        "onsite_pbl",
        "shared_center",
    }
    for group in ("executives", "office", "engineers", "production"):
        assert any(group in m.job_groups for m in modules)
    for module in modules:
        assert module.title.ko and module.title.en and module.summary.ko


def test_every_cost_has_a_source_and_no_invented_figure():
    """A fee is a published figure or unknown; only free courses carry an amount (0)."""
    for module in DATA.catalogue.modules:
        cost = module.cost
        assert cost.source.ko and cost.source.en and cost.checked <= date.today()
        if module.funding in ("free_online",):
            assert cost.fee_krw == 0 and cost.firm_pays(5) == 0
        else:  # no amount has been checked yet: the report shows the route instead
            assert cost.fee_krw is None and cost.firm_pays(3) is None
    for route in DATA.catalogue.funding_routes:
        assert route.firm_pays.ko and route.firm_pays_short.en and route.source.ko


def test_a_known_fee_and_share_give_what_the_firm_pays():
    from diagnose.roadmap.catalogue import Cost

    text = {"ko": "공고", "en": "notice"}
    cost = Cost(fee_krw=200_000, subsidy_share=0.8, source=text, checked=DAY)
    assert cost.firm_pays(3) == 120_000
    assert Cost(fee_krw=200_000, source=text, checked=DAY).firm_pays(3) is None


def test_every_region_is_served_by_a_sample_center_and_placed_on_the_map():
    assert DATA.centers.sample  # shipped entries are marked as samples
    served = {r for c in DATA.centers.centers for r in c.serves_regions}
    assert served == REGIONS
    assert all(c.name.ko.startswith("(예시)") for c in DATA.centers.centers)
    assert all(DATA.centers.is_sample(c) for c in DATA.centers.centers)
    assert set(DATA.centers.regions) == REGIONS
    assert 50 < DATA.centers.distance_km("gyeongnam", "ulsan") < 80
    assert DATA.centers.distance_km("seoul", "jeju") > 400


def test_level_texts_speak_to_the_firm_for_every_dimension():
    for dimension in DIMS:
        texts = DATA.levels.dimensions[dimension]
        assert len(texts) == 5
        for text in texts:  # polite form, no consultant's plain "-다." statements
            assert text.ko.endswith(("니다.", "습니다.")), text.ko


def _broken_catalogue(tmp_path, change):
    folder = tmp_path / "rt"
    folder.mkdir(parents=True)
    data = yaml.safe_load((ROOT / "roadmap_templates/catalogue.yaml").read_text("utf-8"))
    change(data)
    (folder / "catalogue.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for name in ("centers.yaml", "levels.yaml"):
        (folder / name).write_text((ROOT / "roadmap_templates" / name).read_text("utf-8"), "utf-8")
    return folder


def test_broken_references_and_cycles_are_refused(tmp_path):
    def unknown(data):
        data["modules"][0]["prerequisites"] = ["no_such_module"]
        data["modules"][1]["funding"] = "lottery"
        data["modules"][2]["has_if"] = {"accountants": {"item": "x", "in": ["y"]}}

    with pytest.raises(QuestionnaireError) as caught:
        load_roadmap_data(_broken_catalogue(tmp_path, unknown), DIMS, REGIONS)
    text = str(caught.value)
    assert "unknown prerequisite 'no_such_module'" in text and "lottery" in text
    assert "accountants" in text

    def cycle(data):
        a, b = data["modules"][0], data["modules"][1]
        a["prerequisites"], b["prerequisites"] = [b["id"]], [a["id"]]

    with pytest.raises(QuestionnaireError, match="cycle"):
        load_roadmap_data(_broken_catalogue(tmp_path / "c", cycle), DIMS, REGIONS)

    def invented(data):
        data["modules"][0]["cost"].pop("source")

    with pytest.raises(QuestionnaireError, match="source"):
        load_roadmap_data(_broken_catalogue(tmp_path / "s", invented), DIMS, REGIONS)


def _scores(value):
    return {d: value for d in DIMS}


BEGINNER = {
    "need_release_hours": "4",
    "need_target_jobs": ["admin"],
    "need_urgent_group": "office",
    "need_task": "거래처 메일 답장 초안",
}
AX = {
    "need_release_hours": "8",
    "need_target_jobs": ["quality", "sales_marketing"],
    "need_problem_clarity": "quantified",
    "need_task": "1) 외관 검사 불량 판정 2) 제품 제안서 작성",
    "need_problem": "불량 유출",
    "need_data_ready": "organised",
    "need_benefit": ["quality"],
    "need_urgency": "within_3_months",
}
SHARED = {
    "need_release_hours": "8",
    "need_equipment": ["vision", "robot"],
    "use_area_quality": "considering",
    "need_task": "부품 외관 비전 검사",
}
PROFILE = {"employees": "40", "region": "gyeongnam", "industry": "C"}


def test_stated_tasks_are_split_as_the_firm_listed_them():
    assert stated_tasks("1) 화물 배차 계획 2) 운송 경로 계획") == [
        "화물 배차 계획",
        "운송 경로 계획",
    ]
    assert stated_tasks("견적서 작성\n재고 파악; 발주") == ["견적서 작성", "재고 파악", "발주"]
    assert stated_tasks("법인 고객의 월별 증빙 자료 분류와 신고서 초안 작성") == [
        "법인 고객의 월별 증빙 자료 분류와 신고서 초안 작성"
    ]
    assert stated_tasks("") == [] and stated_tasks(None) == []


@pytest.mark.parametrize(
    "track,answers", [("beginner", BEGINNER), ("ax", AX), ("shared_center", SHARED)]
)
def test_plans_respect_prerequisites_hours_and_phases(track, answers):
    p = plan(_scores(30 if track == "beginner" else 60), track, answers, PROFILE, DATA, DAY)
    placed = p.modules
    assert placed, "an empty plan"
    modules = DATA.catalogue.by_id
    done_by = {}  # module id -> the month it is first done
    for m in placed:
        done_by[m.module_id] = min(done_by.get(m.module_id, 99), m.end_month)
    for m in placed:
        for prerequisite in modules[m.module_id].prerequisites:
            if prerequisite in done_by:  # else the group already has it
                assert done_by[prerequisite] <= m.start_month, (m.module_id, prerequisite)
    assert all(phase.modules for phase in p.phases), [ph.key for ph in p.phases]
    assert p.busiest_month() <= p.release_hours
    assert all(m.start_month < PLAN_MONTHS[track] for m in placed)
    assert all(track in modules[m.module_id].tracks for m in placed)
    assert p.rediagnose_month == PLAN_MONTHS[track]  # after the plan, not inside it


def test_the_track_decides_the_delivery_mix_and_the_project():
    beginner = plan(_scores(25), "beginner", BEGINNER, PROFILE, DATA, DAY)
    assert all(m.delivery in ("free_online", "blended") for m in beginner.modules)
    assert beginner.job_groups[0] == "executives"
    assert "exec_ai_awareness" in [m.module_id for m in beginner.phases[0].modules]
    assert [b.module_id for b in beginner.briefs] == ["first_use_case_online"]
    ax = plan(_scores(60), "ax", AX, PROFILE, DATA, DAY)
    ids = [m.module_id for m in sorted(ax.modules, key=lambda m: m.start_month)]
    assert "job_analysis_workshop" in ids
    pbl = [i for i in ids if i.startswith("pbl_")]
    assert pbl and ids.index("job_analysis_workshop") < ids.index(pbl[0])
    assert [b.task for b in ax.briefs] == ["외관 검사 불량 판정", "제품 제안서 작성"]
    assert [b.job for b in ax.briefs] == ["quality", "sales_marketing"]
    assert [b.module_id for b in ax.briefs] == [
        "pbl_quality_data_analysis",
        "pbl_sales_marketing_content",
    ]
    assert ax.briefs[0].problem == "불량 유출" and ax.briefs[1].problem == ""
    shared = plan(_scores(60), "shared_center", SHARED, PROFILE, DATA, DAY)
    ids = {m.module_id for m in shared.modules}
    assert {"sc_vision_inspection", "sc_cobot_physical_ai"} <= ids
    assert shared.briefs[0].module_id == "sc_vision_inspection"
    assert 1 <= len(shared.referrals) <= 3


def test_a_mature_firm_without_a_problem_starts_with_the_job_analysis():
    vague = {**AX, "need_problem_clarity": "vague"}
    p = plan(_scores(80), "ax", vague, PROFILE, DATA, DAY)
    assert p.job_analysis_first
    assert p.phases[0].modules[0].module_id == "job_analysis_workshop"
    assert all(b.module_id is None for b in p.briefs)  # no pretended PBL topic
    flagged = plan(_scores(80), "ax", AX, PROFILE, DATA, DAY, job_analysis_first=True)
    assert flagged.job_analysis_first


def test_referrals_rank_fit_to_equipment_first_then_distance():
    found = referrals(SHARED, PROFILE, DATA)
    centers = {c.id: c for c in DATA.centers.centers}
    assert found
    first = centers[found[0].center_id]
    # the Gyeongnam lab has both the vision and the robot lines, in the firm's own region
    assert {"vision_inspection", "robotics"} <= set(first.specialisations)
    assert first.region == "gyeongnam" and found[0].same_region
    full = [r for r in found if {"vision_inspection", "robotics"} <= set(r.matched)]
    assert [r.distance_km for r in full] == sorted(r.distance_km for r in full)
    # a petrochemical center nearby never comes before a matching lab
    assert all(
        len(set(r.matched) & {"vision_inspection", "robotics"}) <= len(set(found[0].matched))
        for r in found
    )
    assert referrals({"need_equipment": ["none"]}, PROFILE, DATA) == []


def test_release_hours_use_what_the_firm_said():
    assert release_hours(37) == 37
    assert release_hours(160) == 40  # a working week a month at most: the report says so
    assert release_hours(0) == release_hours(None) == 4


def test_calendar_months_start_the_month_after_the_diagnosis():
    assert first_month(date(2026, 11, 22)) == date(2026, 12, 1)
    assert first_month(date(2026, 12, 3)) == date(2027, 1, 1)


def test_rediagnosis_follows_the_track_and_the_plan():
    months = {
        t: plan(_scores(50), t, AX, PROFILE, DATA, DAY).rediagnose_month
        for t in ("beginner", "ax", "shared_center")
    }
    assert months["beginner"] < months["shared_center"] < months["ax"]


def test_the_deferred_list_names_each_module_once_and_only_if_unplaced():
    small = {**PROFILE, "employees": "5"}
    p = plan(_scores(40), "ax", {**AX, "need_release_hours": "2"}, small, DATA, DAY)
    placed = {m.module_id for m in p.modules}
    assert p.unplaced, "two hours a month cannot take a whole AX plan in a year"
    assert len(p.unplaced) == len(set(p.unplaced))
    assert not set(p.unplaced) & placed


@settings(max_examples=150, deadline=None)
@given(
    track=st.sampled_from(["beginner", "ax", "shared_center"]),
    base=st.sampled_from([BEGINNER, AX, SHARED]),
    release=st.integers(min_value=0, max_value=48),
    employees=st.integers(min_value=1, max_value=300),
    score=st.integers(min_value=0, max_value=100),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_no_plan_runs_past_its_own_end(track, base, release, employees, score, day):
    """A nine-month plan ends in its ninth month: every module, coaching included, ends by the
    plan's last month, whatever the firm's hours (what does not fit is deferred, named)."""
    answers = {**base, "need_release_hours": str(release)}
    p = plan(_scores(score), track, answers, {**PROFILE, "employees": str(employees)}, DATA, day)
    assert all(m.end_month <= p.months for m in p.modules), [
        (m.module_id, m.start_month, m.end_month, p.months) for m in p.modules
    ]
    last = month_date(date.fromisoformat(p.start), p.months - 1)
    for m in p.modules:
        assert month_date(date.fromisoformat(p.start), m.end_month - 1) <= last


def test_one_task_of_two_themes_with_one_project_is_planned_once():
    """A beginner's task read as two themes (booking replies and their translation) has one
    first project: one brief, its task printed once, not the same project twice."""
    from diagnose.roadmap.planner import project_briefs

    task = "외국인 손님의 예약 문의에 빠르게 답하고 객실 안내문을 여러 언어로 만들고 싶습니다"
    answers = {"need_task": task, "need_target_jobs": ["customer_service"]}
    themes = [("customer_service", 0.85, False), ("genai_writing", 0.68, False)]
    groups = ["executives", "office"]
    trainees = {"executives": 1, "office": 5}
    beginner = project_briefs(answers, "beginner", DATA.catalogue.by_id, trainees, groups, themes)
    assert [(b.task, b.theme) for b in beginner] == [(task, "customer_service")]
