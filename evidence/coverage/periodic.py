"""日清 / 周评 / 月结: the daily list to act on, the weekly ranking and the monthly summary for
supervisors (their unit and below), auditors and admins.

Counting is the coverage reports' (reports.summary, reports.event_rows), so these pages can never
disagree with the coverage summary; on-time import is ontime.py's one rule. Periods are the
unit's day, week (Monday to Sunday) and month. Callers audit each read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.config import get_settings
from evidence.coverage import explanations, sheets
from evidence.coverage.ontime import on_time_by_officer
from evidence.coverage.reports import EventFilter, event_rows, period_bounds, summary
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids
from evidence.recordings.models import Recording, RecordingStatus

TREND_WEEKS = 4
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # reports outside these years are typing mistakes


def check_period(day: date) -> date:
    """A report's day, week or month must lie in years a ledger can hold."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day.isoformat()} is outside the years {EARLIEST.year}–{LATEST.year}: check the date")
    return day
COUNTS = ("events", "covered", "partial", "missing", "pending", "late_uploads")


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def scope_units(session: Session, user: User) -> list[int] | None:
    """The units a reader reaches: None for all (admin, auditor), a supervisor's unit and below."""
    if user.role in (Role.admin.value, Role.auditor.value):
        return None
    return subtree_unit_ids(session, user.unit_id) if user.unit_id is not None else []


def scope_label(session: Session, user: User) -> str | None:
    """The reader's unit as printed in titles ("一大队 (DD01)"); None for the whole service."""
    if user.role in (Role.admin.value, Role.auditor.value) or user.unit_id is None:
        return None
    unit = session.get(Unit, user.unit_id)
    return f"{unit.name} ({unit.code})" if unit else None


def _names(session: Session, police_ids: set[str]) -> dict[str, str]:
    if not police_ids:
        return {}
    return dict(session.execute(select(User.police_id, User.name).where(User.police_id.in_(police_ids))).all())


def _unit_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Unit.code, Unit.name)).all())


# -- 日清 ------------------------------------------------------------------------------------------
def daily(session: Session, user: User, day: date) -> dict:
    """Each officer's missing and partial share of the day's events, with his latest explanation."""
    lo, hi = period_bounds("day", check_period(day), _tz())
    rows = event_rows(session, user, EventFilter(start_from=lo, start_to=hi))
    latest = explanations.latest(session, [e["id"] for e in rows])
    items = []
    for e in rows:
        shares = e["officers"] or [{"police_id": p, "status": e["status"], "covered_seconds": e["covered_seconds"]}
                                   for p in e["police_ids"].split(";") if p]
        for o in shares:
            if o["status"] not in explanations.EXPLAINABLE:
                continue
            x = latest.get((e["id"], o["police_id"]))
            items.append({"id": e["id"], "event_id": e["event_id"], "event_type": e["event_type"],
                          "police_id": o["police_id"], "started_at": e["started_at"], "ended_at": e["ended_at"],
                          "location": e["location"], "status": o["status"], "covered_seconds": o["covered_seconds"],
                          "window_seconds": e["window_seconds"], "late_upload": e["late_upload"],
                          "explanation": x})
    names = _names(session, {i["police_id"] for i in items})
    for i in items:
        i["officer_name"] = names.get(i["police_id"])
    items.sort(key=lambda i: (i["police_id"], i["started_at"], i["event_id"]))
    return {"day": day, "start": lo, "end": hi, "unit": scope_label(session, user), "items": items,
            "events": len(rows)}


# -- 周评 ------------------------------------------------------------------------------------------
def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _ranked(rows: list[dict]) -> list[dict]:
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["events"], r["key"]))
    for n, r in enumerate(rows, 1):
        r["rank"] = n
    return rows


