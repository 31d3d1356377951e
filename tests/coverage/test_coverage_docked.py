"""The whole path a supervisor relies on: a ledger imported with the CLI, a camera docked
through the agent, the workers' probe giving each clip its end, and a coverage report whose
numbers can be checked by hand, exported as XLSX with the roadside-missing list."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from openpyxl import load_workbook

from tests import media
from tests.conftest import ROOT, unique
from tests.dock import dock, write_dock_env


def evidence_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, COLUMNS="200"))


def test_ledger_plus_docked_footage_gives_a_checkable_report(world, service, admin_token, tmp_path):
    officer, serial, tag = world.users["officer_b"][0], unique("CAMC").upper(), unique("D")
    camera = tmp_path / "camera" / "DCIM"
    camera.mkdir(parents=True)
    # Two 4-second clips, starting 08:00:00 and 08:10:00 by the camera clock (Asia/Shanghai).
    media.h264_mp4(camera / f"{serial}_{officer}_20261120080000_0001.mp4", seed=301, seconds=4)
    media.h264_mp4(camera / f"{serial}_{officer}_20261120081000_0002.mp4", seed=302, seconds=4)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "event_id,event_type,police_ids,started_at,ended_at,location,case_no,roadside\n"
        f"{tag}-1,ticket,{officer},2026-11-20T08:00:00,2026-11-20T08:00:08,,,\n"      # 8 s window, 4 s recorded
        f"{tag}-2,check,{officer},2026-11-20T08:10:00,2026-11-20T08:10:04,,,\n"       # 4 s window, 4 s recorded
        f"{tag}-3,ticket,{officer},2026-11-20T09:00:00,2026-11-20T09:05:00,,,\n"      # nothing recorded
        f"{tag}-4,dispatch,{officer},2026-11-20T09:30:00,2026-11-20T09:40:00,,,no\n"  # nothing, not roadside
        f"{tag}-5,ticket,{officer},yesterday,,,,\n", encoding="utf-8")
    result = evidence_cli("ledger", "import", str(ledger))
    assert result.returncode == 1, result.stdout + result.stderr  # one bad row
    assert "events created 4" in result.stdout and "line 6" in result.stdout

    env = write_dock_env(tmp_path / "dock.env", service.base_url, world.station_key, tmp_path / "spool")
    assert dock("ingest", str(camera.parent), env_file=env).returncode == 0

    admin = {"Authorization": f"Bearer {admin_token}"}
    deadline = time.monotonic() + 300  # the dock, verification and coverage on a loaded CI box
    while True:
        items = service.http.get("/api/v1/coverage/events", headers=admin,
                                 params={"officer": officer, "start_from": "2026-11-20T00:00:00",
                                         "start_to": "2026-11-21T00:00:00"}).json()["items"]
        got = {e["event_id"].removeprefix(f"{tag}-"): e for e in items if e["event_id"].startswith(tag)}
        if got.get("2", {}).get("status") == "covered" and got.get("1", {}).get("status") == "partial":
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.5)
    assert (got["1"]["window_seconds"], got["1"]["covered_seconds"], got["1"]["ratio"]) == (8, 4, 0.5)
    assert (got["2"]["window_seconds"], got["2"]["covered_seconds"], got["2"]["ratio"]) == (4, 4, 1.0)
    assert (got["3"]["status"], got["3"]["covered_seconds"]) == ("missing", 0)
    assert (got["4"]["status"], got["4"]["roadside"]) == ("missing", False)

    out = tmp_path / "report.xlsx"
    result = evidence_cli("coverage", "report", "--group-by", "day", "--from", "2026-11-20", "--to", "2026-11-21",
                          "--xlsx", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["by day", "events", "roadside missing"]
    flagged = {row[0].value for row in wb["roadside missing"].iter_rows(min_row=2)}
    assert f"{tag}-3" in flagged and f"{tag}-4" not in flagged and f"{tag}-1" not in flagged
    events_sheet = {row[0].value: [c.value for c in row] for row in wb["events"].iter_rows(min_row=2)}
    header = [c.value for c in wb["events"][1]]
    row1 = dict(zip(header, events_sheet[f"{tag}-1"]))
    assert (row1["status"], row1["window_seconds"], row1["covered_seconds"], row1["ratio"]) == ("partial", 8, 4, 0.5)
