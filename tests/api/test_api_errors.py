"""Inputs that used to answer 500, and error bodies that did not match the published schema
(issue 10, item 13). Each is a case schemathesis found, pinned down here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from evidence.identity.security import ALGORITHM


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/api/v1/recordings/9223372036854775808", "/api/v1/recordings/2147483648",
                                  "/api/v1/cases/9223372036854775808", "/api/v1/coverage/events?unit_id=2147483648",
                                  "/api/v1/audit/entries?after_id=9223372036854775808",
                                  "/api/v1/recordings?page=9223372036854775807"])
def test_ids_past_the_database_range_are_a_422_naming_the_range(service, admin_token, path):
    r = service.http.get(path, headers=_auth(admin_token))
    assert r.status_code == 422, (path, r.status_code, r.text[:200])
    assert "less than or equal to" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("sub", ["abc", "", "1.5", "99999999999999999999"])
def test_a_signed_token_whose_subject_is_not_a_user_id_is_a_401(service, sub):
    secret = service.env["EVIDENCE_SECRET_KEY"]
    token = jwt.encode({"sub": sub, "role": "admin", "exp": datetime.now(timezone.utc) + timedelta(minutes=5)},
                       secret, algorithm=ALGORITHM)
    r = service.http.get("/api/v1/auth/me", headers=_auth(token))
    assert r.status_code == 401 and r.json()["detail"] == "login token is not valid", r.text[:200]


def test_a_bare_carriage_return_in_an_assignments_csv_ends_a_line(service, admin_token, world):
    """Old Mac Excel ends lines with a bare CR: the rows import like any others."""
    officer = world.users["officer_a"][0]
    data = (f"device_id,police_id,assigned_from,assigned_to\rCR1-{officer},{officer},2026-01-01T00:00:00,\r"
            f"CR2-{officer},{officer},2026-01-02T00:00:00,\r").encode()
    r = service.http.post("/api/v1/device-assignments/import", headers=_auth(admin_token),
                          files={"file": ("a.csv", data, "text/csv")})
    assert r.status_code == 200, r.text[:200]
    assert r.json()["imported"] == 2 and r.json()["errors"] == []


def test_an_unreadable_assignments_csv_is_a_clear_422(service, admin_token):
    data = b"device_id,police_id,assigned_from,assigned_to\nCAM1,P1\x00,2026-01-01T00:00:00,\n"
    r = service.http.post("/api/v1/device-assignments/import", headers=_auth(admin_token),
                          files={"file": ("a.csv", data, "text/csv")})
    assert r.status_code == 422, r.text[:200]
    assert "line 2" in r.json()["detail"] and "CSV" in r.json()["detail"]


def test_a_domain_422_matches_the_published_schema(service, admin_token):
    r = service.http.post("/api/v1/users", headers=_auth(admin_token),
                          json={"police_id": "", "name": "x", "role": "officer", "password": "long enough pw"})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)
    spec = service.http.get("/openapi.json").json()
    declared = spec["paths"]["/api/v1/users"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    refs = {s.get("$ref") for s in declared.get("anyOf", [declared])}
    assert "#/components/schemas/Message" in refs
    assert spec["components"]["schemas"]["Message"]["properties"]["detail"]["type"] == "string"


def test_the_device_clock_start_is_not_promised_as_an_rfc3339_time(service):
    spec = service.http.get("/openapi.json").json()
    field = spec["components"]["schemas"]["RecordingOut"]["properties"]["started_at_device"]
    assert "date-time" not in str(field)


@pytest.mark.parametrize("police_id", ["A\x00B", "P1\x00"])
def test_a_nul_character_the_database_cannot_store_is_a_422(service, police_id):
    r = service.http.post("/api/v1/auth/login", json={"police_id": police_id, "password": "whatever123"})
    assert r.status_code == 422, r.text[:200]
    assert "NUL" in r.json()["detail"]
