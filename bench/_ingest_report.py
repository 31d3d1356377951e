"""bench_ingest's summary: ratios against the peers, per-file overhead, goals, and the printed table."""

from __future__ import annotations

from _ingest_tools import MiB, Result  # bench/ is on sys.path

GOALS = {"ours_vs_boto3": 1.0, "ours_vs_rclone": 0.9, "small_overhead_ms": 50.0}


def summarize(args, results: list[Result], notes: list[str], big_bytes: int, small_bytes: int, nsmall: int) -> dict:
    by = {r.name: r for r in results}
    c = args.concurrency

    def get(name):
        return by.get(name)

    ours_big = get("ours: upload until complete (big)")
    ours_big_v = get("ours: upload + server verification (big)")
    boto_def, boto_c = get("boto3 upload_file default (big)"), get(f"boto3 upload_file max_concurrency={c} (big)")
    rclone_big = get("rclone copy (big)")
    ratios: dict[str, float | None] = {}
    if ours_big and boto_def:
        ratios["ours/boto3 default throughput (big, until complete)"] = ours_big.mb_s / boto_def.mb_s
    if ours_big and boto_c:
        ratios[f"ours/boto3 max_concurrency={c} throughput (big, until complete)"] = ours_big.mb_s / boto_c.mb_s
    if ours_big and rclone_big:
        ratios["ours/rclone throughput (big, until complete)"] = ours_big.mb_s / rclone_big.mb_s
    if ours_big_v and boto_def:
        ratios["ours incl. verification/boto3 default throughput (big)"] = ours_big_v.mb_s / boto_def.mb_s

    overhead: dict[str, float] = {}

    def per_file(small: Result | None, bigr: Result | None) -> float | None:
        if not small or not bigr:
            return None
        return 1000 * (small.wall_s - small_bytes / (bigr.bytes / bigr.wall_s)) / nsmall

    overhead["ours (until complete)"] = per_file(get("ours: upload until complete (small)"), ours_big)
    overhead["ours (incl. server verification)"] = per_file(get("ours: upload + server verification (small)"),
                                                             ours_big_v)
    overhead["boto3 default"] = per_file(get("boto3 upload_file default (small)"), boto_def)
    overhead["rclone"] = per_file(get("rclone copy (small)"), rclone_big)

    srv, s256, hl = (get("server verify read: ObjectStore.hash_original"), get("local sha256sum"),
                     get("local Python hashlib (sha256_file)"))
    if srv and s256:
        ratios["server hash_original MB/s / local sha256sum MB/s"] = srv.mb_s / s256.mb_s
    if srv and hl:
        ratios["server hash_original MB/s / local hashlib MB/s"] = srv.mb_s / hl.mb_s

    goals = {}
    if "ours/boto3 default throughput (big, until complete)" in ratios:
        goals["ours/boto3 default >= 1.0"] = ratios["ours/boto3 default throughput (big, until complete)"] >= GOALS["ours_vs_boto3"]
    if f"ours/boto3 max_concurrency={c} throughput (big, until complete)" in ratios:
        goals[f"ours/boto3 max_concurrency={c} >= 1.0"] = (
            ratios[f"ours/boto3 max_concurrency={c} throughput (big, until complete)"] >= GOALS["ours_vs_boto3"])
    if "ours/rclone throughput (big, until complete)" in ratios:
        goals["ours/rclone >= 0.9"] = ratios["ours/rclone throughput (big, until complete)"] >= GOALS["ours_vs_rclone"]
    if overhead["ours (until complete)"] is not None:
        goals["small-file overhead (until complete) <= 50 ms"] = overhead["ours (until complete)"] <= GOALS["small_overhead_ms"]

    return {
        "results": results, "ratios": ratios, "per_file_overhead_ms": overhead, "goals": goals, "notes": notes,
    }


