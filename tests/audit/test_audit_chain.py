"""The audit log is hash-chained: the verify command names the first edited, deleted or
reordered entry; PostgreSQL itself refuses UPDATE and DELETE on it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from evidence.audit import service as audit
from evidence.db import make_engine
from evidence.migrate import upgrade
from sqlalchemy.orm import Session
from tests.conftest import ROOT, create_pg_database, drop_pg_database


@pytest.fixture(params=["postgresql", "sqlite"])
def audited_db(request, tmp_path):
    """A fresh database holding 10 audit entries."""
    url = create_pg_database() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(10):
            audit.record(s, audit.Actor("user", i, f"P{i:04d}", "10.0.0.1"), "recording.read", "recording", i,
                         note=f"read number {i}", 中文="可以")
            s.commit()
    yield url, engine
    engine.dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def verify_cli(url: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, EVIDENCE_DATABASE_URL=url, EVIDENCE_DATA_DIR=str(tmp_path), COLUMNS="200")
    # The chain alone: these databases have no object storage (checkpoints: test_audit_checkpoints.py).
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", "audit", "verify", "--chain-only"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def tamper(engine, *statements: str) -> None:
    """Change rows behind the service's back (as someone with database access would)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # bypasses the trigger
        for sql in statements:
            conn.exec_driver_sql(sql)


def test_intact_chain_verifies(audited_db, tmp_path):
    url, _ = audited_db
    result = verify_cli(url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout and "10 entries" in result.stdout


def test_edited_entry_is_named(audited_db, tmp_path):
    url, engine = audited_db
    tamper(engine, "UPDATE audit_entries SET actor_label = 'P9999' WHERE id = 5")
    result = verify_cli(url, tmp_path)
    assert result.returncode == 1
    assert "BROKEN at entry 5" in result.stdout and "edited" in result.stdout


def test_deleted_entry_is_named(audited_db, tmp_path):
    url, engine = audited_db
    tamper(engine, "DELETE FROM audit_entries WHERE id = 7")
    result = verify_cli(url, tmp_path)
    assert result.returncode == 1
    assert "BROKEN at entry 8" in result.stdout and "entry 7 is missing" in result.stdout


def test_reordered_entries_are_named(audited_db, tmp_path):
    url, engine = audited_db
    # Swap the contents of entries 3 and 4, hashes included.
    cols = "at, actor_type, actor_id, actor_label, action, object_type, object_id, detail, ip, prev_hash, entry_hash"
    tamper(engine,
           f"CREATE TEMP TABLE swap AS SELECT id, {cols} FROM audit_entries WHERE id IN (3, 4)",
           "UPDATE audit_entries SET prev_hash = 'x' || id WHERE id IN (3, 4)",
           *[f"UPDATE audit_entries SET {c} = (SELECT {c} FROM swap WHERE swap.id = 7 - audit_entries.id) "
             f"WHERE id IN (3, 4)" for c in cols.split(", ")])
    result = verify_cli(url, tmp_path)
    assert result.returncode == 1
    assert "BROKEN at entry 3" in result.stdout


@pytest.mark.parametrize("audited_db", ["postgresql"], indirect=True)
def test_postgresql_refuses_update_and_delete(audited_db):
    url, engine = audited_db
    for sql in ("UPDATE audit_entries SET action = 'x' WHERE id = 1", "DELETE FROM audit_entries WHERE id = 1"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
