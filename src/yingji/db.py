"""Engine, sessions, the declarative base and the column types every model shares."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    bindparam,
    create_engine,
    event,
    false,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, make_transient_to_detached, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from yingji import clock
from yingji.settings import Settings

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    # 64 MiB of page cache per connection (the default 2 MiB thrashes once indexes outgrow it).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    busy_ms = max(int(settings.db_busy_seconds * 1000), 1)
    if url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=16)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=busy_ms))
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=16, max_overflow=8, pool_pre_ping=True,
                         connect_args={"options": f"-c lock_timeout={busy_ms:d}"})


_BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})  # lock_not_available, serialization_failure, deadlock


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "another transaction holds what this one needs": retrying later may
    succeed (SQLite: the database is locked or busy; PostgreSQL: a lock timeout, a serialization failure or a
    deadlock), as opposed to a fault that needs an operator."""
    original = getattr(exc, "orig", None)
    if original is None:
        return False
    if getattr(original, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    message = str(original).lower()
    return isinstance(original, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


_CONFLICT_SQLSTATES = frozenset({"23505", "23503"})  # unique_violation, foreign_key_violation


def is_conflict(exc: BaseException) -> bool:
    """Whether an integrity error means "another change got there first": a row with the same key was
    written (unique), or a row this one refers to is gone (foreign key) — as against a NOT NULL or CHECK
    failure, which is a fault in the code."""
    original = getattr(exc, "orig", None)
    if original is None:
        return False
    if getattr(original, "sqlstate", None) in _CONFLICT_SQLSTATES:
        return True
    message = str(original)
    return isinstance(original, sqlite3.IntegrityError) and message.startswith(("UNIQUE constraint failed",
                                                                               "FOREIGN KEY constraint failed"))


class Database:
    """The engine and the session factory of one running application."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction for a CLI command or a job: commit on success, roll back otherwise."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


# --- statements run straight on the driver ---------------------------------------------------------------

class Prepared:
    """A fixed statement compiled once per dialect and run as its SQL text on the session's connection, inside
    the session's transaction: for the few statements every hot submission runs, where building the statement
    and SQLAlchemy's compiled-statement execution (cache key, cache lookup, ORM result) cost several times the
    statement itself.

    Values go through the same type processors as in ``session.execute`` (UTC times, JSON), and come back
    through them. A driver error is wrapped as SQLAlchemy wraps it, so ``is_busy``/``is_conflict`` and the
    request's error answers see it as any other. With no listener on the engine or connection, the statement
    goes straight to the driver's cursor; with one (a test counting statements), through ``exec_driver_sql``,
    so the listener sees it. The ORM sees nothing: no flush before, no objects after. Only for statements with
    plain named parameters (no lists to expand)."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, list[str] | None, dict[str, Any], list[Any] | None]] = {}

    def _for(self, dialect: Any) -> tuple[str, list[str] | None, dict[str, Any], list[Any] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.stmt.compile(dialect=dialect)
            binds = {name: param.type.dialect_impl(dialect).bind_processor(dialect)
                     for param, name in compiled.bind_names.items()}
            names = list(compiled.positiontup) if compiled.positional else None
            found = self._compiled[dialect.name] = (compiled.string, names, binds, None)
        return found

    def _results(self, dialect: Any, description: Any) -> list[Any]:
        """The result processors, made at the first run: some need the driver's type code of the column (a
        float on PostgreSQL)."""
        sql, names, binds, results = self._compiled[dialect.name]
        if results is None:
            columns = getattr(self.stmt, "selected_columns", None)
            if columns is None:
                columns = self.stmt.exported_columns
            # (an INSERT compiled with the key returned, RETURNING nothing asked for, has no columns here)
            results = [c.type.dialect_impl(dialect).result_processor(dialect, d[1])
                       for c, d in zip(columns, description, strict=False)]
            self._compiled[dialect.name] = (sql, names, binds, results)
        return results

    def rows(self, session: Session, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run the statement with ``values`` (by parameter name) and return what it selects or returns."""
        connection = session.connection()
        dialect = connection.dialect
        sql, names, binds, _ = self._for(dialect)
        processed = {k: (p(v) if (p := binds.get(k)) is not None else v) for k, v in values.items()}
        params: Any = tuple(processed[n] for n in names) if names is not None else processed
        if connection._has_events or connection.engine._has_events:  # a listener (a test counting) sees it
            result = connection.exec_driver_sql(sql, params)
            description = result.cursor.description if result.returns_rows else None
            raw = result.fetchall() if result.returns_rows else []
        else:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
                description = cursor.description
                raw = cursor.fetchall() if description else []
            except dialect.loaded_dbapi.Error as exc:  # wrapped as SQLAlchemy wraps it
                raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
            finally:
                cursor.close()
        if not description:
            return []
        results = self._results(dialect, description)
        if not any(results):
            return [tuple(r) for r in raw]
        return [tuple(p(v) if p is not None else v for p, v in zip(results, r, strict=True)) for r in raw]

    def first(self, session: Session, values: dict[str, Any]) -> tuple[Any, ...] | None:
        rows = self.rows(session, values)
        return rows[0] if rows else None


# --- rows written at once ----------------------------------------------------------------------------------

_INSERTS: dict[Any, tuple[Prepared, list[str], list[Any]]] = {}


def insert_now(session: Session, obj: Any) -> Any:
    """Write a new object's row at once with one INSERT … RETURNING and keep the object in the session as a
    loaded, persistent row — without the unit of work's flush, which costs several times the statement.

    For the few rows a hot submission writes. The object's columns are taken as set, the rest from their
    defaults (as the flush would); relationships are not followed: give the foreign keys. Later changes to
    the object are written by the ordinary flush."""
    mapper = inspect(obj).mapper
    table = mapper.local_table
    if table not in _INSERTS:  # every column but what the database fills in; the key and those come back
        written = [c for c in table.columns if not (c.primary_key or c.server_default is not None)]
        returned = [c for c in table.columns if c.primary_key or c.server_default is not None]
        stmt = insert(table).values({c.key: bindparam(c.key, type_=c.type) for c in written}).returning(*returned)
        _INSERTS[table] = (Prepared(stmt), [mapper.get_property_by_column(c).key for c in returned],
                           [(mapper.get_property_by_column(c).key, c) for c in written])
    prepared, returned_keys, written_props = _INSERTS[table]
    state = obj.__dict__
    if any(rel.key in state for rel in mapper.relationships):
        raise TypeError(f"insert_now({mapper.class_.__name__}): give foreign keys, not related objects")
    for key in returned_keys:
        if state.get(key) is not None:
            raise TypeError(f"insert_now({mapper.class_.__name__}): {key} is filled in by the database")
    values: dict[str, Any] = {}
    for key, column in written_props:
        if key in state:
            values[column.key] = state[key]
            continue
        default = column.default
        if default is not None and not (default.is_callable or default.is_scalar):
            raise TypeError(f"insert_now: {column} has a default made by the database")
        value = None if default is None else default.arg(None) if default.is_callable else default.arg
        setattr(obj, key, value)
        values[column.key] = value
    row = prepared.rows(session, values)[0]
    for key, value in zip(returned_keys, row, strict=True):
        setattr(obj, key, value)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


# --- a change that checks first ------------------------------------------------------------------------------

def lock_for_change(session: Session, obj: Any) -> None:
    """Hold ``obj``'s row against other writers until this transaction ends, and read it again. A change that
    checks the row's state first (not signed yet? still waiting for sign-off?) then sees what a concurrent
    change of the same row committed, and refuses, instead of acting a second time on what it read before
    (two leaders signing one warning at once would issue it twice).

    PostgreSQL: ``SELECT … FOR UPDATE`` on the row; the second of two such transactions waits for the first
    to end. SQLite: the database's write lock, taken by an UPDATE that matches nothing (SQLite has one
    writer at a time, and what a transaction reads after taking it is the latest commit). Call it before
    changing ``obj``: changes not yet written are replaced by what is stored."""
    table = inspect(obj).mapper.local_table
    key = inspect(obj).identity
    if key is None:
        raise TypeError("lock_for_change: the object is not stored yet")
    if session.get_bind().dialect.name == "sqlite":
        pk = table.primary_key.columns.values()[0]
        session.execute(update(table).where(false()).values({pk.key: pk}))
    else:
        where = [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]
        session.execute(select(*table.primary_key.columns).where(*where).with_for_update())
    session.refresh(obj)


# --- work to start once a transaction has committed ------------------------------------------------------

def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed, and never if it rolls back
    (kicking a job that reads what the transaction wrote). The same callback asked for twice in one
    transaction runs once. A callback that fails is logged: the jobs it kicks have a periodic sweep."""
    pending: dict[Callable[[], None], None] = session.info.setdefault("on_commit", {})
    pending[callback] = None


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    if "on_commit" not in session.info:
        return
    for callback in list(session.info.pop("on_commit")):
        try:
            callback()
        except Exception:  # noqa: BLE001 - the work is caught up by its job's sweep
            log.exception("could not start %s after the commit", getattr(callback, "__qualname__", callback))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_commit(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("on_commit", None)
