"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""

from __future__ import annotations


def import_all() -> None:
    import yingji.core.models  # noqa: F401
    from yingji import domains

    domains.parts("models")