def print_report(summary: dict) -> None:
    results: list[Result] = summary["results"]
    server_names = ["api", "worker", "seaweedfs"]
    head = (f"{'test':<50} {'files':>5} {'MB':>7} {'wall s':>7} {'MB/s':>7} {'cli CPU s':>9} {'cli s/GB':>8}  "
            + "  ".join(f"{n + ' s/GB':>12}" for n in server_names))
    print("\n" + "=" * len(head))
    print("Server-side ingest benchmark (MB = MiB, GB = GiB; server columns: CPU seconds per GB)")
    print("=" * len(head))
    print(head)
    print("-" * len(head))
    group = None
    for r in results:
        if group is not None and r.group != group:
            print()
        group = r.group
        srv = r.as_dict()["server_cpu_s_per_gb"]
        cells = "  ".join(f"{srv[n]:>12.2f}" if n in srv else f"{'-':>12}" for n in server_names)
        print(f"{r.name:<50} {r.files:>5} {r.bytes / MiB:>7.0f} {r.wall_s:>7.2f} {r.mb_s:>7.1f} "
              f"{r.client_cpu_s:>9.2f} {r.cpu_per_gb:>8.2f}  {cells}")
    print("-" * len(head))
    for r in results:
        if r.extra.get("rounds", 0) > 1:
            print(f"{r.name}: MB/s per round " + ", ".join(f"{v:.1f}" for v in r.extra["mb_s_each"])
                  + " (the table shows the median round)")
    for r in results:
        if r.name == "ours: upload + server verification (big)":
            for i, e in enumerate(r.extra.get("extra_each", [r.extra]), 1):
                p = e.get("status_poll_calls") or {}
                print(f"big file, ours, round {i}: server verification {e['server_verify_s_from_db']:.2f} s by the "
                      f"database clock (upload + verification {e['upload_plus_verify_s_from_db']:.2f} s); client "
                      f"waited {e['client_wait_after_complete_s']:.2f} s after complete"
                      + (f"; {p['n']} status polls, slowest {p['max_ms']:.0f} ms" if p else ""))
        if r.name == "ours: upload until complete (big)":
            for i, e in enumerate(r.extra.get("extra_each", [r.extra]), 1):
                calls = e.get("calls", {})
                print(f"big file, ours, round {i}, per call: " + ", ".join(
                    f"{k} n={v['n']} p50 {v['p50_ms']:.0f} ms max {v['max_ms']:.0f} ms" for k, v in calls.items()))
        if r.name == "ours: upload until complete (small)" and r.extra.get("calls"):
            calls = r.extra["calls"]
            print("small files, ours, per call: " + ", ".join(
                f"{k} p50 {v['p50_ms']:.0f} ms p95 {v['p95_ms']:.0f} ms" for k, v in calls.items()))
            if r.extra.get("per_file_upload"):
                v = r.extra["per_file_upload"]
                print(f"small files, ours, whole upload() per file: p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms")
        if r.name == "ours: upload + server verification (small)" and r.extra.get("complete_to_verified"):
            v = r.extra["complete_to_verified"]
            print(f"small files, ours, complete -> verified (database clock): p50 {v['p50_ms']:.0f} ms, "
                  f"p95 {v['p95_ms']:.0f} ms, max {v['max_ms']:.0f} ms")
    busy = []
    for r in results:
        for e in r.extra.get("extra_each", [r.extra]):
            other, machine = e.get("other_cpu_s", 0.0), e.get("machine_cpu_s", 0.0)
            if other > max(1.0, 0.15 * machine):
                busy.append(f"{r.name}: {other:.1f} of {machine:.1f} CPU-s")
    if busy:
        print("WARNING: other processes used the CPU during: " + "; ".join(busy[:6])
              + ". Figures are skewed; run again on an idle machine.")
    print("\nRatios:")
    for k, v in summary["ratios"].items():
        print(f"  {k:<66} {v:6.2f}x")
    print("Per-file overhead on small files ((time − bytes / own big-file throughput) / files):")
    for k, v in summary["per_file_overhead_ms"].items():
        print(f"  {k:<66} {'n/a' if v is None else f'{v:6.1f} ms'}")
    print("Goals:")
    for k, ok in summary["goals"].items():
        print(f"  {k:<66} {'PASS' if ok else 'FAIL'}")
    for n in summary["notes"]:
        print("Note: " + n)
