"""Generated secrets (token key, S3 secret, signing key, first admin password) are made once in
data_dir/secrets: processes that start together agree on one value, the files are private, and a
configured value wins over the file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

ASK = """
import json, os, sys, time
from pathlib import Path
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
from evidence import secrets_store
from evidence.audit import signing
from evidence.config import get_settings
print(json.dumps({"token": secrets_store.token_key(), "s3": secrets_store.s3_secret(),
                  "signing_key": signing.fingerprint_of(signing.load_private()),
                  "admin": secrets_store.initial_admin_password(get_settings().data_dir)}))
"""


def env_for(data_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    return dict(env, EVIDENCE_DATA_DIR=str(data_dir), **extra)


def ask_together(data_dir: Path, count: int, **extra: str) -> list[dict]:
    go = data_dir.parent / f"{data_dir.name}.go"
    procs = [subprocess.Popen([sys.executable, "-c", ASK, str(go)], cwd=ROOT, env=env_for(data_dir, **extra),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    time.sleep(3)  # every process imported the service and waits for the signal
    go.touch()
    answers = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        answers.append(json.loads(out))
    return answers


def test_processes_starting_together_get_the_same_secrets(tmp_path):
    data_dir = tmp_path / "data"
    answers = ask_together(data_dir, 6)
    first = answers[0]
    assert all(a == first for a in answers), "two processes were handed different secrets"
    assert len(first["token"]) >= 40 and len(first["s3"]) >= 40 and first["token"] != first["s3"]
    folder = data_dir / "secrets"
    assert (folder / "signing_key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["initial_admin_password", "s3_secret_key", "secret_key", "signing_key.pem"], names
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (folder / "secret_key").read_text().strip() == first["token"]
    assert (folder / "initial_admin_password").read_text().strip() == first["admin"]
    # Asked again later, the kept values come back unchanged.
    assert ask_together(data_dir, 1)[0] == first


def test_a_configured_secret_wins_over_the_kept_file(tmp_path):
    data_dir = tmp_path / "data"
    kept = ask_together(data_dir, 1)[0]
    configured = ask_together(data_dir, 1, EVIDENCE_SECRET_KEY="configured-token-key",
                              EVIDENCE_S3_SECRET_KEY="configured-s3-secret")[0]
    assert configured["token"] == "configured-token-key"
    assert configured["s3"] == "configured-s3-secret"
    assert configured["signing_key"] == kept["signing_key"]
    assert (data_dir / "secrets" / "secret_key").read_text().strip() == kept["token"]


def test_an_old_secrets_folder_is_made_private(tmp_path):
    folder = tmp_path / "data" / "secrets"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    (folder / "secret_key").write_text("kept-by-an-older-version")
    answer = ask_together(tmp_path / "data", 1)[0]
    assert answer["token"] == "kept-by-an-older-version"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
