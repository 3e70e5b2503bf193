"""Strict input on the JSON API and self-assessments: wrong shapes get a 4xx, never a 5xx,
nothing wrong is stored as if right, and an anonymous caller never touches a center's firm."""

import threading
from urllib.parse import urlsplit

import pytest
from conftest import Browser, add_user, firm_form, register_firm
from test_api import _count, _payload, _token

from diagnose.storage import connect


def _post(client, payload, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/api/v1/assessments", json=payload, headers=headers)


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _rows(app, sql, params=()):
    db = connect(app.config["DATABASE"])
    try:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]
    finally:
        db.conn.close()


def _center_firm(app):
    """A firm registered by a consultant of the center serving the payload's region."""
    user = add_user(app, "staff@center-a.example", center="센터 A", role="center_staff")
    browser = Browser(app)
    browser.login(user["email"])
    return register_firm(browser, company_name="진짜정밀", contact_name="박실장"), browser


def test_a_self_assessment_never_attaches_to_or_reveals_a_centers_firm(client, app):
    firm_id, staff = _center_firm(app)
    payload = _payload(app, company_name="사칭상사", contact_name="익명")
    response = _post(client, payload)
    assert response.status_code == 201, response.json
    body = response.json
    # the result shows what the caller typed, nothing of the center's stored firm
    page = client.get(_path(body["result_url"])).get_data(as_text=True)
    assert "사칭상사" in page and "진짜정밀" not in page and "박실장" not in page
    # the center's firm is unchanged and has no diagnosis from outside
    assert _rows(app, "SELECT name, contact_name FROM firms WHERE id = ?", [firm_id]) == [
        ("진짜정밀", "박실장")
    ]
    assert _rows(app, "SELECT COUNT(*) FROM assessments WHERE firm_id = ?", [firm_id]) == [(0,)]
    firm_page = staff.get(f"/firms/{firm_id}").get_data(as_text=True)
    assert "/roadmap.pdf" not in firm_page  # no diagnosis appears in its history


def test_a_self_assessment_is_linked_to_a_firm_only_by_its_centers_staff(client, app):
    firm_id, staff = _center_firm(app)
    body = _post(client, _payload(app, company_name="사칭상사")).json
    self_firm = _rows(app, "SELECT firm_id FROM assessments WHERE id = ?", [body["id"]])[0][0]
    assert self_firm != firm_id
    page = staff.get(f"/firms/{self_firm}").get_data(as_text=True)
    assert "자가진단" in page
    linked = staff.post_form(
        f"/firms/{self_firm}/link", {"firm_id": str(firm_id)}, page=f"/firms/{self_firm}"
    )
    assert linked.status_code == 302
    assert _rows(app, "SELECT firm_id FROM assessments WHERE id = ?", [body["id"]]) == [(firm_id,)]
    assert _rows(app, "SELECT name FROM firms WHERE id = ?", [firm_id]) == [("진짜정밀",)]
    # the anonymous link still shows only what its holder typed
    page = client.get(_path(body["result_url"])).get_data(as_text=True)
    assert "사칭상사" in page and "진짜정밀" not in page


@pytest.mark.parametrize("bad", [["a"], {"a": 1}, 12, True, "\ud800", "\u200b\u200b", "\x01\x02"])
@pytest.mark.parametrize("field", ["company_name", "contact_name"])
def test_names_of_the_wrong_type_or_invisible_are_refused(client, app, field, bad):
    before = _count(app, "assessments")
    response = _post(client, _payload(app, **{field: bad}), **{"Accept-Language": "en"})
    assert response.status_code == 400, response.json
    assert any(e["field"] == f"profile.{field}" for e in response.json["errors"])
    assert _count(app, "assessments") == before


def test_deeply_nested_json_is_a_400(client):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        "/api/v1/assessments", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


