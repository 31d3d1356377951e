"""The evidence library listing and its bulk actions over HTTP: filters, sort, paging, the rows'
extra fields, unit reach, roles, and the poster URL signer."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from evidence.coverage.models import EnforcementEvent, RecordingEventLink
from evidence.db import session_scope
from evidence.audit.models import AuditEntry
from evidence.recordings.models import Recording
from evidence.identity.models import User
from storage.keys import original_key
from tests.conftest import unique

UTC = timezone.utc
LIST = "/api/v1/library/recordings"


def _stored(store, police_id: str, started: datetime, kind: str = "video", state: str = "ready",
            duration: float | None = 10.0, serial: str = "CAMLIB1", reason: str | None = None) -> int:
    """A verified recording as the pipeline leaves it (bytes in storage, row written)."""
    data = os.urandom(64)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    key = original_key(sha)
    version = store.put_original(key, io.BytesIO(data), len(data))
    with session_scope() as s:
        officer = s.scalar(select(User).where(User.police_id == police_id))
        rec = Recording(sha256=sha, size_bytes=len(data), media_kind=kind, original_filename=f"{sha[:8]}.bin",
                        object_key=key, object_version=version, officer_id=officer.id, officer_source="assignment",
                        unit_id=officer.unit_id, started_at=started, status="verified", verified_at=started,
                        processing_state=state, processing_reason=reason, duration_seconds=duration,
                        device_serial=serial, time_source="filename")
        s.add(rec)
        s.flush()
        return rec.id


@pytest.fixture(scope="module")
def lib(world, store):
    a = world.users["officer_a"][0]
    c = world.users["officer_c"][0]
    serial = unique("CAM").upper()
    ids = {
        "a_video": _stored(store, a, datetime(2026, 11, 1, 2, 0, tzinfo=UTC), duration=30, serial=serial),
        "a_audio": _stored(store, a, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), kind="audio", state="queued", duration=5,
                           serial=serial),
        "a_bad": _stored(store, a, datetime(2026, 11, 3, 2, 0, tzinfo=UTC), state="unplayable", duration=60,
                         serial=serial, reason="no video stream"),
        "c_video": _stored(store, c, datetime(2026, 11, 1, 3, 0, tzinfo=UTC), serial=unique("CAM").upper()),
    }
    return ids


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["items"]]


def test_a_case_handler_sees_his_units_recordings_with_officer_and_filters_narrow_them(world, lib):
    http, h = world.service.http, world.headers("case_handler")
    r = http.get(LIST, headers=h)
    assert _ids(r) == [lib["a_bad"], lib["a_audio"], lib["a_video"]], "newest first, only his unit's"
    body = r.json()
    assert body["total"] == 3 and body["total_exact"]
    row = body["items"][0]
    assert row["officer_police_id"] == world.users["officer_a"][0] and row["officer_name"] == "officer_a"
    assert row["unit_code"] == world.units["zhd1"]["code"]
    assert row["processing_state"] == "unplayable" and row["processing_reason"] == "no video stream"
    assert row["event_ids"] == [] and row["cases"] == [] and row["poster_url"] is None

    assert _ids(http.get(LIST, headers=h, params={"kind": "audio"})) == [lib["a_audio"]]
    assert _ids(http.get(LIST, headers=h, params={"state": "unplayable"})) == [lib["a_bad"]]
    # Days in the unit's zone (Asia/Shanghai): 2026-11-02 00:00 to 2026-11-03 00:00 is 11-01 16:00Z to 11-02 16:00Z.
    assert _ids(http.get(LIST, headers=h, params={"start_from": "2026-11-02T00:00:00",
                                                  "start_to": "2026-11-03T00:00:00"})) == [lib["a_audio"]]
    assert _ids(http.get(LIST, headers=h, params={"officer": world.users["officer_a"][0], "kind": "video"})) == \
        [lib["a_bad"], lib["a_video"]]
    assert _ids(http.get(LIST, headers=h, params={"unit": world.units["zhd1"]["code"]})) == \
        [lib["a_bad"], lib["a_audio"], lib["a_video"]]
    assert _ids(http.get(LIST, headers=h, params={"important": "true"})) == []


def test_sort_and_paging(world, lib):
    http, h = world.service.http, world.headers("case_handler")
    assert _ids(http.get(LIST, headers=h, params={"sort": "duration", "order": "asc"})) == \
        [lib["a_audio"], lib["a_video"], lib["a_bad"]]
    assert _ids(http.get(LIST, headers=h, params={"sort": "kind", "order": "asc"}))[0] == lib["a_audio"]
    first = http.get(LIST, headers=h, params={"page_size": 2})
    assert _ids(first) == [lib["a_bad"], lib["a_audio"]] and first.json()["total"] == 3
    second = http.get(LIST, headers=h, params={"page_size": 2, "page": 2, "with_total": "false"})
    assert _ids(second) == [lib["a_video"]]
    assert http.get(LIST, headers=h, params={"page_size": 2, "page": 2}).json()["total"] == 3
    assert http.get(LIST, headers=h, params={"page_size": 2, "with_total": "false"}).json()["total"] is None
    assert http.get(LIST, headers=h, params={"sort": "sha256"}).status_code == 422, "sort columns are whitelisted"
    assert http.get(LIST, headers=h, params={"order": "sideways"}).status_code == 422


def test_another_units_recordings_never_appear(world, lib):
    http = world.service.http
    other_unit = {"unit": world.units["dd2"]["code"]}
    assert _ids(http.get(LIST, headers=world.headers("case_handler"), params=other_unit)) == []
    assert _ids(http.get(LIST, headers=world.headers("case_handler"),
                         params={"officer": world.users["officer_c"][0]})) == []
    assert _ids(http.get(LIST, headers=world.headers("supervisor_dd2"))) == [lib["c_video"]]
    assert _ids(http.get(LIST, headers=world.headers("officer_c"))) == [lib["c_video"]]
    assert _ids(http.get(LIST, headers=world.headers("officer_b"))) == [], "an officer sees only his own"
    assert set(_ids(http.get(LIST, headers=world.headers("supervisor_dd1")))) == \
        {lib["a_bad"], lib["a_audio"], lib["a_video"]}


def test_links_cases_and_the_link_filters(world, lib):
    http, h = world.service.http, world.headers("case_handler")
    event_id, case_no = unique("EV").upper(), unique("AJ").upper()
    with session_scope() as s:
        event = EnforcementEvent(event_id=event_id, event_type="现场处罚", started_at=datetime(2026, 11, 1, 2, tzinfo=UTC),
                                 unit_id=world.units["zhd1"]["id"], police_ids=world.users["officer_a"][0])
        s.add(event)
        s.flush()
        s.add(RecordingEventLink(recording_id=lib["a_video"], event_id=event.id, source="manual"))
    r = http.post("/api/v1/cases", headers=h, json={"case_no": case_no, "case_type": "accident", "title": "library",
                                                    "handlers": [world.users["case_handler"][0]]})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = http.post("/api/v1/library/bulk", headers=h, json={"action": "attach", "recording_ids": [lib["a_bad"]],
                                                          "case_id": case_id, "note": "from the library"})
    assert r.status_code == 200 and r.json()["changed"] == 1, r.text

    assert _ids(http.get(LIST, headers=h, params={"event_id": event_id})) == [lib["a_video"]]
    assert _ids(http.get(LIST, headers=h, params={"case_no": case_no})) == [lib["a_bad"]]
    assert _ids(http.get(LIST, headers=h, params={"linked": "true"})) == [lib["a_bad"], lib["a_video"]]
    assert _ids(http.get(LIST, headers=h, params={"linked": "false"})) == [lib["a_audio"]]
    rows = {r["id"]: r for r in http.get(LIST, headers=h).json()["items"]}
    assert rows[lib["a_video"]]["event_ids"] == [event_id]
    assert rows[lib["a_bad"]]["cases"] == [{"id": case_id, "case_no": case_no}]
    assert _ids(http.get(LIST, headers=h, params={"event_id": "NO-SUCH-EVENT"})) == []
    # The other brigade's supervisor finds nothing by this case or event.
    assert _ids(http.get(LIST, headers=world.headers("supervisor_dd2"), params={"case_no": case_no})) == []


def test_bulk_actions_follow_the_roles_and_are_audited(world, lib):
    http = world.service.http
    ids = [lib["a_audio"], lib["a_video"]]
    r = http.post("/api/v1/library/bulk", headers=world.headers("case_handler"),
                  json={"action": "important", "recording_ids": ids})
    assert r.status_code == 200 and r.json()["changed"] == 2, r.text
    assert set(_ids(http.get(LIST, headers=world.headers("case_handler"), params={"important": "true"}))) == set(ids)
    with session_scope() as s:
        audited = s.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "recording.important",
                                                               AuditEntry.object_id.in_([str(i) for i in ids]))).all()
    assert sorted(audited) == sorted(str(i) for i in ids)

    r = http.post("/api/v1/library/bulk", headers=world.headers("case_handler"),
                  json={"action": "hold", "recording_ids": ids})
    assert r.status_code == 403, "a case handler may not place a legal hold"
    assert http.post("/api/v1/library/bulk", headers=world.headers("officer_a"),
                     json={"action": "important", "recording_ids": ids}).status_code == 403
    r = http.post("/api/v1/library/bulk", headers=world.headers("supervisor_dd2"),
                  json={"action": "hold", "recording_ids": ids, "reason": "x"})
    assert r.status_code == 200 and r.json()["changed"] == 0, "another unit's recordings are not found"
    assert all("not found" in x["error"] for x in r.json()["results"])
    r = http.post("/api/v1/library/bulk", headers=world.headers("supervisor_dd1"),
                  json={"action": "hold", "recording_ids": [lib["a_audio"]], "reason": "complaint"})
    assert r.status_code == 200 and r.json()["changed"] == 1, r.text
    row = next(x for x in http.get(LIST, headers=world.headers("supervisor_dd1")).json()["items"]
               if x["id"] == lib["a_audio"])
    assert row["legal_hold"] and row["important"]
    r = http.post("/api/v1/library/bulk", headers=world.headers("case_handler"),
                  json={"action": "important", "recording_ids": ids, "on": False})
    assert r.json()["changed"] == 2
    assert _ids(http.get(LIST, headers=world.headers("case_handler"), params={"important": "true"})) == []


def test_every_listing_is_audited_with_the_ids_returned(world, lib):
    http = world.service.http
    http.get(LIST, headers=world.headers("officer_c"), params={"kind": "video"})
    with session_scope() as s:
        last = s.scalars(select(AuditEntry).where(AuditEntry.action == "recording.search",
                                                  AuditEntry.actor_label.contains(world.users["officer_c"][0]))
                         .order_by(AuditEntry.id.desc()).limit(1)).first()
    assert last is not None and str(lib["c_video"]) in last.detail and '"kind": "video"' in last.detail


def test_poster_urls_are_signed_exactly_as_the_storage_sdk_signs_them():
    from storage.presign import GetSigner
    from storage.s3 import ObjectStore

    store = ObjectStore("127.0.0.1:8333", "evidence", "s3cr/t+key", originals_bucket="originals",
                        derived_bucket="derived")
    signer = GetSigner("127.0.0.1:8333", "evidence", "s3cr/t+key")
    at = datetime(2026, 12, 3, 8, 0, 5, tzinfo=UTC)
    for key in ("derived/ab/abcdef/poster.jpg", "derived/x y+z/ä.jpg"):
        expected = store.presigner.get_presigned_url("GET", "derived", key, expires=timedelta(seconds=900),
                                                     request_date=at)
        assert signer.url("derived", key, timedelta(seconds=900), at) == expected
