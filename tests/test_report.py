"""The roadmap PDF: real WeasyPrint output, read back with poppler's tools and pypdf.

Four firms met in interviews (tests/firms.py), each in Korean and English, rendered once by
the same render child the task queue uses, then checked as a reader would see them.
"""

import re
from pathlib import Path

import pdfcheck
import pytest
from conftest import Browser
from firms import FIRMS, store_firm

from diagnose import create_app, jobs
from diagnose.auth import create_center, create_user
from diagnose.business_number import check_digit
from diagnose.diagnosis.store import decide
from diagnose.records.assessments import assessment_record
from diagnose.roadmap.pdf import WORD_JOINER, cache_path, keep_korean_words, render_pdf
from diagnose.roadmap.render import LockedFetcher
from diagnose.services import reports as report_service
from diagnose.services.roadmaps import report_html
from diagnose.storage import connect

CENTER = ("경남 중소기업 AI 훈련 확산센터", "055-270-1234", "center@center.test", "경상남도 창원시")
DOCTOR = ("김주치", "010-2345-6789", "doctor@center.test")
SAMPLE_MARKS = ("(예시)", "예시 데이터", "(Sample)", "Sample entries", "000-0000", "example.org")


def _business_number(index: int) -> str:
    first = f"{640 + index:03d}81{20000 + index * 41:05d}"[:9]
    return first + str(check_digit(first))


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """The four firms filed under one center, each diagnosed: (app, db, ids by name)."""
    app = create_app(
        {"TESTING": True, "DEMO_DATA": False, "INSTANCE_PATH": str(tmp_path_factory.mktemp("4"))}
    )
    db = connect(app.config["DATABASE"])
    center_id = create_center(db, CENTER[0], "gyeongnam")
    db.execute(
        "UPDATE centers SET phone = ?, email = ?, address = ? WHERE id = ?",
        [*CENTER[1:], center_id],
    )
    user_id = create_user(db, center_id, DOCTOR[2], DOCTOR[0], "correct horse battery staple")
    db.execute("UPDATE users SET phone = ? WHERE id = ?", [DOCTOR[1], user_id])
    ids = {
        name: store_firm(app, db, firm, center_id, user_id, _business_number(i))
        for i, (name, firm) in enumerate(FIRMS.items())
    }
    yield app, db, ids
    db.conn.close()


def _pdf(app, assessment_id: int, lang: str) -> bytes:
    key = report_service.render_report_now(app, assessment_id, lang)
    return cache_path(jobs.reports_folder(app), key).read_bytes()


class _Reports(dict):
    """Each firm's report in each language, rendered when a test first asks for it: under
    pytest-xdist the tests of this module are shared between workers, and a worker renders
    only the reports its own tests read (not all eight in each worker)."""

    def __init__(self, app, ids):
        super().__init__()
        self.app, self.ids = app, ids

    def __missing__(self, key):
        name, lang = key
        self[key] = _pdf(self.app, self.ids[name], lang)
        return self[key]


@pytest.fixture(scope="module")
def reports(four):
    app, _db, ids = four
    return _Reports(app, ids)


CASES = [(name, lang) for name in FIRMS for lang in ("ko", "en")]
HEADINGS = {
    "ko": (
        "요약: 권고 사항",
        "우리 회사의 현재 수준",
        "월별 훈련 계획",
        "다음에 할 일",
    ),
    "en": (
        "Summary: what we recommend",
        "Where your company stands",
        "Training plan, month by month",
        "What to do next",
    ),
}


@pytest.mark.parametrize("name,lang", CASES)
def test_tagged_small_one_font_each_bookmarked_and_clean_metadata(reports, name, lang):
    pdf = reports[(name, lang)]
    info = pdfcheck.info(pdf)
    assert info["Tagged"] == "yes"
    assert (
        WORD_JOINER not in info["Title"] and FIRMS[name]["profile"]["company_name"] in info["Title"]
    )
    assert str(pdfcheck.catalog(pdf)["/Lang"]) == lang
    assert len(pdf) <= 120 * 1024, len(pdf)
    fonts = pdfcheck.fonts(pdf)
    names = [f[0] for f in fonts]
    assert {"NanumGothic", "NanumGothic-Bold"} <= set(names)
    assert len(names) == len(set(names)), names  # each face embedded once
    assert all(f[2] == "yes" for f in fonts)
    bookmarks = pdfcheck.outline(pdf)
    assert all(WORD_JOINER not in b for b in bookmarks)
    assert len(bookmarks) >= 6 and HEADINGS[lang][3] in bookmarks


