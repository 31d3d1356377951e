"""A court export that fails cannot be taken for a good one: an error status when it fails before
its first byte, a cut-off transfer (never a complete ZIP) when it fails later, and an audit entry
of the failure either way. The failure here is an original whose bytes no longer match its hash."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.recordings.models import Recording
from tests.conftest import unique
from tests.helpers import random_file, upload_as


def _case_with_changed_original(world, service, tmp_path, size: int) -> tuple[int, int, str]:
    """A case with one attached recording whose recorded hash no longer matches the stored bytes."""
    rec_id = upload_as(world, random_file(tmp_path / f"{unique('clip')}.mp4", size), world.users["officer_a"][0],
                       serial=unique("CAMF").upper())
    http, handler = service.http, world.headers("case_handler")
    r = http.post("/api/v1/cases", headers=handler, json={
        "case_no": unique("FX").upper(), "case_type": "accident", "unit_code": world.units["dd1"]["code"],
        "handlers": [world.users["case_handler"][0]]})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    assert http.post(f"/api/v1/cases/{case_id}/recordings", headers=handler,
                     json={"recording_id": rec_id}).status_code == 201
    with session_scope() as s:
        rec = s.get(Recording, rec_id)
        true_sha, rec.sha256 = rec.sha256, unique("f" * 56)
    return case_id, rec_id, true_sha


def _restore(rec_id: int, sha: str) -> None:
    with session_scope() as s:
        s.get(Recording, rec_id).sha256 = sha


def _failures(case_id: int) -> list[AuditEntry]:
    with session_scope() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == "case.export_failed",
                                                  AuditEntry.object_id == str(case_id))).all()


def test_an_export_failing_before_its_first_byte_is_an_error_status(world, service, tmp_path):
    case_id, rec_id, sha = _case_with_changed_original(world, service, tmp_path, 200_000)
    try:
        r = service.http.get(f"/api/v1/cases/{case_id}/export", headers=world.headers("case_handler"))
        assert r.status_code == 500, (r.status_code, r.headers, len(r.content))
        assert f"recording {rec_id}: stored original hashes to {sha}" in r.json()["detail"]
        assert "audit log" in r.json()["detail"]
        [failure] = _failures(case_id)
        assert failure.actor_label == world.users["case_handler"][0] and "FixityError" in failure.detail
    finally:
        _restore(rec_id, sha)
    ok = service.http.get(f"/api/v1/cases/{case_id}/export", headers=world.headers("case_handler"))
    assert ok.status_code == 200 and zipfile.is_zipfile(io.BytesIO(ok.content))


def test_an_export_failing_midway_is_cut_off_not_completed(world, service, tmp_path):
    case_id, rec_id, sha = _case_with_changed_original(world, service, tmp_path, 3 * 1024 * 1024)
    got = bytearray()
    try:
        with service.http.stream("GET", f"/api/v1/cases/{case_id}/export",
                                 headers=world.headers("case_handler")) as r:
            assert r.status_code == 200  # the bytes were flowing before the mismatch showed
            with pytest.raises(httpx.RemoteProtocolError):
                for chunk in r.iter_bytes():
                    got += chunk
        assert len(got) > 1024 * 1024 and not zipfile.is_zipfile(io.BytesIO(bytes(got)))
        [failure] = _failures(case_id)
        assert f"recording {rec_id}" in failure.detail
    finally:
        _restore(rec_id, sha)
