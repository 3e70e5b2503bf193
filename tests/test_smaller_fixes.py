"""Issue 18's smaller things, as the staff and the consultant read them: the audit log in words
with filters, the registry by name, the assign lists, the first interview's button, the
export's headers and dates, the PDF saved rather than only shown."""

from __future__ import annotations

import csv
import io
import re

import pytest
from centers import browser, build

from diagnose.storage import connect


@pytest.fixture
def world(app):
    return build(app)


def test_the_audit_log_speaks_words_and_filters(app, world):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    doctor = browser(app, a.users["doctor"])
    doctor.get(f"/firms/{a.firms['diagnosed']}")  # viewed
    staff.get("/center/export.csv")  # the firm list exported: no firm id
    staff.post_form(
        "/admin/users", {"email": "n@a.example", "name": "신입", "role": "consultant",
                         "center": str(a.id)},
    )  # fmt: skip
    page = staff.get("/center/audit").get_data(as_text=True)
    assert "#None" not in page and "기업 목록 내보내기" not in page
    assert "내보냄" in page and "열람" in page
    cells = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>.*?</td>\s*<td>([^<]*)</td>", page, re.S)
    assert cells and not [c for c in cells if re.fullmatch(r"[a-z_]+", c.strip())], cells
    # filters: one action, one person, days
    only = staff.get("/center/audit?action=export").get_data(as_text=True)
    assert "내보냄" in only and "열람" not in only.split("<tbody>")[1]
    mine = staff.get(f"/center/audit?user={a.users['doctor']['id']}").get_data(as_text=True)
    body = mine.split("<tbody>")[1]
    assert "주치의 A" in body and "직원 A" not in body
    none = staff.get("/center/audit?since=2099-01-01").get_data(as_text=True)
    assert "조건에 맞는 기록이 없습니다" in none
    kept = staff.get("/center/audit?since=2026-13-99").get_data(as_text=True)
    assert 'value="2026-13-99"' in kept and "<tbody>" in kept  # a bad day filters nothing


def test_the_registry_shows_names_not_ids(app, world):
    admin = browser(app, world["A"].users["admin"])
    page = admin.get("/admin/registry").get_data(as_text=True)
    cells = re.findall(r"</th><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert cells
    for kind, region in cells:
        assert not re.fullmatch(r"[a-z_]+", kind) and not re.fullmatch(r"[a-z_]+", region)
    assert ">physical_ai_lab<" not in page and ">gyeongnam<" not in page


def test_the_assign_lists_offer_consultants_only(app, world):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    dashboard = staff.get("/center").get_data(as_text=True)
    offered = re.findall(r'<option value="\d+">([^<]+)</option>', dashboard)
    assert "주치의 A" in offered and "직원 A" not in offered
    firms = staff.get("/firms").get_data(as_text=True)
    assign = firms.split('id="assign-to"')[1].split("</select>")[0]
    assert "주치의 A" in assign and "직원 A" not in assign


def test_a_first_interview_is_not_called_a_rediagnosis(app, world):
    a = world["A"]
    staff = browser(app, a.users["staff"])
    self_firm = staff.get(f"/firms/{a.firms['self']}?lang=en").get_data(as_text=True)
    assert "Start a diagnosis" in self_firm and "Start a re-diagnosis" not in self_firm
    diagnosed = staff.get(f"/firms/{a.firms['diagnosed']}?lang=en").get_data(as_text=True)
    assert "Start a re-diagnosis" in diagnosed


def test_the_table_heads_count_firms_and_employees_have_one_name(app, world):
    staff = browser(app, world["A"].users["staff"])
    page = staff.get("/center").get_data(as_text=True)
    assert '<th scope="col" class="num">기업 수</th>' in page
    assert '<th scope="col" class="num">기업 목록</th>' not in page
    firm = staff.get(f"/firms/{world['A'].firms['diagnosed']}").get_data(as_text=True)
    assert "상시 근로자 수" in firm and "직원 수" not in firm


def test_the_pdf_is_saved_when_asked_and_shown_otherwise(app, world):
    a = world["A"]
    doctor = browser(app, a.users["doctor"])
    result = doctor.get(f"/assessments/{a.assessments['diagnosed']}").get_data(as_text=True)
    assert "download=1" in result and " download>" in result
    url = f"/assessments/{a.assessments['diagnosed']}/roadmap.pdf"
    saved = doctor.get(url + "?download=1")
    if saved.status_code == 200:
        assert saved.headers["Content-Disposition"].startswith("attachment")
        shown = doctor.get(url)
        assert shown.headers["Content-Disposition"].startswith("inline")
    else:  # being prepared: the queue answers 503 with a reload page
        assert saved.status_code == 503


def test_the_csv_has_each_header_once(app, world):
    staff = browser(app, world["A"].users["staff"])
    text = staff.get("/center/export.csv").data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert len(header) == len(set(header)) and "최근 AI 준비도" in header
    db = connect(app.config["DATABASE"])
    db.conn.close()
