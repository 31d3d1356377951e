"""Who may call what: each role sees only its reach, stations read nothing, and reads are audited."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from evidence.timeutil import utcnow
from tests.helpers import random_file, upload_as


@pytest.fixture(scope="module")
def recordings(world, tmp_path_factory):
    """One verified recording for each of officer_a, officer_b (same 中队) and officer_c (other 大队)."""
    d = tmp_path_factory.mktemp("access")
    out = {}
    for name in ("officer_a", "officer_b", "officer_c"):
        path = random_file(d / f"{name}.mp4", 256 * 1024)
        out[name] = upload_as(world, path, world.users[name][0])
    return out


def ids(response: httpx.Response) -> set[int]:
    assert response.status_code == 200, response.text
    return {r["id"] for r in response.json()["items"]}


def test_officer_sees_and_downloads_only_own_recordings(world, service, recordings):
    http, a = service.http, world.headers("officer_a")
    assert ids(http.get("/api/v1/recordings", headers=a, params={"page_size": 500})) == {recordings["officer_a"]}
    for other in ("officer_b", "officer_c"):
        assert http.get(f"/api/v1/recordings/{recordings[other]}", headers=a).status_code == 404
        assert http.post(f"/api/v1/recordings/{recordings[other]}/download", headers=a).status_code == 404
    r = http.post(f"/api/v1/recordings/{recordings['officer_a']}/download", headers=a)
    assert r.status_code == 200
    assert httpx.get(r.json()["url"]).status_code == 200


def test_supervisor_sees_own_unit_subtree_only(world, service, recordings):
    http = service.http
    dd1 = ids(http.get("/api/v1/recordings", headers=world.headers("supervisor_dd1"), params={"page_size": 500}))
    assert {recordings["officer_a"], recordings["officer_b"]} <= dd1
    assert recordings["officer_c"] not in dd1
    dd2 = ids(http.get("/api/v1/recordings", headers=world.headers("supervisor_dd2"), params={"page_size": 500}))
    assert recordings["officer_c"] in dd2
    assert not {recordings["officer_a"], recordings["officer_b"]} & dd2
    r = http.post(f"/api/v1/recordings/{recordings['officer_c']}/download", headers=world.headers("supervisor_dd1"))
    assert r.status_code == 404


def test_admin_sees_all_and_auditor_reads_but_cannot_download(world, service, recordings):
    http = service.http
    every = set(recordings.values())
    assert every <= ids(http.get("/api/v1/recordings", headers=world.headers("admin2"), params={"page_size": 500}))
    assert every <= ids(http.get("/api/v1/recordings", headers=world.headers("auditor"), params={"page_size": 500}))
    r = http.post(f"/api/v1/recordings/{recordings['officer_a']}/download", headers=world.headers("auditor"))
    assert r.status_code == 403 and "may not download" in r.json()["detail"]


def test_station_key_reads_nothing(world, service, recordings):
    http, station = service.http, world.headers("station")
    for method, url in (("GET", "/api/v1/recordings"), ("GET", f"/api/v1/recordings/{recordings['officer_a']}"),
                        ("POST", f"/api/v1/recordings/{recordings['officer_a']}/download"),
                        ("GET", "/api/v1/users"), ("GET", "/api/v1/audit/verify"), ("GET", "/api/v1/units")):
        r = http.request(method, url, headers=station)
        assert r.status_code == 403, (url, r.text)
        assert "stations may not" in r.json()["detail"]


def test_users_cannot_use_the_station_protocol(world, service):
    r = service.http.post("/api/v1/ingest/sessions", headers=world.headers("admin2"), json={})
    assert r.status_code == 403 and "only docking stations" in r.json()["detail"]
    assert service.http.post("/api/v1/ingest/sessions", json={}).status_code == 401


@pytest.mark.parametrize("method,url", [
    ("POST", "/api/v1/units"), ("POST", "/api/v1/users"), ("GET", "/api/v1/users"),
    ("POST", "/api/v1/stations"), ("GET", "/api/v1/stations"), ("POST", "/api/v1/stations/1/revoke"),
    ("POST", "/api/v1/devices"), ("POST", "/api/v1/device-assignments/import"),
])
def test_administration_is_for_admins_only(world, service, method, url):
    for who in ("officer_a", "supervisor_dd1", "case_handler", "auditor"):
        r = service.http.request(method, url, headers=world.headers(who), json={})
        assert r.status_code == 403, (who, url, r.text)
    assert service.http.request(method, url, json={}).status_code == 401


def test_audit_verify_is_for_admin_and_auditor(world, service):
    for who, code in (("auditor", 200), ("admin2", 200), ("officer_a", 403), ("supervisor_dd1", 403)):
        assert service.http.get("/api/v1/audit/verify", headers=world.headers(who)).status_code == code


def test_expired_forged_and_missing_tokens_are_refused(world, service):
    police_id = world.users["officer_a"][0]
    with session_scope() as s:
        from evidence.identity.models import User
        user_id = s.scalar(select(User.id).where(User.police_id == police_id))
    secret = service.env["EVIDENCE_SECRET_KEY"]
    past = utcnow() - timedelta(hours=1)
    expired = jwt.encode({"sub": str(user_id), "exp": past, "iat": past - timedelta(minutes=30)}, secret, "HS256")
    forged = jwt.encode({"sub": str(user_id), "exp": utcnow() + timedelta(hours=1)}, "not-the-key-but-long-enough-to-be-a-key-0123456789", "HS256")
    r = service.http.get("/api/v1/recordings", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    r = service.http.get("/api/v1/recordings", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert service.http.get("/api/v1/recordings").status_code == 401


def test_wrong_password_is_refused_and_audited(world, service):
    police_id = world.users["officer_b"][0]
    r = service.http.post("/api/v1/auth/login", json={"police_id": police_id, "password": "wrong password"})
    assert r.status_code == 401
    with session_scope() as s:
        last = s.scalars(select(AuditEntry).where(AuditEntry.actor_label == police_id)
                         .order_by(AuditEntry.id.desc())).first()
        assert last.action == "auth.login_failed"


def test_revoked_station_key_stops_working(world, service, admin_token):
    auth = {"Authorization": f"Bearer {admin_token}"}
    created = service.http.post("/api/v1/stations", headers=auth, json={"name": "to revoke"}).json()
    key = {"X-Station-Key": created["api_key"]}
    assert service.http.get("/api/v1/ingest/sessions/nope", headers=key).status_code == 404
    assert service.http.post(f"/api/v1/stations/{created['id']}/revoke", headers=auth).status_code == 200
    r = service.http.get("/api/v1/ingest/sessions/nope", headers=key)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    listed = {s["id"]: s for s in service.http.get("/api/v1/stations", headers=auth).json()}
    assert listed[created["id"]]["revoked_at"] is not None
    assert "api_key" not in listed[created["id"]]


def test_every_read_and_download_is_audited(world, service, recordings):
    http, headers = service.http, world.headers("supervisor_dd1")
    rec_id = recordings["officer_b"]
    user_police_id = world.users["supervisor_dd1"][0]

    def count(action: str) -> int:
        with session_scope() as s:
            return len(s.scalars(select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_id == str(rec_id),
                AuditEntry.actor_label == user_police_id)).all())

    reads, downloads = count("recording.read"), count("recording.download")
    http.get(f"/api/v1/recordings/{rec_id}", headers=headers)
    http.post(f"/api/v1/recordings/{rec_id}/download", headers=headers)
    http.post(f"/api/v1/recordings/{rec_id}/download", headers=headers)
    assert count("recording.read") == reads + 1
    assert count("recording.download") == downloads + 2
    with session_scope() as s:
        search = s.scalars(select(AuditEntry).where(AuditEntry.action == "recording.search",
                                                    AuditEntry.actor_label == user_police_id)).all()
    before = len(search)
    http.get("/api/v1/recordings", headers=headers)
    with session_scope() as s:
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "recording.search",
                                                      AuditEntry.actor_label == user_police_id)).all()) == before + 1


def test_station_heartbeat_is_visible_to_admins_only(world, service, admin_token):
    beat = {"version": "dock 0.1.0", "spool_used_bytes": 123, "spool_free_bytes": 456, "queue_length": 7,
            "last_error": "server unreachable at 10:00"}
    r = service.http.post("/api/v1/stations/heartbeat", headers=world.headers("station"), json=beat)
    assert r.status_code == 200, r.text
    assert service.http.post("/api/v1/stations/heartbeat", headers=world.headers("officer_a"), json=beat).status_code == 403
    stations = service.http.get("/api/v1/stations", headers={"Authorization": f"Bearer {admin_token}"}).json()
    mine = next(s for s in stations if s["id"] == world.station_id)
    assert (mine["agent_version"], mine["queue_length"], mine["last_error"]) == ("dock 0.1.0", 7, beat["last_error"])
    assert mine["heartbeat_at"] is not None
    assert service.http.get("/api/v1/stations", headers=world.headers("supervisor_dd1")).status_code == 403
