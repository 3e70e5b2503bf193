"""Exports for reporting upward: firms, diagnoses with their dimension scores and tracks,
overrides and training taken, as CSV (one row per diagnosis) or XLSX (one sheet each), with
Korean headers, for the firms the user may see that match the dashboard's filters.

Both are written row by row into a file from set-based queries (the firms are a condition in
SQL, never a list of ids), so an export's memory does not grow with its rows: each XLSX sheet
streamed as XML rows into the zip (below), CSV through the csv module. A cell a spreadsheet
would read as a formula is neutralised the same way in both (``safe_cell``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import IO, Any

import sqlite_utils

from ..diagnosis.explanations import TRACK_NAMES
from ..records.firms import FIRM_ROW, FirmFilter, firm_selection
from ..storage import transaction
from ..templating import KST
from . import access, audit

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv",  # the charset is added once, by the response
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ACTIONS = {"confirm": "확인", "override": "변경"}
SOURCES = {"consultant": "주치의 진단", "self": "자가진단", "api": "API"}


_TRACK_LABELS: dict[str, str] = {}


def _track(track: str | None) -> str:
    """``입문 (beginner)``: the Korean name and the id (names looked up once: switching the
    locale per cell cost more than the rest of a row)."""
    if not track:
        return ""
    if not _TRACK_LABELS:
        from flask_babel import force_locale

        with force_locale("ko"):
            _TRACK_LABELS.update({t: f"{name} ({t})" for t, name in TRACK_NAMES.items()})
    return _TRACK_LABELS.get(track, track)


def _day(stamp: str | None) -> date | str:
    """A day as a date (a real date cell in Excel; ``YYYY-MM-DD`` in the CSV), "" for none.
    A stored UTC time is the day in Korea."""
    if not stamp:
        return ""
    if len(stamp) == 10:
        return date.fromisoformat(stamp)
    return datetime.fromisoformat(stamp).astimezone(KST).date()


def _number(value: float | None) -> Any:
    return round(value, 1) if value is not None else ""


# --- the columns: one table per sheet (header, width, value from a query row) ----------------
# ``labels`` maps a profile field to its Korean choice labels; ``dims`` lists the
# questionnaire's (id, Korean title). Each sheet's query below returns the names used here.

Column = tuple[str, int, Callable[[dict[str, Any], dict[str, Any]], Any]]


def firm_columns(labels: dict[str, dict[str, str]]) -> list[Column]:
    return [
        ("기업 ID", 8, lambda r, _: r["id"]),
        ("기업명", 24, lambda r, _: r["name"]),
        ("사업자등록번호", 14, lambda r, _: r["business_number"] if not r["erased_at"] else ""),
        ("지역", 10, lambda r, _: labels["region"].get(r["region"], r["region"])),
        ("업종", 20, lambda r, _: labels["industry"].get(r["industry"], r["industry"])),
        ("상시 근로자 수", 12, lambda r, _: r["employees"]),
        (
            "매출 규모",
            14,
            lambda r, _: labels["revenue_band"].get(r["revenue_band"], r["revenue_band"]),
        ),
        ("등록 경로", 10, lambda r, _: "자가진단" if r["origin"] == "self" else "센터 등록"),
        ("담당 주치의", 12, lambda r, _: r["assigned_name"] or ""),
        ("최근 진단일", 12, lambda r, _: _day(r["diagnosed_at"])),
        ("최근 트랙", 22, lambda r, _: _track(r["track"])),
        ("최근 AI 준비도", 12, lambda r, _: _number(r["readiness"])),
    ]


def diagnosis_columns(dims: list[tuple[str, str]]) -> list[Column]:
    def score(dimension: str) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
        return lambda _r, extra: _number(extra["scores"].get(dimension, {}).get("score"))

    return [
        ("진단 ID", 8, lambda r, _: r["assessment_id"]),
        ("기업 ID", 8, lambda r, _: r["firm_id"]),
        ("기업명", 24, lambda r, _: r["firm_name"]),
        ("제출일", 12, lambda r, _: _day(r["submitted_at"])),
        ("진단 방식", 12, lambda r, _: SOURCES.get(r["source"], r["source"])),
        ("주치의", 12, lambda r, _: r["consultant"] or ""),
        ("모델 추천 트랙", 22, lambda r, _: _track(r["predicted"])),
        ("최종 트랙", 22, lambda r, _: _track(r["final_track"] or r["predicted"])),
        ("결정", 8, lambda r, _: ACTIONS.get(r["action"] or "", "검토 전")),
        ("AI 준비도", 10, lambda r, _: _number(r["diagnosis_readiness"])),
        *[(f"{title} 점수", 12, score(d)) for d, title in dims],
        ("이전 진단 ID", 10, lambda r, _: r["based_on"] or ""),
    ]


OVERRIDE_COLUMNS: list[Column] = [
    ("진단 ID", 8, lambda r, _: r["assessment_id"]),
    ("기업 ID", 8, lambda r, _: r["firm_id"]),
    ("기업명", 24, lambda r, _: r["firm_name"]),
    ("모델 추천 트랙", 22, lambda r, _: _track(r["predicted"])),
    ("변경한 트랙", 22, lambda r, _: _track(r["final_track"])),
    ("사유", 40, lambda r, _: r["reason"]),
    ("결정자", 12, lambda r, _: r["decided_by"]),
    ("결정일", 12, lambda r, _: _day(r["decided_at"])),
]

TRAINING_COLUMNS: list[Column] = [
    ("기업 ID", 8, lambda r, _: r["firm_id"]),
    ("기업명", 24, lambda r, _: r["firm_name"]),
    ("모듈 ID", 16, lambda r, _: r["module_id"]),
    ("과정명", 30, lambda r, _: r["title"]),
    ("시작일", 12, lambda r, _: _day(r["started_on"])),
    ("종료일", 12, lambda r, _: _day(r["ended_on"])),
    ("1인 시간", 10, lambda r, _: r["hours"]),
    ("참여 인원", 10, lambda r, _: r["trainees"] or ""),
]

TRAINING_HOURS = "훈련 시간 합계(인·시간)"  # the CSV's last column, per firm


# --- the queries -----------------------------------------------------------------------------

# A firm's submitted diagnoses, each with its consultant, latest prediction and decision;
# ``{join}``: JOIN (the firms diagnosed) or LEFT JOIN (every firm, the CSV's).
_DIAGNOSES_JOINED = """{join} assessments a ON a.firm_id = f.id AND a.status = 'submitted'
    LEFT JOIN users u ON u.id = a.consultant_id
    LEFT JOIN predictions p ON p.id = (
        SELECT MAX(x.id) FROM predictions x WHERE x.assessment_id = a.id)
    LEFT JOIN decisions d ON d.id = (
        SELECT MAX(x.id) FROM decisions x WHERE x.assessment_id = a.id)
    LEFT JOIN users du ON du.id = d.decided_by"""
_DIAGNOSES = _DIAGNOSES_JOINED.format(join="JOIN")
_DIAGNOSIS_VALUES = """a.id AS assessment_id, a.firm_id, f.name AS firm_name, a.submitted_at,
    a.source, a.based_on, u.name AS consultant, p.track AS predicted, p.scores,
    p.readiness AS diagnosis_readiness,
    d.final_track, d.action, d.reason, d.decided_at, du.name AS decided_by"""
_ORDER = "ORDER BY f.name, f.id"


def _rows(db: sqlite_utils.Database, sql: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A query's rows one at a time (the cursor streams: nothing is collected)."""
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def _extra(row: dict[str, Any]) -> dict[str, Any]:
    return {"scores": json.loads(row["scores"]) if row.get("scores") else {}}


