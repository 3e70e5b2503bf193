"""Erasure is complete and provable: after ``flask erase-firm`` nothing of the firm's name,
business number, contacts or a free-text canary is left in any table, in the database's or
the queue's files (WAL included), or in any file of the instance folder (PDF text, ZIP entry
names and contents); another center's reports and batch files are untouched; restoring an
older backup erases the firm again. Also: ZIP entry names are sanitised and capped.

Real parts: SQLite files, the huey SQLite queue, WeasyPrint render children, pypdf, zipfile.
"""

from __future__ import annotations

import copy
import io
import json
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import Browser, add_user
from firms import FIRMS, store_firm
from pypdf import PdfReader

from diagnose import create_app, jobs
from diagnose.business_number import check_digit
from diagnose.diagnosis.store import decide
from diagnose.roadmap import pdf as pdf_module
from diagnose.services import audit, batch, lifecycle
from diagnose.storage import connect

NAME = "카나리아물산"
CONTACT = "감나리"
PHONE = "010-7361-2290"
EMAIL = "canary-owner@firm.example"
CANARY = "CANARY-QX7781-비밀메모"


def _number(prefix: str) -> str:
    return prefix + str(check_digit(prefix))


NUMBER = _number("514862937")


@pytest.fixture(autouse=True)
def _fresh_renderers():
    pdf_module._close_sandboxes()
    jobs._pool = None
    yield
    pdf_module._close_sandboxes()
    jobs._pool = None


def _texts_of_file(path: Path) -> list[str]:
    """What a file holds, as text a search can read: raw bytes, PDF text, ZIP names and the
    text of each PDF inside."""
    data = path.read_bytes()
    found = [data.decode("utf-8", "ignore")]
    if data[:4] == b"%PDF":
        found += [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                found.append(info.filename)
                inner = archive.read(info)
                found.append(inner.decode("utf-8", "ignore"))
                if inner[:4] == b"%PDF":
                    found += [p.extract_text() or "" for p in PdfReader(io.BytesIO(inner)).pages]
    return found


def _search(instance: Path, needles: list[str]) -> list[str]:
    """Every place (table.column, or file) where one of the needles occurs."""
    hits = []
    joiner = pdf_module.WORD_JOINER

    def seen(text: str) -> list[str]:
        text = text.replace(joiner, "")
        squeezed = text.replace(" ", "").replace("\n", "")
        return [n for n in needles if n in text or n.replace(" ", "") in squeezed]

    for database in (instance / "diagnose.sqlite3", instance / "queue.sqlite3"):
        conn = sqlite3.connect(database)
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    text = (
                        value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value)
                    )
                    hits += [f"{database.name}:{table}: {n}" for n in seen(text)]
        conn.close()
    for path in sorted(instance.rglob("*")):
        if path.is_file():
            for text in _texts_of_file(path):
                hits += [f"{path.relative_to(instance)}: {n}" for n in seen(text)]
    return sorted(set(hits))


def _run_queue(app) -> None:
    """The consumer's work, done here task by task."""
    queue = app.extensions["queue"]
    while (message := queue.dequeue()) is not None:
        queue.execute(message)


