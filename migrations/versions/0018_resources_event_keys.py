"""resources: the incident a shelter, a requisition, a service purchase or a donation serves is a foreign key

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 08:20:00

``event_id`` of res_shelter, res_requisition, res_service_purchase and res_donation becomes a foreign key
to ``incident_events`` (ON DELETE RESTRICT), with an index for the lists that filter by event. A row that
names an event which does not exist loses the reference first, each such change written to the audit
log (actor "migration 0018"). The shelter status history (res_shelter_status) is append-only and keeps
what it recorded; its event is checked by the service before a row is written.
"""
from __future__ import annotations

from alembic import op

from yingji.migrate import add_foreign_key, clear_dangling, drop_foreign_key

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TABLES = ("res_shelter", "res_requisition", "res_service_purchase", "res_donation")


def upgrade() -> None:
    for table in TABLES:
        clear_dangling(op, revision, table, "event_id", "incident_events")
        add_foreign_key(op, f"fk_{table}_event_id_incident_events", table, "event_id", "incident_events")
        op.create_index(f"ix_{table}_event_id", table, ["event_id"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"ix_{table}_event_id", table_name=table)
        drop_foreign_key(op, f"fk_{table}_event_id_incident_events", table, "event_id", "incident_events")
