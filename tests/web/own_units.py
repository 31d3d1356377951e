"""Units, users and one docked clip of a test's own, made through the HTTP API and the real dock
agent on the shared single box, so its figures never mix with another test file's."""

from __future__ import annotations

from pathlib import Path

from tests import media
from tests.dock import dock, write_dock_env
from tests.web.world import WebWorld, password_of


def add_units_and_users(world: WebWorld, admin: dict, units: list[str],
                        users: dict[str, tuple[str, str, str]]) -> None:
    """`units`: codes of top-level brigades; `users`: 警号 → (name, role, unit code); `admin`: headers."""
    for code in units:
        r = world.http.post("/api/v1/units", headers=admin, json={"code": code, "name": f"测试{code}大队",
                                                                  "level": "brigade", "parent_code": None})
        assert r.status_code == 201, r.text
    for police_id, (name, role, unit) in users.items():
        r = world.http.post("/api/v1/users", headers=admin, json={
            "police_id": police_id, "name": name, "role": role, "password": password_of(police_id), "unit_code": unit})
        assert r.status_code == 201, r.text


def dock_one_clip(world: WebWorld, admin: dict, tmp: Path, unit: str, police_id: str, serial: str,
                  seed: int) -> dict:
    """A 2 s clip of `police_id` docked at a new station of `unit`; the recording as the admin lists it
    (the agent returns once the server has verified it)."""
    r = world.http.post("/api/v1/stations", headers=admin, json={"name": f"{unit} 采集站", "unit_code": unit})
    assert r.status_code == 201, r.text
    camera = tmp / f"camera-{unit}" / "DCIM"
    camera.mkdir(parents=True)
    name = f"{serial}_{police_id}_20261120120000_0001.mp4"
    media.h264_mp4(camera / name, seed=seed, seconds=2)
    env = write_dock_env(tmp / f"dock-{unit}.env", world.base_url, r.json()["api_key"], tmp / f"spool-{unit}")
    result = dock("ingest", str(camera.parent), env_file=env)
    assert result.returncode == 0, result.stdout + result.stderr
    items = world.http.get("/api/v1/recordings", headers=admin,
                           params={"officer": police_id, "page_size": 10}).json()["items"]
    found = [i for i in items if i["original_filename"] == name]
    assert len(found) == 1, items
    return found[0]