def _summary_on_the_first_page(pages: list[str], lang: str) -> bool:
    """The summary opens page 1 under the cover band and ends there or, when it is long (a
    beginner's next steps up, in English), on page 2, where the company stands follows."""
    whom = "문의할 곳" if lang == "ko" else "Whom to call"
    first_two = pages[0] + pages[1]
    return (
        HEADINGS[lang][0] in pages[0]
        and whom in first_two
        and HEADINGS[lang][1] in first_two
        and first_two.index(whom) < first_two.index(HEADINGS[lang][1])
    )


@pytest.mark.parametrize("name,lang", CASES)
def test_five_pages_at_most_full_and_the_summary_on_the_first(reports, name, lang):
    pdf = reports[(name, lang)]
    pages = pdfcheck.pages_text(pdf)
    fills = pdfcheck.page_fill(pdf)
    assert len(pages) <= 5, len(pages)  # issue 16: at most 5 pages, the cover counted
    assert min(fills[1:-1], default=1) >= 0.25, fills  # no page under a quarter full but the last
    assert _summary_on_the_first_page(pages, lang)
    text = "\n".join(pages)
    for heading in HEADINGS[lang]:
        assert heading in text, heading
    for n, page in enumerate(pages, start=1):
        assert re.search(rf"(?<!\d){n}\s*/\s*{len(pages)}(?!\d)", page), n


@pytest.mark.parametrize("name,lang", CASES)
def test_the_firms_task_is_in_its_brief_and_no_sample_text_reaches_it(reports, name, lang):
    text = "".join(pdfcheck.pages_text(reports[(name, lang)]))
    flat = re.sub(r"\s+", "", text)
    for task in re.split(r"\s*\d\)\s*", FIRMS[name]["said"]["need_task"]):
        if task:
            assert re.sub(r"\s+", "", task) in flat, task
    for mark in SAMPLE_MARKS:
        assert mark not in text, mark
    assert DOCTOR[1] in text and CENTER[2] in text  # whom to call


@pytest.mark.parametrize("name", FIRMS)
def test_every_string_of_the_english_report_is_english(four, reports, name):
    """The only Korean left is the firm's own words: its name, its answers, its center."""
    said = FIRMS[name]["said"]
    own = " ".join(
        [FIRMS[name]["profile"]["company_name"], *CENTER, *DOCTOR]
        + [v for v in said.values() if isinstance(v, str)]
    )
    text = "".join(pdfcheck.pages_text(reports[(name, "en")]))
    foreign = [w for w in re.findall(r"[\uac00-\ud7a3]+", text) if w not in own]
    assert foreign == [], foreign[:20]
    assert "해당 없음" not in text


def test_the_plan_uses_the_hours_the_firm_stated(reports):
    ko = "".join(pdfcheck.pages_text(reports[("tax_office", "ko")]))
    assert "37시간까지" in ko
    en = "".join(pdfcheck.pages_text(reports[("tax_office", "en")]))
    assert "up to 37\u00a0h a month" in en or "up to 37 h a month" in en


def test_costs_never_invented(reports):
    """No fee has been checked for the tax office's courses: it sees the route, an explicit
    "the center confirms it" (never a vague word), and where the figures come from."""
    ko = " ".join(pdfcheck.pages_text(reports[("tax_office", "ko")]))
    assert "센터 확인 필요" in ko
    assert "먼저 내고 환급" not in ko and "대개 무료" not in ko
    assert not re.search(r"\d[\d,]*\s*원", ko)
    assert "출처" in ko and "2026-11-26 확인" in ko


def _split_words(pdf: bytes, source_html: str) -> list[str]:
    """Words broken at a line end where the source keeps them together, as "left|right":
    Hangul from Hangul, a number or Latin from the Hangul after it, a compound at its "·".
    A break at a space or before "(" is allowed, as with CSS keep-all."""
    import html as html_lib

    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", source_html)).replace(WORD_JOINER, "")
    words = set(text.replace("\u00a0", " ").split())
    lines = [
        line.split()
        for line in "\n".join(pdfcheck.pages_text(pdf)).replace("\u00a0", " ").splitlines()
        if line.split()
    ]
    joinable = re.compile(r"[\uac00-\ud7a30-9A-Za-z·%)]")
    broken = []
    for current, following in zip(lines, lines[1:], strict=False):
        left, right = current[-1], following[0]
        if (
            joinable.fullmatch(left[-1])
            and re.match(r"[\uac00-\ud7a3·]", right[0] if left[-1] != "·" else "가")
            and left not in words
            and any(left + right in word for word in words)
        ):
            broken.append(f"{left}|{right}")
    return broken


