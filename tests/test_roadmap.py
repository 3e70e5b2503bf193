"""The training catalogue, the center registry and the planner (plain data, no Flask)."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from diagnose.questionnaire.schema import QuestionnaireError, load_questionnaire
from diagnose.roadmap.catalogue import load_roadmap_data
from diagnose.roadmap.planner import PHASES, monthly_capacity, plan, referrals

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


def test_every_region_is_served_by_a_sample_center():
    assert DATA.centers.sample  # shipped entries are marked as samples
    served = {r for c in DATA.centers.centers for r in c.serves_regions}
    assert served == REGIONS
    assert all(c.name.ko.startswith("(예시)") for c in DATA.centers.centers)


def _broken_catalogue(tmp_path, change):
    folder = tmp_path / "rt"
    folder.mkdir(parents=True)
    data = yaml.safe_load((ROOT / "roadmap_templates/catalogue.yaml").read_text("utf-8"))
    change(data)
    (folder / "catalogue.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    (folder / "centers.yaml").write_text(
        (ROOT / "roadmap_templates/centers.yaml").read_text("utf-8"), "utf-8"
    )
    return folder


def test_broken_references_and_cycles_are_refused(tmp_path):
    def unknown(data):
        data["modules"][0]["prerequisites"] = ["no_such_module"]
        data["modules"][1]["funding"] = "lottery"

    with pytest.raises(QuestionnaireError) as caught:
        load_roadmap_data(_broken_catalogue(tmp_path, unknown), DIMS, REGIONS)
    text = str(caught.value)
    assert "unknown prerequisite 'no_such_module'" in text and "lottery" in text

    def cycle(data):
        a, b = data["modules"][0], data["modules"][1]
        a["prerequisites"], b["prerequisites"] = [b["id"]], [a["id"]]

    with pytest.raises(QuestionnaireError, match="cycle"):
        load_roadmap_data(_broken_catalogue(tmp_path / "c", cycle), DIMS, REGIONS)


def _scores(value):
    return {d: value for d in DIMS}


BEGINNER = {"need_release_hours": "4", "need_target_jobs": ["admin"], "need_urgent_group": "office"}
AX = {
    "need_release_hours": "8",
    "need_target_jobs": ["quality", "sales_marketing"],
    "need_task": "외관 검사",
    "need_problem": "불량 유출",
    "need_data_ready": "organised",
    "need_benefit": ["quality"],
    "need_urgency": "within_3_months",
}
SHARED = {
    "need_release_hours": "8",
    "need_equipment": ["vision", "robot"],
    "use_area_quality": "considering",
}
PROFILE = {"employees": "40", "region": "gyeongnam", "industry": "C"}


def _all_modules(p):
    return [(ph.key, m) for ph in p.phases for m in ph.modules]


@pytest.mark.parametrize(
    "track,answers", [("beginner", BEGINNER), ("ax", AX), ("shared_center", SHARED)]
)
def test_plans_respect_prerequisites_and_hours(track, answers):
    p = plan(_scores(30 if track == "beginner" else 60), track, answers, PROFILE, DATA, DAY)
    placed = _all_modules(p)
    assert placed, "an empty plan"
    modules = DATA.catalogue.by_id
    phase_index = {key: i for i, (key, _s, _e) in enumerate(PHASES)}
    first_phase = {}
    for key, m in placed:
        first_phase.setdefault(m.module_id, phase_index[key])
    for key, m in placed:
        for prerequisite in modules[m.module_id].prerequisites:
            assert prerequisite in first_phase, (m.module_id, prerequisite)
            assert first_phase[prerequisite] <= phase_index[key]
    for phase in p.phases:
        assert phase.hours <= phase.capacity * 1.5  # one big module may open an empty phase
    assert all(track in modules[m.module_id].tracks for _k, m in placed)
    assert p.rediagnose_on > DAY.isoformat()


def test_the_track_decides_the_delivery_mix():
    beginner = plan(_scores(25), "beginner", BEGINNER, PROFILE, DATA, DAY)
    first = [m for m in beginner.phases[0].modules]
    assert first and all(m.delivery == "free_online" for m in first)
    assert beginner.job_groups[0] == "executives"
    ax = plan(_scores(60), "ax", AX, PROFILE, DATA, DAY)
    ids = [m.module_id for _k, m in _all_modules(ax)]
    assert "job_analysis_workshop" in ids
    pbl = [i for i in ids if i.startswith("pbl_")]
    assert pbl and ids.index("job_analysis_workshop") < ids.index(pbl[0])
    assert [b.job for b in ax.briefs] == ["quality", "sales_marketing"]
    assert ax.briefs[0].problem == "불량 유출"
    shared = plan(_scores(60), "shared_center", SHARED, PROFILE, DATA, DAY)
    assert any(m.delivery == "shared_center" for _k, m in _all_modules(shared))
    assert 1 <= len(shared.referrals) <= 3


def test_referrals_match_needs_and_region():
    found = referrals(SHARED, PROFILE, DATA)
    centers = {c.id: c for c in DATA.centers.centers}
    assert found
    for referral in found:
        center = centers[referral.center_id]
        assert set(referral.matched) & {"vision_inspection", "robotics"}
        assert "gyeongnam" in center.serves_regions
    assert referrals({"need_equipment": ["none"]}, PROFILE, DATA) == []


def test_monthly_capacity_grows_with_size_and_release():
    assert monthly_capacity(5, None) == 4.0
    assert monthly_capacity(40, 8) == 32.0
    assert monthly_capacity(1000, 100) == 12 * 16.0  # capped


def test_rediagnosis_dates_follow_the_track():
    dates = {
        t: plan(_scores(50), t, AX, PROFILE, DATA, DAY).rediagnose_on
        for t in ("beginner", "ax", "shared_center")
    }
    assert dates["beginner"] < dates["shared_center"] < dates["ax"]


def test_the_deferred_list_names_each_module_once_and_only_if_unplaced():
    small = {**PROFILE, "employees": "5"}  # four person-hours a month: much must wait
    p = plan(_scores(40), "ax", AX, small, DATA, DAY)
    placed = {m.module_id for _k, m in _all_modules(p)}
    assert p.unplaced, "a five-person firm cannot take a whole AX plan in a year"
    assert len(p.unplaced) == len(set(p.unplaced))
    assert not set(p.unplaced) & placed
