"""Parse enforcement-event ledgers (执法台账) that clerks upload as CSV or XLSX.

The ledger is the list of enforcement events a brigade expects footage for; coverage is
measured against it. This module only turns a file into rows and row errors: no database,
no I/O. Whole-file problems (unreadable file, missing required column) raise ValueError;
problems in a single row become one LedgerError each so the clerk can fix and re-upload
while the good rows are still returned.

Accepted cells:
- event_type: English names in EVENT_TYPES (any case) or the Chinese names in _TYPE_NAMES_ZH.
- police_ids: one or more 警号 separated by ";" or the full-width "；" (commas are NOT
  separators: a comma would split a CSV cell). Empty parts such as a trailing ";" are ignored.
- started_at / ended_at: "2026-11-28 09:30[:00]", "2026-11-28T09:30:00+08:00", "...Z",
  "2026/11/28 9:30" (Chinese Excel exports), or real XLSX date-time cells. A time without
  an offset is in the unit's zone `tz`. Results are timezone-aware UTC.
- roadside: yes/no/true/false/1/0/y/n/是/否; empty means the default for the event type.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence.coverage.ledger_read import read_rows
from evidence.identity.models import POLICE_ID

EVENT_TYPES = (
    "dispatch", "check", "ticket", "accident", "vehicle_seizure", "license_seizure",
    "admin_measure", "emergency", "other",
)
ROADSIDE_BY_DEFAULT = {"ticket", "vehicle_seizure", "license_seizure", "check"}

_TYPE_NAMES_ZH = {
    "接处警": "dispatch",
    "盘查": "check",
    "现场处罚": "ticket",
    "事故处理": "accident",
    "扣留车辆": "vehicle_seizure",
    "暂扣证件": "license_seizure",
    "行政强制": "admin_measure",
    "突发事件": "emergency",
    "其他": "other",
}

# Canonical column name -> the Chinese header accepted for it.
_COLUMNS_ZH = {
    "event_id": "事件编号",
    "event_type": "类型",
    "police_ids": "警号",
    "started_at": "开始时间",
    "ended_at": "结束时间",
    "location": "地点",
    "case_no": "案件编号",
    "roadside": "路面执法",
}
_REQUIRED = ("event_id", "event_type", "police_ids", "started_at")

_MAX_EVENT_ID = 64
_MAX_CASE_NO = 64
_MAX_LOCATION = 200
_MIN_YEAR, _MAX_YEAR = 2000, 2100

_POLICE_ID_SEPARATORS = re.compile(r"[;；]")
# Date and time with "-" or "/" (same separator both times), optional seconds/fraction/offset.
_TIME = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?:T|\s+)"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d+))?)?"
    r"\s*(?P<off>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_TRUE = {"yes", "true", "1", "y", "是"}
_FALSE = {"no", "false", "0", "n", "否"}



@dataclass
class LedgerRow:
    line: int                  # 1-based line in the file (header is line 1); XLSX: sheet row
    event_id: str
    event_type: str            # one of EVENT_TYPES
    police_ids: list[str]      # 警号, deduplicated, order kept
    started_at: datetime       # timezone-aware UTC
    ended_at: datetime | None  # timezone-aware UTC
    location: str | None
    case_no: str | None
    roadside: bool


@dataclass
class LedgerError:
    line: int
    reason: str  # names the column and the bad value, so a clerk can fix the file


class _RowProblem(Exception):
    """The first problem found in a row; becomes a LedgerError."""


def parse_ledger(
    data: bytes, filename: str, tz: str = "Asia/Shanghai"
) -> tuple[list[LedgerRow], list[LedgerError]]:
    """CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK as Excel in China writes it) or XLSX (by extension .xlsx, or by content: zip magic), first sheet.

    Several 警号 in one cell are separated by ";" or the full-width "；" (not commas).
    Raises ValueError for whole-file problems (unreadable file, missing required column,
    unknown `tz`, a limit of ledger_read passed); every bad row becomes exactly one LedgerError
    and good rows still come back.
    """
    rows: list[LedgerRow] = []
    errors: list[LedgerError] = []
    for item in iter_ledger(io.BytesIO(data), filename, tz):
        (errors if isinstance(item, LedgerError) else rows).append(item)
    return rows, errors


def iter_ledger(stream: BinaryIO, filename: str, tz: str = "Asia/Shanghai") -> Iterator[LedgerRow | LedgerError]:
    """parse_ledger's rows and errors in file order, streamed from a seekable binary file.

    Whole-file problems raise ValueError before the first row is yielded, except a row or
    column limit that only the rows of an XLSX without a stated size reveal."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc

    numbered = ((line, cells) for line, cells in read_rows(stream, filename) if not _is_empty(cells))
    first = next(numbered, None)
    if first is None:
        raise ValueError("the ledger file is empty: expected a header row and event rows")
    header = first[1]
    columns = _map_header(header)
    labels = {name: _label(name, _text(header[i])) for name, i in columns.items()}
    return _rows(numbered, columns, labels, zone)


