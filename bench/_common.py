"""Small helpers the benchmark scripts share: progress lines, CPU accounting from /proc and the JSON
report in bench/out. The service stack is in _stack.py, the wait for an idle machine in _idle.py."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def children_cpu() -> float:
    """CPU seconds of terminated, waited-for children (subprocess clients)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / CLK_TCK


# -- processes, from /proc (read in this process, so polling adds nothing to children's CPU) -----
def proc_table() -> dict[int, tuple[int, float, int]]:
    """pid -> (ppid, CPU seconds including reaped children, start time in clock ticks since boot)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                data = fh.read()
        except OSError:
            continue
        rest = data[data.rindex(")") + 2:].split()  # rest[0] is field 3 (state)
        ticks = int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
        table[int(entry)] = (int(rest[1]), ticks / CLK_TCK, int(rest[19]))
    return table


def descendants(root: int, table: dict | None = None) -> dict[int, int]:
    """pid -> start time of every live descendant of `root` (not root itself)."""
    table = table or proc_table()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    found, todo = {}, list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = table[pid][2]
        todo.extend(kids.get(pid, []))
    return found


def tree_cpu(root: int, table: dict) -> float:
    """CPU seconds of a process and all its live descendants (reaped ones are in cutime)."""
    return (table[root][1] if root in table else 0.0) + sum(table[p][1] for p in descendants(root, table))


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def save_report(prefix: str, report: dict) -> Path:
    """bench/out/<prefix>-<timestamp>.json (git ignores bench/out)."""
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    return path