def test_korean_line_breaking_rules():
    html = keep_korean_words(
        "<title>훈련 로드맵</title><body><p>3시간 AI로 설비·보전 A · B</p>"
        '<a title="속성값">텍스트</a></body>'
    )
    j = WORD_JOINER
    assert html.startswith("<title>훈련 로드맵</title>")  # metadata without joiners
    assert f"3{j}시{j}간 AI{j}로 설{j}비{j}·{j}보{j}전 A ·\u00a0B" in html
    assert 'title="속성값"' in html and f"텍{j}스{j}트" in html


def test_korean_words_numbers_and_compounds_are_never_split(four, reports):
    app, db, ids = four
    with app.test_request_context():
        source = report_html(db, assessment_record(db, ids["logistics"]), "ko")
    assert _split_words(reports[("logistics", "ko")], source) == []
    # The check can fail: narrow text without the joiners does break inside words.
    narrow = (
        "<html lang='ko'><body><p style='width: 31mm'>"
        + "중소기업 재직자의 역량 강화와 기업 생산성 제고를 위한 지원도 3시간씩 확대한다 " * 4
        + "</p></body></html>"
    )
    assert _split_words(render_pdf(narrow), narrow)
    assert _split_words(render_pdf(keep_korean_words(narrow)), narrow) == []


def test_korean_text_in_the_english_report_is_kept_whole(four, reports):
    app, db, ids = four
    with app.test_request_context():
        source = report_html(db, assessment_record(db, ids["tax_office"]), "en")
    assert f"증{WORD_JOINER}빙" in source
    assert _split_words(reports[("tax_office", "en")], source) == []


def test_the_radar_chart_has_a_text_alternative(four):
    app, db, ids = four
    with app.test_request_context():
        html = report_html(db, assessment_record(db, ids["machining"]), "en")
    alt = re.search(r"<svg[^>]*><title>([^<]+)</title>", html)
    assert alt and "Radar chart of the six areas" in alt[1] and WORD_JOINER not in alt[1]


def test_sample_centers_are_never_named_real_ones_are_ranked(four, reports):
    app, db, ids = four
    ko = "".join(pdfcheck.pages_text(reports[("machining", "ko")]))
    assert "공동훈련센터 이용" in ko and "지역 확산센터가 이 분야에 맞는" in ko

    # the registry as the center keeps it (in the database): every entry marked real
    def mark(sample: bool) -> None:
        db.execute(
            "UPDATE registry_centers SET sample = ?, data = json_set(data, '$.sample', json(?))",
            [int(sample), "true" if sample else "false"],
        )
        db.execute("UPDATE roadmap_revision SET revision = revision + 1")

    mark(False)
    try:
        with app.test_request_context():
            html = report_html(db, assessment_record(db, ids["machining"]), "en")
        text = re.sub(r"<[^>]+>", " ", html).replace(WORD_JOINER, "")
        first = text.index("(Sample) Gyeongnam Physical-AI Lab")
        assert first < text.index("(Sample) Jeonbuk Agri-Food Physical-AI Lab")
        assert "in your region" in text
    finally:
        mark(True)


@pytest.mark.parametrize("name,lang", CASES)
def test_the_cover_is_the_first_page(reports, name, lang):
    """The cover is the first page's header band, above the summary (the running header's
    strings are set on it, and no empty page comes before it)."""
    cover = pdfcheck.pages_text(reports[(name, lang)])[0]
    assert FIRMS[name]["profile"]["company_name"] in cover
    assert ("AI 훈련 로드맵" if lang == "ko" else "AI training roadmap") in cover
    assert DOCTOR[0] in cover and CENTER[0] in cover


# --- the demo instance: overrides, caching, downloads ------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo instance: a center with diagnosed firms of every track."""
    app = create_app(
        {"TESTING": True, "DEMO_DATA": True, "INSTANCE_PATH": str(tmp_path_factory.mktemp("demo"))}
    )
    db = connect(app.config["DATABASE"])
    tracks = dict(
        db.execute("SELECT track, MIN(assessment_id) FROM predictions GROUP BY track").fetchall()
    )
    yield app, db, tracks
    db.conn.close()


def _text(app, assessment_id, lang="ko") -> str:
    return "".join(pdfcheck.pages_text(_pdf(app, assessment_id, lang)))


