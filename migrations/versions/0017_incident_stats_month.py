"""incidents: monthly statistics kept by the database — incident_stats_month, maintained by triggers

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 06:20:00

One row per (unit, Beijing month, category, subtype, level) with the number of events and the sums of
their figures. Triggers on incident_events keep it exact inside the writing transaction (insert, delete,
and an update of any column it groups or sums), so the statistics read a few thousand rows instead of
every event. The month is the Beijing calendar month (UTC+8, the platform's zone Asia/Shanghai); an
unknown level is kept as 0.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = "unit_id, occurred_at, category, subtype, level, deaths, injured, missing, direct_loss"
KEY = "unit_id, ym, category, subtype, level"


def _ym(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        local = f"({row}.occurred_at AT TIME ZONE 'Asia/Shanghai')"
        return f"(EXTRACT(YEAR FROM {local})::integer * 12 + EXTRACT(MONTH FROM {local})::integer - 1)"
    # SQLite's date functions round to the millisecond: 15:59:59.9999 would become the next day's 00:00
    # in Beijing. The stored text is cut to whole seconds first, as the statistics' bounds compare it.
    seconds = f"substr({row}.occurred_at, 1, 19)"
    return (f"(CAST(strftime('%Y', {seconds}, '+8 hours') AS INTEGER) * 12"
            f" + CAST(strftime('%m', {seconds}, '+8 hours') AS INTEGER) - 1)")


def _take(dialect: str) -> str:
    return (f"UPDATE incident_stats_month SET events = events - 1, deaths = deaths - OLD.deaths, "
            f"injured = injured - OLD.injured, missing = missing - OLD.missing, "
            f"direct_loss = direct_loss - OLD.direct_loss "
            f"WHERE unit_id = OLD.unit_id AND ym = {_ym('OLD', dialect)} AND category = OLD.category "
            f"AND subtype = OLD.subtype AND level = COALESCE(OLD.level, 0);")


def _add(dialect: str) -> str:
    return (f"INSERT INTO incident_stats_month ({KEY}, events, deaths, injured, missing, direct_loss) "
            f"VALUES (NEW.unit_id, {_ym('NEW', dialect)}, NEW.category, NEW.subtype, COALESCE(NEW.level, 0), 1, "
            f"NEW.deaths, NEW.injured, NEW.missing, NEW.direct_loss) "
            f"ON CONFLICT ({KEY}) DO UPDATE SET events = incident_stats_month.events + 1, "
            f"deaths = incident_stats_month.deaths + excluded.deaths, "
            f"injured = incident_stats_month.injured + excluded.injured, "
            f"missing = incident_stats_month.missing + excluded.missing, "
            f"direct_loss = incident_stats_month.direct_loss + excluded.direct_loss;")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('incident_stats_month',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('ym', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subtype', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('deaths', sa.BigInteger(), nullable=False),
    sa.Column('injured', sa.BigInteger(), nullable=False),
    sa.Column('missing', sa.BigInteger(), nullable=False),
    sa.Column('direct_loss', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'ym', 'category', 'subtype', 'level', name=op.f('pk_incident_stats_month'))
    )
    op.execute(f"INSERT INTO incident_stats_month ({KEY}, events, deaths, injured, missing, direct_loss) "
               f"SELECT unit_id, {_ym('e', dialect)}, category, subtype, COALESCE(level, 0), count(*), "
               f"sum(deaths), sum(injured), sum(missing), sum(direct_loss) FROM incident_events e "
               f"GROUP BY unit_id, {_ym('e', dialect)}, category, subtype, COALESCE(level, 0)")
    if dialect == "postgresql":
        op.execute(f"CREATE FUNCTION incident_stats_month_apply() RETURNS trigger AS $$ BEGIN "
                   f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_take(dialect)} END IF; "
                   f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_add(dialect)} END IF; "
                   f"RETURN NULL; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER incident_stats_month_write AFTER INSERT OR DELETE ON incident_events "
                   "FOR EACH ROW EXECUTE FUNCTION incident_stats_month_apply()")
        op.execute(f"CREATE TRIGGER incident_stats_month_change AFTER UPDATE OF {COLUMNS} ON incident_events "
                   f"FOR EACH ROW EXECUTE FUNCTION incident_stats_month_apply()")
    else:
        op.execute(f"CREATE TRIGGER incident_stats_month_insert AFTER INSERT ON incident_events "
                   f"BEGIN {_add(dialect)} END")
        op.execute(f"CREATE TRIGGER incident_stats_month_delete AFTER DELETE ON incident_events "
                   f"BEGIN {_take(dialect)} END")
        op.execute(f"CREATE TRIGGER incident_stats_month_change AFTER UPDATE OF {COLUMNS} ON incident_events "
                   f"BEGIN {_take(dialect)} {_add(dialect)} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS incident_stats_month_change ON incident_events")
        op.execute("DROP TRIGGER IF EXISTS incident_stats_month_write ON incident_events")
        op.execute("DROP FUNCTION IF EXISTS incident_stats_month_apply()")
    else:
        for name in ("insert", "delete", "change"):
            op.execute(f"DROP TRIGGER IF EXISTS incident_stats_month_{name}")
    op.drop_table('incident_stats_month')
