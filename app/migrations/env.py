"""Alembic environment: migrates the database the app's configuration names."""

from __future__ import annotations

from alembic import context

from app.core.database import build_engine
from app.models import Base

LOCK_TIMEOUT = "5s"  # never queue behind a long transaction while calls are being answered


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "the database URL is set by `backline db upgrade`"
    engine = build_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            # End the implicit transaction the SET began (the setting lasts for the session), so
            # Alembic owns its transactions and a migration can leave them in an
            # `autocommit_block()` to build an index concurrently.
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


run_migrations()
