"""oversight: task ledger, annual reports, planning projects, funding, statistical forms, assessment

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 01:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import append_only, drop_append_only

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oversight_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('dimension', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_indicator')),
    sa.UniqueConstraint('code', name=op.f('uq_oversight_indicator_code'))
    )
    op.create_table('oversight_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_rule')),
    sa.UniqueConstraint('key', name=op.f('uq_oversight_rule_key'))
    )
    op.create_table('oversight_weight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_kind', sa.String(length=24), nullable=False),
    sa.Column('dimension', sa.String(length=24), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_weight')),
    sa.UniqueConstraint('unit_kind', 'dimension', name=op.f('uq_oversight_weight_unit_kind'))
    )
    op.create_table('oversight_assessment_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('finalised_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finalised_by_name', sa.String(length=100), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_assessment_year_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_assessment_year')),
    sa.UniqueConstraint('year', name=op.f('uq_oversight_assessment_year_year'))
    )
    with op.batch_alter_table('oversight_assessment_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_assessment_year_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('planned_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_budget_line_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_budget_line')),
    sa.UniqueConstraint('unit_id', 'year', 'kind', name=op.f('uq_oversight_budget_line_unit_id'))
    )
    with op.batch_alter_table('oversight_budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_budget_line_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('sent_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_notice_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_notice')),
    sa.UniqueConstraint('kind', 'ref', name=op.f('uq_oversight_notice_kind'))
    )
    with op.batch_alter_table('oversight_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_notice_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('plan_period', sa.String(length=40), nullable=False),
    sa.Column('implementation_plan', sa.Text(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('spent_fen', sa.BigInteger(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_project_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_project'))
    )
    with op.batch_alter_table('oversight_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_project_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_stat_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=4), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('period_no', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('totals', sa.JSON(), nullable=False),
    sa.Column('filled_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_stat_form_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_stat_form'))
    )
    with op.batch_alter_table('oversight_stat_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_stat_form_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_spending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['oversight_budget_line.id'], name=op.f('fk_oversight_spending_line_id_oversight_budget_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_spending_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_spending'))
    )
    with op.batch_alter_table('oversight_spending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_spending_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_spending_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_annual_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('filed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('filed_by_name', sa.String(length=100), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_oversight_annual_report_attachment_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_annual_report_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_annual_report')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_oversight_annual_report_unit_id'))
    )
    with op.batch_alter_table('oversight_annual_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_annual_report_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('assessor_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_oversight_score_attachment_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['oversight_indicator.id'], name=op.f('fk_oversight_score_indicator_id_oversight_indicator'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_score_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_score')),
    sa.UniqueConstraint('year', 'unit_id', 'indicator_id', name=op.f('uq_oversight_score_year'))
    )
    with op.batch_alter_table('oversight_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_score_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=300), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_person', sa.String(length=100), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by_name', sa.String(length=100), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('closed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closure_note', sa.Text(), nullable=False),
    sa.Column('closure_attachment_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closure_attachment_id'], ['attachment.id'], name=op.f('fk_oversight_task_closure_attachment_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_oversight_task_owner_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_task_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_task'))
    )
    with op.batch_alter_table('oversight_task', schema=None) as batch_op:
        batch_op.create_index('ix_oversight_task_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index('ix_oversight_task_unit', ['unit_id', 'status'], unique=False)

    op.create_table('oversight_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['oversight_task.id'], name=op.f('fk_oversight_milestone_task_id_oversight_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_milestone_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_milestone'))
    )
    with op.batch_alter_table('oversight_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_milestone_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_milestone_unit_id'), ['unit_id'], unique=False)

    op.create_table('oversight_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_oversight_progress_attachment_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['oversight_task.id'], name=op.f('fk_oversight_progress_task_id_oversight_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_progress_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_progress'))
    )
    with op.batch_alter_table('oversight_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_progress_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_progress_unit_id'), ['unit_id'], unique=False)

    append_only(op, "oversight_progress", "task progress updates")
    append_only(op, "oversight_spending", "spending records")


def downgrade() -> None:
    drop_append_only(op, "oversight_spending")
    drop_append_only(op, "oversight_progress")
    with op.batch_alter_table('oversight_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_progress_unit_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_progress_task_id'))

    op.drop_table('oversight_progress')
    with op.batch_alter_table('oversight_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_milestone_unit_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_milestone_task_id'))

    op.drop_table('oversight_milestone')
    with op.batch_alter_table('oversight_task', schema=None) as batch_op:
        batch_op.drop_index('ix_oversight_task_unit')
        batch_op.drop_index('ix_oversight_task_status_deadline')

    op.drop_table('oversight_task')
    with op.batch_alter_table('oversight_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_score_unit_id'))

    op.drop_table('oversight_score')
    with op.batch_alter_table('oversight_annual_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_annual_report_unit_id'))

    op.drop_table('oversight_annual_report')
    with op.batch_alter_table('oversight_spending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_spending_unit_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_spending_line_id'))

    op.drop_table('oversight_spending')
    with op.batch_alter_table('oversight_stat_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_stat_form_unit_id'))

    op.drop_table('oversight_stat_form')
    with op.batch_alter_table('oversight_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_project_unit_id'))

    op.drop_table('oversight_project')
    with op.batch_alter_table('oversight_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_notice_unit_id'))

    op.drop_table('oversight_notice')
    with op.batch_alter_table('oversight_budget_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_budget_line_unit_id'))

    op.drop_table('oversight_budget_line')
    with op.batch_alter_table('oversight_assessment_year', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_assessment_year_unit_id'))

    op.drop_table('oversight_assessment_year')
    op.drop_table('oversight_weight')
    op.drop_table('oversight_rule')
    op.drop_table('oversight_indicator')
