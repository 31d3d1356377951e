"""Migrations run from empty on SQLite and PostgreSQL, match the models, and go down again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from evidence.assessment import models as _assessment_models  # noqa: F401  (registers the tables)
from evidence.audit import models as _audit_models  # noqa: F401
from evidence.cases import models as _cases_models  # noqa: F401
from evidence.coverage import models as _coverage_models  # noqa: F401
from evidence.db import Base, make_engine
from evidence.devices import models as _devices_models  # noqa: F401
from evidence.identity import models as _identity_models  # noqa: F401
from evidence.migrate import downgrade, upgrade
from evidence.recordings import models as _recordings_models  # noqa: F401
from evidence.review import models as _review_models  # noqa: F401
from ingest import models as _ingest_models  # noqa: F401
from tests.conftest import create_pg_database, drop_pg_database

TABLES = {"units", "users", "stations", "devices", "device_assignments", "recordings", "upload_sessions",
          "enforcement_events", "event_officers", "event_coverage", "event_officer_coverage",
          "recording_event_links", "coverage_summaries", "cases", "case_handlers", "case_stage_changes",
          "case_recordings", "case_suggestion_decisions", "access_requests", "retention_runs", "exports",
          "login_throttles", "signing_keys", "review_draws", "review_items", "review_verdicts", "assessment_weights",
          "event_explanations", "coverage_day_counts", "coverage_day_officer_counts", "recording_day_counts",
          "audit_entries", "alembic_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_migrations_from_empty_match_the_models(empty_db):
    upgrade(empty_db)
    engine = make_engine(empty_db)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()
    downgrade(empty_db, "base")
    engine = make_engine(empty_db)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_db)
