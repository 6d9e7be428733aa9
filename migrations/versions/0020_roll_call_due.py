"""duty: a roll call keeps the time its answer limit passes (due_at)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 19:50:00

``duty_roll_call.due_at`` is ``started_at`` plus ``limit_seconds``, written with them, so that the list of
roll calls can find those a desk missed (no answer once the limit passed) or answered late without date
arithmetic in SQL. Rows made before this revision get theirs from the same two columns.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('duty_roll_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', yingji.db.UTCDateTime(timezone=True), nullable=True))
    calls = sa.table('duty_roll_call', sa.column('id', sa.Integer()),
                     sa.column('started_at', yingji.db.UTCDateTime(timezone=True)),
                     sa.column('limit_seconds', sa.Integer()),
                     sa.column('due_at', yingji.db.UTCDateTime(timezone=True)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(calls.c.id, calls.c.started_at, calls.c.limit_seconds)).all()
    for row in rows:
        conn.execute(calls.update().where(calls.c.id == row.id)
                     .values(due_at=row.started_at + timedelta(seconds=row.limit_seconds)))
    with op.batch_alter_table('duty_roll_call', schema=None) as batch_op:
        batch_op.alter_column('due_at', existing_type=yingji.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('duty_roll_call', schema=None) as batch_op:
        batch_op.drop_column('due_at')
