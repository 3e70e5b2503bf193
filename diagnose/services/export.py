"""Exports for reporting upward: firms, diagnoses with their dimension scores and tracks,
overrides and training taken, as CSV (one row per diagnosis) or XLSX (one sheet each), with
Korean headers, for the firms the user may see that match the dashboard's filters.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import sqlite_utils

from .. import assessments as ops
from ..diagnosis.explanations import TRACK_NAMES
from ..storage import transaction
from ..templating import KST
from . import access, audit

FORMATS = ("csv", "xlsx")
ACTIONS = {"confirm": "확인", "override": "변경"}
SOURCES = {"consultant": "주치의 진단", "self": "자가진단", "api": "API"}


def _day(stamp: str | None) -> date | str:
    """A day as a date (a real date cell in Excel; ``YYYY-MM-DD`` in the CSV), "" for none.
    A stored UTC time is the day in Korea."""
    if not stamp:
        return ""
    if len(stamp) == 10:
        return date.fromisoformat(stamp)
    return datetime.fromisoformat(stamp).astimezone(KST).date()


def _track(track: str | None) -> str:
    if not track:
        return ""
    from flask_babel import force_locale

    with force_locale("ko"):
        return f"{TRACK_NAMES[track]} ({track})" if track in TRACK_NAMES else track


def collect(
    db: sqlite_utils.Database,
    scope: tuple[str, dict[str, Any]],
    filters: ops.FirmFilter,
    questionnaire: Any,
) -> dict[str, list[list[Any]]]:
    """The export's tables, each a header row and data rows (plain values)."""
    firms, _total = ops.list_firms(db, scope, filters, "name", False, 0, None)
    ids = [f["id"] for f in firms]
    label = {
        name: {c.value: c.label.ko for c in questionnaire.profile_field(name).choices}
        for name in ("region", "industry", "revenue_band")
    }
    dimensions = [(d.id, d.title.ko) for d in questionnaire.dimensions]
    firm_rows = [
        [
            "기업 ID",
            "기업명",
            "사업자등록번호",
            "지역",
            "업종",
            "상시 근로자 수",
            "매출 규모",
            "등록 경로",
            "담당 주치의",
            "최근 진단일",
            "최근 트랙",
            "최근 AI 준비도",
        ]
    ]
    for f in firms:
        firm_rows.append(
            [
                f["id"],
                f["name"],
                f["business_number"] if not f["erased_at"] else "",
                label["region"].get(f["region"], f["region"]),
                label["industry"].get(f["industry"], f["industry"]),
                f["employees"],
                label["revenue_band"].get(f["revenue_band"], f["revenue_band"]),
                "자가진단" if f["origin"] == "self" else "센터 등록",
                f["assigned_name"] or "",
                _day(f["diagnosed_at"]),
                _track(f["track"]),
                round(f["readiness"], 1) if f["readiness"] is not None else "",
            ]
        )
    diagnosis_rows = [
        [
            "진단 ID",
            "기업 ID",
            "기업명",
            "제출일",
            "진단 방식",
            "주치의",
            "모델 추천 트랙",
            "최종 트랙",
            "결정",
            "AI 준비도",
            *[f"{title} 점수" for _id, title in dimensions],
            "이전 진단 ID",
        ]
    ]
    override_rows = [
        [
            "진단 ID",
            "기업 ID",
            "기업명",
            "모델 추천 트랙",
            "변경한 트랙",
            "사유",
            "결정자",
            "결정일",
        ]
    ]
    training_rows = [
        ["기업 ID", "기업명", "모듈 ID", "과정명", "시작일", "종료일", "1인 시간", "참여 인원"]
    ]
    names = {f["id"]: f["name"] for f in firms}
    if ids:
        marks = ",".join("?" * len(ids))
        for a in db.query(
            f"""
            SELECT a.id, a.firm_id, a.submitted_at, a.source, a.based_on, u.name AS consultant,
                   p.track AS predicted, p.scores, p.readiness,
                   d.final_track, d.action, d.reason, d.decided_at, du.name AS decided_by
            FROM assessments a
            LEFT JOIN users u ON u.id = a.consultant_id
            LEFT JOIN predictions p ON p.id = (
                SELECT MAX(id) FROM predictions WHERE assessment_id = a.id)
            LEFT JOIN decisions d ON d.id = (
                SELECT MAX(id) FROM decisions WHERE assessment_id = a.id)
            LEFT JOIN users du ON du.id = d.decided_by
            WHERE a.status = 'submitted' AND a.firm_id IN ({marks})
            ORDER BY a.firm_id, a.submitted_at, a.id
            """,
            ids,
        ):
            scores = json.loads(a["scores"]) if a["scores"] else {}
            final = a["final_track"] or a["predicted"]
            diagnosis_rows.append(
                [
                    a["id"],
                    a["firm_id"],
                    names[a["firm_id"]],
                    _day(a["submitted_at"]),
                    SOURCES.get(a["source"], a["source"]),
                    a["consultant"] or "",
                    _track(a["predicted"]),
                    _track(final),
                    ACTIONS.get(a["action"] or "", "검토 전"),
                    round(a["readiness"], 1) if a["readiness"] is not None else "",
                    *[
                        round(scores[d]["score"], 1)
                        if scores.get(d, {}).get("score") is not None
                        else ""
                        for d, _t in dimensions
                    ],
                    a["based_on"] or "",
                ]
            )
            if a["action"] == "override":
                override_rows.append(
                    [
                        a["id"],
                        a["firm_id"],
                        names[a["firm_id"]],
                        _track(a["predicted"]),
                        _track(a["final_track"]),
                        a["reason"],
                        a["decided_by"],
                        _day(a["decided_at"]),
                    ]
                )
        for t in db.query(
            f"SELECT * FROM training_records WHERE firm_id IN ({marks}) ORDER BY firm_id, "
            "started_on",
            ids,
        ):
            training_rows.append(
                [
                    t["firm_id"],
                    names[t["firm_id"]],
                    t["module_id"],
                    t["title"],
                    _day(t["started_on"]),
                    _day(t["ended_on"]),
                    t["hours"],
                    t["trainees"] or "",
                ]
            )
    return {
        "기업": firm_rows,
        "진단": diagnosis_rows,
        "추천 변경": override_rows,  # what the pages call overrides
        "훈련 이력": training_rows,
    }


