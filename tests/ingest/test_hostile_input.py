"""Untrusted filenames and metadata get a clear 4xx; nothing is written anywhere."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from evidence.db import session_scope
from evidence.recordings.models import Recording

GOOD = {"sha256": "ab" * 32, "size_bytes": 1024, "filename": "CAM01_000001_20261128093000_0001.mp4",
        "device_serial": "CAM01", "police_id": "000001", "started_at": "2026-11-28T09:30:00",
        "time_source": "filename", "important": False}

HOSTILE = [
    ("filename", "../../etc/passwd", "no directories"),
    ("filename", "..", "'..'"),
    ("filename", "videos/clip.mp4", "without '/'"),
    ("filename", "C:\\clips\\clip.mp4", "without '/' or '\\'"),
    ("filename", "clip\x00.mp4", "control"),
    ("filename", "clip\n.mp4", "control"),
    ("filename", "clip\u202egnp.mp4", "control or invisible"),
    ("filename", "a" * 300 + ".mp4", "at most 255"),
    ("filename", "录" * 90 + ".mp4", "at most 255"),
    ("filename", "\u0958" * 85, "510 bytes in UTF-8 after Unicode NFC normalisation (given: 255 bytes)"),
    ("filename_raw_hex", "zz", "hexadecimal"),
    ("filename_raw_hex", "abc", "even number"),
    ("filename_raw_hex", "2e2e2f6574632f706173737764", "bare name"),
    ("filename", "clip\ud800.mp4", "not valid"),
    ("filename", "bad\ufffdname.mp4", "not valid UTF-8"),
    ("filename", "   ", "empty"),
    ("sha256", "xyz", "64 hexadecimal"),
    ("sha256", "ab" * 33, "64 hexadecimal"),
    ("size_bytes", -1, "negative"),
    ("size_bytes", 10**16, "exceeds"),
    ("started_at", "0001-01-01T00:00:00", "not a storable time"),  # a merely wrong camera clock is accepted
    ("started_at", "not a time", "datetime"),
    ("docked_at", "1999-12-31T23:59:59+08:00", "check the clock of the dock pc"),
    ("device_serial", "../CAM", "device_serial"),
    ("device_serial", "x" * 65, "device_serial"),
    ("police_id", "<script>", "police_id"),
    ("time_source", "psychic", "time_source"),
    ("important", "perhaps", "important"),
]


def _recordings() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(Recording))


def _objects(store) -> int:
    return sum(1 for _ in store.client.list_objects(store.originals, recursive=True))


@pytest.mark.parametrize("field,value,message", HOSTILE, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(HOSTILE)])
def test_hostile_metadata_is_refused_with_a_clear_message(world, service, store, field, value, message):
    before_rows, before_objects = _recordings(), _objects(store)
    body = json.dumps({**GOOD, field: value})  # json escapes lone surrogates as \\ud800
    r = service.http.post("/api/v1/ingest/sessions", content=body,
                          headers={**world.headers("station"), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    text = " ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    assert field in text and message.lower() in text.lower(), text
    assert _recordings() == before_rows
    assert _objects(store) == before_objects


def test_undecodable_bytes_in_the_request_are_a_4xx_not_a_crash(world, service, store):
    body = json.dumps(GOOD).replace("CAM01_000001", "CAM01_\udcff").encode("utf-8", "surrogateescape")
    r = service.http.post("/api/v1/ingest/sessions", content=body,
                          headers={**world.headers("station"), "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("name", ["执法记录 2026-11-28 上午.mp4", "clip with spaces (1).MOV", "x" * 200 + ".mp4",
                                  "no_extension", "ünïcödé.jpg"])
def test_odd_but_honest_names_are_accepted(world, service, name):
    body = {**GOOD, "filename": name, "sha256": __import__("hashlib").sha256(name.encode()).hexdigest()}
    r = service.http.post("/api/v1/ingest/sessions", json=body, headers=world.headers("station"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"
    rec = service.http.get(f"/api/v1/recordings/{r.json()['recording_id']}", headers=world.headers("admin2")).json()
    assert rec["original_filename"] == name
    assert rec["media_kind"] == ("other" if name == "no_extension" else rec["media_kind"])
