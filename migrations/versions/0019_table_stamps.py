"""table stamps: a stamp per watched table, replaced on every change by a trigger

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 17:00:00

``table_stamp`` holds one row per watched table: the administrative tree (``unit``, changes of its
place in the tree: path, kind, parent) and the incident rules and classification. A trigger replaces the
row's stamp in the transaction of every change — a random 64-bit number on SQLite, the next value of the
sequence ``table_stamp_seq`` on PostgreSQL — so a stamp is never reused, not even after a rollback.
Processes keep what they read from a watched table while its stamp stays the same
(``yingji.core.stamps``).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# watched table -> the columns whose change counts for an UPDATE (None: any column)
WATCHED: dict[str, tuple[str, ...] | None] = {
    "unit": ("path", "kind", "parent_id"),
    "incident_rule": None,
    "incident_category": None,
}


def _columns(table: str) -> str:
    columns = WATCHED[table]
    return f" OF {', '.join(columns)}" if columns else ""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    stamps = op.create_table(
        "table_stamp",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_table_stamp")),
    )
    op.bulk_insert(stamps, [{"name": table, "stamp": 0} for table in WATCHED])
    if dialect == "postgresql":
        op.execute("CREATE SEQUENCE table_stamp_seq")
        op.execute("CREATE FUNCTION table_stamp_renew() RETURNS trigger AS $$ BEGIN "
                   "UPDATE table_stamp SET stamp = nextval('table_stamp_seq') WHERE name = TG_ARGV[0]; "
                   "RETURN NULL; END $$ LANGUAGE plpgsql")
        for table in WATCHED:
            op.execute(f"CREATE TRIGGER {table}_stamp AFTER INSERT OR DELETE OR UPDATE{_columns(table)} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION table_stamp_renew('{table}')")
    else:
        for table in WATCHED:
            for event in ("INSERT", "DELETE", f"UPDATE{_columns(table)}"):
                op.execute(f"CREATE TRIGGER {table}_stamp_{event.split()[0].lower()} AFTER {event} ON {table} "
                           f"BEGIN UPDATE table_stamp SET stamp = random() WHERE name = '{table}'; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS table_stamp_renew()")
        op.execute("DROP SEQUENCE IF EXISTS table_stamp_seq")
    else:
        for table in WATCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{event}")
    op.drop_table("table_stamp")
