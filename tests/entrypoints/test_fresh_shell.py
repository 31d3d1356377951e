"""What a person types after setup works in a fresh shell: the README's `evidence` commands
run as written with no `uv` on PATH, and on a terminal the logs are readable lines, not JSON."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import subprocess
import sys
import time

from tests.conftest import ROOT
from tests.serve import start_serve

FRESH_PATH = "/usr/local/bin:/usr/bin:/bin"  # a new login shell: no ~/.local/bin, no project venv


def _fresh_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("EVIDENCE_", "UV_", "VIRTUAL_ENV", "PYTHON")) and k != "PATH"}
    return {**env, "PATH": FRESH_PATH, "COLUMNS": "200", **extra}


def _first_steps() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## First steps after `scripts/serve`", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def test_the_readme_first_steps_run_as_written_in_a_fresh_shell(tmp_path):
    steps = _first_steps()
    assert steps[0] == "export EVIDENCE_DATA_DIR=$PWD/data"
    (tmp_path / "assignments.csv").write_text("device_id,police_id,assigned_from,assigned_to\n"
                                              "CAM001,010203,2026-11-01T00:00:00,\n")
    # The steps come "after scripts/serve": the box runs (its database, storage and secrets in the
    # data dir). Only its S3 port differs from the default, since tests take free ports.
    box = start_serve(tmp_path)
    try:
        box.wait_healthy()
        env = _fresh_env(EVIDENCE_DATA_DIR=str(tmp_path / "data"), EVIDENCE_S3_ENDPOINT=box.env["EVIDENCE_S3_ENDPOINT"])
        cli = str(ROOT / "scripts" / "evidence")
        for step in steps[1:]:
            argv = shlex.split(step)
            assert argv[0] == "scripts/evidence", f"README step does not use scripts/evidence: {step}"
            result = subprocess.run([cli, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True,
                                    input="s3cret-pass\ns3cret-pass\n", timeout=300)
            assert result.returncode == 0, f"{step}\n{result.stdout}{result.stderr}"
    finally:
        box.stop()
    readme = (ROOT / "README.md").read_text()
    assert "uv run evidence" not in readme


def _logs_on(stderr_is_terminal: bool) -> str:
    code = ("import logging; from evidence.logs import configure_logging; configure_logging(); "
            "logging.getLogger('evidence.demo').warning('camera %s docked', 'CAM001')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    if not stderr_is_terminal:
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=60).stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=slave, stderr=slave)
    os.close(slave)
    out = bytearray()
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        out += data
    proc.wait(60)
    os.close(master)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.decode(errors="replace"))


def test_logs_are_readable_on_a_terminal_and_json_otherwise():
    piped = _logs_on(stderr_is_terminal=False).strip()
    assert json.loads(piped.splitlines()[-1])["event"] == "camera CAM001 docked"
    shown = _logs_on(stderr_is_terminal=True).strip().splitlines()[-1]
    assert not shown.lstrip().startswith("{"), shown
    assert "camera CAM001 docked" in shown and "warning" in shown and "evidence.demo" in shown


def test_serve_on_a_terminal_shows_readable_lines_without_banners(tmp_path):
    box = start_serve(tmp_path, terminal=True, log_level="INFO")
    try:
        box.wait_healthy()
        deadline = time.monotonic() + 120
        while not all(f"{q}@" in box.output() for q in ("fast", "media", "transcode")):
            assert time.monotonic() < deadline, box.output()[-3000:]
            time.sleep(0.5)
    finally:
        code = box.stop()
    assert code == 0, box.output()[-3000:]
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in box.output().splitlines()]
    assert [line for line in lines if line.startswith("{")] == [], "JSON lines on a terminal"
    assert not [line for line in lines if "[queues]" in line or "celery beat v" in line], "Celery banners"
    ready = [line for line in lines if "fast@" in line and "ready" in line]
    assert ready and "[info" in ready[0], ready
