"""Logins: sessions kept on the server, logout that holds, and a brake on password guessing."""

from conftest import PASSWORD, Browser, add_user, csrf_from

from diagnose.services.access import Right, requires


def test_a_copied_session_cookie_is_dead_after_logout(app):
    user = add_user(app)
    browser = Browser(app)
    browser.login(user["email"])
    assert browser.get("/firms").status_code == 200
    cookie = browser.client.get_cookie("session").value

    html = browser.get("/firms").get_data(as_text=True)
    browser.client.post("/logout", data={"csrf_token": csrf_from(html)})
    assert browser.get("/firms").status_code == 302

    # The old cookie, replayed (a copy, or a late response that set it again), opens nothing.
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/firms")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_each_login_is_its_own_session(app):
    user = add_user(app)
    laptop, tablet = Browser(app), Browser(app)
    laptop.login(user["email"])
    tablet.login(user["email"])
    html = laptop.get("/firms").get_data(as_text=True)
    laptop.client.post("/logout", data={"csrf_token": csrf_from(html)})
    assert laptop.get("/firms").status_code == 302
    assert tablet.get("/firms").status_code == 200  # logging out on one device ends only that


def test_a_user_can_be_logged_out_everywhere_from_the_command_line(app):
    user = add_user(app)
    laptop, tablet = Browser(app), Browser(app)
    laptop.login(user["email"])
    tablet.login(user["email"])
    result = app.test_cli_runner().invoke(args=["end-sessions", user["email"].upper()])
    assert result.exit_code == 0 and "2 open sessions ended" in result.output
    assert laptop.get("/firms").status_code == 302 and tablet.get("/firms").status_code == 302
    missing = app.test_cli_runner().invoke(args=["end-sessions", "nobody@example.com"])
    assert missing.exit_code != 0 and "no user" in missing.output


def test_a_session_ends_after_its_lifetime_on_the_server_too(app):
    from datetime import timedelta

    user = add_user(app)
    browser = Browser(app)
    browser.login(user["email"])
    assert browser.get("/firms").status_code == 200
    app.permanent_session_lifetime = timedelta(seconds=0)
    assert browser.get("/firms").status_code == 302


