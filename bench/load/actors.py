"""What one simulated docking station and one simulated user do, over and over until told to stop.

A station heartbeats every `heartbeat_s` (the agent's default is 60 s; the test runs faster so a
short run sees many) and every `open_every_s` opens an upload session for a new file, as the agent
does when a camera is docked (the server records the session and asks S3 for a multipart upload
and presigns its part URLs), then asks where its recent sessions stand. It sends no bytes: the
ingest of bytes is bench_cluster_ingest's job.

A user signs in, then browses with a think time between clicks: the library (a page of 50 with a
filter), a recording's detail, its playback hand-out followed by the first MB of the proxy read
from S3 through the handed-out URL (what the player fetches first), the coverage summary, the
explorer, and for supervisors the overview; officers read their own events instead.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from datetime import datetime, timedelta, timezone

import httpx

from load.stats import Recorder

FAR = 10 ** 9


async def call(client: httpx.AsyncClient, rec: Recorder, label: str, method: str, url: str, **kw) -> httpx.Response | None:
    """One request, timed and recorded under `label`; None when it failed."""
    t0 = time.monotonic()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        rec.add(label, t0, time.monotonic() - t0, type(exc).__name__)
        return None
    ok = r.status_code < 400
    rec.add(label, t0, time.monotonic() - t0, None if ok else f"HTTP {r.status_code}")
    return r if ok else None


async def _sleep_until(t: float, stop: asyncio.Event) -> None:
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, t - time.monotonic()))
    except asyncio.TimeoutError:
        pass


async def station(client: httpx.AsyncClient, rec: Recorder, key: str, index: int, stop: asyncio.Event,
                  rng: random.Random, heartbeat_s: float, open_every_s: float) -> None:
    headers = {"X-Station-Key": key}
    serial = f"LDCAM{index:04d}"
    police_id = f"{710000 + index % 60}"
    now = time.monotonic()
    next_beat, next_open = now + rng.uniform(0, heartbeat_s), now + rng.uniform(0, open_every_s)
    sessions: list[str] = []
    seq = 0
    while not stop.is_set():
        await _sleep_until(min(next_beat, next_open), stop)
        if stop.is_set():
            return
        if time.monotonic() >= next_beat:
            next_beat += heartbeat_s
            await call(client, rec, "POST /stations/heartbeat", "POST", "/api/v1/stations/heartbeat", headers=headers,
                       json={"version": "load-test", "spool_used_bytes": rng.randrange(1 << 30),
                             "spool_free_bytes": 200 << 30, "queue_length": rng.randrange(20), "last_error": None})
        if time.monotonic() >= next_open:
            next_open += open_every_s
            seq += 1
            at = datetime.now(timezone.utc) + timedelta(hours=8) - timedelta(hours=rng.uniform(1, 10))
            size = rng.randrange(100, 800) << 20  # a 1080p clip of a few minutes
            r = await call(client, rec, "POST /ingest/sessions", "POST", "/api/v1/ingest/sessions", headers=headers,
                           json={"sha256": secrets.token_hex(32), "size_bytes": size,
                                 "filename": f"{serial}_{police_id}_{at:%Y%m%d%H%M%S}_{seq:04d}.mp4",
                                 "device_serial": serial, "police_id": police_id,
                                 "started_at": at.strftime("%Y-%m-%dT%H:%M:%S"), "time_source": "filename",
                                 "important": False})
            if r is not None and r.json().get("session_id"):
                sessions = (sessions + [r.json()["session_id"]])[-20:]
            if sessions:
                await call(client, rec, "POST /ingest/sessions/status", "POST", "/api/v1/ingest/sessions/status",
                           headers=headers, json={"session_ids": sessions})


def _library_query(rng: random.Random, officer: str | None) -> dict:
    now = datetime.now(timezone.utc) + timedelta(hours=8)
    choice = rng.randrange(5)
    q: dict = {"page_size": 50}
    if choice == 1:
        q["state"] = "ready"
    elif choice == 2:
        q["start_from"] = (now - timedelta(days=7)).strftime("%Y-%m-%dT00:00:00")
    elif choice == 3:
        q["unit"] = f"DD0{rng.randrange(1, 5)}"
    elif choice == 4 and officer:
        q["officer"] = officer
    if rng.random() < 0.3:  # a page turn of a counted filter
        q.update(page=rng.randrange(2, 5), with_total="false")
    return q


async def user(client: httpx.AsyncClient, rec: Recorder, police_id: str, role: str, password: str,
               stop: asyncio.Event, rng: random.Random, think_s: tuple[float, float], start_within: float) -> None:
    await _sleep_until(time.monotonic() + rng.uniform(0, start_within), stop)
    r = await call(client, rec, "POST /auth/login", "POST", "/api/v1/auth/login",
                   json={"police_id": police_id, "password": password})
    if r is None:
        return
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    seen: list[int] = []
    other_officer = f"{710000 + rng.randrange(60)}"
    actions = ["library", "library", "detail", "play", "play", "coverage"]
    actions += ["my_events"] if role == "officer" else ["explorer", "summary"]
    actions += ["overview"] if role == "supervisor" else []
    while not stop.is_set():
        action = rng.choice(actions) if seen else "library"
        if action == "library":
            r = await call(client, rec, "GET /library/recordings", "GET", "/api/v1/library/recordings",
                           headers=headers, params=_library_query(rng, other_officer if role != "officer" else None))
            if r is not None:
                seen = [item["id"] for item in r.json().get("items", [])] or seen
        elif action == "detail":
            await call(client, rec, "GET /recordings/{id}/detail", "GET",
                       f"/api/v1/recordings/{rng.choice(seen)}/detail", headers=headers)
        elif action == "play":
            r = await call(client, rec, "POST /recordings/{id}/playback", "POST",
                           f"/api/v1/recordings/{rng.choice(seen)}/playback", headers=headers)
            proxy = r.json().get("proxy_url") if r is not None else None
            if proxy:
                await call(client, rec, "S3 GET proxy, first MB", "GET", proxy, headers={"Range": "bytes=0-1048575"})
        elif action in ("coverage", "summary"):
            await call(client, rec, "GET /coverage/summary", "GET", "/api/v1/coverage/summary", headers=headers,
                       params={"group_by": rng.choice(["unit", "officer", "type", "day"])})
        elif action == "my_events":
            await call(client, rec, "GET /my/events", "GET", "/api/v1/my/events", headers=headers)
        elif action == "explorer":
            if rng.random() < 0.5:
                await call(client, rec, "GET /coverage/explorer/units", "GET", "/api/v1/coverage/explorer/units",
                           headers=headers)
            else:
                await call(client, rec, "GET /coverage/explorer/events", "GET", "/api/v1/coverage/explorer/events",
                           headers=headers, params={"status": "missing,partial"})
        elif action == "overview":
            await call(client, rec, "GET /supervision/overview", "GET", "/api/v1/supervision/overview",
                       headers=headers, params={"period": rng.choice(["day", "week", "month"])})
        await _sleep_until(time.monotonic() + rng.uniform(*think_s), stop)


async def run(url: str, seeded, *, duration_s: float, warmup_s: float, heartbeat_s: float, open_every_s: float,
              think_s: tuple[float, float], password: str, seed: int = 14) -> tuple[Recorder, float]:
    """Every station and user at once: `warmup_s` unrecorded (users sign in then), then `duration_s`
    recorded (a request counts when it started inside the window). Returns the recorder and the
    recorded window's length."""
    rec = Recorder()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(station(client, rec, key, i, stop, random.Random(seed * 1000 + i),
                                             heartbeat_s, open_every_s))
                 for i, key in enumerate(seeded.station_keys)]
        tasks += [asyncio.create_task(user(client, rec, pid, role, password, stop, random.Random(seed * 7 + i),
                                           think_s, warmup_s * 0.8))
                  for i, (pid, role) in enumerate(seeded.users)]
        await asyncio.sleep(warmup_s)
        t0 = time.monotonic()
        rec.window = (t0, t0 + duration_s)
        await asyncio.sleep(duration_s)
        stop.set()
        await asyncio.wait(tasks, timeout=65)  # a request in flight may take its 60 s timeout
        for t in tasks:
            t.cancel()
    return rec, duration_s
