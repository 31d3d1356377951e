"""Logins: throttled per account and per address (429 + Retry-After, then a lock an admin can
lift), a password policy beyond length, and admins disabling accounts and resetting passwords.

The test client reaches uvicorn from 127.0.0.1, which uvicorn trusts for X-Forwarded-For, so
each test speaks from its own made-up address and the rest of the suite is not throttled.
Growing delays are passed without sleeping: the test moves the stored wait into the past, as
if the caller had waited it out, and reads the delays from the database, not from a clock.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text

from evidence.audit.models import AuditEntry
from evidence.db import session_scope
from tests.conftest import unique

LOGIN = "/api/v1/auth/login"


def _new_user(service, admin_token, role="auditor") -> tuple[dict, str]:
    police_id, password = unique("L").upper(), secrets.token_urlsafe(12)
    r = service.http.post("/api/v1/users", headers={"Authorization": f"Bearer {admin_token}"},
                          json={"police_id": police_id, "name": "login test", "role": role, "password": password})
    assert r.status_code == 201, r.text
    return r.json(), password


def _login(service, police_id, password, address):
    return service.http.post(LOGIN, json={"police_id": police_id, "password": password},
                             headers={"X-Forwarded-For": address})


def _wait_passed(scope: str, key: str) -> None:
    """As if the caller had waited: move a growing delay (not a lock) into the past."""
    with session_scope() as s:
        s.execute(text("UPDATE login_throttles SET next_attempt_at = now() - interval '1 second' "
                       "WHERE scope = :scope AND key = :key AND locked_until IS NULL"),
                  {"scope": scope, "key": key.lower()})


def _delay(scope: str, key: str) -> float | None:
    """The wait the server set after the latest failure (None: none yet, or a lock)."""
    with session_scope() as s:
        row = s.execute(text("SELECT next_attempt_at, last_failure_at, locked_until FROM login_throttles "
                             "WHERE scope = :scope AND key = :key"), {"scope": scope, "key": key.lower()}).one()
    if row.next_attempt_at is None or row.locked_until is not None:
        return None
    return (row.next_attempt_at - row.last_failure_at).total_seconds()


def _actions(object_id) -> list[str]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                              AuditEntry.object_id == str(object_id))
                              .order_by(AuditEntry.id)))


def test_200_wrong_passwords_meet_growing_delays_then_a_lock_an_admin_sees_and_lifts(service, admin_token):
    user, password = _new_user(service, admin_token)
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    answers, delays = [], []
    for _ in range(200):
        r = service.http.post(LOGIN, json={"police_id": user["police_id"], "password": "wrong-" + password},
                              headers={"X-Forwarded-For": address})
        answers.append(r.status_code)
        assert answers.count(401) <= 10, "more than 10 wrong passwords in a row were checked at once"
        if r.status_code == 401:
            delays.append(_delay("account", user["police_id"]))
        else:
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
            if "locked" not in r.json()["detail"]:
                _wait_passed("account", user["police_id"])
    assert answers[:5] == [401] * 5  # the first few mistakes are answered at once
    assert answers.count(401) == 10 and answers.count(429) == 190
    assert delays == [None] * 4 + [1, 2, 4, 8, 16, None], delays  # then each wait twice as long, then a lock
    # Locked: even the right password is refused, with how long to wait.
    r = service.http.post(LOGIN, json={"police_id": user["police_id"], "password": password},
                          headers={"X-Forwarded-For": address})
    assert r.status_code == 429 and "locked" in r.json()["detail"], r.text
    assert int(r.headers["Retry-After"]) > 60
    assert "auth.lock" in _actions(user["id"])

    auth = {"Authorization": f"Bearer {admin_token}"}
    listed = {u["id"]: u for u in service.http.get("/api/v1/users", headers=auth).json()}[user["id"]]
    assert listed["locked_until"] is not None and listed["failed_logins"] == 10
    locks = service.http.get("/api/v1/login-locks", headers=auth).json()
    assert any(x["scope"] == "account" and x["key"] == user["police_id"].lower() for x in locks)

    r = service.http.post(f"/api/v1/users/{user['id']}/unlock", headers=auth)
    assert r.status_code == 200 and r.json()["locked_until"] is None
    assert "auth.unlock" in _actions(user["id"])
    r = service.http.post(LOGIN, json={"police_id": user["police_id"], "password": password},
                          headers={"X-Forwarded-For": address})
    assert r.status_code == 200, r.text


def test_parallel_guesses_cannot_slip_past_the_lock(service, admin_token):
    user, password = _new_user(service, admin_token)
    address = f"198.51.100.{secrets.randbelow(250) + 1}"

    def guess(i: int) -> int:
        return service.http.post(LOGIN, json={"police_id": user["police_id"], "password": f"guess-{i}-{password}"},
                                 headers={"X-Forwarded-For": address}).status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(48)))
    assert answers.count(401) <= 10 and answers.count(429) >= 38, answers


def test_one_address_guessing_many_accounts_is_slowed_but_others_log_in(service, admin_token):
    attacker = f"203.0.113.{secrets.randbelow(250) + 1}"
    answers = []
    for i in range(40):
        r = service.http.post(LOGIN, json={"police_id": unique("N"), "password": "password123"},
                              headers={"X-Forwarded-For": attacker})
        answers.append(r.status_code)
        if r.status_code == 429:
            assert f"address {attacker}" in r.json()["detail"] and int(r.headers["Retry-After"]) >= 1
            break
    assert answers[-1] == 429 and answers.count(401) >= 20, answers  # 20 free failures, then waits

    user, password = _new_user(service, admin_token)
    elsewhere = f"192.0.2.{secrets.randbelow(250) + 1}"
    r = service.http.post(LOGIN, json={"police_id": user["police_id"], "password": password},
                          headers={"X-Forwarded-For": elsewhere})
    assert r.status_code == 200, r.text

    auth = {"Authorization": f"Bearer {admin_token}"}
    lock = next(x for x in service.http.get("/api/v1/login-locks", headers=auth).json()
                if x["scope"] == "address" and x["key"] == attacker)
    assert service.http.post(f"/api/v1/login-locks/{lock['id']}/clear", headers=auth).status_code == 200
    r = service.http.post(LOGIN, json={"police_id": user["police_id"], "password": password},
                          headers={"X-Forwarded-For": attacker})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("password,reason", [
    ("password", "common"), ("Password123", "common"), ("qwerty2026!", "common"), ("1qaz2wsx", "common"),
    ("woaini1314", "common"), ("5201314520", "common"), ("11111111", "one character"), ("aaaaaaaaaaaa", "one character"),
    ("12345678", "run"), ("87654321", "run"), ("abcdefghij", "run"), ("12121212", "repeated"),
    ("abcabcabc", "repeated"), ("short", "at least 8"),
])
def test_weak_passwords_are_refused_with_the_reason(service, admin_token, password, reason):
    r = service.http.post("/api/v1/users", headers={"Authorization": f"Bearer {admin_token}"},
                          json={"police_id": unique("W").upper(), "name": "weak", "role": "auditor",
                                "password": password})
    assert r.status_code == 422, r.text
    assert reason in str(r.json()["detail"]), r.text


def test_admin_disables_an_account_and_resets_a_password(service, admin_token):
    auth = {"Authorization": f"Bearer {admin_token}"}
    address = f"192.0.2.{secrets.randbelow(250) + 1}"
    user, password = _new_user(service, admin_token)
    pid = user["police_id"]
    token = service.http.post(LOGIN, json={"police_id": pid, "password": password},
                              headers={"X-Forwarded-For": address}).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert service.http.get("/api/v1/auth/me", headers=mine).status_code == 200

    r = service.http.post(f"/api/v1/users/{user['id']}/disable", headers=auth)
    assert r.status_code == 200 and r.json()["active"] is False
    r = service.http.get("/api/v1/auth/me", headers=mine)
    assert r.status_code == 401 and "disabled" in r.json()["detail"]
    assert _login(service, pid, password, address).status_code == 401
    assert service.http.post(f"/api/v1/users/{user['id']}/enable", headers=auth).json()["active"] is True
    token = _login(service, pid, password, address).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}

    r = service.http.post(f"/api/v1/users/{user['id']}/password", headers=auth, json={"password": "qwerty123"})
    assert r.status_code == 422 and "common" in r.json()["detail"]
    new_password = secrets.token_urlsafe(12)
    assert service.http.post(f"/api/v1/users/{user['id']}/password", headers=auth,
                             json={"password": new_password}).status_code == 200
    r = service.http.get("/api/v1/auth/me", headers=mine)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert _login(service, pid, password, address).status_code == 401
    assert _login(service, pid, new_password, address).status_code == 200
    assert {"user.disable", "user.enable", "user.password_reset"} <= set(_actions(user["id"]))

    me = service.http.get("/api/v1/auth/me", headers=auth).json()
    r = service.http.post(f"/api/v1/users/{me['id']}/disable", headers=auth)
    assert r.status_code == 422 and "own account" in r.json()["detail"]
    mine = {"Authorization": f"Bearer {_login(service, pid, new_password, address).json()['access_token']}"}
    for path in ("disable", "enable", "unlock"):  # only admins
        assert service.http.post(f"/api/v1/users/{me['id']}/{path}", headers=mine).status_code == 403