def weekly(session: Session, user: User, week_start: date) -> dict:
    """Units and officers ranked by this week's coverage rate, each with the rates of the 4 weeks before."""
    tz = _tz()
    start = monday_of(check_period(week_start))
    weeks = [start - timedelta(weeks=k) for k in range(TREND_WEEKS, -1, -1)]  # oldest first, this week last
    out = {}
    for group in ("unit", "officer"):
        per_week = []
        for w in weeks:
            lo, hi = period_bounds("week", w, tz)
            per_week.append({g["group"]: g for g in summary(session, user, group, EventFilter(start_from=lo, start_to=hi))})
        now = per_week[-1]
        names = _unit_names(session) if group == "unit" else _names(session, set(now))
        rows = [{"key": key, "name": names.get(key), **{c: g[c] for c in COUNTS}, "rate": g["activation_rate"],
                 "trend": [(p.get(key) or {}).get("activation_rate") for p in per_week]}
                for key, g in now.items()]
        out[group] = _ranked(rows)
    lo, hi = period_bounds("week", start, tz)
    return {"week_start": start, "start": lo, "end": hi, "weeks": weeks, "unit": scope_label(session, user),
            "units": out["unit"], "officers": out["officer"]}


# -- 月结 ------------------------------------------------------------------------------------------
def month_start(month: str) -> date:
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, e.g. 2026-11 (got {month!r})") from None
    return check_period(first)


def _camera_hours(session: Session, lo: datetime, hi: datetime, units: list[int] | None, key) -> dict:
    q = (select(key, func.sum(Recording.duration_seconds))
         .where(Recording.status == RecordingStatus.verified.value, Recording.media_kind.in_(("video", "audio")),
                Recording.started_at >= lo, Recording.started_at < hi).group_by(key))
    if units is not None:
        q = q.where(Recording.unit_id.in_(units))
    return {k: round((s or 0) / 3600, 2) for k, s in session.execute(q)}


def _on_time(counts) -> dict:
    on, total = sum(c.on_time for c in counts), sum(c.total for c in counts)
    return {"on_time_imports": on, "imports": total, "on_time_rate": round(on / total, 4) if total else None}


def monthly(session: Session, user: User, month: str) -> dict:
    """Per unit and per officer: the coverage counts and rate, late uploads, on-time imports, camera hours."""
    first = month_start(month)
    lo, hi = period_bounds("month", first, _tz())
    f = EventFilter(start_from=lo, start_to=hi)
    units = scope_units(session, user)
    unit_rows = {g["group"]: g for g in summary(session, user, "unit", f)}
    officer_rows = {g["group"]: g for g in summary(session, user, "officer", f)}

    ids = dict(session.execute(select(Unit.code, Unit.id)).all())
    unit_names = _unit_names(session)
    hours_by_unit = _camera_hours(session, lo, hi, units, Recording.unit_id)
    unit_out = []
    for code, g in unit_rows.items():
        uid = ids.get(code)
        ontime = on_time_by_officer(session, lo, hi, [uid]) if uid is not None else {}
        unit_out.append({"key": code, "name": unit_names.get(code), **{c: g[c] for c in COUNTS},
                         "rate": g["activation_rate"], **_on_time(ontime.values()),
                         "camera_hours": hours_by_unit.get(uid, 0.0)})

    ontime = on_time_by_officer(session, lo, hi, units)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([k for k in ontime if k is not None])))}
    by_police = {users[k].police_id: c for k, c in ontime.items() if k in users}
    hours = _camera_hours(session, lo, hi, units, Recording.officer_id)
    hours_police = dict(session.execute(select(User.police_id, User.id).where(User.id.in_(list(hours)))).all())
    names = _names(session, set(officer_rows) | set(by_police) | set(hours_police))
    officer_out = []
    for pid in sorted(set(officer_rows) | set(by_police) | set(hours_police)):
        g = officer_rows.get(pid) or {c: 0 for c in COUNTS} | {"activation_rate": None}
        officer_out.append({"key": pid, "name": names.get(pid), **{c: g[c] for c in COUNTS},
                            "rate": g["activation_rate"], **_on_time([by_police[pid]] if pid in by_police else []),
                            "camera_hours": hours.get(hours_police.get(pid), 0.0)})
    total = {c: sum(r[c] for r in unit_out) for c in COUNTS}
    settled = total["events"] - total["pending"]
    total["rate"] = round(total["covered"] / settled, 4) if settled else None
    total |= _on_time(ontime.values())
    total["camera_hours"] = round(sum(hours.values()), 2)
    return {"month": first.strftime("%Y-%m"), "start": lo, "end": hi, "unit": scope_label(session, user),
            "units": unit_out, "officers": officer_out, "total": total}