def test_erasure_leaves_nothing_of_the_firm_anywhere_and_a_restore_erases_it_again(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DEMO_DATA": False,
            "INSTANCE_PATH": str(tmp_path),
            "QUEUE_IMMEDIATE": False,
            "RENDER_WAIT": 0.1,
            "RENDER_TIMEOUT": 120,  # a shared machine under load
        }
    )
    doctor = add_user(app)
    neighbour = add_user(app, "doctor@center-b.example", center="센터 B")
    db = connect(app.config["DATABASE"])
    firm = copy.deepcopy(FIRMS["logistics"])
    firm["profile"].update(
        company_name=NAME, contact_name=CONTACT, contact_phone=PHONE, contact_email=EMAIL
    )
    mine = store_firm(app, db, firm, doctor["center_id"], doctor["id"], NUMBER)
    fellow = store_firm(
        app, db, FIRMS["tax_office"], doctor["center_id"], doctor["id"], _number("220813452")
    )
    theirs = store_firm(
        app, db, FIRMS["machining"], neighbour["center_id"], neighbour["id"], _number("130862419")
    )
    firm_id = db.execute("SELECT firm_id FROM assessments WHERE id = ?", [mine]).fetchone()[0]
    # free text everywhere the app keeps it
    db.execute("UPDATE answers SET note = ? WHERE assessment_id = ?", [CANARY, mine])
    questionnaire = app.extensions["questionnaires"].current
    text_item = next(i for d in questionnaire.dimensions for i in d.items if i.type == "text")
    db.execute(
        "INSERT OR REPLACE INTO answers (assessment_id, item_id, value, note, updated_at) "
        "VALUES (?, ?, ?, '', '2026-01-01T00:00:00+00:00')",
        [mine, text_item.id, json.dumps(f"{CANARY} 담당 {CONTACT}", ensure_ascii=False)],
    )
    decide(db, mine, doctor["id"], "shared_center", f"{CONTACT} 대표 통화({PHONE}) {CANARY}")
    db.execute(
        "INSERT INTO consultant_requests (center_id, firm_id, assessment_id, contact_name, "
        "contact_phone, contact_email, message, consent_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, '2026-01-01', '2026-01-01')",
        [doctor["center_id"], firm_id, mine, CONTACT, PHONE, EMAIL, CANARY],
    )
    db.execute(  # the visit booked with the firm, and a mail to it waiting in the outbox
        "UPDATE consultant_requests SET visit_place = ? WHERE firm_id = ?",
        [f"{NAME} 본사 2층 {CANARY}", firm_id],
    )
    from diagnose.services import mail

    mail.write(
        db, kind="visit", recipient=EMAIL, subject=f"{NAME} 방문", body=f"{CONTACT} {CANARY}",
        center_id=doctor["center_id"], firm_id=firm_id,
    )  # fmt: skip
    cohort_id = db.execute(  # and a joint-center cohort it was invited to
        "INSERT INTO cohorts (center_id, theme, title, start_window, seats, created_by, "
        "created_at) VALUES (?, 'visual_inspection', 'AI 비전 검사', '2027-Q1', 20, ?, "
        "'2026-01-01')",
        [doctor["center_id"], doctor["id"]],
    ).lastrowid
    db.execute(
        "INSERT INTO cohort_members (cohort_id, firm_id, status, invited_email, updated_at) "
        "VALUES (?, ?, 'invited', ?, '2026-01-01')",
        [cohort_id, firm_id, EMAIL],
    )
    db.execute(
        "INSERT INTO training_records (firm_id, center_id, module_id, title, started_on, hours, "
        "created_at) VALUES (?, ?, 'pbl_quality_data_analysis', ?, '2026-01-01', 8, "
        "'2026-01-01')",
        [firm_id, doctor["center_id"], f"{NAME} 맞춤 과정 {CANARY}"],
    )
    audit.record(
        db, "note", "center", None, center_id=doctor["center_id"], detail=f"{NAME} 방문 {CANARY}"
    )
    # its reports: downloaded (issued, rendered by the consumer), and printed in a batch with
    # a firm of its own center; the other center prints its own
    here, there = Browser(app), Browser(app)
    here.login(doctor["email"])
    there.login(neighbour["email"])
    for browser, assessment_id in ((here, mine), (there, theirs)):
        url = f"/assessments/{assessment_id}/roadmap.pdf"
        assert browser.get(url).status_code == 503
        _run_queue(app)
        assert browser.get(url).status_code == 200
    with app.test_request_context():
        ours = batch.create_batch(
            db, None, [mine, fellow], "ko", "zip", {"q": NAME}, center_id=doctor["center_id"]
        )
        batch.enqueue_batch(ours, 2)
        others = batch.create_batch(
            db, None, [theirs], "ko", "zip", center_id=neighbour["center_id"]
        )
        batch.enqueue_batch(others, 1)
    _run_queue(app)
    assert batch.progress(db, ours)["status"] == "done"
    needles = [
        NAME,
        NUMBER,
        f"{NUMBER[:3]}-{NUMBER[3:5]}-{NUMBER[5:]}",
        CONTACT,
        PHONE,
        EMAIL,
        CANARY,
    ]
    before = _search(tmp_path, needles)
    # the search sees every kind of place before the erasure (else 0 hits would prove nothing)
    for place in (
        "consultant_requests",
        "decisions",
        "training_records",
        "audit_log",
        "issued_reports",
        "answers",
        "firms",
        "outbox",
        "cohort_members",
        "batches/batch-",
    ):
        assert any(place in hit for hit in before), (place, before)
    assert any(hit.startswith("reports/") for hit in before), before  # the PDF's text
    backup = lifecycle.backup(
        app.config["DATABASE"], tmp_path.parent / f"{tmp_path.name}-b.sqlite3"
    )
    theirs_file = batch.batch_file(
        tmp_path, dict(next(iter(db.query("SELECT * FROM batches WHERE id = ?", [others]))))
    )
    assert theirs_file is not None

    result = app.test_cli_runner().invoke(
        args=["erase-firm", str(firm_id), "--center", str(doctor["center_id"]), "--yes"]
    )
    assert result.exit_code == 0, result.output
    db.conn.close()
    assert _search(tmp_path, needles) == []
    # another center's batch file and cached report stay: its link needs no new render
    assert theirs_file.exists()
    assert there.get(f"/assessments/{theirs}/roadmap.pdf").status_code == 200
    assert app.extensions["queue"].pending_count() == 0
    # the anonymised record stays for statistics
    db = connect(app.config["DATABASE"])
    assert (
        db.execute("SELECT COUNT(*) FROM predictions WHERE assessment_id = ?", [mine]).fetchone()[0]
        == 1
    )
    db.conn.close()

    # a backup from before the erasure is restored: the erasure log erases the firm again
    restored = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "re-applied" in restored.output and "1 firm" in restored.output
    hits = [h for h in _search(tmp_path, needles) if not h.startswith("diagnose.sqlite3-")]
    assert [h for h in hits if h.startswith("diagnose.sqlite3")] == []
    log = (tmp_path / "erasures.jsonl").read_text()
    assert NAME not in log and NUMBER not in log  # the log names no one


