"""bench_coverage's fairness: an idle machine before each phase (bench/_idle.py), and the CPU that
other work used during a measurement (`Watch`), so that a contended measurement is taken again."""

from __future__ import annotations

import os
import re
import resource
import time

from _common import CLK_TCK, cmdline, descendants, machine_busy, proc_table  # bench/ is on sys.path
from _idle import wait_for_idle

# What `pgrep -f "bench_(ingest|dock|media)"` finds, plus any other bench/bench_*.py of this repository.
OTHER_BENCH = re.compile(r"bench_(ingest|dock|media)|bench_(?!coverage)[A-Za-z0-9]+\.py")
# The run's PostgreSQL database name (its backends' CPU is ours), --idle-timeout, and every wait made.
STATE: dict = {"db": None, "idle_timeout": 1200.0, "waits": []}


# -- fairness -----------------------------------------------------------------------------------
# Other benchmarks wait for each other too (bench_dock waits while any bench/bench_*.py runs), so
# a benchmark that is present but idle is taken to be waiting for us and is not waited for.
def other_bench_pids() -> list[int]:
    """Processes of the other benchmarks, read from /proc (like pgrep -f, with the wider pattern)."""
    me = os.getpid()
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != me and OTHER_BENCH.search(cmdline(int(e)))]


def other_bench_cpu() -> dict[int, float]:
    """CPU seconds so far of every process of the other benchmarks (each process tree)."""
    roots = other_bench_pids()
    if not roots:
        return {}
    table = proc_table()
    return {pid: table[pid][1] for root in roots for pid in (root, *descendants(root, table)) if pid in table}


# The rest of the machine: engineers run tests and tools on it too. CPU used by anything but this
# process and the PostgreSQL processes serving its database ("foreign" CPU) is read from
# /proc/stat; a phase waits until the machine is quiet, and a measurement during which foreign
# work used more than CONTENDED_SHARE of one core is marked contended (and measured again).
QUIET_SHARE = 0.2
CONTENDED_SHARE = 0.10
PG_AUX = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


def own_pg_pids() -> list[int]:
    """The PostgreSQL backends of this run's database and the server's own helpers."""
    db = STATE["db"]
    if db is None:
        return []
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and (cmd := cmdline(int(e))).startswith("postgres:")
            and (db in cmd or any(a in cmd for a in PG_AUX))]


def _own_pg_seconds() -> float:
    """CPU of the PostgreSQL backends of this run's database and of the server's own helpers."""
    total = 0.0
    for entry in own_pg_pids():
        try:
            with open(f"/proc/{entry}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / CLK_TCK
    return total


def _sample() -> tuple[float, float, float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (machine_busy(), r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime, _own_pg_seconds(),
            sum(other_bench_cpu().values()))


def _foreign(a, b) -> tuple[float, float]:
    """(foreign CPU-s, of which other benchmarks) between two samples."""
    return max(0.0, (b[0] - a[0]) - (b[1] - a[1]) - (b[2] - a[2])), max(0.0, b[3] - a[3])


def wait_for_others(phase: str) -> float:
    """Wait for an idle machine (this run's PostgreSQL backends do not count); seconds waited."""
    w = wait_for_idle(phase, STATE["idle_timeout"], own=own_pg_pids)
    STATE["waits"].append(w.as_dict())
    return round(w.waited_s, 1)


class Watch:
    """Foreign CPU (and other benchmarks' share) during a measurement."""

    def __enter__(self) -> "Watch":
        self.t0 = time.monotonic()
        self.a = _sample()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.t0
        self.foreign, self.bench = _foreign(self.a, _sample())

    @property
    def other_cpu(self) -> float:
        return round(self.foreign, 2)

    @property
    def contended(self) -> bool:
        return self.foreign > max(1.0, CONTENDED_SHARE * self.wall)

    @property
    def seen(self) -> list[str]:
        return [f"{self.foreign:.1f} CPU-s foreign, {self.bench:.1f} of it other benchmarks"]


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
