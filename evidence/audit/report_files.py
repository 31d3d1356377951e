"""The audit reports as files an auditor keeps or hands on (CSV, XLSX): one row per access, times in
the unit's zone, the action named in plain Chinese beside its code. Cells go through the shared
sheet writer, so text typed by users is never run as a formula."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from evidence.config import get_settings
from evidence.coverage import sheets

# The access actions the reports count (reports.ACCESS_ACTIONS), in the words of the web page.
ACTION_NAMES = {"recording.read": "查看录像信息", "recording.view": "播放录像", "recording.download": "下载原始文件",
                "recording.export": "导出录像", "case.export": "导出案件证据包"}

ACCESS_COLUMNS = ["警号 user", "操作 action", "操作说明 meaning", "对象类型 object type", "对象编号 object id"]
OUTSIDE_COLUMNS = ["时间 time", "警号 user", "所属单位 user unit", "操作 action", "操作说明 meaning",
                   "录像编号 recording", "录像所属单位 recording unit", "日志编号 entry"]


def access_rows(report: list[dict]) -> list[list[object]]:
    """The per-user report (user → action → ["type:id", …]) as one row per object touched."""
    rows = []
    for item in report:
        for action, objects in sorted((k, v) for k, v in item.items() if k != "user"):
            for obj in objects:
                kind, _, ident = obj.partition(":")
                rows.append([item["user"], action, ACTION_NAMES.get(action, ""), kind, ident])
    return rows


def outside_rows(report: list[dict]) -> list[list[object]]:
    tz = ZoneInfo(get_settings().timezone)
    return [[_local(r["at"], tz), r["user"], r.get("user_unit_code") or r["user_unit_id"], r["action"],
             ACTION_NAMES.get(r["action"], ""), r["recording_id"],
             r.get("recording_unit_code") or r["recording_unit_id"], r["entry_id"]] for r in report]


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def as_file(kind: str, fmt: str, report: list[dict]) -> bytes:
    """`kind` access or outside_unit; `fmt` csv or xlsx."""
    columns, rows = (ACCESS_COLUMNS, access_rows(report)) if kind == "access" else \
        (OUTSIDE_COLUMNS, outside_rows(report))
    if fmt == "csv":
        return sheets.to_csv(columns, rows)
    return sheets.to_xlsx({"access" if kind == "access" else "outside unit": (columns, rows)})