def _rows(numbered, columns, labels, zone) -> Iterator[LedgerRow | LedgerError]:
    first_line_of: dict[str, int] = {}
    for line, cells in numbered:
        values = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        try:
            yield _parse_row(line, values, labels, zone, first_line_of)
        except _RowProblem as problem:
            yield LedgerError(line, str(problem))


# --- reading the file: see ledger_read -------------------------------------------------------

def _map_header(header: list[object]) -> dict[str, int]:
    """Canonical column name -> cell index; raises ValueError if a required column is missing."""
    by_name = {name: name for name in _COLUMNS_ZH}
    by_name.update({zh: name for name, zh in _COLUMNS_ZH.items()})
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = by_name.get(_text(cell).lower())
        if name is None:
            continue  # unknown extra columns are allowed
        if name in columns:
            raise ValueError(
                f"the column {name} ({_COLUMNS_ZH[name]}) appears twice in the header; keep one"
            )
        columns[name] = index
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        accepted = ", ".join(f"{name} / {zh}" for name, zh in _COLUMNS_ZH.items())
        raise ValueError(
            "the header is missing required column(s): "
            + ", ".join(f"{name} ({_COLUMNS_ZH[name]})" for name in missing)
            + f". Accepted column names: {accepted}"
        )
    return columns


# --- one row ---------------------------------------------------------------------------------

def _parse_row(
    line: int,
    values: dict[str, object],
    labels: dict[str, str],
    zone: ZoneInfo,
    first_line_of: dict[str, int],
) -> LedgerRow:
    event_id = _event_id(values["event_id"], labels["event_id"])
    if event_id in first_line_of:
        raise _RowProblem(
            f"{labels['event_id']}: {_show(event_id)} already appears on line "
            f"{first_line_of[event_id]}; each event must be listed once"
        )
    first_line_of[event_id] = line

    event_type = _event_type(values["event_type"], labels["event_type"])
    police_ids = _police_ids(values["police_ids"], labels["police_ids"])
    started_at = _time(values["started_at"], labels["started_at"], zone)
    if started_at is None:
        raise _RowProblem(f"{labels['started_at']}: is empty; the start time is required")
    ended_at = None
    if "ended_at" in values:
        ended_at = _time(values["ended_at"], labels["ended_at"], zone)
        if ended_at is not None and ended_at <= started_at:
            raise _RowProblem(
                f"{labels['ended_at']}: {_show(_text(values['ended_at']))} is not after the "
                f"start time {_show(_text(values['started_at']))}"
            )
    location = _optional_text(values.get("location"), labels.get("location"), _MAX_LOCATION)
    case_no = _optional_text(values.get("case_no"), labels.get("case_no"), _MAX_CASE_NO)
    roadside = _roadside(values.get("roadside"), labels.get("roadside"), event_type)
    return LedgerRow(line, event_id, event_type, police_ids, started_at, ended_at,
                     location, case_no, roadside)