def test_the_summary_gives_the_doctors_reason_when_the_track_was_overridden(demo):
    app, db, tracks = demo
    assessment_id = tracks["ax"]
    assert "권하는 이유" in _text(app, assessment_id)
    user = db.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
    decide(db, assessment_id, user, "beginner", "대표 교체로 기초 교육부터 다시 시작")
    try:
        text = _text(app, assessment_id)
        summary = " ".join(text.split("먼저 할 일 세 가지")[0].split())
        assert "대표 교체로 기초 교육부터 다시 시작" in summary
        assert "무료 온라인 과정" in summary  # the beginner track's own sentence
        assert "권하는 이유" not in summary  # the model's reasons were for another track
    finally:
        with db.conn:
            db.execute("DELETE FROM decisions WHERE assessment_id = ?", [assessment_id])


def test_identical_inputs_give_the_identical_file_without_rendering(demo, monkeypatch):
    app, _db, tracks = demo
    first = _pdf(app, tracks["ax"], "ko")
    import diagnose.roadmap.pdf as pdf_module

    def no_render(self, _html):
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf_module.RenderSandbox, "render", no_render)
    assert _pdf(app, tracks["ax"], "ko") == first


def test_a_huge_note_cannot_take_the_report_down(demo):
    """A 1.9 MB note (input limits are checked elsewhere) is cut in the appendix; the report
    renders as usual."""
    app, db, tracks = demo
    assessment_id = tracks["shared_center"]
    with db.conn:
        db.execute(
            "UPDATE answers SET note = ? WHERE assessment_id = ? AND item_id = 'need_notes'",
            ["야간 교대 " * 400_000, assessment_id],
        )
        db.execute(
            "INSERT OR REPLACE INTO answers (assessment_id, item_id, value, note, updated_at) "
            "VALUES (?, 'lead_owner', '\"none\"', ?, '2026-11-22')",
            [assessment_id, "메모 " * 700_000],
        )
    pdf = _pdf(app, assessment_id, "ko")
    assert len(pdf) < 200 * 1024
    # the answers are a record apart from the report (issue 16): there the note is cut
    from diagnose.records.assessments import load_answers
    from diagnose.roadmap.report import answers_record

    with app.test_request_context(headers={"Accept-Language": "ko"}):
        answers, notes = load_answers(db, assessment_id)
        record = answers_record(app.extensions["questionnaires"].current, answers, notes, "ko")
    cut = [a["note"] for d in record for a in d["answers"] if a["note"]]
    assert cut and all(len(n) < 400 for n in cut) and any("(이하 생략)" in n for n in cut)
    assert "진단 응답" not in "".join(pdfcheck.pages_text(pdf))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/static/css/app.css",
        "https://report.invalid/static/../../etc/passwd",
        "https://report.invalid/static/%2e%2e/%2e%2e/pyproject.toml",
        "https://report.invalid/etc/hostname",
        "data:text/html,<b>x</b>",
    ],
)
def test_the_fetcher_refuses_everything_outside_static(url):
    render_pdf("<p>x</p>")  # configures the renderer's paths
    with pytest.raises(ValueError):
        LockedFetcher().fetch(url)


def test_the_fetcher_serves_the_projects_static_files():
    render_pdf("<p>x</p>")
    response = LockedFetcher().fetch("https://report.invalid/static/css/app.css")
    assert b"diagnose" in response["string"]


