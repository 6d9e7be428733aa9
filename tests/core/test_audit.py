"""The audit log: one entry per write in the same transaction, append-only, browsable, exportable."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import unit_id
from yingji.core.audit import AuditTamperingError
from yingji.core.models import AuditEntry


def test_entries_cannot_be_changed_through_the_orm(session: Session) -> None:
    entry = session.scalars(select(AuditEntry)).first()
    assert entry is not None
    entry.action = "forged"
    with pytest.raises(AuditTamperingError):
        session.flush()
    session.rollback()
    with pytest.raises(AuditTamperingError):
        session.execute(update(AuditEntry).values(action="forged"))
    with pytest.raises(AuditTamperingError):
        session.execute(delete(AuditEntry))


def test_entries_cannot_be_changed_in_the_database(database: Any) -> None:
    for statement in ("UPDATE audit_entry SET action = 'forged'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError), database.engine.begin() as conn:
            conn.execute(text(statement))
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry WHERE action = 'forged'")).scalar() == 0


def test_a_failed_write_leaves_no_entry(browser: Any, session: Session) -> None:
    client = browser("bole")
    before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    township = unit_id(session, "652701100")
    # a duplicate code fails after validation: nothing of the attempt may remain
    client.api("POST", "/api/units", json={"parent_id": township, "code": "652701", "name": "重复", "kind": "village"})
    session.expire_all()
    newest = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert newest is not None and (newest.id == before or newest.action == "login")


def test_audit_page_filters_scopes_and_exports(browser: Any, session: Session) -> None:
    bole = browser("bole")
    township = unit_id(session, "652701100")
    created = bole.api("POST", "/api/units", json={"parent_id": township, "code": "AUD-1", "name": "审计村",
                                                   "kind": "village"}).json()
    page = bole.get("/audit", params={"entity_type": "unit", "entity_id": created["id"]})
    assert page.status_code == 200 and "审计村" in page.text and "bole" in page.text
    export = bole.get("/audit", params={"entity_type": "unit", "entity_id": created["id"], "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "bole" and rows[1][2] == "create"
    # 精河县's officer does not see 博乐市's entries
    jinghe = browser("jinghe")
    other = jinghe.get("/api/audit", params={"entity_type": "unit", "entity_id": created["id"]})
    assert other.status_code == 200 and other.json()["total"] == 0
    # an info officer may not read the audit log at all
    assert browser("village").get("/audit").status_code == 403


def test_bad_dates_in_the_filter_get_a_clear_message(browser: Any) -> None:
    response = browser("bole").get("/audit", params={"since": "yesterday"})
    assert response.status_code == 400


def test_a_snapshot_holds_every_column_as_stored_json_safe_and_no_secret(session: Session) -> None:
    from datetime import date

    from yingji.core import audit
    from yingji.core.models import Unit, User

    user = session.scalars(select(User).where(User.username == "bole")).one()
    taken = audit.snapshot(user)
    assert "password_hash" not in taken and taken["username"] == "bole"
    unit = session.get_one(Unit, unit_id(session, "652701"))
    unit.valid_from = date(2020, 1, 1)
    session.flush()
    session.expire(unit, ["name", "valid_from"])  # not loaded: read from the database by the snapshot
    taken = audit.snapshot(unit)
    columns = {c.key for c in Unit.__table__.columns}
    assert set(taken) == columns
    assert taken["name"] == "博乐市" and taken["valid_from"] == "2020-01-01"
    assert isinstance(taken["created_at"], str) and taken["id"] == unit.id