def _event_id(value: object, label: str) -> str:
    text = _text(value)
    if not text:
        raise _RowProblem(f"{label}: is empty; every event needs an event id")
    if len(text) > _MAX_EVENT_ID:
        raise _RowProblem(
            f"{label}: {_show(text)} is {len(text)} characters long; at most {_MAX_EVENT_ID} allowed"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise _RowProblem(
            f"{label}: {_show(text)} contains control or invisible characters; retype the id"
        )
    return text


def _event_type(value: object, label: str) -> str:
    text = _text(value)
    event_type = _TYPE_NAMES_ZH.get(text, text.lower())
    if event_type not in EVENT_TYPES:
        allowed = ", ".join(EVENT_TYPES) + " or " + ", ".join(_TYPE_NAMES_ZH)
        shown = _show(text) if text else "empty"
        raise _RowProblem(f"{label}: {shown} is not a known event type; use one of {allowed}")
    return event_type


def _police_ids(value: object, label: str) -> list[str]:
    ids: list[str] = []
    for part in _POLICE_ID_SEPARATORS.split(_text(value)):
        part = part.strip()
        if not part:
            continue
        if not POLICE_ID.fullmatch(part):
            raise _RowProblem(
                f"{label}: {_show(part)} is not a valid 警号 (1-32 letters or digits); "
                "separate several 警号 with ';'"
            )
        if part not in ids:
            ids.append(part)
    if not ids:
        raise _RowProblem(f"{label}: is empty; list at least one 警号")
    return ids


def _time(value: object, label: str, zone: ZoneInfo) -> datetime | None:
    """A naive time is in the unit's zone; returns aware UTC, or None for an empty cell."""
    if isinstance(value, datetime):  # a real XLSX date-time cell
        local = value if value.tzinfo else value.replace(tzinfo=zone)
        text = value.isoformat(sep=" ")
    else:
        text = _text(value)
        if not text:
            return None
        local = _parse_time_text(text, label, zone)
    if not _MIN_YEAR <= local.year <= _MAX_YEAR:
        raise _RowProblem(
            f"{label}: {_show(text)} has the year {local.year}; "
            f"expected a year between {_MIN_YEAR} and {_MAX_YEAR}"
        )
    return local.astimezone(timezone.utc)


def _parse_time_text(text: str, label: str, zone: ZoneInfo) -> datetime:
    match = _TIME.fullmatch(text)
    if match is None:
        raise _RowProblem(
            f"{label}: {_show(text)} is not a date and time; "
            "write it like 2026-11-28 09:30 or 2026/11/28 09:30 or 2026-11-28T09:30:00+08:00"
        )
    g = match.groupdict()
    try:
        return datetime(
            int(g["y"]), int(g["mo"]), int(g["d"]), int(g["h"]), int(g["mi"]), int(g["s"] or 0),
            int((g["frac"] or "0")[:6].ljust(6, "0")), tzinfo=_offset(g["off"]) or zone,
        )
    except ValueError as exc:  # 2026-02-30, 25:00, offset beyond ±24h ...
        raise _RowProblem(f"{label}: {_show(text)} is not a real date and time ({exc})") from exc


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return timezone.utc
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-delta if text[0] == "-" else delta)


def _optional_text(value: object, label: str | None, max_len: int) -> str | None:
    text = _text(value)
    if not text:
        return None
    if len(text) > max_len:
        raise _RowProblem(
            f"{label}: {_show(text)} is {len(text)} characters long; at most {max_len} allowed"
        )
    return text


def _roadside(value: object, label: str | None, event_type: str) -> bool:
    raw = _text(value)
    text = raw.lower()
    if not text:
        return event_type in ROADSIDE_BY_DEFAULT
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _RowProblem(
        f"{label}: {_show(raw)} is not yes or no; use 是/否, yes/no, true/false, y/n or 1/0, "
        "or leave it empty for the default of the event type"
    )


# --- cells -----------------------------------------------------------------------------------

def _text(value: object) -> str:
    """A cell as trimmed text; XLSX numbers like 10203.0 become '10203' (警号, ids)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _is_empty(cells: list[object]) -> bool:
    return all(not _text(cell) for cell in cells)


def _label(name: str, header_text: str) -> str:
    """How a message names a column: as the file's header wrote it, plus the canonical name."""
    return name if header_text.lower() == name else f"{header_text} ({name})"


def _show(text: str, limit: int = 40) -> str:
    """A bad value quoted for a message, shortened so one long cell cannot flood the report."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
