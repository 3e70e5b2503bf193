"""Two regional centers with people of every role, firms, drafts, requests and a batch: the
world the center tests (roles, dashboard, exports, batches) work in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conftest import PASSWORD, Browser
from firms import FIRMS, store_firm

from diagnose.auth import create_api_token, create_center, create_user
from diagnose.business_number import check_digit
from diagnose.diagnosis.store import diagnose
from diagnose.records.assessments import record_submitted_assessment, start_assessment
from diagnose.records.firms import create_firm
from diagnose.storage import connect, transaction


def business_number(n: int) -> str:
    first = f"{600 + n % 300:03d}81{10000 + n:05d}"[:9]
    return first + str(check_digit(first))


@dataclass
class Center:
    id: int
    name: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    firms: dict[str, int] = field(default_factory=dict)
    assessments: dict[str, int] = field(default_factory=dict)
    request_id: int | None = None


def add_person(db, center: Center, key: str, role: str, name: str) -> dict[str, Any]:
    email = f"{key}@{center.name.lower().replace(' ', '-')}.example"
    user_id = create_user(db, center.id, email, name, PASSWORD, role)
    person = {"id": user_id, "email": email, "center_id": center.id, "role": role}
    center.users[key] = person
    return person


def self_assessment(app, db, center_id: int, name: str, n: int) -> tuple[int, int]:
    """A self-assessed firm with its submitted assessment: (firm id, assessment id)."""
    questionnaire = app.extensions["questionnaires"].current
    firm = FIRMS["food_plant"]
    profile = {
        **firm["profile"],
        "company_name": name,
        "business_number": business_number(n),
    }
    from firms import answers_at

    answers = answers_at(questionnaire, firm["level"], firm["said"])
    with transaction(db):
        firm_id = create_firm(db, center_id, None, profile, origin="self")
        assessment_id = record_submitted_assessment(
            db, firm_id, center_id, None, questionnaire, profile, answers, source="self"
        )
        diagnose(db, app.extensions["track_model"], questionnaire, assessment_id, profile, answers)
    return firm_id, assessment_id


def build(app) -> dict[str, Center]:
    """Center A (센터 A) and B (센터 B): each a consultant with a diagnosed firm and a draft,
    a colleague, a staff member; an administrator at home in A; a request in each."""
    from diagnose.services.requests import request_consultant

    db = connect(app.config["DATABASE"])
    questionnaire = app.extensions["questionnaires"].current
    centers = {}
    try:
        for n, (key, region, firm_key) in enumerate(
            (("A", "seoul", "machining"), ("B", "busan", "logistics"))
        ):
            name = f"센터 {key}"
            center = Center(create_center(db, name, region), name)
            centers[key] = center
            doctor = add_person(db, center, "doctor", "consultant", f"주치의 {key}")
            add_person(db, center, "colleague", "consultant", f"동료 {key}")
            add_person(db, center, "staff", "center_staff", f"직원 {key}")
            firm_name = f"{key}기업정밀"
            profile_firm = {
                **FIRMS[firm_key],
                "profile": {**FIRMS[firm_key]["profile"], "company_name": firm_name},
            }
            assessment_id = store_firm(
                app, db, profile_firm, center.id, doctor["id"], business_number(10 + n)
            )
            firm_id = db.execute(
                "SELECT firm_id FROM assessments WHERE id = ?", [assessment_id]
            ).fetchone()[0]
            center.firms["diagnosed"] = firm_id
            center.assessments["diagnosed"] = assessment_id
            # a second firm with a draft interview of the consultant's
            with transaction(db):
                draft_firm = create_firm(
                    db,
                    center.id,
                    doctor["id"],
                    {
                        **profile_firm["profile"],
                        "company_name": f"{key}초안산업",
                        "business_number": business_number(20 + n),
                    },
                )
            firm = dict(db.query("SELECT * FROM firms WHERE id = ?", [draft_firm]).__next__())
            draft_id, _created = start_assessment(db, firm, doctor["id"], questionnaire)
            center.firms["draft"] = draft_firm
            center.assessments["draft"] = draft_id
            self_firm, self_assessment_id = self_assessment(
                app, db, center.id, f"{key}자가진단상사", 30 + n
            )
            center.firms["self"] = self_firm
            center.assessments["self"] = self_assessment_id
            center.request_id = request_consultant(
                db,
                self_assessment_id,
                {"contact_name": f"{key}대표", "contact_phone": "010-0000-0000"},
                consent=True,
            )["id"]
        admin = add_person(db, centers["A"], "admin", "administrator", "관리자")
        admin["token"] = create_api_token(db, admin["id"])
        for center in centers.values():
            for person in center.users.values():
                person.setdefault("token", create_api_token(db, person["id"]))
    finally:
        db.conn.close()
    return centers


def browser(app, person: dict[str, Any]) -> Browser:
    b = Browser(app)
    b.login(person["email"])
    b.user = person
    return b
