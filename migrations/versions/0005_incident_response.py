"""incident response: timeline (append-only, guarded by triggers), public tips, statements, opinion log,
evaluation reports and their notices, response rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 01:50:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import append_only, drop_append_only

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = yingji.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', UTC, nullable=False), sa.Column('updated_at', UTC, nullable=False)]


def upgrade() -> None:
    op.create_table('response_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    *_stamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_rule')),
    sa.UniqueConstraint('key', name=op.f('uq_response_rule_key'))
    )
    op.create_table('response_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('actor_unit_id', sa.Integer(), nullable=False),
    sa.Column('actor_unit_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('people', sa.Integer(), nullable=True),
    sa.Column('sheltered', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    _fk('response_action', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_action', 'unit_id', 'unit', 'RESTRICT'),
    _fk('response_action', 'actor_unit_id', 'unit', 'RESTRICT'),
    _fk('response_action', 'corrects_id', 'response_action', 'RESTRICT'),
    _fk('response_action', 'author_id', 'app_user', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_action'))
    )
    op.create_index('ix_response_action_event', 'response_action', ['event_id', 'at'], unique=False)
    op.create_index(op.f('ix_response_action_unit_id'), 'response_action', ['unit_id'], unique=False)

    op.create_table('response_tip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', UTC, nullable=False),
    sa.Column('received_at', UTC, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('reporter_name', sa.String(length=100), nullable=False),
    sa.Column('reporter_phone', sa.String(length=40), nullable=False),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=100), nullable=False),
    sa.Column('decided_at', UTC, nullable=True),
    *_stamps(),
    _fk('response_tip', 'unit_id', 'unit', 'RESTRICT'),
    _fk('response_tip', 'attachment_id', 'attachment', 'SET NULL'),
    _fk('response_tip', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_tip', 'decided_by_id', 'app_user', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_tip'))
    )
    op.create_index('ix_response_tip_client', 'response_tip', ['client_hash', 'received_at'], unique=False)
    op.create_index('ix_response_tip_unit_status', 'response_tip', ['unit_id', 'status'], unique=False)
    op.create_index(op.f('ix_response_tip_event_id'), 'response_tip', ['event_id'], unique=False)

    op.create_table('response_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('advice', sa.Text(), nullable=False),
    sa.Column('expert', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('drafted_by_name', sa.String(length=100), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_name', sa.String(length=100), nullable=False),
    sa.Column('approved_at', UTC, nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_by_name', sa.String(length=100), nullable=False),
    sa.Column('published_at', UTC, nullable=True),
    *_stamps(),
    _fk('response_statement', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_statement', 'unit_id', 'unit', 'RESTRICT'),
    _fk('response_statement', 'drafted_by_id', 'app_user', 'SET NULL'),
    _fk('response_statement', 'approved_by_id', 'app_user', 'SET NULL'),
    _fk('response_statement', 'published_by_id', 'app_user', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_statement'))
    )
    op.create_index(op.f('ix_response_statement_event_id'), 'response_statement', ['event_id'], unique=False)
    op.create_index(op.f('ix_response_statement_unit_id'), 'response_statement', ['unit_id'], unique=False)
    op.create_index('ix_response_statement_published', 'response_statement', ['status', 'published_at'],
                    unique=False)

    op.create_table('response_opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', UTC, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('assessment', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('rebuttal_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=100), nullable=False),
    *_stamps(),
    _fk('response_opinion', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_opinion', 'unit_id', 'unit', 'RESTRICT'),
    _fk('response_opinion', 'rebuttal_id', 'response_statement', 'RESTRICT'),
    _fk('response_opinion', 'recorded_by_id', 'app_user', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_opinion'))
    )
    op.create_index(op.f('ix_response_opinion_event_id'), 'response_opinion', ['event_id'], unique=False)
    op.create_index(op.f('ix_response_opinion_unit_id'), 'response_opinion', ['unit_id'], unique=False)

    op.create_table('response_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('overview', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('causes', sa.Text(), nullable=False),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.Column('recommendations', sa.Text(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('due_source', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', UTC, nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_name', sa.String(length=100), nullable=False),
    sa.Column('written_by_name', sa.String(length=100), nullable=False),
    *_stamps(),
    _fk('response_evaluation', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_evaluation', 'unit_id', 'unit', 'RESTRICT'),
    _fk('response_evaluation', 'attachment_id', 'attachment', 'SET NULL'),
    _fk('response_evaluation', 'submitted_by_id', 'app_user', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_evaluation')),
    sa.UniqueConstraint('event_id', name=op.f('uq_response_evaluation_event_id'))
    )
    op.create_index(op.f('ix_response_evaluation_unit_id'), 'response_evaluation', ['unit_id'], unique=False)

    op.create_table('response_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sent_at', UTC, nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    _fk('response_notice', 'event_id', 'incident_events', 'RESTRICT'),
    _fk('response_notice', 'unit_id', 'unit', 'RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_notice')),
    sa.UniqueConstraint('event_id', 'kind', name=op.f('uq_response_notice_event_id'))
    )
    op.create_index(op.f('ix_response_notice_unit_id'), 'response_notice', ['unit_id'], unique=False)
    append_only(op, "response_action", "response timeline items")


def downgrade() -> None:
    drop_append_only(op, "response_action")
    for table in ('response_notice', 'response_evaluation', 'response_opinion', 'response_statement',
                  'response_tip', 'response_action', 'response_rule'):
        op.drop_table(table)