class Export:
    """The export's sheets for the firms ``scope`` allows that match ``filters``: each a
    header and a stream of rows (plain values), read from one query."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        scope: tuple[str, dict[str, Any]],
        filters: FirmFilter,
        questionnaire: Any,
    ):
        self.db, self.scope, self.filters = db, scope, filters
        labels = {
            name: {c.value: c.label.ko for c in questionnaire.profile_field(name).choices}
            for name in ("region", "industry", "revenue_band")
        }
        self.dims = [(d.id, d.title.ko) for d in questionnaire.dimensions]
        self.firm_columns = firm_columns(labels)
        self.diagnosis_columns = diagnosis_columns(self.dims)
        self.firms_written = 0

    def _select(self, joins: str = "") -> tuple[str, dict[str, Any]]:
        return firm_selection(self.scope, self.filters, joins)

    def sheets(self) -> dict[str, tuple[list[Column], Iterator[dict[str, Any]]]]:
        firms, params = self._select()
        diagnoses, dparams = self._select(_DIAGNOSES)
        training, tparams = self._select("JOIN training_records t ON t.firm_id = f.id")
        return {
            "기업": (
                self.firm_columns,
                self._counted(_rows(self.db, f"SELECT {FIRM_ROW} {firms} {_ORDER}", params)),
            ),
            "진단": (
                self.diagnosis_columns,
                _rows(
                    self.db,
                    f"SELECT {_DIAGNOSIS_VALUES} {diagnoses} {_ORDER}, a.submitted_at, a.id",
                    dparams,
                ),
            ),
            "추천 변경": (
                OVERRIDE_COLUMNS,
                _rows(
                    self.db,
                    f"SELECT {_DIAGNOSIS_VALUES} {diagnoses} AND d.action = 'override' "
                    f"{_ORDER}, a.submitted_at, a.id",
                    dparams,
                ),
            ),
            "훈련 이력": (
                TRAINING_COLUMNS,
                _rows(
                    self.db,
                    f"SELECT t.*, f.name AS firm_name {training} {_ORDER}, t.started_on, t.id",
                    tparams,
                ),
            ),
        }

    def _counted(self, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            self.firms_written += 1
            yield row

    def csv_rows(self) -> Iterator[list[Any]]:
        """One row per diagnosis with its firm's columns (a firm never diagnosed: one row with
        the firm alone) and the firm's training hours: one query, ordered by firm."""
        selection, params = self._select(_DIAGNOSES_JOINED.format(join="LEFT JOIN"))
        # the diagnosis' columns without its firm id and name (the firm's own come first)
        own = [c for c in self.diagnosis_columns if c[0] not in ("기업 ID", "기업명")]
        yield [*(c[0] for c in self.firm_columns), *(c[0] for c in own), TRAINING_HOURS]
        last_firm = None
        for row in _rows(
            self.db,
            f"""SELECT {FIRM_ROW}, {_DIAGNOSIS_VALUES},
                (SELECT SUM(t.hours * COALESCE(NULLIF(t.trainees, 0), 1))
                 FROM training_records t WHERE t.firm_id = f.id) AS training_hours
            {selection} {_ORDER}, a.submitted_at, a.id""",
            params,
        ):
            if row["id"] != last_firm:
                self.firms_written += 1
                last_firm = row["id"]
            extra = _extra(row)
            firm = [value(row, extra) for _h, _w, value in self.firm_columns]
            if row["assessment_id"] is None:
                diagnosis = [""] * len(own)
            else:
                diagnosis = [value(row, extra) for _h, _w, value in own]
            hours = row["training_hours"]
            yield [*firm, *diagnosis, hours if hours is not None else ""]


