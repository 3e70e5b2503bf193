"""A self-assessed firm asks its regional center for a consultant; only that center sees it."""

import pytest
from conftest import add_user
from test_api import _payload

from diagnose.services.requests import (
    RequestError,
    assign_request,
    center_requests,
    close_request,
    request_consultant,
)
from diagnose.storage import connect

CONTACT = {
    "contact_name": "김대표",
    "contact_phone": "０５５-１２３-４５６７",
    "message": "전화 주세요",
}


@pytest.fixture
def world(app, client):
    seoul = add_user(app, "a@seoul.example", center="서울 센터")  # created with region seoul
    busan = add_user(app, "b@busan.example", center="부산 센터")
    db = connect(app.config["DATABASE"])
    db.execute("UPDATE centers SET region = 'busan' WHERE id = ?", [busan["center_id"]])
    body = client.post("/api/v1/assessments", json=_payload(app, region="seoul")).json
    yield db, body["id"], seoul, busan
    db.conn.close()


def test_a_request_lands_in_the_firms_regional_center_only(world):
    db, assessment_id, seoul, busan = world
    request = request_consultant(db, assessment_id, CONTACT, consent=True)
    assert request["center_id"] == seoul["center_id"] and request["status"] == "new"
    assert request["contact_phone"] == "055-123-4567"  # full-width digits normalised
    assert [r["id"] for r in center_requests(db, seoul["center_id"])] == [request["id"]]
    assert center_requests(db, busan["center_id"]) == []
    # asking again while it is open updates the same request
    again = request_consultant(db, assessment_id, {**CONTACT, "message": "오후에"}, consent=True)
    assert again["id"] == request["id"] and again["message"] == "오후에"


def test_consent_and_a_way_to_reach_the_firm_are_required(world):
    db, assessment_id, *_ = world
    with pytest.raises(RequestError) as refused:
        request_consultant(db, assessment_id, CONTACT, consent=False)
    assert "consent" in refused.value.errors
    with pytest.raises(RequestError) as refused:
        request_consultant(db, assessment_id, {"contact_name": "김대표"}, consent=True)
    assert "contact_phone" in refused.value.errors
    with pytest.raises(RequestError):
        request_consultant(db, assessment_id, {**CONTACT, "contact_name": "\u200b"}, consent=True)
    assert db.execute("SELECT COUNT(*) FROM consultant_requests").fetchone()[0] == 0


def test_only_the_centers_own_consultants_are_assigned(world, app):
    db, assessment_id, seoul, busan = world
    request = request_consultant(db, assessment_id, CONTACT, consent=True)
    with pytest.raises(RequestError):  # another center's consultant
        assign_request(db, seoul["center_id"], request["id"], busan["id"], seoul["id"])
    with pytest.raises(RequestError):  # another center assigning
        assign_request(db, busan["center_id"], request["id"], busan["id"], busan["id"])
    colleague = add_user(app, "c@seoul.example", center="서울 센터", name="이주치")
    assigned = assign_request(db, seoul["center_id"], request["id"], colleague["id"], seoul["id"])
    assert (assigned["status"], assigned["assigned_to"]) == ("assigned", colleague["id"])
    closed = close_request(db, seoul["center_id"], request["id"], seoul["id"])
    assert closed["status"] == "closed"
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-3:] == ["request", "assign", "close"]


def test_only_a_submitted_self_assessment_can_ask(world, app):
    db, assessment_id, *_ = world
    db.execute("UPDATE assessments SET source = 'consultant' WHERE id = ?", [assessment_id])
    with pytest.raises(RequestError):
        request_consultant(db, assessment_id, CONTACT, consent=True)