def test_zip_entry_names_are_sanitised_and_capped():
    name = batch._file_name("A" * 300 + "\u202eexe.pdf\u2028줄바꿈/..\\x\x00")
    assert len(name.encode()) <= batch.NAME_LIMIT
    assert not any(c in name for c in "\u202e\u2028/\\\x00")
    assert batch._file_name("\u202e\u2066") == "report"
    assert batch._file_name("동해물류 (주)") == "동해물류 (주)"


def test_unzip_reads_a_batch_whose_firm_has_a_very_long_hostile_name(tmp_path):
    """A 600-byte firm name with U+202E and U+2028: the ZIP still unzips, names are clean."""
    from diagnose.roadmap.pdf import cache_path

    reports = tmp_path / "reports"
    key = "ab" * 32
    path = cache_path(reports, key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.7\n%%EOF\n")
    name = "가" * 200 + "\u202e" + "fdp.exe" + "\u2028" + "나" * 50
    target = tmp_path / "out.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.write(path, batch.entry_name(0, name, "2026-01-01T09:00:00+09:00", "ko"))
    listing = subprocess.run(["unzip", "-l", str(target)], capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    out = tmp_path / "x"
    unzipped = subprocess.run(["unzip", "-q", str(target), "-d", str(out)], capture_output=True)
    assert unzipped.returncode == 0, unzipped.stderr
    (extracted,) = list(out.iterdir())
    assert "\u202e" not in extracted.name and "\u2028" not in extracted.name
