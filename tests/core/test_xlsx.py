"""XLSX import (all or nothing, every bad row reported) and export of units and people."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from yingji.core.models import Person, Unit


def sheet(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(["code", "name", "kind", "parent code"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Any, url: str, content: bytes, name: str = "units.xlsx") -> Any:
    return client.api("POST", url, files={"file": (name, content, "application/octet-stream")})


def unit_count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Unit)) or 0)


def test_good_sheet_imports_every_row(browser: Any, session: Session) -> None:
    client = browser("bole")
    content = sheet([["IMP-1", "导入村一", "village", "652701100"],
                     ["IMP-2", "导入村二", "village", "652701100"],
                     ["IMP-3", "导入企业", "enterprise", "IMP-1"]])
    response = upload(client, "/api/units/import", content)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3}
    child = session.scalar(select(Unit).where(Unit.code == "IMP-3"))
    parent = session.scalar(select(Unit).where(Unit.code == "IMP-1"))
    assert child is not None and parent is not None and child.parent_id == parent.id


def test_a_sheet_with_bad_rows_imports_nothing_and_names_every_bad_row(browser: Any, session: Session) -> None:
    client = browser("bole")
    before_units, before_audit = unit_count(session), audit_count(session)
    content = sheet([["OK-1", "好村", "village", "652701100"],
                     ["BAD-1", "", "village", "652701100"],            # row 3: no name
                     ["BAD-2", "错类", "castle", "652701100"],         # row 4: unknown kind
                     ["BAD-3", "外县", "village", "652722100"],        # row 5: another county's township
                     ["652701100", "重码", "village", "652701100"],     # row 6: code taken
                     ["BAD-5", "无上级", "village", "NOPE"]])           # row 7: unknown parent
    response = upload(client, "/api/units/import", content)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == zh("Nothing was imported: %(n)s rows have errors.", n=5)
    assert [e["row"] for e in body["errors"]] == [3, 4, 5, 6, 7]
    assert all(e["message"] for e in body["errors"])
    assert unit_count(session) == before_units
    assert audit_count(session) == before_audit


def test_malformed_and_oversized_files_are_refused(browser: Any, app: Any, session: Session) -> None:
    client = browser("bole")
    before = unit_count(session)
    garbage = upload(client, "/api/units/import", b"this is not a spreadsheet")
    assert garbage.status_code == 400 and garbage.json()["detail"] == zh("The file is not a readable XLSX spreadsheet.")
    truncated = upload(client, "/api/units/import", sheet([["T-1", "截断", "village", "652701100"]])[:300])
    assert truncated.status_code == 400
    app.state.settings.max_import_mb = 0.01
    big = upload(client, "/api/units/import", b"PK\x03\x04" + b"\0" * 20000)
    assert big.status_code == 413
    # a zip bomb: tiny on the wire, huge when opened
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    app.state.settings.max_import_mb = 5
    refused = upload(client, "/api/units/import", bomb.getvalue())
    assert refused.status_code == 413
    assert unit_count(session) == before


def test_people_import_and_export_round_trip(browser: Any, session: Session) -> None:
    client = browser("bole")
    book = Workbook()
    ws = book.active
    ws.append(["unit code", "name", "position", "phone", "email", "duty", "full-time"])
    ws.append(["652701100", "王五", "应急专干", "13900000001", "", "staff", "是"])
    ws.append(["652701101", "赵六", "", "13900000002", "", "responsible", ""])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, "/api/people/import", out.getvalue(), "people.xlsx")
    assert response.status_code == 200 and response.json() == {"created": 2}
    wang = session.scalar(select(Person).where(Person.name == "王五"))
    assert wang is not None and wang.full_time_emergency is True and wang.phone == "13900000001"
    export = client.get("/api/units.xlsx", params={"kind": "township"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == zh("code")
    codes = {r[0] for r in rows[1:]}
    assert "652701100" in codes and not any(c.startswith("652722") for c in codes)


def test_import_page_lists_bad_rows(browser: Any) -> None:
    client = browser("bole")
    content = sheet([["P-1", "", "village", "652701100"]])
    page = client.form("/units/import", {"what": "units"}, files={"file": ("u.xlsx", content, "application/x")})
    assert page.status_code == 422
    assert 'id="import-errors"' in page.text and "<td>2</td>" in page.text


def test_people_export_is_scoped(browser: Any) -> None:
    rows = list(load_workbook(io.BytesIO(browser("bole").get("/api/people.xlsx").content)).worksheets[0]
                .iter_rows(values_only=True))
    codes = {r[0] for r in rows[1:]}
    assert "652701" in codes and not any(str(c).startswith("652722") for c in codes)
    names = {r[1] for r in rows[1:]}
    assert not any("精河县" in n for n in names)


def test_control_characters_are_refused_on_input_and_never_break_an_export(browser: Any, session: Session) -> None:
    client = browser("bole")
    township = session.scalar(select(Unit.id).where(Unit.code == "652701100"))
    refused = client.api("POST", "/api/units", json={"parent_id": township, "code": "CC-1", "name": "坏\x01名",
                                                     "kind": "village"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == zh("This text contains invisible control characters.")
    # a row stored before the rule (or by another path) still exports
    unit = session.scalar(select(Unit).where(Unit.code == "652701100"))
    assert unit is not None
    unit.leading_body = "旧数据\x02"
    session.commit()
    export = client.get("/api/units.xlsx")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert "旧数据\ufffd" in {r[4] for r in rows}