# --- formulas --------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text a spreadsheet could read as a formula (starting with = + - @, a tab or a carriage
    return, also after leading spaces) gets an apostrophe in front: the same visible text in
    the CSV and the XLSX, and never a live formula (OWASP, "CSV Injection")."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


# --- the writers -----------------------------------------------------------------------------


def write_csv(export: Export, out: IO[bytes]) -> None:
    """UTF-8 with a byte-order mark so that Excel reads the Korean headers; row by row."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write("\ufeff")
    writer = csv.writer(text)
    for row in export.csv_rows():
        writer.writerow([safe_cell(v) for v in row])
    text.flush()
    text.detach()  # leave ``out`` open for the caller


def _shown(text: str) -> str:
    """A carriage return as the line break a cell shows (an XML reader turns a carriage return
    into a line feed anyway; as the escape ``_x000D_`` not every reader decodes it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# --- the XLSX file ----------------------------------------------------------------------------
# An XLSX file is a zip of XML parts. The sheets are written here row by row as XML text into
# the zip's deflate stream: a row is one string joined from its cells (text inline, numbers,
# dates as day numbers under the one date style), so a cell costs a string format, not the
# objects a general writer builds for each (XlsxWriter's constant-memory mode: about 10 µs a
# cell, 1.8 s of CPU for a center of 5,000 firms). Only what the export uses: inline text,
# numbers, booleans, dates, a bold frozen header, column widths and a filter.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot hold (a tab, line feed and carriage return it can): written as
# the spreadsheet's own escape ``_xHHHH_``; a text that already looks like one keeps its
# underscore escaped (``_x005F_``) so that it reads back as typed.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of a spreadsheet's dates (1900 system)
_BOLD, _DATE = 1, 2  # the two cell styles of styles.xml below
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column_letters(n: int) -> str:
    """``A`` for 0, ``Z`` for 25, ``AA`` for 26."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unwritable(match: re.Match) -> str:
    found = match.group()
    return "_x005F_" if found == "_" else f"_x{ord(found):04X}_"


def _text_xml(ref: str, text: str, style: str = "") -> str:
    """An inline text cell: escaped for XML, spaces kept where a reader would trim them."""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _UNWRITABLE.search(text):
        text = _UNWRITABLE.sub(_unwritable, text)
    keep = text[:1].isspace() or text[-1:].isspace() or "\n" in text
    space = ' xml:space="preserve"' if keep else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell_xml(ref: str, cell: Any) -> str:
    """A cell as the export writes it ("" for an empty one): text always as text (never a
    formula, a number or a link, whatever it starts with; ``safe_cell`` still adds the CSV's
    apostrophe so both files show the same text), days as dates."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, str):
        return _text_xml(ref, _shown(safe_cell(cell)))
    if isinstance(cell, bool):
        return f'<c r="{ref}" t="b"><v>{int(cell)}</v></c>'
    if isinstance(cell, int) or (isinstance(cell, float) and math.isfinite(cell)):
        return f'<c r="{ref}"><v>{cell!r}</v></c>'
    if isinstance(cell, date) and not isinstance(cell, datetime):
        return f'<c r="{ref}" s="{_DATE}"><v>{cell.toordinal() - _EPOCH}</v></c>'
    return _text_xml(ref, _shown(safe_cell(str(cell))))


def _write_sheet(stream: IO[bytes], columns: list[Column], rows: Iterator[dict]) -> int:
    """One worksheet's XML into ``stream``; returns the rows written under the header."""
    letters = [_column_letters(n) for n in range(len(columns))]
    widths = "".join(
        f'<col min="{n + 1}" max="{n + 1}" width="{max(width, 4 + len(header) * 2)}" '
        'customWidth="1"/>'
        for n, (header, width, _value) in enumerate(columns)
    )
    header = "".join(
        _text_xml(f"{letters[n]}1", name, f' s="{_BOLD}"')
        for n, (name, _w, _v) in enumerate(columns)
    )
    stream.write(
        (
            f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
            f'<sheetData><row r="1">{header}</row>'
        ).encode()
    )
    values = [value for _h, _w, value in columns]
    cells = list(zip(letters, values, strict=True))
    r, part = 1, []
    for row in rows:
        r += 1
        extra = _extra(row)
        line = "".join(_cell_xml(f"{letter}{r}", value(row, extra)) for letter, value in cells)
        part.append(f'<row r="{r}">{line}</row>')
        if len(part) == 500:  # written in parts: the sheet is never held whole
            stream.write("".join(part).encode())
            part = []
    stream.write("".join(part).encode())
    stream.write(f'</sheetData><autoFilter ref="A1:{letters[-1]}{r}"/></worksheet>'.encode())
    return r - 1


def write_xlsx(export: Export, out: IO[bytes]) -> None:
    """One sheet per table, bold frozen headers, columns wide enough for Korean text, real
    date cells and a filter on every column, each sheet streamed row by row into the zip
    (memory flat in the rows)."""
    sheets = export.sheets()
    names = list(sheets)
    filters = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        for n, (columns, rows) in enumerate(sheets.values(), start=1):
            with book.open(f"xl/worksheets/sheet{n}.xml", "w") as stream:
                written = _write_sheet(stream, columns, rows)
            filters.append(f"$A$1:${_column_letters(len(columns) - 1)}${written + 1}")
        book.writestr("[Content_Types].xml", _content_types(len(names)))
        book.writestr(
            "_rels/.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr("xl/workbook.xml", _workbook(names, filters))
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, len(names) + 1)
            )
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        book.writestr("xl/styles.xml", _STYLES)


