#!/usr/bin/env python
"""The arithmetic of docs/capacity.md, from measured figures, so the plan can be redone when the
figures or the assumptions change.

    .venv/bin/python bench/capacity_plan.py --ingest bench/out/cluster-ingest-<ts>.json \\
                                            --load bench/out/load-<ts>.json [--bitrate-mbps 8] ...

Inputs: the cluster's CPU seconds per GB of each process (bench_cluster_ingest, net of idle) and
its server CPU per API request (bench_load). Assumptions (options, each printed with the plan):
bitrate, recording hours per camera per day, days kept, the share kept for ever, copies kept by
the object store, the hours in which a day's footage is docked, media processing CPU per GB,
API requests per camera per day, a core's usable share. Prints per scale (brigade 500, detachment
5,000, province 100,000 cameras) the daily ingest, storage, network and cores per role.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

GiB = 1024 ** 3
SCALES = [("brigade", 500), ("detachment", 5_000), ("province", 100_000)]
ROLES = {  # process name prefix -> role in the plan
    "master": "storage", "volume": "storage", "filer": "storage", "s3": "storage",
    "fast": "verification", "api": "api", "proxy": "api", "postgres": "database",
    "media": "media", "transcode": "media", "beat": "api",
}


def role_of(name: str) -> str | None:
    for prefix, role in ROLES.items():
        if name.startswith(prefix):
            return role
    return None


def per_gb_by_role(ingest: dict) -> dict[str, float]:
    runs = [r for r in ingest["runs"] if r.get("topology") == "cluster"]
    if not runs:
        raise SystemExit("the ingest report has no cluster run")
    out: dict[str, float] = {}
    for name in runs[0]["cpu_s_per_gb_net"]:
        values = sorted(r["cpu_s_per_gb_net"].get(name, 0.0) for r in runs)
        role = "agent" if name == "agent" else role_of(name)
        if role:
            out[role] = out.get(role, 0.0) + values[len(values) // 2]
    out["_gb_per_file"] = runs[0]["bytes"] / runs[0]["files"] / GiB
    return out


def ms_per_request(result: dict) -> float:
    """Server CPU per request of a load run, the workers left out (they serve no request)."""
    requests = sum(e["count"] for e in result["endpoints"].values())
    front = sum(v for k, v in result["server_cpu_s"].items() if role_of(k) not in ("verification", "media")
                and not k.startswith("worker"))
    return 1000 * front / max(1, requests)


def plan(args, per_gb: dict[str, float], ms_per_request: float) -> dict:
    gb_per_hour = args.bitrate_mbps * 1e6 / 8 * 3600 / GiB
    gb_day_camera = gb_per_hour * args.hours
    result = {}
    for name, cameras in SCALES:
        gb_day = gb_day_camera * cameras
        peak_gb_s = gb_day / (args.dock_hours * 3600)
        # Bytes cost storage and verification per GB; the API and the database pay per file (open,
        # part URLs, complete, status polls), measured on the bench's files and scaled to real ones.
        files_s = cameras * args.hours * 60 / args.segment_minutes / (args.dock_hours * 3600)
        per_file = {role: per_gb.get(role, 0.0) * per_gb["_gb_per_file"] for role in ("api", "database")}
        cores = {role: per_gb.get(role, 0.0) * peak_gb_s / args.core_share for role in ("storage", "verification")}
        cores["database"] = (per_file["database"] * files_s) / args.core_share
        cores["media"] = args.media_cpu_per_gb * gb_day / 86400 / args.core_share  # a backlog may spread over the day
        requests_s = cameras * args.requests_per_camera_day / 86400 * args.api_peak_factor
        cores["api"] = (per_file["api"] * files_s + requests_s * ms_per_request / 1000) / args.core_share
        kept_6m = gb_day * args.days
        permanent_year = gb_day * 365 * args.permanent_share
        result[name] = {
            "cameras": cameras, "tb_day": gb_day * GiB / 1e12, "peak_gbit_s": peak_gb_s * GiB * 8 / 1e9,
            "peak_gbit_s_storage_internal": peak_gb_s * GiB * 8 / 1e9 * (args.copies - 1),
            "pb_6_months_raw": kept_6m * GiB / 1e15, "pb_6_months_disk": kept_6m * GiB * args.copies / 1e15,
            "tb_permanent_per_year_disk": permanent_year * GiB * args.copies / 1e12,
            "disks": math.ceil(kept_6m * GiB * args.copies / (args.disk_tb * 1e12 * args.disk_fill)),
            "cores": {k: round(v, 1) for k, v in cores.items()},
            "agent_core_hours_day": per_gb.get("agent", 0.0) * gb_day / 3600,
            "api_requests_s_peak": requests_s, "files_s_peak": files_s,
        }
    return {"gb_per_camera_day": gb_day_camera, "per_gb": per_gb, "ms_per_request": ms_per_request,
            "assumptions": {k: v for k, v in vars(args).items() if k not in ("ingest", "load")}, "scales": result}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ingest", type=Path, required=True, help="bench/out/cluster-ingest-*.json")
    ap.add_argument("--load", type=Path, required=True, help="bench/out/load-*.json")
    ap.add_argument("--bitrate-mbps", type=float, default=8.0, help="1080p30 H.264 body camera (8 Mbit/s)")
    ap.add_argument("--hours", type=float, default=8.0, help="recorded hours per camera per day (8)")
    ap.add_argument("--days", type=float, default=183, help="days every recording is kept (6 months)")
    ap.add_argument("--permanent-share", type=float, default=0.02, help="share of footage kept for ever (2 %%)")
    ap.add_argument("--copies", type=int, default=2, help="copies the object store keeps (replication 001: 2)")
    ap.add_argument("--dock-hours", type=float, default=8.0,
                    help="hours in which a day's footage is docked and must be verified (8: after the shifts)")
    ap.add_argument("--segment-minutes", type=float, default=15.0, help="a camera splits files every N minutes (15)")
    ap.add_argument("--media-cpu-per-gb", type=float, default=15.0,
                    help="probe + remux proxy + thumbnails of real H.264 footage, CPU s per GB (15)")
    ap.add_argument("--requests-per-camera-day", type=float, default=400,
                    help="API requests per camera per day: its dock's heartbeats and uploads, and its officers' "
                         "and supervisors' browsing (400)")
    ap.add_argument("--api-peak-factor", type=float, default=3.0, help="peak API rate over the day's mean (3)")
    ap.add_argument("--core-share", type=float, default=0.7, help="usable share of a core (headroom; 0.7)")
    ap.add_argument("--disk-tb", type=float, default=20.0, help="one data disk, TB (20)")
    ap.add_argument("--disk-fill", type=float, default=0.8, help="fill a disk to this share (0.8)")
    ap.add_argument("--json", action="store_true", help="print the plan as JSON")
    args = ap.parse_args()
    ingest = json.loads(args.ingest.read_text())
    load = json.loads(args.load.read_text())
    cluster_load = load["results"].get("cluster") or next(iter(load["results"].values()))
    p = plan(args, per_gb_by_role(ingest), ms_per_request(cluster_load))
    if args.json:
        print(json.dumps(p, indent=2))
        return
    print(f"{p['gb_per_camera_day']:.1f} GB per camera per day; CPU s per GB by role (measured): "
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(p["per_gb"].items()) if not k.startswith("_"))
          + f" (bench files of {p['per_gb']['_gb_per_file'] * 1024:.0f} MB)"
          + f"; API {p['ms_per_request']:.1f} ms CPU per request (measured)")
    head = ["", *[name for name, _ in SCALES]]
    rows = [("cameras", "cameras", "{:,.0f}"), ("TB per day", "tb_day", "{:,.1f}"),
            ("peak ingest Gbit/s (dock window)", "peak_gbit_s", "{:,.1f}"),
            ("+ replication traffic Gbit/s", "peak_gbit_s_storage_internal", "{:,.1f}"),
            ("6 months, PB raw", "pb_6_months_raw", "{:,.2f}"), ("6 months, PB on disk", "pb_6_months_disk", "{:,.2f}"),
            ("permanent, TB on disk per year", "tb_permanent_per_year_disk", "{:,.0f}"),
            ("data disks", "disks", "{:,.0f}"), ("files/s at peak", "files_s_peak", "{:,.1f}"), ("API requests/s at peak", "api_requests_s_peak", "{:,.0f}"),
            ("dock agent core-hours per day", "agent_core_hours_day", "{:,.0f}")]
    print(f"{head[0]:<34}" + "".join(f"{h:>14}" for h in head[1:]))
    for title, key, fmt in rows:
        print(f"{title:<34}" + "".join(f"{fmt.format(p['scales'][n][key]):>14}" for n, _ in SCALES))
    for role in ("storage", "verification", "media", "api", "database"):
        print(f"{'cores: ' + role:<34}" + "".join(f"{p['scales'][n]['cores'][role]:>14,.1f}" for n, _ in SCALES))


if __name__ == "__main__":
    main()
