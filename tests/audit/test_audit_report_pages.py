"""The audit log read newest first in keyset pages (before_id) with filters, and the access reports
as files: one row per object touched, the action named in Chinese, formula-like text kept inert."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from evidence.audit import report_files, reports, service as audit
from evidence.db import make_engine
from evidence.identity.models import Unit, User
from evidence.migrate import upgrade
from evidence.recordings.models import Recording
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture
def db():
    url = create_pg_database()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(7):
            audit.record(s, audit.Actor("user", 99999, "660001", None), "recording.read" if i % 2 else "case.read",
                         "recording" if i % 2 else "case", i)
        s.commit()
        yield s
    engine.dispose()
    drop_pg_database(url)


def test_newest_first_pages_meet_without_gap_or_overlap(db):
    first = reports.entries(db, action="recording.*", newest_first=True, limit=2)
    rest = reports.entries(db, action="recording.*", newest_first=True, limit=2, before_id=first[-1]["id"])
    ids = [e["id"] for e in first + rest]
    assert [e["object_id"] for e in first + rest] == ["5", "3", "1"]  # the odd ones, written as recording.read
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    assert reports.entries(db, newest_first=True, before_id=min(ids), object_type="recording") == []


def test_a_read_from_another_unit_is_reported_with_both_units(db):
    owner, other = Unit(code="AU91", name="甲"), Unit(code="AU92", name="乙")
    db.add_all([owner, other])
    db.flush()
    reader = User(police_id="669201", name="丙", role="officer", unit_id=other.id, password_hash="x")
    rec = Recording(sha256="a" * 64, size_bytes=1, media_kind="video", original_filename="x.mp4", object_key="k",
                    unit_id=owner.id)
    db.add_all([reader, rec])
    db.flush()
    audit.record(db, audit.Actor("user", reader.id, "669201", None), "recording.read", "recording", rec.id)
    db.commit()
    [row] = reports.outside_unit_views(db, None, None)
    assert (row["user"], row["user_unit_code"], row["recording_id"], row["recording_unit_code"]) == \
        ("669201", "AU92", rec.id, "AU91")


def test_report_files_have_one_row_per_object_and_keep_formulas_inert():
    report = [{"user": "=cmd|' /C calc'!A0", "recording.view": ["recording:4", "recording:9"], "case.export": ["case:2"]}]
    rows = list(csv.reader(io.StringIO(report_files.as_file("access", "csv", report).decode("utf-8-sig"))))
    assert rows[0][0].startswith("警号")
    assert rows[1:] == [["'=cmd|' /C calc'!A0", "case.export", "导出案件证据包", "case", "2"],
                        ["'=cmd|' /C calc'!A0", "recording.view", "播放录像", "recording", "4"],
                        ["'=cmd|' /C calc'!A0", "recording.view", "播放录像", "recording", "9"]]
    outside = [{"at": datetime(2026, 12, 3, 1, 2, 3, tzinfo=timezone.utc), "user": "660401", "user_unit_id": 5,
                "user_unit_code": "AU04", "action": "recording.read", "recording_id": 7, "recording_unit_id": 4,
                "recording_unit_code": "AU03", "entry_id": 99}]
    rows = list(csv.reader(io.StringIO(report_files.as_file("outside_unit", "csv", outside).decode("utf-8-sig"))))
    assert rows[1] == ["2026-12-03 09:02:03", "660401", "AU04", "recording.read", "查看录像信息", "7", "AU03", "99"]
    assert report_files.as_file("outside_unit", "xlsx", outside)[:2] == b"PK"