def _content_types(sheets: int) -> str:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{kind}.worksheet+xml"/>'
            for n in range(1, sheets + 1)
        )
        + f'<Override PartName="/xl/styles.xml" ContentType="{kind}.styles+xml"/></Types>'
    )


def _workbook(names: list[str], filters: list[str]) -> str:
    """The sheets in order, each with its filter's range as a spreadsheet names it."""

    def quoted(name: str) -> str:
        return "'" + name.replace("'", "''") + "'"

    def escaped(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    sheets = "".join(
        f'<sheet name="{escaped(name).replace(chr(34), "&quot;")}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, 1)
    )
    ranges = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escaped(quoted(name))}!{ref}</definedName>"
        for n, (name, ref) in enumerate(zip(names, filters, strict=True))
    )
    return (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>"
        f"<definedNames>{ranges}</definedNames></workbook>"
    )


def export(
    db: sqlite_utils.Database,
    user: Any | None,
    filters: FirmFilter,
    file_format: str,
    questionnaire: Any,
    out: IO[bytes],
    center_id: int | None = None,
) -> int:
    """Write the export file for the user's firms (staff only), or, from the command line
    without a user, for one center or every center, into ``out``; record it in the audit
    log. Returns how many firms it holds."""
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
    sheets = Export(db, scope, filters, questionnaire)
    (write_csv if file_format == "csv" else write_xlsx)(sheets, out)
    with transaction(db):
        audit.record(
            db,
            "export",
            "firms",
            None,
            center_id=center_id,
            user_id=user.id if user else None,
            actor="" if user else "command line",
            detail=f"{file_format}, {sheets.firms_written} firms",
        )
    return sheets.firms_written
