"""preparedness: indexes the compliance engine's grouped counts read (drills by scope, unit and day; plans by
unit and status with the dates the rules test; filings by plan and state)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 04:50:00
"""
from __future__ import annotations

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_prep_drill_scope_unit_held', 'prep_drill', ['scope', 'unit_id', 'held_on'], unique=False)
    op.create_index('ix_prep_plan_unit_status_dates', 'prep_plan',
                    ['unit_id', 'status', 'plan_type', 'issued_on', 'last_evaluated_on'], unique=False)
    op.drop_index('ix_prep_plan_unit_status', table_name='prep_plan')
    op.create_index('ix_prep_filing_plan_state', 'prep_filing', ['plan_id', 'state', 'filed_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_prep_filing_plan_state', table_name='prep_filing')
    op.create_index('ix_prep_plan_unit_status', 'prep_plan', ['unit_id', 'status'], unique=False)
    op.drop_index('ix_prep_plan_unit_status_dates', table_name='prep_plan')
    op.drop_index('ix_prep_drill_scope_unit_held', table_name='prep_drill')
