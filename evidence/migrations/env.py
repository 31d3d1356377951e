"""Alembic environment: the URL comes from the service settings (or the caller's config)."""

from alembic import context

# Every domain's models register their tables (upload sessions belong to ingest/).
from evidence.assessment import models as assessment_models  # noqa: F401
from evidence.audit import models as audit_models  # noqa: F401
from evidence.cases import models as cases_models  # noqa: F401
from evidence.config import get_settings
from evidence.coverage import models as coverage_models  # noqa: F401
from evidence.db import Base, make_engine
from evidence.devices import models as devices_models  # noqa: F401
from evidence.identity import models as identity_models  # noqa: F401
from evidence.recordings import models as recordings_models  # noqa: F401
from evidence.review import models as review_models  # noqa: F401
from ingest import models as ingest_models  # noqa: F401

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
