"""`evidence serve` as a user starts it (SQLite, embedded broker, local SeaweedFS), on a temp data
dir and free ports, for the tests that need the single box exactly as `scripts/serve` runs it."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from storage.seaweedfs import free_port

EVIDENCE = str(Path(sys.executable).parent / "evidence")


@dataclass
class SingleBox:
    proc: subprocess.Popen
    base_url: str
    data_dir: Path
    log: Path
    env: dict = field(repr=False, default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited early:\n{self.output()[-3000:]}"
            try:
                r = httpx.get(self.base_url + "/health", timeout=2)
                if r.status_code == 200:
                    return r.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"not healthy in {timeout}s:\n{self.output()[-3000:]}")

    def admin_password(self) -> str:
        return (self.data_dir / "secrets" / "initial_admin_password").read_text().strip()

    def stop(self, timeout: float = 120) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout)
        return self.proc.returncode


def start_serve(tmp_path: Path, terminal: bool = False, **settings: str) -> SingleBox:
    """Start `evidence serve` with nothing but a data dir and free ports set (as scripts/serve does).

    terminal=True gives it a pseudo-terminal as a person's shell would; what it shows is copied to the log."""
    data = tmp_path / "data"
    api_port, s3_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(EVIDENCE_DATA_DIR=str(data), EVIDENCE_API_PORT=str(api_port),
               EVIDENCE_S3_ENDPOINT=f"127.0.0.1:{s3_port}", EVIDENCE_LOG_LEVEL="WARNING")
    env.update({f"EVIDENCE_{k.upper()}": v for k, v in settings.items()})
    log = tmp_path / "serve.log"
    if terminal:
        master, slave = pty.openpty()
        proc = subprocess.Popen([EVIDENCE, "serve"], env=env, cwd=tmp_path, stdout=slave, stderr=slave,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(slave)
        threading.Thread(target=_copy_terminal, args=(master, log), daemon=True).start()
    else:
        proc = subprocess.Popen([EVIDENCE, "serve"], env=env, cwd=tmp_path, stdout=open(log, "wb"),
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return SingleBox(proc, f"http://127.0.0.1:{api_port}", data, log, env)


def _copy_terminal(master: int, log: Path) -> None:
    with open(log, "wb") as out:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # every process holding the terminal has ended
                break
            if not data:
                break
            out.write(data)
            out.flush()
    os.close(master)
