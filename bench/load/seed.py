"""The data the load test's users browse, made the same way on every topology so their figures compare.

Through the HTTP API, as the admin: a detachment with 4 brigades, the users who sign in (officers,
case handlers, supervisors), the 200 docking stations, and a ledger of enforcement events
(`POST /api/v1/ledger/import`, which also computes their coverage). Written straight into the
database as set-up (no public path makes thousands of verified, processed recordings in
seconds): more officers who own footage and the recordings themselves, every "ready" one pointing
at one real playable proxy object put in the derived bucket, so playback can read bytes from S3.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import sqlalchemy as sa

PASSWORD = "Load-test-2026!x"
UNITS = [("ZD01", "某市交警支队", "detachment", None)] + [(f"DD0{i}", f"{i}大队", "brigade", "ZD01") for i in range(1, 5)]
PROXY_KEY = "derived/load-test/proxy.mp4"
BATCH = 5000
EVENT_TYPES = ["ticket", "check", "accident", "dispatch", "vehicle_seizure", "license_seizure"]


@dataclass
class Seeded:
    users: list[tuple[str, str]] = field(default_factory=list)  # (police_id, role)
    station_keys: list[str] = field(default_factory=list)
    unit_ids: dict[str, int] = field(default_factory=dict)
    recordings: int = 0
    events: int = 0

    def as_dict(self) -> dict:
        roles: dict[str, int] = {}
        for _, role in self.users:
            roles[role] = roles.get(role, 0) + 1
        return {"users": roles, "stations": len(self.station_keys), "recordings": self.recordings,
                "events": self.events}


def _api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300)


def seed(url: str, token: str, *, users: int, stations: int, recordings: int, events: int,
         rng: random.Random) -> Seeded:
    """Everything above; this process must already point at the target (`_targets.point_here`)."""
    from evidence.db import session_scope
    from evidence.identity.models import Unit, User
    from evidence.recordings.models import Recording
    from evidence.store import get_store

    importlib.import_module("evidence.devices.models")  # the table recordings.device_id refers to

    out = Seeded()
    n_officers = max(1, users * 2 // 5)
    n_handlers = max(1, (users - n_officers) // 2)
    roles = ["officer"] * n_officers + ["case_handler"] * n_handlers + ["supervisor"] * (users - n_officers - n_handlers)
    with _api(url, token) as api:
        for code, name, level, parent in UNITS:
            api.post("/api/v1/units", json={"code": code, "name": name, "level": level,
                                            "parent_code": parent}).raise_for_status()
        for i, role in enumerate(roles):
            pid = f"{700000 + i}"
            unit = f"DD0{1 + i % 4}" if role != "supervisor" or i % 5 else "ZD01"
            api.post("/api/v1/users", json={"police_id": pid, "name": f"负载{i:03d}", "role": role,
                                            "password": PASSWORD, "unit_code": unit}).raise_for_status()
            out.users.append((pid, role))
        for i in range(stations):
            r = api.post("/api/v1/stations", json={"name": f"load dock {i:03d}", "unit_code": f"DD0{1 + i % 4}"})
            r.raise_for_status()
            out.station_keys.append(r.json()["api_key"])

    # The proxy every ready recording plays: 4 MB of bytes behind a real key of the derived bucket.
    store = get_store()
    blob = os.path.join(os.environ["EVIDENCE_DATA_DIR"] if "EVIDENCE_DATA_DIR" in os.environ else "/tmp",
                        f"load-proxy-{secrets.token_hex(4)}.mp4")
    with open(blob, "wb") as fh:
        fh.write(os.urandom(4 << 20))
    store.put_derived(PROXY_KEY, blob, "video/mp4")
    os.unlink(blob)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with session_scope() as s:
        out.unit_ids = dict(s.execute(sa.select(Unit.code, Unit.id)).all())
        s.execute(sa.insert(User), [{"police_id": f"{710000 + i}", "name": f"警员{i:03d}", "role": "officer",
                                     "unit_id": out.unit_ids[f"DD0{1 + i % 4}"], "password_hash": "!"}
                                    for i in range(60)])
        owners = [(uid, pid, unit) for uid, pid, unit in
                  s.execute(sa.select(User.id, User.police_id, User.unit_id).where(User.role == "officer"))]
    rows, starts = [], []
    for i in range(recordings):
        uid, pid, unit = owners[i % len(owners)]
        at = now - timedelta(seconds=rng.randrange(60 * 86400))
        # Only settled states: a "queued" or "failed" row would be picked up by the workers' sweep,
        # whose downloads of originals that do not exist would then load the server under test.
        state = rng.choice(["ready"] * 19 + ["unplayable"])
        duration = rng.uniform(60, 1800)
        sha = secrets.token_hex(32)
        rows.append({"sha256": sha, "size_bytes": int(duration * 1_000_000), "media_kind": "video",
                     "original_filename": f"CAM{uid:04d}_{pid}_{at:%Y%m%d%H%M%S}_{i:05d}.mp4",
                     "object_key": f"originals/{sha[:2]}/{sha[2:4]}/{sha}", "device_serial": f"CAM{uid:04d}",
                     "officer_id": uid, "officer_source": "assignment", "unit_id": unit, "started_at": at,
                     "ended_at": at + timedelta(seconds=duration), "time_source": "filename",
                     "important": rng.random() < 0.05, "status": "verified", "verified_at": at + timedelta(hours=9),
                     "uploaded_at": at + timedelta(hours=9), "processing_state": state,
                     "processing_reason": "codec not supported" if state == "unplayable" else None,
                     "duration_seconds": duration, "width": 1920, "height": 1080,
                     "proxy_key": PROXY_KEY if state == "ready" else None, "proxy_kind": "video" if state == "ready" else None,
                     "retention_class": "standard", "legal_hold": False, "clock_offset_seconds": 0})
        starts.append((pid, at, duration))
    with session_scope() as s:
        for k in range(0, len(rows), BATCH):
            s.execute(sa.insert(Recording), rows[k:k + BATCH])
    out.recordings = len(rows)

    # The ledger: half the events at a recording of their officer (covered or partial), half anywhere.
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["event_id", "event_type", "police_ids", "started_at", "ended_at", "location", "case_no", "roadside"])
    for i in range(events):
        if i % 2 == 0 and starts:
            pid, at, duration = rng.choice(starts)
            at = at + timedelta(seconds=rng.uniform(0, duration / 2))
        else:
            pid = owners[rng.randrange(len(owners))][1]
            at = now - timedelta(seconds=rng.randrange(60 * 86400))
        kind = rng.choice(EVENT_TYPES)
        end = at + timedelta(minutes=rng.choice([5, 10, 20]))
        w.writerow([f"LD{i:07d}", kind, pid, at.isoformat(), end.isoformat(), "某路口",
                    f"AJ{i:06d}" if kind == "accident" else "", ""])
    with _api(url, token) as api:
        r = api.post("/api/v1/ledger/import", files={"file": ("ledger.csv", buf.getvalue().encode(), "text/csv")})
        r.raise_for_status()
        body = r.json()
    out.events = int(body.get("created", 0)) + int(body.get("updated", 0))
    return out
