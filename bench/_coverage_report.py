"""bench_coverage's report: growth exponents between scales, the printed table, the machine."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"full_recompute_s": 30.0, "incremental_s": 1.0}


# -- report -----------------------------------------------------------------------------------
def nlogn_exponent(n1: float, n2: float) -> float:
    return math.log((n2 * math.log(n2)) / (n1 * math.log(n1))) / math.log(n2 / n1)


def growth(results: list[dict]) -> list[dict]:
    out = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        rs = sorted((r for r in results if r["backend"] == backend and "full_seconds" in r), key=lambda r: r["events"])
        pairs = list(zip(rs, rs[1:]))
        if len(rs) > 2:
            pairs.append((rs[0], rs[-1]))
        for a, b in pairs:
            if b["events"] <= a["events"]:
                continue
            g = {"backend": backend, "from_scale": a["scale"], "to_scale": b["scale"],
                 "n_ratio": round(b["events"] / a["events"], 3),
                 "nlogn_exponent": round(nlogn_exponent(a["events"], b["events"]), 3)}
            for name, ta, tb in (("full", a["full_seconds"], b["full_seconds"]),
                                 ("summaries", a["summaries"]["total_seconds"], b["summaries"]["total_seconds"]),
                                 ("incremental", a["incremental"]["median_seconds"],
                                  b["incremental"]["median_seconds"])):
                g[f"{name}_exponent"] = round(math.log(tb / ta) / math.log(b["events"] / a["events"]), 3) \
                    if ta > 0 and tb > 0 else None
            out.append(g)
    return out


def print_table(results: list[dict], growths: list[dict]) -> None:
    head = (f"{'backend':10s} {'scale':>6s} {'events':>8s} {'recs':>8s} {'full s':>8s} {'rebuild':>7s} {'unit s':>7s} "
            f"{'officer s':>9s} {'type s':>7s} {'day s':>7s} {'roadside s':>10s} {'incr med':>8s} {'incr max':>8s}  "
            f"covered/partial/missing/pending")
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        if "full_seconds" not in r:
            print(f"{r['backend']:10s} {r['scale']:>6} ERROR {r.get('error')}")
            continue
        s = r["summaries"]
        inc = r.get("incremental", {})
        st = r["status_counts"]["events"]
        print(f"{r['backend']:10s} {r['scale']:>6} {r['events']:>8d} {r['recordings']:>8d} {r['full_seconds']:>8.2f} "
              f"{r.get('rebuild_seconds', float('nan')):>7.2f} "
              f"{s['unit']['seconds']:>7.2f} {s['officer']['seconds']:>9.2f} {s['type']['seconds']:>7.2f} "
              f"{s['day']['seconds']:>7.2f} {s['roadside_missing']['seconds']:>10.2f} "
              f"{inc.get('median_seconds', float('nan')):>8.3f} {inc.get('max_seconds', float('nan')):>8.3f}  "
              + "/".join(str(st.get(k, 0)) for k in ("covered", "partial", "missing", "pending"))
              + ("  [contended]" if r.get("full_contended") or s.get("contended") else ""))
    if growths:
        print()
        print("growth exponents log(t2/t1)/log(n2/n1) (n = events; n log n would give the nlogn column)")
        print(f"{'backend':10s} {'scales':>12s} {'n ratio':>8s} {'nlogn':>6s} {'full':>6s} {'summaries':>9s} "
              f"{'incr':>6s}")
        for g in growths:
            fmt = lambda v: f"{v:.2f}" if v is not None else "n/a"  # noqa: E731
            print(f"{g['backend']:10s} {str(g['from_scale']) + '→' + str(g['to_scale']):>12s} {g['n_ratio']:>8.2f} "
                  f"{g['nlogn_exponent']:>6.2f} {fmt(g['full_exponent']):>6s} {fmt(g['summaries_exponent']):>9s} "
                  f"{fmt(g['incremental_exponent']):>6s}")
    print()
    for r in results:
        if "full_seconds" in r and r["scale"] >= 0.999:
            ok_full = r["full_seconds"] <= GOALS["full_recompute_s"]
            ok_inc = r["incremental"]["max_seconds"] <= GOALS["incremental_s"]
            print(f"goals at full size, {r['backend']}: full computation {r['full_seconds']:.1f} s "
                  f"(≤ {GOALS['full_recompute_s']:.0f} s: {'met' if ok_full else 'NOT met'}), incremental max "
                  f"{r['incremental']['max_seconds']:.3f} s (≤ {GOALS['incremental_s']:.0f} s: "
                  f"{'met' if ok_inc else 'NOT met'})")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = next(line.split(":", 1)[1].strip() for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    import sqlite3
    git = {}
    try:
        run = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True).stdout.strip()  # noqa: E731
        git = {"head": run("rev-parse", "HEAD"), "head_subject": run("log", "-1", "--format=%s"),
               "coverage_changes": run("status", "--short", "evidence/coverage", "evidence/models.py", "evidence/db.py")}
    except OSError:
        pass
    return {"git": git, "cpus": os.cpu_count(), "cpu_model": cpu, "mem_total": mem, "python": platform.python_version(),
            "sqlalchemy": sa.__version__, "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}
