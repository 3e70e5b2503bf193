"""Creating a login: two creations of the same email at the same moment give one login and a
clear refusal, never a 500 (the check and the insert share one write transaction)."""

from __future__ import annotations

import threading
import time

from centers import browser, build
from conftest import csrf_from

from diagnose.storage import connect


def test_two_creations_of_one_login_at_once_give_one_login_and_a_clear_refusal(app):
    a = build(app)["A"]
    staff = browser(app, a.users["staff"])
    token = csrf_from(staff.get("/admin/users").get_data(as_text=True))
    email = "twice@center-a.example"
    # Another request creating the same login holds the write lock, not yet committed.
    other = connect(app.config["DATABASE"])
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO users (center_id, email, name, password_hash, role, created_at) "
        "VALUES (?, ?, '먼저', 'x', 'consultant', 'x')",
        [a.id, email],
    )
    answers = {}

    def create():
        answers["response"] = staff.client.post(
            "/admin/users",
            data={
                "email": email,
                "name": "나중",
                "role": "consultant",
                "center": str(a.id),
                "csrf_token": token,
            },
        )

    thread = threading.Thread(target=create)
    thread.start()
    time.sleep(0.8)  # this request has checked the email (or waits for the lock to check it)
    other.execute("COMMIT")
    thread.join(30)
    response = answers["response"]
    assert response.status_code == 422
    assert "이 이메일의 계정이 이미 있습니다." in response.get_data(as_text=True)
    rows = other.execute("SELECT name FROM users WHERE email = ?", [email]).fetchall()
    assert [r[0] for r in rows] == ["먼저"]
    other.conn.close()


def test_the_cli_refuses_a_second_login_with_the_same_email(app):
    runner = app.test_cli_runner()
    args = ["create-user", "same@center-a.example", "--name", "주치의", "--center", "센터 A"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "a login with this email exists already: same@center-a.example" in again.output
