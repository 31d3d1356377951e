"""The single box the browser tests use: `evidence serve` as scripts/serve runs it, with a unit
tree, users of every role, a station, and a camera docked through the real dock agent (two H.264
clips, a WAV and a JPEG of officer 010203; one clip of another unit's officer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests import media
from tests.dock import dock, write_dock_env
from tests.helpers import poll
from tests.serve import SingleBox, start_serve

PASSWORD = "Web-Shift-7q"  # + the police ID reversed, so every user's password differs

# 警号 → (name, role, unit)
USERS = {
    "010203": ("张伟", "officer", "DD01"),
    "020304": ("李娜", "case_handler", "DD01"),
    "030405": ("王强", "supervisor", "ZD01"),
    "040506": ("赵敏", "auditor", "ZD01"),
    "090807": ("陈刚", "officer", "DD02"),
}


def password_of(police_id: str) -> str:
    return PASSWORD + police_id[::-1]


@dataclass
class WebWorld:
    box: SingleBox
    admin_password: str
    http: httpx.Client
    recordings: dict[str, list[dict]] = field(default_factory=dict)  # officer 警号 → their recordings

    @property
    def base_url(self) -> str:
        return self.box.base_url

    def headers(self, police_id: str) -> dict:
        password = self.admin_password if police_id == "admin" else password_of(police_id)
        r = self.http.post("/api/v1/auth/login", json={"police_id": police_id, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}



def build_web_world(tmp: Path) -> WebWorld:
    box = start_serve(tmp)
    box.wait_healthy()
    http = httpx.Client(base_url=box.base_url, timeout=120)
    world = WebWorld(box, box.admin_password(), http)
    admin = world.headers("admin")
    for code, name, level, parent in (("ZD01", "城区支队", "detachment", None), ("DD01", "一大队", "brigade", "ZD01"),
                                      ("DD02", "二大队", "brigade", "ZD01")):
        r = http.post("/api/v1/units", headers=admin, json={"code": code, "name": name, "level": level,
                                                            "parent_code": parent})
        assert r.status_code == 201, r.text
    for police_id, (name, role, unit) in USERS.items():
        r = http.post("/api/v1/users", headers=admin, json={"police_id": police_id, "name": name, "role": role,
                                                            "password": password_of(police_id), "unit_code": unit})
        assert r.status_code == 201, r.text
    for unit, files in (("DD01", _camera_one), ("DD02", _camera_two)):
        r = http.post("/api/v1/stations", headers=admin, json={"name": f"{unit} 采集站", "unit_code": unit})
        assert r.status_code == 201, r.text
        camera = tmp / f"camera-{unit}" / "DCIM"
        camera.mkdir(parents=True)
        files(camera)
        env = write_dock_env(tmp / f"dock-{unit}.env", box.base_url, r.json()["api_key"], tmp / f"spool-{unit}")
        result = dock("ingest", str(camera.parent), env_file=env)
        assert result.returncode == 0, result.stdout + result.stderr

    def processed():
        items = http.get("/api/v1/recordings", headers=admin, params={"page_size": 100}).json()["items"]
        settled = [i for i in items if i["processing_state"] in ("ready", "unplayable", "failed")]
        return items if len(items) == 5 and len(settled) == 5 else None

    for item in poll("processing of the docked files", processed, timeout=240):
        officer = next((p for p in USERS if p == item["declared_police_id"]), item["declared_police_id"])
        world.recordings.setdefault(officer, []).append(item)
    for items in world.recordings.values():
        items.sort(key=lambda i: i["original_filename"])
    return world


def _camera_one(camera: Path) -> None:
    media.h264_mp4(camera / "CAMW01_010203_20261120100000_0001.mp4", seed=700, seconds=6)
    media.h264_mp4(camera / "CAMW01_010203_20261120100006_0002.mp4", seed=701, seconds=4)
    media.wav(camera / "CAMW01_010203_20261120101000_0003.wav", seed=702, seconds=3)
    media.jpeg(camera / "CAMW01_010203_20261120101500_0004.jpg", seed=703)


def _camera_two(camera: Path) -> None:
    media.h264_mp4(camera / "CAMW02_090807_20261120110000_0001.mp4", seed=710, seconds=3)