def to_csv(tables: dict[str, list[list[Any]]]) -> bytes:
    """One row per diagnosis with its firm's columns (a firm never diagnosed: one row with
    the firm alone), the firm's training hours; UTF-8 with a byte-order mark so that Excel
    reads the Korean headers."""
    firms = tables["기업"]
    diagnoses = tables["진단"]
    training = tables["훈련 이력"]
    hours: dict[Any, float] = {}
    for row in training[1:]:
        hours[row[0]] = hours.get(row[0], 0) + float(row[6]) * (int(row[7]) if row[7] else 1)
    by_firm: dict[Any, list[list[Any]]] = {}
    for row in diagnoses[1:]:
        by_firm.setdefault(row[1], []).append(row)
    header = [*firms[0], *diagnoses[0][:2], *diagnoses[0][3:], "훈련 시간 합계(인·시간)"]
    del header[len(firms[0]) + 1]  # the diagnosis' firm id repeats the firm's
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    empty = [""] * (len(diagnoses[0]) - 2)
    for firm in firms[1:]:
        for row in by_firm.get(firm[0]) or [None]:
            values = [row[0], *row[3:]] if row else ["", *empty]
            writer.writerow([*firm, *values, hours.get(firm[0], "")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: dict[str, list[list[Any]]]) -> bytes:
    """One sheet per table, bold frozen headers, columns wide enough for Korean text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in tables.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([_safe_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max((len(str(c.value or "")) for c in column), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(60, 4 + width * 1.6)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe_cell(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def export(
    db: sqlite_utils.Database,
    user: Any | None,
    filters: ops.FirmFilter,
    file_format: str,
    questionnaire: Any,
    center_id: int | None = None,
) -> bytes:
    """The export file for the user's firms (staff only), or, from the command line without a
    user, for one center or every center; recorded in the audit log."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}")
    if user is not None:
        access.require(user, access.STAFF)
        scope = access.firm_scope(user)
        center_id = user.center_id
    elif center_id is not None:
        scope = ("f.center_id = :scope_center", {"scope_center": center_id})
    else:
        scope = ("1", {})
    tables = collect(db, scope, filters, questionnaire)
    with transaction(db):
        audit.record(
            db,
            "export",
            "firms",
            None,
            center_id=center_id,
            user_id=user.id if user else None,
            actor="" if user else "command line",
            detail=f"{file_format}, {len(tables['기업']) - 1} firms",
        )
    return to_csv(tables) if file_format == "csv" else to_xlsx(tables)
