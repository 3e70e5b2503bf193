"""Integers in paths, queries and forms: a number past SQLite's INTEGER, or digits that are not
ASCII, is a 404 or a 400, never a 500 (one converter for paths, one helper for the rest)."""

from __future__ import annotations

import pytest
from centers import browser, build
from conftest import csrf_from

from diagnose.web.ids import MAX_ID, parse_id

HUGE = "9" * 40
JUST_PAST = str(MAX_ID + 1)


@pytest.fixture
def world(app):
    return build(app)


@pytest.mark.parametrize("number", [HUGE, JUST_PAST])
def test_huge_integers_in_paths_and_queries_are_404_or_400(app, world, number):
    staff = browser(app, world["A"].users["staff"])
    urls = [
        f"/firms/{number}",
        f"/firms/{number}/edit",
        f"/assessments/{number}",
        f"/assessments/{number}/profile",
        f"/assessments/{number}/roadmap.pdf",
        f"/center/batches/{number}",
        f"/center/batches/{number}/status",
        f"/firms?page={number}",
        f"/center?page={number}",
        f"/center/audit?before={number}",
        "/center/audit?before=%C2%B2",  # "²": isdigit() is true, int() refuses it
    ]
    for url in urls:
        status = staff.get(url).status_code
        assert status in (200, 400, 404), (url, status)  # a page ignoring a bad page number
    api = app.test_client().get(
        f"/api/v1/assessments/{number}",
        headers={"Authorization": f"Bearer {world['A'].users['staff']['token']}"},
    )
    assert api.status_code == 404 and api.json["error"] == "not_found"
    html = staff.get("/firms").get_data(as_text=True)
    for url, form in (
        ("/firms/assign", {"firm": number, "consultant": "none"}),
        ("/firms/assign", {"firm": "²", "consultant": "none"}),
        ("/firms/assign", {"firm": str(world["A"].firms["diagnosed"]), "consultant": number}),
        (f"/firms/{world['A'].firms['self']}/link", {"firm_id": number}),
        ("/center/batches", {"firm": number, "lang": "ko", "format": "zip"}),
        (f"/admin/users/{number}/password", {}),
    ):
        response = staff.client.post(url, data={**form, "csrf_token": csrf_from(html)})
        assert response.status_code in (302, 400, 404), (url, form, response.status_code)


def test_parse_id_takes_ascii_digits_up_to_sqlites_integer():
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for bad in ("", "-1", "4.2", " 42", "٤٢", "²", JUST_PAST, HUGE, None, 42):
        assert parse_id(bad) is None, bad
