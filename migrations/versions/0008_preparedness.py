"""preparedness: rules, plans, filings, linkage, drills, improvement items, training, publicity, experts,
demonstration sites and their 七有 items, compliance notices

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 02:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prep_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('unit_kinds', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('comparison', sa.String(length=16), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('param', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_rule')),
    sa.UniqueConstraint('code', name=op.f('uq_prep_rule_code'))
    )
    op.create_table('prep_drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('evaluation', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_drill_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_drill'))
    )
    op.create_index('ix_prep_drill_held_scope', 'prep_drill', ['held_on', 'scope'], unique=False)
    op.create_index('ix_prep_drill_unit_held', 'prep_drill', ['unit_id', 'held_on'], unique=False)
    op.create_table('prep_expert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_expert_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_expert'))
    )
    op.create_index(op.f('ix_prep_expert_field'), 'prep_expert', ['field'], unique=False)
    op.create_index(op.f('ix_prep_expert_unit_id'), 'prep_expert', ['unit_id'], unique=False)
    op.create_table('prep_linkage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('lead_duties', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['unit.id'], name=op.f('fk_prep_linkage_lead_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_linkage_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_linkage')),
    sa.UniqueConstraint('unit_id', 'event_type', name=op.f('uq_prep_linkage_unit_id'))
    )
    op.create_index(op.f('ix_prep_linkage_unit_id'), 'prep_linkage', ['unit_id'], unique=False)
    op.create_table('prep_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=64), nullable=False),
    sa.Column('period_key', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_notice_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_notice')),
    sa.UniqueConstraint('unit_id', 'rule_code', 'period_key', 'status', name=op.f('uq_prep_notice_unit_id'))
    )
    op.create_index(op.f('ix_prep_notice_unit_id'), 'prep_notice', ['unit_id'], unique=False)
    op.create_table('prep_publicity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('planned_month', sa.Integer(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_publicity_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_publicity'))
    )
    op.create_index(op.f('ix_prep_publicity_unit_id'), 'prep_publicity', ['unit_id'], unique=False)
    op.create_table('prep_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('accredited_year', sa.Integer(), nullable=True),
    sa.Column('self_assessment', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_site_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_site'))
    )
    op.create_index(op.f('ix_prep_site_accredited_year'), 'prep_site', ['accredited_year'], unique=False)
    op.create_index(op.f('ix_prep_site_unit_id'), 'prep_site', ['unit_id'], unique=False)
    op.create_table('prep_training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_training_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_training'))
    )
    op.create_index(op.f('ix_prep_training_unit_id'), 'prep_training', ['unit_id'], unique=False)
    op.create_table('prep_improvement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('closed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['prep_drill.id'], name=op.f('fk_prep_improvement_drill_id_prep_drill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_improvement_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_improvement'))
    )
    op.create_index(op.f('ix_prep_improvement_drill_id'), 'prep_improvement', ['drill_id'], unique=False)
    op.create_index(op.f('ix_prep_improvement_unit_id'), 'prep_improvement', ['unit_id'], unique=False)
    op.create_table('prep_linkage_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('linkage_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('member_unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('duties', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['linkage_id'], ['prep_linkage.id'], name=op.f('fk_prep_linkage_member_linkage_id_prep_linkage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_unit_id'], ['unit.id'], name=op.f('fk_prep_linkage_member_member_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_linkage_member_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_linkage_member')),
    sa.UniqueConstraint('linkage_id', 'member_unit_id', name=op.f('uq_prep_linkage_member_linkage_id'))
    )
    op.create_index(op.f('ix_prep_linkage_member_linkage_id'), 'prep_linkage_member', ['linkage_id'], unique=False)
    op.create_table('prep_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('plan_type', sa.String(length=32), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('last_evaluated_on', sa.Date(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['attachment.id'], name=op.f('fk_prep_plan_document_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['prep_plan.id'], name=op.f('fk_prep_plan_parent_id_prep_plan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['prep_plan.id'], name=op.f('fk_prep_plan_supersedes_id_prep_plan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_plan_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_plan'))
    )
    op.create_index(op.f('ix_prep_plan_parent_id'), 'prep_plan', ['parent_id'], unique=False)
    op.create_index('ix_prep_plan_unit_status', 'prep_plan', ['unit_id', 'status'], unique=False)
    op.create_table('prep_site_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('evidence_note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['attachment.id'], name=op.f('fk_prep_site_item_evidence_id_attachment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['prep_site.id'], name=op.f('fk_prep_site_item_site_id_prep_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_site_item_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_site_item')),
    sa.UniqueConstraint('site_id', 'item', name=op.f('uq_prep_site_item_site_id'))
    )
    op.create_table('prep_drill_plan',
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['prep_drill.id'], name=op.f('fk_prep_drill_plan_drill_id_prep_drill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['prep_plan.id'], name=op.f('fk_prep_drill_plan_plan_id_prep_plan'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_drill_plan_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('drill_id', 'plan_id', name=op.f('pk_prep_drill_plan'))
    )
    op.create_index(op.f('ix_prep_drill_plan_plan_id'), 'prep_drill_plan', ['plan_id'], unique=False)
    op.create_table('prep_filing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_prep_filing_decided_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['unit.id'], name=op.f('fk_prep_filing_office_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['prep_plan.id'], name=op.f('fk_prep_filing_plan_id_prep_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_prep_filing_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prep_filing'))
    )
    op.create_index(op.f('ix_prep_filing_office_id'), 'prep_filing', ['office_id'], unique=False)
    op.create_index(op.f('ix_prep_filing_plan_id'), 'prep_filing', ['plan_id'], unique=False)
    op.create_index(op.f('ix_prep_filing_unit_id'), 'prep_filing', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_prep_filing_unit_id'), table_name='prep_filing')
    op.drop_index(op.f('ix_prep_filing_plan_id'), table_name='prep_filing')
    op.drop_index(op.f('ix_prep_filing_office_id'), table_name='prep_filing')
    op.drop_table('prep_filing')
    op.drop_index(op.f('ix_prep_drill_plan_plan_id'), table_name='prep_drill_plan')
    op.drop_table('prep_drill_plan')
    op.drop_table('prep_site_item')
    op.drop_index('ix_prep_plan_unit_status', table_name='prep_plan')
    op.drop_index(op.f('ix_prep_plan_parent_id'), table_name='prep_plan')
    op.drop_table('prep_plan')
    op.drop_index(op.f('ix_prep_linkage_member_linkage_id'), table_name='prep_linkage_member')
    op.drop_table('prep_linkage_member')
    op.drop_index(op.f('ix_prep_improvement_unit_id'), table_name='prep_improvement')
    op.drop_index(op.f('ix_prep_improvement_drill_id'), table_name='prep_improvement')
    op.drop_table('prep_improvement')
    op.drop_index(op.f('ix_prep_training_unit_id'), table_name='prep_training')
    op.drop_table('prep_training')
    op.drop_index(op.f('ix_prep_site_unit_id'), table_name='prep_site')
    op.drop_index(op.f('ix_prep_site_accredited_year'), table_name='prep_site')
    op.drop_table('prep_site')
    op.drop_index(op.f('ix_prep_publicity_unit_id'), table_name='prep_publicity')
    op.drop_table('prep_publicity')
    op.drop_index(op.f('ix_prep_notice_unit_id'), table_name='prep_notice')
    op.drop_table('prep_notice')
    op.drop_index(op.f('ix_prep_linkage_unit_id'), table_name='prep_linkage')
    op.drop_table('prep_linkage')
    op.drop_index(op.f('ix_prep_expert_unit_id'), table_name='prep_expert')
    op.drop_index(op.f('ix_prep_expert_field'), table_name='prep_expert')
    op.drop_table('prep_expert')
    op.drop_index('ix_prep_drill_unit_held', table_name='prep_drill')
    op.drop_index('ix_prep_drill_held_scope', table_name='prep_drill')
    op.drop_table('prep_drill')
    op.drop_table('prep_rule')