def test_password_guessing_is_slowed_but_a_right_password_never_counts(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per hour")
    user = add_user(app)
    browser = Browser(app)
    for _ in range(5):  # successful logins are not counted
        browser.login(user["email"])
    guesser = Browser(app)
    for _ in range(3):
        response = guesser.post_form("/login", {"email": user["email"], "password": "guess"})
        assert response.status_code == 200
    response = guesser.post_form("/login", {"email": user["email"], "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "로그인에 여러 번 실패했습니다" in page and user["email"] in page


def test_errors_are_pages_in_korean_or_json_for_the_api(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    @requires(Right.PUBLIC)
    def boom():
        raise RuntimeError("a bug")

    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500 and "오류가 발생했습니다" in page.get_data(as_text=True)
    english = client.get("/boom?lang=en").get_data(as_text=True)
    assert "Something went wrong on our side" in english
    assert client.post("/login?lang=en").status_code == 400  # no CSRF token
    wrong_method = client.put("/login?lang=ko")  # the language chosen last is kept
    assert wrong_method.status_code == 405
    assert "이 방식으로는" in wrong_method.get_data(as_text=True)
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json["error"] == "not_found"


def _login_with_next(app, target):
    user = {"email": "doctor@center-a.example"}
    browser = Browser(app)
    html = browser.get("/login").get_data(as_text=True)
    return browser.client.post(
        "/login?next=" + target,
        data={"email": user["email"], "password": PASSWORD, "csrf_token": csrf_from(html)},
    )


def test_login_redirects_only_to_a_path_on_this_site(app):
    add_user(app)
    for target in (
        "/%09/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "/%0a/evil.example",
        "%2F%2Fevil.example",
    ):
        response = _login_with_next(app, target)
        assert response.status_code == 302
        assert response.headers["Location"] == "/firms", target
    assert _login_with_next(app, "/firms%3Fq%3D1").headers["Location"] == "/firms?q=1"


def test_a_login_does_the_same_work_for_an_unknown_email(app, monkeypatch):
    """Timing tells nothing: an unknown email is checked against a real hash of the same kind
    (the probe measured 102 ms for an account and 4 ms for none)."""
    from diagnose import auth
    from diagnose.storage import connect

    add_user(app)
    db = connect(app.config["DATABASE"])
    checked = []
    real_check = auth.check_password_hash

    def spy(stored, password):
        checked.append(stored.split("$")[0])  # the method and its cost parameters
        return real_check(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    assert auth.authenticate(db, "doctor@center-a.example", "wrong password") is None
    assert auth.authenticate(db, "nobody@center-a.example", "wrong password") is None
    assert len(checked) == 2 and checked[0] == checked[1]


def test_failed_logins_are_limited_per_account_from_any_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT="100 per hour", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    user = add_user(app)
    for n in range(3):
        guesser = Browser(app)
        response = guesser.post_form(
            "/login",
            {"email": user["email"], "password": "guess"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        assert response.status_code == 200
    late = Browser(app).post_form(
        "/login",
        {"email": user["email"], "password": "guess"},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert late.status_code == 429
    other = add_user(app, "other@center-a.example")
    assert Browser(app).login(other["email"]).status_code == 302  # other accounts unaffected


def _api_token(app, days=90):
    from diagnose.auth import create_api_token
    from diagnose.storage import connect

    user = add_user(app, "api@center-a.example")
    db = connect(app.config["DATABASE"])
    try:
        return user, create_api_token(db, user["id"], days=days)
    finally:
        db.conn.close()


def _token_rows(app):
    from diagnose.storage import connect

    db = connect(app.config["DATABASE"])
    try:
        return list(db.query("SELECT * FROM api_tokens"))
    finally:
        db.conn.close()


def _use(app, token):
    return (
        app.test_client()
        .get("/api/v1/assessments/1", headers={"Authorization": f"Bearer {token}"})
        .status_code
    )


def test_api_tokens_note_their_use_expire_and_are_revoked(app):
    user, token = _api_token(app)
    assert _token_rows(app)[0]["last_used_at"] is None
    assert _use(app, token) == 404  # accepted: no such assessment
    assert _token_rows(app)[0]["last_used_at"] is not None
    result = app.test_cli_runner().invoke(args=["revoke-tokens", user["email"]])
    assert result.exit_code == 0 and "1 API tokens revoked" in result.output
    assert _use(app, token) == 401


def test_an_expired_token_is_refused(app):
    _user, token = _api_token(app, days=-1)
    assert _use(app, token) == 401


def test_ending_a_users_sessions_revokes_their_tokens_too(app):
    user, token = _api_token(app)
    result = app.test_cli_runner().invoke(args=["end-sessions", user["email"]])
    assert result.exit_code == 0 and "1 API tokens revoked" in result.output
    assert _use(app, token) == 401


def test_signed_in_pages_are_not_cached_and_production_asks_for_https(make_app):
    app = make_app(HSTS=True)
    user = add_user(app)
    browser = Browser(app)
    browser.login(user["email"])
    page = browser.get("/firms")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_database_instance_folder_and_cached_reports_are_private(app, instance):
    import stat

    from test_api import _payload

    client = app.test_client()
    created = client.post("/api/v1/assessments", json=_payload(app)).json
    pdf = client.get(
        f"/api/v1/assessments/{created['id']}/roadmap.pdf",
        headers={"X-Result-Token": created["result_token"]},
    )
    assert pdf.status_code == 200
    modes = {
        path.relative_to(instance).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in [instance, *instance.rglob("*")]
    }
    assert any(name.startswith("reports/") for name in modes)  # the cached PDF
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (instance / name).is_dir() else 0o600)
    }
    assert wrong == {}


def test_proxy_hops_decide_which_address_is_the_clients(make_app):
    from flask import request

    def seen(app):
        @app.route("/whoami")
        @requires(Right.PUBLIC)
        def whoami():
            return request.remote_addr

        return (
            app.test_client()
            .get(
                "/whoami",
                headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
            .get_data(as_text=True)
        )

    assert seen(make_app()) == "127.0.0.1"  # no proxy trusted: a header claims nothing
    assert seen(make_app(PROXY_HOPS=1)) == "203.0.113.7"  # the one proxy's view, not the spoof