def test_hostile_text_is_escaped_and_fetches_nothing(demo, caplog):
    app, db, tracks = demo
    record = assessment_record(db, tracks["ax"])
    record = {
        **record,
        "firm_name": '<img src="file:///etc/passwd"><script>x</script>'
        '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    }
    with app.test_request_context():
        html = report_html(db, record, "en")
    assert "<img src=" not in html and "&lt;img" in html
    # Even raw injected markup reaches only the locked fetcher.
    evil = html.replace(
        "</body>", '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png"></body>'
    )
    with caplog.at_level("WARNING"):
        pdf = render_pdf(evil)
    refused = [r.message for r in caplog.records if "refused" in r.message]
    assert any("file:///etc/passwd" in m for m in refused)
    assert any("127.0.0.1" in m for m in refused)
    assert '<img src="file:///etc/passwd">' in "".join(pdfcheck.pages_text(render_pdf(html)))
    assert pdf[:4] == b"%PDF"


def test_downloads_for_the_consultant_the_firm_and_the_api(demo):
    app, db, tracks = demo
    assessment_id = tracks["ax"]
    browser = Browser(app)
    login = (Path(app.instance_path) / "demo-login.txt").read_text().split()
    browser.login(login[0], login[1])
    response = browser.get(f"/assessments/{assessment_id}/roadmap.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data[:4] == b"%PDF"
    assert "filename*=UTF-8''roadmap-" in response.headers["Content-Disposition"]
    english = browser.get(f"/assessments/{assessment_id}/roadmap.pdf?lang=en")
    assert "What to do next" in "".join(pdfcheck.pages_text(english.data))
    page = browser.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert f"/assessments/{assessment_id}/roadmap.pdf" in page
    assert browser.get("/assessments/999/roadmap.pdf").status_code == 404

    client = app.test_client()
    assert client.get(f"/assessments/{assessment_id}/roadmap.pdf").status_code == 302
    from test_api import _payload

    created = client.post("/api/v1/assessments", json=_payload(app, business_number="2208162517"))
    assert created.status_code == 201
    pdf_url = created.json["roadmap_pdf_url"].split("localhost")[1]
    assert pdf_url.startswith("/r/")
    assert client.get(pdf_url).data[:4] == b"%PDF"
    via_api = client.get(
        f"/api/v1/assessments/{created.json['id']}/roadmap.pdf",
        headers={"X-Result-Token": created.json["result_token"]},
    )
    assert via_api.status_code == 200
    assert client.get(f"/api/v1/assessments/{created.json['id']}/roadmap.pdf").status_code == 404


def test_cli_renders_a_report_and_warns_about_sample_centers(demo, tmp_path):
    app, _db, tracks = demo
    out = tmp_path / "cli.pdf"
    result = app.test_cli_runner().invoke(
        args=["roadmap", "render", str(tracks["beginner"]), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"%PDF"
    assert "sample entries" in result.output
    missing = app.test_cli_runner().invoke(args=["roadmap", "render", "9999"])
    assert missing.exit_code != 0


def test_the_summary_stays_on_the_first_page_for_a_sample_of_firms(four):
    """Synthetic firms of every track, in English (the longer language): the summary opens
    page 1 under the cover band, its contacts end it on page 1 or open page 2, and where the
    company stands follows by page 2."""
    import numpy as np

    from diagnose.diagnosis.policy import track_for
    from diagnose.diagnosis.synthetic import synthetic_firm

    app, db, _ids = four
    questionnaire = app.extensions["questionnaires"].current
    rng = np.random.default_rng(11)
    center_id, user_id = db.execute("SELECT center_id, id FROM users LIMIT 1").fetchone()
    seen: dict[str, int] = {}
    index = 0
    while sum(seen.values()) < 6 and index < 200:
        index += 1
        firm = synthetic_firm(rng, questionnaire)
        track = track_for(firm)
        if seen.get(track, 0) >= 2:
            continue
        seen[track] = seen.get(track, 0) + 1
        answers = {**firm.answers, "need_task": "견적서 작성과 거래처별 납기 관리를 한곳에서 하기"}
        said = {"profile": {**FIRMS["logistics"]["profile"], "company_name": f"표본 {index}",
                            "industry": firm.profile["industry"],
                            "employees": firm.profile["employees"]},
                "level": 0.5, "said": answers}  # fmt: skip
        assessment_id = store_firm(app, db, said, center_id, user_id, _business_number(50 + index))
        pages = pdfcheck.pages_text(_pdf(app, assessment_id, "en"))
        assert _summary_on_the_first_page(pages, "en"), (track, index)
    assert set(seen) == {"beginner", "ax", "shared_center"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_module_of_the_plan_keeps_who_when_hours_and_cost(four, lang):
    """The plan is one block per module (not a four-column table, which cost a third more to
    lay out): each block still says what the table said, who, when, hours, cost and route."""
    import html as html_module

    from diagnose.services.roadmaps import report_context

    app, db, ids = four
    for name in FIRMS:
        with app.test_request_context():
            record = assessment_record(db, ids[name])
            context = report_context(db, record, lang)
            page = report_html(db, record, lang)
        flat = html_module.unescape(page.replace(WORD_JOINER, "").replace("\u00a0", " "))
        plan = flat.split('id="s-plan"', 1)[1].split("</section>", 1)[0]
        assert "<table" not in plan
        blocks = plan.split('<div class="module">')[1:]
        rows = [row for phase in context["plan"]["phases"] for row in phase["rows"]]
        assert rows and len(blocks) == len(rows), name
        for row, block in zip(rows, blocks, strict=True):
            cost = row["cost"] or row["firm_pays"]
            for part in (row["title"], row["who"], row["when"], row["hours"], cost, row["route"]):
                assert part and part.replace("\u00a0", " ") in block, (name, part)
