"""Wait for an idle machine before a measurement: every benchmark calls `wait_for_idle` first.

Idle means both: the 1-minute load average is at most `max_load` (default: a quarter of the
cores, at least 0.5), and the CPU that other processes used over a short look is at most
`max_cpu` cores (default 0.25). "Other" is everything but this process and the processes it
started (and any pid given in `own`, e.g. a server the benchmark runs). The wait gives up after
`timeout` seconds and says so: the figures are then taken on a busy machine.

Every benchmark has `--idle-timeout SECONDS` (default 600) that is passed here.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from _common import descendants, log, machine_busy, proc_table  # bench/ is on sys.path

DEFAULT_TIMEOUT = 600.0


def add_idle_option(parser) -> None:
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="wait at most this many seconds for an idle machine before each measurement "
                             f"(default {DEFAULT_TIMEOUT:.0f}; 0: do not wait)")


def _own_cpu(extra: Iterable[int]) -> float:
    """CPU seconds of this process, its children (live and reaped) and the extra process trees."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    table = proc_table()
    pids = set(descendants(os.getpid(), table))
    for root in extra:
        if root in table:
            pids.add(root)
            pids.update(descendants(root, table))
    return total + sum(table[p][1] for p in pids if p in table)


@dataclass
class IdleWait:
    phase: str
    waited_s: float = 0.0
    gave_up: bool = False
    load: float = 0.0
    other_cores: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"phase": self.phase, "waited_s": round(self.waited_s, 1), "gave_up": self.gave_up,
                "load1": round(self.load, 2), "other_cores": round(self.other_cores, 2)}


def other_cores(look: float, own: Callable[[], Iterable[int]] | Iterable[int] = ()) -> float:
    """Cores that other processes kept busy on average over `look` seconds."""
    pids = own if not callable(own) else own()
    a_busy, a_own = machine_busy(), _own_cpu(pids)
    time.sleep(look)
    b_busy, b_own = machine_busy(), _own_cpu(pids)
    return max(0.0, (b_busy - a_busy) - (b_own - a_own)) / look


def wait_for_idle(phase: str, timeout: float = DEFAULT_TIMEOUT, *, max_load: float | None = None,
                  max_cpu: float = 0.25, look: float = 3.0, poll: float = 10.0,
                  own: Callable[[], Iterable[int]] | Iterable[int] = ()) -> IdleWait:
    """Wait until the machine is idle (see the module doc), at most `timeout` seconds."""
    if timeout <= 0:  # --idle-timeout 0: do not wait
        return IdleWait(phase, load=os.getloadavg()[0])
    cores = os.cpu_count() or 1
    limit = max_load if max_load is not None else max(0.5, cores / 4)
    result = IdleWait(phase)
    t0 = time.monotonic()
    announced = False
    while True:
        result.other_cores = other_cores(look, own)
        result.load = os.getloadavg()[0]
        if result.load <= limit and result.other_cores <= max_cpu:
            break
        waited = time.monotonic() - t0
        if waited >= timeout:
            result.gave_up = True
            note = (f"NOTE: the machine is still busy after {waited:.0f} s (load {result.load:.2f} > {limit:.2f} or "
                    f"{result.other_cores:.2f} cores used by other processes > {max_cpu:.2f}): measuring "
                    f"'{phase}' anyway; its figures are skewed")
            result.notes.append(note)
            log("  " + note)
            break
        if not announced:
            log(f"  waiting for an idle machine before '{phase}' (load {result.load:.2f}, other processes "
                f"{result.other_cores:.2f} cores; at most {timeout:.0f} s)")
            announced = True
        time.sleep(min(poll, max(0.0, timeout - waited)))
    result.waited_s = time.monotonic() - t0
    if announced and not result.gave_up:
        log(f"  idle after {result.waited_s:.0f} s")
    return result
