"""Alembic environment: the URL comes from yingji's settings (or the caller's connection)."""

from __future__ import annotations

from alembic import context

from yingji import models_registry
from yingji.db import Base, make_engine
from yingji.settings import get_settings

models_registry.import_all()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
