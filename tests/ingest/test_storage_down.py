"""Object storage goes away while the API runs: the station is told to send again later (503 with
Retry-After, in words it can log), nothing half-made is kept, and the same request goes through
once storage is back. Before, the S3 client's connection error reached the station as a bare 500.

The API here is the session's (it serves from this process), pointed for this test at a SeaweedFS
of its own that the test stops and starts again; the session's SeaweedFS is never touched.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

from sqlalchemy import func, select

from evidence.db import reset_caches, session_scope
from evidence.store import get_store
from ingest.models import UploadSession
from storage.seaweedfs import SeaweedFS
from tests.helpers import meta_for, random_file


@contextmanager
def api_storage(server: SeaweedFS, secret_key: str | None = None):
    """The in-process API's object storage is `server` (signed with secret_key if given) until the block ends."""
    keys = ("EVIDENCE_S3_ENDPOINT", "EVIDENCE_S3_ACCESS_KEY", "EVIDENCE_S3_SECRET_KEY")
    before = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict(zip(keys, (server.endpoint, server.access_key, secret_key or server.secret_key))))
    reset_caches()
    get_store.cache_clear()
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_caches()
        get_store.cache_clear()


def _sessions_of(sha256: str) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(UploadSession).where(UploadSession.sha256 == sha256))


def test_a_station_is_told_to_retry_while_object_storage_is_down(service, world, tmp_path):
    own = SeaweedFS(tmp_path / "s3", "down-test", secrets.token_hex(16)).start()
    officer = world.users["officer_a"][0]
    first, second = random_file(tmp_path / "first.mp4", 4096), random_file(tmp_path / "second.mp4", 4096)
    try:
        with api_storage(own):
            r = service.http.post("/api/v1/ingest/sessions", json=meta_for(first, police_id=officer),
                                  headers=world.headers("station"))
            assert r.status_code == 200, r.text  # storage up: the upload opens as always

            own.stop()
            body = meta_for(second, police_id=officer)
            r = service.http.post("/api/v1/ingest/sessions", json=body, headers=world.headers("station"))
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "5"
            assert "object storage is not reachable" in r.json()["detail"]
            assert _sessions_of(body["sha256"]) == 0  # no session without its upload in storage

            own.start()  # back on the same port: the station's retry goes through
            r = service.http.post("/api/v1/ingest/sessions", json=body, headers=world.headers("station"))
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "open" and r.json()["parts"]
            assert _sessions_of(body["sha256"]) == 1

        # A refusal is no outage: a wrong key is the administrator's to fix, named, and not retried.
        third = meta_for(random_file(tmp_path / "third.mp4", 4096), police_id=officer)
        with api_storage(own, secret_key="not-the-key"):
            r = service.http.post("/api/v1/ingest/sessions", json=third, headers=world.headers("station"))
            assert r.status_code == 500, r.text
            assert "Retry-After" not in r.headers
            assert "object storage refused the request (AccessDenied)" in r.json()["detail"]
            assert _sessions_of(third["sha256"]) == 0
    finally:
        own.stop()
