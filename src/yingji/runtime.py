"""The process-wide database handle that jobs and commands share with the web application."""

from __future__ import annotations

from yingji.db import Database
from yingji.settings import Settings, get_settings

_database: Database | None = None


def get_database() -> Database:
    global _database
    if _database is None:
        _database = Database(get_settings())
    return _database


def set_database(database: Database | None) -> None:
    """Install a database (app start-up, tests); ``None`` forgets it."""
    global _database
    _database = database


def settings() -> Settings:
    return get_database().settings if _database is not None else get_settings()
