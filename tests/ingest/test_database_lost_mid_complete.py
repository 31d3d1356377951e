"""The database goes away between object storage assembling an upload and the server recording it.

The cluster failure test once saw this: the station's `complete` reached SeaweedFS (the multipart
upload was assembled into the original), then PostgreSQL restarted before the commit, so the
station got a 503 and the database still called the session open while storage no longer knew
the upload. Every retry of the station was then answered 500. Here the same state is made on
purpose against the real PostgreSQL and SeaweedFS: the test holds the session's row so that
`complete` waits after storage finished, and ends the API's database connection as a restart does.
"""

from __future__ import annotations

import os
import threading

import sqlalchemy as sa
from sqlalchemy import func, select

from docking_station.client import ServerError, StationClient, sha256_file
from evidence.db import session_scope
from evidence.recordings.models import Recording
from ingest.models import UploadSession
from storage.keys import original_key
from tests.conftest import unique
from tests.dock import dock, write_dock_env
from tests.helpers import meta_for, poll


def _complete_while_the_database_restarts(service, client: StationClient, session_id: str) -> ServerError:
    """Run the station's `complete` and cut its database connection once storage has assembled the upload."""
    engine = sa.create_engine(service.env["EVIDENCE_DATABASE_URL"])
    watcher = sa.create_engine(service.env["EVIDENCE_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    answer: dict = {}

    def complete():
        try:
            answer["ok"] = client.complete(session_id)
        except ServerError as exc:
            answer["error"] = exc

    try:
        with engine.connect() as holder, watcher.connect() as watch:
            holder.execute(sa.text("SELECT id FROM upload_sessions WHERE id = :id FOR UPDATE"), {"id": session_id})
            thread = threading.Thread(target=complete, daemon=True)
            thread.start()
            # The API writes the session only after storage answered: once it waits on our row,
            # the upload is assembled in storage and not yet recorded.
            waiting = poll("the API's complete waits on the session row", lambda: watch.scalars(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid() AND query ILIKE '%upload_sessions%'")).all(), timeout=30, every=0.05)
            for pid in waiting:
                watch.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            thread.join(60)
            holder.rollback()
    finally:
        engine.dispose()
        watcher.dispose()
    assert "error" in answer, f"complete went through although its database connection was cut: {answer}"
    return answer["error"]


def test_an_upload_assembled_before_a_database_restart_is_verified_on_the_stations_retry(world, service, store,
                                                                                             tmp_path):
    serial, officer = unique("CAMR").upper(), world.users["officer_a"][0]
    camera = tmp_path / "camera"
    (camera / "DCIM").mkdir(parents=True)
    path = camera / "DCIM" / f"{serial}_{officer}_20261128100000_0026.mp4"
    path.write_bytes(os.urandom(4600))  # one small part, as LOG0026.DAT was
    sha = sha256_file(path)

    client = StationClient(service.base_url, world.station_key)
    try:
        opened = client.open_session(meta_for(path, police_id=officer, serial=serial))
        assert opened["status"] == "open" and opened["part_count"] == 1
        client.send_parts(path, opened)
        error = _complete_while_the_database_restarts(service, client, opened["session_id"])
        assert error.status == 503, error  # "database not reachable": the station will try again

        # The state the cluster test ended in: the original is assembled in storage, the database
        # still says the upload is open.
        assert store.stat_original(original_key(sha)) is not None
        with session_scope() as s:
            assert s.get(UploadSession, opened["session_id"]).status == "open"

        # A station asking where its upload stands gets an answer, not a 500.
        progress = client.progress(opened["session_id"])
        assert progress["status"] == "open" and progress["parts"] == [], progress
    finally:
        client.close()

    # The dock agent, as the operator runs it, finishes the file: verified, then wiped from the camera.
    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool",
                         verify_timeout_seconds=90)
    result = dock("ingest", str(camera), env_file=env, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not path.exists(), "a verified file is wiped from the camera"
    assert "HTTP 500" not in (tmp_path / "spool" / "agent.log").read_text()

    with session_scope() as s:
        recs = s.scalars(select(Recording).where(Recording.sha256 == sha)).all()
        assert len(recs) == 1 and recs[0].status == "verified", [(r.status, r.status_reason) for r in recs]
        assert s.scalar(select(func.count()).select_from(UploadSession).where(
            UploadSession.recording_id == recs[0].id)) == 1, "the interrupted session itself was finished"
    # Exactly one stored original, byte for byte the camera's file.
    versions = [o for o in store.client.list_objects(store.originals, prefix=original_key(sha), include_version=True)
                if o.object_name == original_key(sha)]
    assert len(versions) == 1
    assert store.hash_original(original_key(sha)) == (sha, 4600)
