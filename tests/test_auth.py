"""Logins: sessions kept on the server, logout that holds, and a brake on password guessing."""

from conftest import PASSWORD, Browser, add_user, csrf_from


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
