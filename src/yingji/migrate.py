"""Run Alembic migrations from code (``yingji init``, tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def append_only(op: Any, table: str, what: str) -> None:
    """Database triggers that refuse UPDATE and DELETE on ``table`` (used by migrations)."""
    message = f"{what} are append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql")
        op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def drop_append_only(op: Any, table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


# --- helpers for migrations ---------------------------------------------------------------------------

def foreign_key_sql(name: str, column: str, target: str) -> str:
    return f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {target} (id) ON DELETE RESTRICT"


def sqlite_edit_table(op: Any, table: str, edit: Any) -> None:
    """Rewrite the stored CREATE TABLE of ``table`` on SQLite (no row is touched), then check the rows
    against its foreign keys. A batch rebuild cannot run inside the migration's transaction while foreign
    keys are enforced (dropping the old table would cascade or be refused), so constraint changes that
    leave the stored rows as they are go through the stored definition (PRAGMA writable_schema), as
    SQLite's documentation describes."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    changed = edit(str(sql))
    if changed == sql:
        raise RuntimeError(f"{table}: the stored table definition is not the expected one")
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (changed, table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    broken = conn.exec_driver_sql(f"PRAGMA foreign_key_check({table})").fetchall()
    if broken:
        raise RuntimeError(f"{table}: rows break the new foreign key: {broken[:5]}")


def add_foreign_key(op: Any, name: str, table: str, column: str, target: str) -> None:
    """``table.column`` → ``target.id`` (ON DELETE RESTRICT) on a table that exists, on either database."""
    if op.get_bind().dialect.name == "sqlite":
        constraint = foreign_key_sql(name, column, target)
        sqlite_edit_table(op, table, lambda sql: sql[:sql.rindex(")")].rstrip() + ", \n\t" + constraint + "\n)")
    else:
        op.create_foreign_key(name, table, target, [column], ["id"], ondelete="RESTRICT")


def drop_foreign_key(op: Any, name: str, table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        sqlite_edit_table(op, table, lambda sql: sql.replace(", \n\t" + foreign_key_sql(name, column, target), ""))
    else:
        op.drop_constraint(name, table, type_="foreignkey")


def clear_dangling(op: Any, revision: str, table: str, column: str, target: str) -> int:
    """Before a foreign key is added: rows of ``table`` whose ``column`` names no row of ``target`` lose the
    reference, each change written to the audit log (actor "migration <revision>", the old value in
    ``before``): nothing is rewritten silently. Returns how many rows were cleared."""
    from yingji import clock
    from yingji.db import UTCDateTime

    audit = sa.table("audit_entry", sa.column("at", UTCDateTime(timezone=True)), sa.column("request_id", sa.String),
                     sa.column("actor_id", sa.Integer), sa.column("actor_name", sa.String),
                     sa.column("actor_unit_id", sa.Integer), sa.column("unit_id", sa.Integer),
                     sa.column("entity_type", sa.String), sa.column("entity_id", sa.String),
                     sa.column("action", sa.String), sa.column("before", sa.JSON), sa.column("after", sa.JSON))
    conn = op.get_bind()
    dangling = conn.execute(sa.text(f"SELECT id, unit_id, {column} FROM {table} WHERE {column} IS NOT NULL "
                                    f"AND {column} NOT IN (SELECT id FROM {target}) ORDER BY id")).all()
    if not dangling:
        return 0
    conn.execute(audit.insert(), [
        {"at": clock.now(), "request_id": f"migration-{revision}", "actor_id": None,
         "actor_name": f"migration {revision}", "actor_unit_id": None, "unit_id": unit_id, "entity_type": table,
         "entity_id": str(row_id), "action": "update", "before": {column: value}, "after": {column: None}}
        for row_id, unit_id, value in dangling])
    conn.execute(sa.text(f"UPDATE {table} SET {column} = NULL WHERE id = :id"), [{"id": r[0]} for r in dangling])
    return len(dangling)