# -- downloads -------------------------------------------------------------------------------------
def _local(when: datetime | None) -> str:
    return when.astimezone(_tz()).strftime("%Y-%m-%d %H:%M:%S") if when else ""


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _heading(title: str, unit: str | None, period: str) -> tuple[list[str], list[list]]:
    printed = datetime.now(_tz()).strftime("%Y-%m-%d %H:%M:%S")
    return ["项目", "内容"], [["报表", title], ["单位", unit or "全部单位"], ["期间", period],
                             ["时区", get_settings().timezone], ["导出时间", printed]]


STATUS_ZH = {"missing": "无视频", "partial": "部分有视频"}
STATE_ZH = {"submitted": "待审核", "accepted": "已采纳", "rejected": "未采纳"}
REASON_ZH = {"device_fault": "设备故障", "battery_flat": "电量耗尽", "not_worn": "未佩戴", "other": "其他"}


def daily_xlsx(report: dict) -> bytes:
    header = ["警号", "姓名", "事件编号", "类型", "开始时间", "结束时间", "地点", "覆盖情况", "已录秒", "应录秒",
              "说明状态", "说明原因", "说明内容", "审核意见"]
    rows = []
    for i in report["items"]:
        x = i["explanation"]
        rows.append([i["police_id"], i["officer_name"], i["event_id"], i["event_type"], _local(i["started_at"]),
                     _local(i["ended_at"]), i["location"], STATUS_ZH.get(i["status"], i["status"]),
                     i["covered_seconds"], i["window_seconds"], STATE_ZH.get(x.state) if x else "未说明",
                     REASON_ZH.get(x.reason) if x else None, x.text if x else None, x.comment if x else None])
    return sheets.to_xlsx({"概况": _heading("日清", report["unit"], report["day"].isoformat()), "日清": (header, rows)})


RANK_HEADER = ["名次", "编号", "名称", "事件", "有视频", "部分有视频", "无视频", "待核对", "超时上传", "覆盖率%"]


def weekly_xlsx(report: dict) -> bytes:
    weeks = [f"{w.isoformat()} 周 %" for w in report["weeks"][:-1]]

    def rows(items):
        return [[r["rank"], r["key"], r["name"], *(r[c] for c in COUNTS), _pct(r["rate"]),
                 *(_pct(t) for t in r["trend"][:-1])] for r in items]
    period = f"{report['start'].astimezone(_tz()).date()} – {(report['end'] - timedelta(days=1)).astimezone(_tz()).date()}"
    return sheets.to_xlsx({"概况": _heading("周评", report["unit"], period),
                           "单位排名": (RANK_HEADER + weeks, rows(report["units"])),
                           "民警排名": (RANK_HEADER + weeks, rows(report["officers"]))})


MONTH_HEADER = ["编号", "名称", "事件", "有视频", "部分有视频", "无视频", "待核对", "超时上传", "覆盖率%",
                "按时导入", "导入总数", "按时导入率%", "摄录小时"]


def _month_row(r: dict) -> list:
    return [r.get("key"), r.get("name"), *(r[c] for c in COUNTS), _pct(r["rate"]), r["on_time_imports"], r["imports"],
            _pct(r["on_time_rate"]), r["camera_hours"]]


def monthly_xlsx(report: dict) -> bytes:
    total = {"key": "合计", "name": None, **report["total"]}
    return sheets.to_xlsx({"概况": _heading("月结", report["unit"], report["month"]),
                           "单位": (MONTH_HEADER, [*map(_month_row, report["units"]), _month_row(total)]),
                           "民警": (MONTH_HEADER, [_month_row(r) for r in report["officers"]])})
