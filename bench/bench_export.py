"""Benchmark: court export and its offline verification against plain tools.

One run: a case with --files recordings totalling --total-gb, stored in a fresh local
SeaweedFS. Measures
  export   evidence.cases.export.write_export (read from S3 + SHA-256 + stored ZIP + signed manifest)
           vs  `zip -0` of the same files followed by `sha256sum` of them (goal <= 1.1x)
  verify   evidence.verify_export.verify (signature + every file's SHA-256 + audit entries)
           vs  `sha256sum -c` on the same files (goal <= 1.0x)
Files are random bytes (nothing to compress); everything fits in the page cache (warm runs).

Usage: .venv/bin/python bench/bench_export.py [--total-gb 4] [--files 20] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import save_report  # noqa: E402  (bench/ is on sys.path)
from _idle import add_idle_option, wait_for_idle  # noqa: E402
from _stack import Stack  # noqa: E402

MiB = 1024 * 1024


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total-gb", type=float, default=4.0)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--workdir", type=Path, default=None)
    add_idle_option(ap)
    args = ap.parse_args()
    if not shutil.which("zip"):
        sys.exit("`zip` is missing: apt-get install zip")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-export-"))
    try:
        # SeaweedFS and a SQLite database migrated by `evidence db upgrade`; this process uses them.
        with Stack(workdir, storage=True, database="sqlite", env={"EVIDENCE_OBJECT_LOCK_MODE": "OFF"}) as stack:
            stack.use_here()
            report = run(workdir, args.total_gb, args.files, args.idle_timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"figures written to {save_report('export', report)}")


def run(workdir: Path, total_gb: float, n: int, idle_timeout: float) -> dict:
    import hashlib

    from evidence.audit import service as audit
    from evidence.identity import service as identity
    from evidence.cases import service as cases
    from evidence.cases.export import write_export
    from evidence.cases.models import Case
    from evidence.db import session_scope
    from evidence.recordings.models import Recording
    from evidence.identity.models import User
    from evidence.timeutil import utcnow
    from evidence.verify_export import verify
    from evidence.store import get_store
    from storage.keys import original_key

    store = get_store()
    files_dir = workdir / "files"
    files_dir.mkdir()
    size = int(total_gb * 1024 * MiB / n)
    print(f"generating {n} files of {size / MiB:.0f} MiB and storing them…")
    with session_scope() as s:
        admin = identity.create_user(s, audit.SYSTEM, "BENCH1", "bench", "admin", "bench-password")
        case = cases.create_case(s, admin, "BENCH-CASE", "accident", "bench", None, [])
        case_id, admin_id = case.id, admin.id
    paths = []
    block = os.urandom(64 * MiB)
    for i in range(n):
        p = files_dir / f"clip_{i:02d}.mp4"
        with open(p, "wb") as fh:
            remaining = size
            fh.write(i.to_bytes(8, "big"))
            remaining -= 8
            while remaining > 0:
                fh.write(block[: min(len(block), remaining)])
                remaining -= min(len(block), remaining)
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        store.client.fput_object(store.originals, original_key(digest), str(p))
        with session_scope() as s:  # a verified original (setup), attached by the cases service
            rec = Recording(sha256=digest, size_bytes=size, media_kind="video", original_filename=p.name,
                            object_key=original_key(digest), status="verified", verified_at=utcnow(),
                            started_at=utcnow())
            s.add(rec)
            s.flush()
            cases.attach(s, store, s.get(User, admin_id), s.get(Case, case_id), rec.id, None, None, None)
        paths.append(p)
    total = sum(p.stat().st_size for p in paths)
    report: dict = {"machine": f"{os.cpu_count()} cores", "files": n, "bytes": total}

    # export: ours
    wait_for_idle("export", idle_timeout)
    package = workdir / "export.zip"
    c0, t0 = cpu(), time.perf_counter()
    with session_scope() as s, open(package, "wb") as fh:
        write_export(s, store, s.get(User, admin_id), s.get(Case, case_id), fh)
    t_ours, c_ours = time.perf_counter() - t0, cpu() - c0
    # export: zip -0 then sha256sum
    wait_for_idle("zip -0 + sha256sum", idle_timeout)
    c0, t0 = cpu(), time.perf_counter()
    subprocess.run(["zip", "-0", "-q", "-j", str(workdir / "peer.zip"), *map(str, paths)], check=True)
    t_zip = time.perf_counter() - t0
    sums = subprocess.run(["sha256sum", *map(str, paths)], check=True, capture_output=True, text=True).stdout
    t_peer, c_peer = time.perf_counter() - t0, cpu() - c0
    (workdir / "SHA256SUMS").write_text(sums)
    report["export"] = {"ours_s": t_ours, "ours_cpu_s": c_ours, "zip0_s": t_zip, "zip0_plus_sha256sum_s": t_peer,
                        "peer_cpu_s": c_peer, "ratio": t_ours / t_peer, "goal": "<= 1.1"}

    # verification: ours vs sha256sum -c
    wait_for_idle("verification", idle_timeout)
    c0, t0 = cpu(), time.perf_counter()
    problems, _ = verify(str(package))
    t_v, c_v = time.perf_counter() - t0, cpu() - c0
    assert not problems, problems
    c0, t0 = cpu(), time.perf_counter()
    subprocess.run(["sha256sum", "-c", "--quiet", str(workdir / "SHA256SUMS")], check=True)
    t_c, c_c = time.perf_counter() - t0, cpu() - c0
    report["verify"] = {"ours_s": t_v, "ours_cpu_s": c_v, "sha256sum_c_s": t_c, "peer_cpu_s": c_c,
                        "ratio": t_v / t_c, "goal": "<= 1.0"}
    gb = total / 1e9
    print(f"\n{total / 1e9:.2f} GB in {n} files, 2-core box, warm page cache")
    e, v = report["export"], report["verify"]
    print(f"export : ours {e['ours_s']:.1f} s ({gb / e['ours_s'] * 1000:.0f} MB/s)  vs  zip -0 {e['zip0_s']:.1f} s + "
          f"sha256sum = {e['zip0_plus_sha256sum_s']:.1f} s   ratio {e['ratio']:.2f} (goal <= 1.1)")
    print(f"verify : ours {v['ours_s']:.1f} s ({gb / v['ours_s'] * 1000:.0f} MB/s)  vs  sha256sum -c {v['sha256sum_c_s']:.1f} s"
          f"   ratio {v['ratio']:.2f} (goal <= 1.0)")
    return report


if __name__ == "__main__":
    main()
