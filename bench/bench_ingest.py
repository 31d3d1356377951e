#!/usr/bin/env python
"""Benchmark of server-side ingest: our station protocol against boto3 and rclone.

One run starts a fresh local SeaweedFS and the service (SQLite, embedded broker, API, one
Celery worker) in a temporary folder, generates random test data, and uploads the same
bytes with:

  1. our protocol: docking_station.client.StationClient.upload() (presigned multipart parts
     PUT in parallel straight to S3, complete, then the server re-reads and hashes the object);
  2. boto3 upload_file (default TransferConfig, and max_concurrency=4);
  3. rclone copy (--transfers 4 --s3-upload-concurrency 4);

then measures the verification read (ObjectStore.hash_original of the stored object) against
sha256sum and Python hashlib of the local file. It prints a table and the goal ratios, and
writes everything as JSON to bench/out/ingest-<timestamp>.json.

    .venv/bin/python bench/bench_ingest.py [--big-mb 1024] [--small-count 500] [--small-mb 2]
                                           [--workdir DIR] [--concurrency 4] [--file-concurrency 4]

MB here is MiB (2**20 bytes) and GB is GiB. Every process the bench starts is stopped on exit,
on error and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from docking_station.client import sha256_file  # noqa: E402
from storage.s3 import ObjectStore  # noqa: E402
from _common import log  # noqa: E402  (bench/ is on sys.path)
from _idle import add_idle_option  # noqa: E402
from _ingest_report import print_report, summarize  # noqa: E402
from _ingest_tools import (ACCESS_KEY, BOTO_BUCKET, IDLE, ORIGINALS_BUCKET, RCLONE_BUCKET,  # noqa: E402
                           GiB, MiB, Result, TimedStationClient, _delta, aggregate, boto3_client, call_stats, idle,
                           make_data, measure, meta_for, pool_map, rclone_env, run_rclone, self_cpu, session_times,
                           tool_version, write_random)
from _stack import Stack  # noqa: E402



# -- the benchmark ------------------------------------------------------------------------------
def run(args, root: Path) -> dict:
    results: list[Result] = []
    notes: list[str] = []
    bigs, smalls = make_data(root, args.big_mb, args.rounds, args.small_count, args.small_mb)
    big = bigs[0]
    big_bytes = big.stat().st_size
    small_bytes = sum(p.stat().st_size for p in smalls)
    nsmall = len(smalls)

    # Client-side hashing: on a dock this happens during the stage-1 copy, so it is not timed
    # as part of the uploads below.
    hashes: dict[Path, str] = {}
    results.append(measure(None, "client sha256_file (big)", "prep", big_bytes, 1,
                           lambda: hashes.__setitem__(big, sha256_file(big))))
    hashes.update({p: sha256_file(p) for p in bigs[1:]})
    results.append(measure(None, f"client sha256_file ({nsmall} small)", "prep", small_bytes, nsmall,
                           lambda: hashes.update({p: sha256_file(p) for p in smalls})))

    svc = Stack(root, storage=True, database="sqlite", api=True, worker=args.worker_concurrency,
                celery_app=args.celery_app)
    try:
        svc.start()
        svc.register_station()
        endpoint = svc.s3_endpoint
        client = TimedStationClient(svc.api_url, svc.station_key, concurrency=args.concurrency, timeout=300)
        s3 = boto3_client(endpoint, svc.s3_secret)
        have_rclone = shutil.which("rclone") is not None
        renv = rclone_env(endpoint, svc.s3_secret, root)
        if not have_rclone:
            notes.append("rclone not found: install it with `apt-get install -y rclone`; rclone rows skipped")
            log(notes[-1])

        # Warm-up: the protocol end to end (worker up, originals bucket has volumes), and one
        # object in each comparison bucket so volume growth is not timed.
        log("warming up")
        warm = root / "data" / "BENCH_warmup.mp4"
        write_random(warm, 4 * MiB)
        w = client.upload(warm, meta_for(warm, sha256_file(warm)), wait=False)
        deadline = time.monotonic() + 120
        while w.status == "verifying" and time.monotonic() < deadline:
            svc.check_alive()
            time.sleep(0.2)
            w.status = client.progress(w.session_id)["status"]
        if w.status != "verified":
            raise RuntimeError(f"warm-up upload ended {w.status!r} (is the worker running? see "
                               f"{root / 'logs' / 'worker.log'} with --keep)")
        for bucket in (BOTO_BUCKET, RCLONE_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.upload_file(str(warm), bucket, "warmup/BENCH_warmup.mp4")
        client.calls.clear()

        # Big file: the tools take turns, round after round, on the same files.
        from boto3.s3.transfer import TransferConfig

        c = args.concurrency
        names = ["ours: upload until complete (big)", "ours: upload + server verification (big)",
                 "boto3 upload_file default (big)", f"boto3 upload_file max_concurrency={c} (big)",
                 "rclone copy (big)"]
        samples: dict[str, list[Result]] = {n: [] for n in names}
        for rnd, bigfile in enumerate(bigs, 1):
            log(f"big file round {rnd}/{len(bigs)} ({args.big_mb} MB, {c} parts in flight)")
            box: dict = {}

            def ours_big():
                r = client.upload(bigfile, meta_for(bigfile, hashes[bigfile]), wait=True)
                if r.status != "verified":
                    raise RuntimeError(f"our upload of {bigfile.name} ended {r.status}: {r.reason}")
                return {"status": r.status, "session_id": r.session_id}

            client.calls.clear()
            client.completed_at = None
            client.on_complete = lambda: box.__setitem__("snap_complete", svc.cpu_snapshot())
            idle(names[1], svc)
            snap0, c0, t0 = svc.cpu_snapshot(), self_cpu(), time.perf_counter()
            res_total = measure(svc, names[1], "big", big_bytes, 1, ours_big, wait=False)
            client.on_complete = None
            t_complete = client.completed_at - t0
            # Server-side time from complete to verified, from the database (the client's status
            # polling backs off up to 2 s, so its own figure is coarse).
            [(_, completed_at, verified_at)] = session_times(svc.data / "evidence.db", [res_total.extra["session_id"]])
            server_verify_s = (verified_at - completed_at).total_seconds()
            res_complete = Result(names[0], "big", big_bytes, 1, t_complete, client.cpu_at_complete - c0,
                                  _delta(snap0, box["snap_complete"]),
                                  {"calls": {k: call_stats(v) for k, v in client.calls.items() if k != "status_poll"}})
            res_total.extra.update({
                "server_verify_s_from_db": server_verify_s,
                "upload_plus_verify_s_from_db": t_complete + server_verify_s,
                "client_wait_after_complete_s": res_total.wall_s - t_complete,
                "status_poll_calls": call_stats(client.calls.get("status_poll", [])),
            })
            log(f"  ours: complete after {t_complete:.2f} s ({res_complete.mb_s:.1f} MB/s); server verification "
                f"took {server_verify_s:.2f} s by the database clock")
            samples[names[0]].append(res_complete)
            samples[names[1]].append(res_total)

            samples[names[2]].append(measure(svc, names[2], "big", big_bytes, 1, lambda: s3.upload_file(
                str(bigfile), BOTO_BUCKET, "default/" + bigfile.name)))
            samples[names[3]].append(measure(svc, names[3], "big", big_bytes, 1, lambda: s3.upload_file(
                str(bigfile), BOTO_BUCKET, "c4/" + bigfile.name, Config=TransferConfig(max_concurrency=c))))
            if have_rclone:
                samples[names[4]].append(measure(
                    svc, names[4], "big", big_bytes, 1,
                    lambda: run_rclone(renv, bigfile, f"bench:{RCLONE_BUCKET}/big/", c), subprocess_client=True))
        results += [aggregate(n, samples[n]) for n in names if samples[n]]
        client.calls.clear()

        # Small files, our protocol: file-concurrency files in flight, one part each.
        log(f"ours: {nsmall} small files, {args.file_concurrency} files in flight")
        ours_small_box: dict = {}

        def ours_small():
            start_wall = datetime.now(timezone.utc)
            per_file = []

            def one(p: Path):
                t = time.perf_counter()
                r = client.upload(p, meta_for(p, hashes[p]), wait=False)
                per_file.append(time.perf_counter() - t)
                return r

            out = pool_map(one, smalls, args.file_concurrency)
            ours_small_box.update(results=out, start_wall=start_wall, per_file=per_file,
                                  t_done=time.perf_counter())
            bad = [r for r in out if r.status not in ("verifying", "verified")]
            if bad:
                raise RuntimeError(f"{len(bad)} small uploads ended badly, e.g. {bad[0]}")
            return {"per_file_upload": call_stats(per_file)}

        idle("ours: small files", svc)
        snap_s0, c_s0, t_s0 = svc.cpu_snapshot(), self_cpu(), time.perf_counter()
        res_small = measure(svc, "ours: upload until complete (small)", "small", small_bytes, nsmall, ours_small,
                            wait=False)
        res_small.extra["calls"] = {k: call_stats(v) for k, v in client.calls.items()}
        results.append(res_small)
        # Then until the server verified all of them (read from the database, 0.1 s poll).
        ids = [r.session_id for r in ours_small_box["results"]]
        deadline = time.monotonic() + args.verify_timeout
        while True:
            rows = session_times(svc.data / "evidence.db", ids)
            if all(s in ("verified", "failed") for s, _, _ in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        t_s_all = time.perf_counter() - t_s0
        failed = [s for s, _, _ in rows if s != "verified"]
        if failed:
            raise RuntimeError(f"{len(failed)} small files not verified (statuses {set(failed)})")
        lags = [(v - c).total_seconds() for _, c, v in rows]
        snap_s1 = svc.cpu_snapshot()
        res_small_v = Result("ours: upload + server verification (small)", "small", small_bytes, nsmall, t_s_all,
                             self_cpu() - c_s0, _delta(snap_s0, snap_s1),
                             {"complete_to_verified": call_stats(lags)})
        log(f"ours small: all verified after {t_s_all:.2f} s")
        results.append(res_small_v)
        client.close()

        # boto3 and rclone on the small files (file-concurrency files in flight as well).
        def boto_small():
            pool_map(lambda p: s3.upload_file(str(p), BOTO_BUCKET, "small/" + p.name), smalls, args.file_concurrency)

        results.append(measure(svc, "boto3 upload_file default (small)", "small", small_bytes, nsmall, boto_small))
        if have_rclone:
            results.append(measure(svc, "rclone copy (small)", "small", small_bytes, nsmall,
                                   lambda: run_rclone(renv, smalls[0].parent, f"bench:{RCLONE_BUCKET}/small/",
                                                      args.concurrency), subprocess_client=True))

        # 4. Verification read: the server's hash of the stored object against local hashing.
        store = ObjectStore(endpoint, ACCESS_KEY, svc.s3_secret, originals_bucket=ORIGINALS_BUCKET,
                            derived_bucket="evidence-derived")
        key = f"originals/{hashes[big][:2]}/{hashes[big][2:4]}/{hashes[big]}"

        def server_hash():
            digest, size = store.hash_original(key)
            if digest != hashes[big] or size != big_bytes:
                raise RuntimeError(f"stored object hashes to {digest} ({size} bytes), expected {hashes[big]}")
            return {"sha256": digest}

        def read_only():
            n = sum(len(b) for b in store.iter_original(key))
            return {"bytes_read": n}

        def sha256sum():
            out = subprocess.run(["sha256sum", str(big)], capture_output=True, text=True, check=True)
            if out.stdout.split()[0] != hashes[big]:
                raise RuntimeError("sha256sum disagrees with hashlib")

        results.append(measure(svc, "server verify read: ObjectStore.hash_original", "hash", big_bytes, 1, server_hash))
        if hasattr(store, "download_original"):
            # What the worker's verification does now: hash and keep a local copy for processing.
            copy = root / "verify-copy.bin"

            def server_download():
                digest, size = store.download_original(key, copy)
                copy.unlink(missing_ok=True)
                if digest != hashes[big] or size != big_bytes:
                    raise RuntimeError(f"stored object hashes to {digest} ({size} bytes), expected {hashes[big]}")

            results.append(measure(svc, "server verify read: ObjectStore.download_original", "hash", big_bytes, 1,
                                   server_download))
        results.append(measure(svc, "server read only: ObjectStore.iter_original", "hash", big_bytes, 1, read_only))
        results.append(measure(None, "local sha256sum", "hash", big_bytes, 1, sha256sum, subprocess_client=True))
        results.append(measure(None, "local Python hashlib (sha256_file)", "hash", big_bytes, 1,
                               lambda: {"sha256": sha256_file(big)}))
    finally:
        log("stopping the service")
        svc.stop()

    return summarize(args, results, notes, big_bytes, small_bytes, nsmall)



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big-mb", type=int, default=1024, help="size of the big file in MiB (default 1024)")
    ap.add_argument("--small-count", type=int, default=500, help="number of small files (default 500)")
    ap.add_argument("--small-mb", type=float, default=2, help="size of each small file in MiB (default 2)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="folder in which a temporary run folder is made (default: the system temp dir)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="big-file rounds: one distinct big file per round, every tool uploads each; the table "
                         "shows the median round (default 3)")
    ap.add_argument("--concurrency", type=int, default=4,
                    help="parts in flight per file for ours, boto3 (second run) and rclone (default 4)")
    ap.add_argument("--file-concurrency", type=int, default=4,
                    help="small files in flight for ours and boto3 (rclone uses --concurrency transfers)")
    ap.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    ap.add_argument("--celery-app", default="workers.celery_app",
                    help="Celery app module for the worker (to try a changed configuration)")
    ap.add_argument("--verify-timeout", type=float, default=600, help="seconds to wait for verification")
    add_idle_option(ap)
    ap.add_argument("--keep", action="store_true", help="keep the run folder (data, logs, SeaweedFS) at the end")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="folder for the JSON results")
    args = ap.parse_args()

    IDLE["timeout"] = args.idle_timeout
    background = os.getloadavg()[0]
    base = args.workdir.resolve() if args.workdir else None
    if base:
        base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=base))
    need = (args.big_mb * args.rounds * 5 + args.small_count * args.small_mb * 4) * MiB
    free = shutil.disk_usage(root).free
    if free < need * 1.2:
        print(f"not enough disk space in {root}: about {need / GiB:.1f} GiB needed, {free / GiB:.1f} GiB free")
        shutil.rmtree(root, ignore_errors=True)
        return 2

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    started = datetime.now(timezone.utc)
    log(f"run folder {root}")
    try:
        summary = run(args, root)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print_report(summary)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"ingest-{stamp}.json"
    doc = {
        "benchmark": "server-side ingest",
        "started_at": started.isoformat(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "load1_at_start": background, "platform": platform.platform(), "python": sys.version.split()[0]},
        "versions": {"seaweedfs": tool_version([str(Path(sys.executable).parent / "weed"), "version"]),
                     "rclone": tool_version(["rclone", "version"]) if shutil.which("rclone") else None,
                     "boto3": __import__("boto3").__version__, "httpx": httpx.__version__},
        "results": [r.as_dict() for r in summary["results"]],
        "ratios": summary["ratios"],
        "per_file_overhead_ms": summary["per_file_overhead_ms"],
        "goals": summary["goals"],
        "notes": summary["notes"],
        "idle_waits": IDLE["waits"],
    }
    path.write_text(json.dumps(doc, indent=2, default=str))
    print(f"\nresults written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