def test_a_list_for_a_single_choice_and_a_repeated_option_are_refused(client, app):
    q = app.extensions["questionnaires"].current
    single = next(i for i in q.items() if i.type == "single" and i.show_if is None)
    multi = next(i for i in q.items() if i.type == "multi" and i.show_if is None)
    payload = _payload(app)
    payload["answers"][single.id] = [single.options[-1].value, single.options[0].value]
    option = next(o.value for o in multi.options if not o.exclusive)
    payload["answers"][multi.id] = [option, option, option]
    response = _post(client, payload, **{"Accept-Language": "en"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json["errors"]}
    assert {f"answers.{single.id}", f"answers.{multi.id}"} <= fields


def test_full_width_digits_are_the_same_business_number(client, app):
    token = _token(app)
    first = _post(client, _payload(app), token=token)
    assert first.status_code == 201
    wide = "２２０８１６２５１７"  # the same number typed in full-width digits
    second = _post(client, _payload(app, business_number=wide, employees="３５"), token=token)
    assert second.status_code == 201, second.json
    assert _count(app, "firms") == 1
    assert _rows(app, "SELECT DISTINCT business_number, employees FROM firms") == [
        ("2208162517", 35)
    ]


def test_an_answer_to_a_hidden_item_is_ignored(client, app):
    payload = _payload(app)
    payload["answers"]["train_past"] = "none"  # hides train_facility
    payload["answers"]["train_facility"] = "not-an-option"
    response = _post(client, payload)
    assert response.status_code == 201, response.json
    stored = _rows(
        app,
        "SELECT value FROM answers WHERE item_id = 'train_facility' AND assessment_id = ?",
        [response.json["id"]],
    )
    assert stored == []


def test_a_long_note_or_text_is_refused_with_its_limit(client, app):
    q = app.extensions["questionnaires"].current
    text = next(i for i in q.items() if i.type == "text" and i.show_if is None)
    payload = _payload(app)
    payload["answers"][text.id] = "가" * 4001
    response = _post(client, payload, **{"Accept-Language": "en"})
    assert response.status_code == 400
    message = next(e["message"] for e in response.json["errors"] if text.id in e["field"])
    assert "4000" in message


def test_idempotency_key_gives_one_diagnosis_for_repeated_and_parallel_calls(app):
    token = _token(app)
    payload = _payload(app)
    key = {"Idempotency-Key": "order-7f3a"}
    results = []

    def call():
        client = app.test_client()
        results.append(_post(client, payload, token=token, **key))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201] * 5
    assert len({r.json["id"] for r in results}) == 1
    assert _count(app, "assessments") == 1 and _count(app, "predictions") == 1
    changed = _post(app.test_client(), _payload(app, employees="36"), token=token, **key)
    assert changed.status_code == 422 and changed.json["error"] == "idempotency_key_reused"


def test_no_model_is_a_503_not_a_500(app, client):
    app.extensions["track_model"] = None
    response = _post(client, _payload(app))
    assert response.status_code == 503 and response.json["error"] == "model_unavailable"


def test_a_firm_form_with_errors_answers_422(consultant):
    response = consultant.post_form("/firms/new", firm_form(consultant.app, employees="열두"))
    assert response.status_code == 422


def test_links_are_built_on_the_base_url_never_on_the_callers_host(make_app):
    app = make_app(BASE_URL="https://diagnose.example.kr")
    response = app.test_client().post(
        "/api/v1/assessments", json=_payload(app), headers={"Host": "evil.example"}
    )
    assert response.status_code == 201
    assert response.json["result_url"].startswith("https://diagnose.example.kr/r/")
    assert response.json["roadmap_pdf_url"].startswith("https://diagnose.example.kr/r/")


def test_a_result_link_expires(make_app):
    app = make_app(RESULT_LINK_DAYS=-1)
    client = app.test_client()
    body = _post(client, _payload(app)).json
    assert body["result_expires_at"] < body["diagnosed_at"]
    assert client.get(_path(body["result_url"])).status_code == 404
    assert client.get(_path(body["roadmap_pdf_url"])).status_code == 404


def test_result_tokens_are_kept_out_of_access_logs():
    import logging

    from gunicorn.config import Config

    from diagnose.logs import GunicornLogger, RedactTokens

    line = '"GET /r/AbC-123_xyz/roadmap.pdf?lang=ko HTTP/1.1" 200 -'
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, "%s", (line,), None)
    RedactTokens().filter(record)
    assert "AbC-123_xyz" not in record.getMessage() and "/r/[redacted]/roadmap.pdf" in (
        record.getMessage()
    )

    class Request:
        method, path, query, version = "GET", "/api/v1/assessments/3", "token=s3cret&x=1", (1, 1)
        headers = ()
        uri = "/api/v1/assessments/3?token=s3cret&x=1"

    class Response:
        status, headers, sent, response_length = "200 OK", (), 10, 10

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": Request.uri,
        "PATH_INFO": Request.path,
        "QUERY_STRING": Request.query,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    import datetime

    atoms = GunicornLogger(Config()).atoms(
        Response(), Request(), environ, datetime.timedelta(seconds=0.01)
    )
    assert all("s3cret" not in str(value) for value in atoms.values()), atoms


def test_unknown_fields_even_unstorable_ones_are_named_not_a_500(client, app):
    payload = _payload(app)
    payload["profile"]["\ud800"] = "\x00"
    payload["answers"]["no_such_item"] = {"a": [1]}
    payload["extra"] = 1
    response = _post(client, payload, **{"Accept-Language": "en"})
    assert response.status_code == 400
    fields = {e["field"]: e["message"] for e in response.json["errors"]}
    assert fields["answers.no_such_item"] == "Unknown question."
    assert fields["extra"] == "Unknown field." and "profile.?" in fields
