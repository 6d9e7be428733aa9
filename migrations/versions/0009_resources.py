"""resources: teams, agreements, supply catalogue, warehouses, lots and the append-only stock ledger,
dispatches, supplier contracts, shelters, equipment, requisitions, purchased services, donations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:36:20.312480
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import append_only, drop_append_only

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

APPEND_ONLY = (("res_movement", "stock ledger movements"), ("res_dispatch_step", "dispatch steps"),
               ("res_shelter_status", "shelter status records"))


def upgrade() -> None:
    op.create_table('res_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_rule')),
    sa.UniqueConstraint('key', name=op.f('uq_res_rule_key'))
    )

    op.create_table('res_donation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('donor', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('destination', sa.Text(), nullable=False),
    sa.Column('distributed_on', sa.Date(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_donation_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_donation'))
    )

    with op.batch_alter_table('res_donation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_donation_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_equipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('custodian', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('cell', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_equipment_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_equipment'))
    )

    with op.batch_alter_table('res_equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_equipment_cell'), ['cell'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_equipment_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_requisition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('compensation_fen', sa.BigInteger(), nullable=False),
    sa.Column('compensated_on', sa.Date(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_requisition_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_requisition'))
    )

    with op.batch_alter_table('res_requisition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_requisition_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_service_purchase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('contracted_on', sa.Date(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_service_purchase_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_service_purchase'))
    )

    with op.batch_alter_table('res_service_purchase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_service_purchase_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_shelter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('indoor', sa.Boolean(), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=False),
    sa.Column('area_m2', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('facilities', sa.String(length=500), nullable=False),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('occupancy', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('cell', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('occupancy >= 0 AND occupancy <= capacity', name=op.f('ck_res_shelter_occupancy_within_capacity')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_shelter_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_shelter'))
    )

    with op.batch_alter_table('res_shelter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_shelter_cell'), ['cell'], unique=False)
        batch_op.create_index('ix_res_shelter_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_shelter_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_supply_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=4), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('uom', sa.String(length=16), nullable=False),
    sa.Column('shelf_life_days', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_supply_item_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_supply_item'))
    )

    with op.batch_alter_table('res_supply_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_supply_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('capabilities', sa.String(length=500), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('roster', sa.Text(), nullable=False),
    sa.Column('equipment', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('readiness', sa.String(length=16), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('cell', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_team_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_team'))
    )

    with op.batch_alter_table('res_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_team_cell'), ['cell'], unique=False)
        batch_op.create_index('ix_res_team_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_team_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('manager', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('cell', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_warehouse_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_warehouse'))
    )

    with op.batch_alter_table('res_warehouse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_warehouse_cell'), ['cell'], unique=False)
        batch_op.create_index('ix_res_warehouse_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_warehouse_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['res_team.id'], name=op.f('fk_res_agreement_team_id_res_team'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_agreement_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_agreement'))
    )

    with op.batch_alter_table('res_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_agreement_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_agreement_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_agreement_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('delivery_hours', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['res_supply_item.id'], name=op.f('fk_res_contract_item_id_res_supply_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_contract_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_contract'))
    )

    with op.batch_alter_table('res_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_contract_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_contract_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_dispatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('destination', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=False),
    sa.Column('approved_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['res_warehouse.id'], name=op.f('fk_res_dispatch_to_warehouse_id_res_warehouse'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_dispatch_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_dispatch'))
    )

    with op.batch_alter_table('res_dispatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_dispatch_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_dispatch_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_no', sa.String(length=64), nullable=False),
    sa.Column('produced_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('warned_state', sa.String(length=8), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expires_on IS NULL OR produced_on IS NULL OR expires_on >= produced_on', name=op.f('ck_res_lot_expiry_after_production')),
    sa.CheckConstraint('quantity_milli >= 0', name=op.f('ck_res_lot_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['res_supply_item.id'], name=op.f('fk_res_lot_item_id_res_supply_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_lot_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['res_warehouse.id'], name=op.f('fk_res_lot_warehouse_id_res_warehouse'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_lot'))
    )

    with op.batch_alter_table('res_lot', schema=None) as batch_op:
        batch_op.create_index('ix_res_lot_item_expiry', ['item_id', 'expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_lot_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_res_lot_wh_item', ['warehouse_id', 'item_id'], unique=False)

    op.create_table('res_min_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('min_milli', sa.BigInteger(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['res_supply_item.id'], name=op.f('fk_res_min_level_item_id_res_supply_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_min_level_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['res_warehouse.id'], name=op.f('fk_res_min_level_warehouse_id_res_warehouse'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_min_level')),
    sa.UniqueConstraint('warehouse_id', 'item_id', name=op.f('uq_res_min_level_warehouse_id'))
    )

    with op.batch_alter_table('res_min_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_min_level_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_shelter_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shelter_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('occupancy', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['shelter_id'], ['res_shelter.id'], name=op.f('fk_res_shelter_status_shelter_id_res_shelter'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_shelter_status_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_shelter_status'))
    )

    with op.batch_alter_table('res_shelter_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_shelter_status_shelter_id'), ['shelter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_shelter_status_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_dispatch_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('requested_milli', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('requested_milli > 0', name=op.f('ck_res_dispatch_line_positive')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['res_dispatch.id'], name=op.f('fk_res_dispatch_line_dispatch_id_res_dispatch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['res_supply_item.id'], name=op.f('fk_res_dispatch_line_item_id_res_supply_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_dispatch_line_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_dispatch_line')),
    sa.UniqueConstraint('dispatch_id', 'item_id', name=op.f('uq_res_dispatch_line_dispatch_id'))
    )

    with op.batch_alter_table('res_dispatch_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_dispatch_line_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_dispatch_line_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_dispatch_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dispatch_id'], ['res_dispatch.id'], name=op.f('fk_res_dispatch_step_dispatch_id_res_dispatch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_dispatch_step_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_dispatch_step'))
    )

    with op.batch_alter_table('res_dispatch_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_dispatch_step_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_dispatch_step_unit_id'), ['unit_id'], unique=False)

    op.create_table('res_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta_milli', sa.BigInteger(), nullable=False),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('dispatch_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.CheckConstraint('delta_milli <> 0', name=op.f('ck_res_movement_not_zero')),
    sa.ForeignKeyConstraint(['item_id'], ['res_supply_item.id'], name=op.f('fk_res_movement_item_id_res_supply_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lot_id'], ['res_lot.id'], name=op.f('fk_res_movement_lot_id_res_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_movement_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['res_warehouse.id'], name=op.f('fk_res_movement_warehouse_id_res_warehouse'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_movement'))
    )

    with op.batch_alter_table('res_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_movement_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index('ix_res_movement_lot', ['lot_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_movement_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_res_movement_wh', ['warehouse_id', 'id'], unique=False)

    op.create_table('res_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('shipped_milli', sa.BigInteger(), nullable=False),
    sa.Column('received_milli', sa.BigInteger(), nullable=False),
    sa.Column('shipped_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_res_allocation_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['res_contract.id'], name=op.f('fk_res_allocation_contract_id_res_contract'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['dispatch_id'], ['res_dispatch.id'], name=op.f('fk_res_allocation_dispatch_id_res_dispatch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_id'], ['res_dispatch_line.id'], name=op.f('fk_res_allocation_line_id_res_dispatch_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['res_lot.id'], name=op.f('fk_res_allocation_lot_id_res_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_allocation_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['res_warehouse.id'], name=op.f('fk_res_allocation_warehouse_id_res_warehouse'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_allocation'))
    )

    with op.batch_alter_table('res_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_allocation_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_allocation_unit_id'), ['unit_id'], unique=False)

    for table, what in APPEND_ONLY:
        append_only(op, table, what)


def downgrade() -> None:
    for table, _what in APPEND_ONLY:
        drop_append_only(op, table)
    with op.batch_alter_table('res_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_allocation_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_allocation_dispatch_id'))

    op.drop_table('res_allocation')

    with op.batch_alter_table('res_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_res_movement_wh')
        batch_op.drop_index(batch_op.f('ix_res_movement_unit_id'))
        batch_op.drop_index('ix_res_movement_lot')
        batch_op.drop_index(batch_op.f('ix_res_movement_dispatch_id'))

    op.drop_table('res_movement')

    with op.batch_alter_table('res_dispatch_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_dispatch_step_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_dispatch_step_dispatch_id'))

    op.drop_table('res_dispatch_step')

    with op.batch_alter_table('res_dispatch_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_dispatch_line_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_dispatch_line_dispatch_id'))

    op.drop_table('res_dispatch_line')

    with op.batch_alter_table('res_shelter_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_shelter_status_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_shelter_status_shelter_id'))

    op.drop_table('res_shelter_status')

    with op.batch_alter_table('res_min_level', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_min_level_unit_id'))

    op.drop_table('res_min_level')

    with op.batch_alter_table('res_lot', schema=None) as batch_op:
        batch_op.drop_index('ix_res_lot_wh_item')
        batch_op.drop_index(batch_op.f('ix_res_lot_unit_id'))
        batch_op.drop_index('ix_res_lot_item_expiry')

    op.drop_table('res_lot')

    with op.batch_alter_table('res_dispatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_dispatch_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_dispatch_event_id'))

    op.drop_table('res_dispatch')

    with op.batch_alter_table('res_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_contract_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_contract_item_id'))

    op.drop_table('res_contract')

    with op.batch_alter_table('res_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_agreement_unit_id'))
        batch_op.drop_index(batch_op.f('ix_res_agreement_team_id'))
        batch_op.drop_index(batch_op.f('ix_res_agreement_ends_on'))

    op.drop_table('res_agreement')

    with op.batch_alter_table('res_warehouse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_warehouse_cell'))
        batch_op.drop_index(batch_op.f('ix_res_warehouse_unit_id'))
        batch_op.drop_index('ix_res_warehouse_lat_lon')

    op.drop_table('res_warehouse')

    with op.batch_alter_table('res_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_team_cell'))
        batch_op.drop_index(batch_op.f('ix_res_team_unit_id'))
        batch_op.drop_index('ix_res_team_lat_lon')

    op.drop_table('res_team')

    with op.batch_alter_table('res_supply_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_supply_item_unit_id'))

    op.drop_table('res_supply_item')

    with op.batch_alter_table('res_shelter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_shelter_cell'))
        batch_op.drop_index(batch_op.f('ix_res_shelter_unit_id'))
        batch_op.drop_index('ix_res_shelter_lat_lon')

    op.drop_table('res_shelter')

    with op.batch_alter_table('res_service_purchase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_service_purchase_unit_id'))

    op.drop_table('res_service_purchase')

    with op.batch_alter_table('res_requisition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_requisition_unit_id'))

    op.drop_table('res_requisition')

    with op.batch_alter_table('res_equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_equipment_cell'))
        batch_op.drop_index(batch_op.f('ix_res_equipment_unit_id'))

    op.drop_table('res_equipment')

    with op.batch_alter_table('res_donation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_res_donation_unit_id'))

    op.drop_table('res_donation')

    op.drop_table('res_rule')
