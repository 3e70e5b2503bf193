"""Rights declared on every route: each view says who may open it (``@requires``), the app's
one check enforces it, and a route that declares nothing opens to nobody."""

from __future__ import annotations

from diagnose.services.access import Right, declared_right, requires


def undeclared(app) -> list[str]:
    """The routes whose view declares no right."""
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if declared_right(app.view_functions[rule.endpoint]) is None
        }
    )


def test_every_route_declares_its_right(app):
    assert undeclared(app) == []
    rights = {declared_right(app.view_functions[r.endpoint]) for r in app.url_map.iter_rules()}
    assert rights <= set(Right)


def test_a_route_without_a_right_is_found_and_opens_to_nobody(make_app):
    app = make_app()

    @app.route("/forgotten")
    def forgotten():
        return "secret"

    @app.route("/declared")
    @requires(Right.PUBLIC)
    def declared():
        return "open"

    assert undeclared(app) == ["/forgotten"]  # the test above would fail for it
    client = app.test_client()
    assert client.get("/forgotten").status_code == 403  # fail closed, not open
    assert client.get("/declared").get_data(as_text=True) == "open"


def test_public_routes_are_only_those_meant_for_people_without_a_login(app):
    public = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if declared_right(app.view_functions[rule.endpoint]) is Right.PUBLIC
    }
    # the firm owner's pages (by secret link), the login, the home page, static files; a
    # lost link sent again and this device's memory of one (they answer alike for anyone)
    assert all(
        r in ("/", "/link", "/forget-link")
        or r.startswith(("/r/", "/self", "/login", "/static", "/api/v1/"))
        for r in public
    ), public


# --- the caseload through the API: the same check as the pages ------------------------------


def _api_payload(app, business_number: str) -> dict:
    from answering import all_answers
    from conftest import firm_form

    questionnaire = app.extensions["questionnaires"].current
    profile = firm_form(app, business_number=business_number)
    answers = {k: v for page in all_answers(questionnaire).values() for k, v in page.items()}
    return {"profile": profile, "answers": answers}


def test_a_consultant_cannot_file_into_or_then_read_a_colleagues_firm_through_the_api(app):
    from centers import browser, build, business_number

    from diagnose.storage import connect

    a = build(app)["A"]
    colleague = a.users["colleague"]
    firm_id, diagnosed = a.firms["diagnosed"], a.assessments["diagnosed"]  # the doctor's
    db = connect(app.config["DATABASE"])
    before = db.execute("SELECT COUNT(*) FROM assessments WHERE firm_id = ?", [firm_id]).fetchone()
    client = app.test_client()
    response = client.post(
        "/api/v1/assessments",
        json=_api_payload(app, business_number(10)),
        headers={"Authorization": f"Bearer {colleague['token']}"},
    )
    assert response.status_code == 403, response.json
    assert response.json["error"] == "not_in_caseload"
    assert "A기업정밀" not in response.get_data(as_text=True)  # not even the firm's name
    after = db.execute("SELECT COUNT(*) FROM assessments WHERE firm_id = ?", [firm_id]).fetchone()
    assert after == before  # nothing filed
    # and so the colleague still cannot read the doctor's firm or diagnosis, page or API
    intruder = browser(app, colleague)
    assert intruder.get(f"/firms/{firm_id}").status_code == 404
    assert intruder.get(f"/assessments/{diagnosed}").status_code == 404
    api = client.get(
        f"/api/v1/assessments/{diagnosed}",
        headers={"Authorization": f"Bearer {colleague['token']}"},
    )
    assert api.status_code == 404
    # a firm the colleague registered but staff assigned to the doctor: seen, not worked on
    db.execute(
        "UPDATE firms SET created_by = ?, assigned_to = ? WHERE id = ?",
        [colleague["id"], a.users["doctor"]["id"], firm_id],
    )
    db.conn.commit()
    response = client.post(
        "/api/v1/assessments",
        json=_api_payload(app, business_number(10)),
        headers={"Authorization": f"Bearer {colleague['token']}"},
    )
    assert response.status_code == 403
    # the doctor it is assigned to files it as before
    response = client.post(
        "/api/v1/assessments",
        json=_api_payload(app, business_number(10)),
        headers={"Authorization": f"Bearer {a.users['doctor']['token']}"},
    )
    assert response.status_code == 201
    filed = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [response.json["id"]])
    assert filed.fetchone()[0] == firm_id
    db.conn.close()


# --- the command line: --as a login goes through the same checks as its pages ---------------


def test_the_command_line_acting_as_a_login_gets_its_role_and_caseload(app, tmp_path):
    from centers import build

    world = build(app)
    a = world["A"]
    runner = app.test_cli_runner()
    out = tmp_path / "firms.csv"

    def run(*args):
        return runner.invoke(args=[str(x) for x in args])

    refused = run("export", "--format", "csv", "-o", out, "--as", a.users["doctor"]["email"])
    assert refused.exit_code != 0 and "may not export: center staff only" in refused.output
    done = run("export", "--format", "csv", "-o", out, "--as", a.users["staff"]["email"])
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8-sig")
    assert "A기업정밀" in text and "B기업정밀" not in text  # the staff member's center only
    colleague = a.users["colleague"]["email"]
    render = run("roadmap", "render", a.assessments["diagnosed"], "--as", colleague)
    assert render.exit_code != 0 and "no assessment" in render.output  # the doctor's firm
    batch = run("roadmap", "batch", "-o", tmp_path / "b.zip", "--workers", 0, "--as", colleague)
    assert batch.exit_code != 0 and "no diagnosed firm matches" in batch.output
    unknown = run("export", "--format", "csv", "-o", out, "--as", "nobody@x.example")
    assert unknown.exit_code != 0 and "no enabled login" in unknown.output
