"""duty routing and several officers per shift: duty_dispatch, duty_shift_officer

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 01:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_dispatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('escalation_of_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['app_user.id'], name=op.f('fk_duty_dispatch_acknowledged_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['desk_id'], ['duty_desk.id'], name=op.f('fk_duty_dispatch_desk_id_duty_desk'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['escalation_of_id'], ['duty_dispatch.id'], name=op.f('fk_duty_dispatch_escalation_of_id_duty_dispatch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['duty_shift.id'], name=op.f('fk_duty_dispatch_shift_id_duty_shift'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_duty_dispatch_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_duty_dispatch_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_dispatch'))
    )
    op.create_index('ix_duty_dispatch_ref', 'duty_dispatch', ['kind', 'ref_id'], unique=False)
    op.create_index('ix_duty_dispatch_open', 'duty_dispatch', ['acknowledged_at', 'escalated_at', 'sent_at'], unique=False)
    op.create_index(op.f('ix_duty_dispatch_desk_id'), 'duty_dispatch', ['desk_id'], unique=False)
    op.create_index(op.f('ix_duty_dispatch_unit_id'), 'duty_dispatch', ['unit_id'], unique=False)
    op.create_index(op.f('ix_duty_dispatch_user_id'), 'duty_dispatch', ['user_id'], unique=False)
    op.create_table('duty_shift_officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shift_id'], ['duty_shift.id'], name=op.f('fk_duty_shift_officer_shift_id_duty_shift'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_duty_shift_officer_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_duty_shift_officer_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shift_officer')),
    sa.UniqueConstraint('shift_id', 'user_id', name=op.f('uq_duty_shift_officer_shift_id'))
    )
    op.create_index(op.f('ix_duty_shift_officer_shift_id'), 'duty_shift_officer', ['shift_id'], unique=False)
    op.create_index(op.f('ix_duty_shift_officer_user_id'), 'duty_shift_officer', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('duty_shift_officer')
    op.drop_table('duty_dispatch')
