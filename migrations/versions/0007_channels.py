"""channels: rules, channel configuration, recipients, endpoints, public subscriptions, deliveries

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=300), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_configs')),
    sa.UniqueConstraint('channel', name=op.f('uq_channel_configs_channel'))
    )
    op.create_table('channel_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_rules')),
    sa.UniqueConstraint('key', name=op.f('uq_channel_rules_key'))
    )
    op.create_table('channel_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_channel_endpoints_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_endpoints'))
    )
    op.create_index(op.f('ix_channel_endpoints_unit_id'), 'channel_endpoints', ['unit_id'], unique=False)
    op.create_table('channel_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('by_sms', sa.Boolean(), nullable=False),
    sa.Column('by_email', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_channel_recipients_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_recipients'))
    )
    op.create_index(op.f('ix_channel_recipients_unit_id'), 'channel_recipients', ['unit_id'], unique=False)
    op.create_table('channel_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_unit_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_to_send', sa.String(length=16), nullable=True),
    sa.Column('code_sent_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_unit_id'], ['unit.id'], name=op.f('fk_channel_subscriptions_area_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recipient_id'], ['channel_recipients.id'], name=op.f('fk_channel_subscriptions_recipient_id_channel_recipients'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_subscriptions'))
    )
    op.create_index(op.f('ix_channel_subscriptions_area_unit_id'), 'channel_subscriptions', ['area_unit_id'], unique=False)
    op.create_index(op.f('ix_channel_subscriptions_phone'), 'channel_subscriptions', ['phone'], unique=False)
    op.create_table('channel_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['warning_alerts.id'], name=op.f('fk_channel_deliveries_alert_id_warning_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['channel_endpoints.id'], name=op.f('fk_channel_deliveries_endpoint_id_channel_endpoints'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recipient_id'], ['channel_recipients.id'], name=op.f('fk_channel_deliveries_recipient_id_channel_recipients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_deliveries'))
    )
    op.create_index('ix_channel_deliveries_due', 'channel_deliveries', ['next_attempt_at'], unique=False, sqlite_where=sa.text("status IN ('queued', 'sending')"), postgresql_where=sa.text("status IN ('queued', 'sending')"))
    op.create_index('uq_channel_deliveries_endpoint', 'channel_deliveries', ['alert_id', 'endpoint_id', 'channel'], unique=True, sqlite_where=sa.text('endpoint_id IS NOT NULL'), postgresql_where=sa.text('endpoint_id IS NOT NULL'))
    op.create_index('uq_channel_deliveries_recipient', 'channel_deliveries', ['alert_id', 'recipient_id', 'channel'], unique=True, sqlite_where=sa.text('recipient_id IS NOT NULL'), postgresql_where=sa.text('recipient_id IS NOT NULL'))


def downgrade() -> None:
    for table in ('channel_deliveries', 'channel_subscriptions', 'channel_endpoints', 'channel_recipients',
                  'channel_configs', 'channel_rules'):
        op.drop_table(table)
