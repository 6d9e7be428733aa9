"""The administrative tree: browse, search, create, edit, move, delete; staffing quotas."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from yingji.core import service
from yingji.core.models import AuditEntry, Person, Unit
from yingji.core.schemas import PersonCreate
from yingji.core.scope import system_principal


def test_demo_tree_has_the_real_codes(session: Session) -> None:
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    assert names["652700"] == "博尔塔拉蒙古自治州"
    assert names["652701"] == "博乐市" and names["652702"] == "阿拉山口市"
    assert names["652722"] == "精河县" and names["652723"] == "温泉县"
    assert names["652701100"] == "小营盘镇" and names["652722402"] == "精河工业园区"
    old_park = session.scalar(select(Unit).where(Unit.code == "652701408"))
    assert old_park is not None and old_park.valid_to is not None and old_park.valid_to.year == 2021
    demo_flags = {u.kind: u.is_demo for u in session.scalars(select(Unit).where(Unit.code.like("%-V01")))}
    assert demo_flags == {"village": True}


def test_county_officer_creates_a_village_and_it_is_audited(browser: Any, session: Session) -> None:
    client = browser("bole")
    township = unit_id(session, "652701100")
    response = client.api("POST", "/api/units", json={"parent_id": township, "code": "652701100-T1",
                                                      "name": "测试村", "kind": "village"})
    assert response.status_code == 201, response.text
    created = session.scalar(select(Unit).where(Unit.code == "652701100-T1"))
    assert created is not None and created.path.endswith(f"/{township}/{created.id}/") and created.depth == 3
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "unit",
                                                    AuditEntry.entity_id == str(created.id)))
    assert entry is not None and entry.action == "create" and entry.actor_name == "bole"
    assert entry.after["name"] == "测试村" and entry.before is None
    assert entry.request_id == response.headers["x-request-id"]


def test_wrong_parent_kind_and_duplicate_code_are_refused(browser: Any, session: Session) -> None:
    client = browser("bole")
    before = audit_count(session)
    bole = unit_id(session, "652701")
    village_under_county = client.api("POST", "/api/units", json={"parent_id": bole, "code": "Z9", "name": "x",
                                                                  "kind": "village"})
    assert village_under_county.status_code == 400
    assert village_under_county.json()["detail"] == zh("A unit of this kind cannot be placed under a unit of "
                                                       "that kind.")
    duplicate = client.api("POST", "/api/units", json={"parent_id": bole, "code": "652701100", "name": "x",
                                                       "kind": "township"})
    assert duplicate.status_code == 409
    bad_types = client.api("POST", "/api/units", json={"parent_id": "abc", "code": "", "name": 5, "kind": "x"})
    assert bad_types.status_code == 422
    assert {e["field"] for e in bad_types.json()["errors"]} >= {"parent_id", "code", "kind"}
    assert audit_count(session) == before


def test_update_records_before_and_after(browser: Any, session: Session) -> None:
    client = browser("bole")
    township = unit_id(session, "652701100")
    response = client.api("PATCH", f"/api/units/{township}", json={"leading_body": "小营盘镇应急委员会",
                                                                   "phone": "0909-1234567"})
    assert response.status_code == 200
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).all()[-1]
    assert entry.before == {"leading_body": "", "phone": ""}
    assert entry.after == {"leading_body": "小营盘镇应急委员会", "phone": "0909-1234567"}


def test_update_refuses_an_unknown_enterprise_size_or_industry(browser: Any, session: Session) -> None:
    """An edit is held to the same lists as a new unit (it once took any text, and PostgreSQL then refused
    a long one as a server error)."""
    client = browser("bole")
    township = unit_id(session, "652701100")
    before = audit_count(session)
    for field, value in (("enterprise_size", "huge"), ("high_risk_industry", "a" * 5000)):
        refused = client.api("PATCH", f"/api/units/{township}", json={field: value})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
        page = client.form(f"/units/{township}/edit", {"name": "小营盘镇", field: value})
        assert page.status_code == 400 and zh("Some fields are missing or not valid.") in page.text
    assert audit_count(session) == before
    kept = client.api("PATCH", f"/api/units/{township}", json={"enterprise_size": "small",
                                                               "high_risk_industry": ""})
    assert kept.status_code == 200
    assert (kept.json()["enterprise_size"], kept.json()["high_risk_industry"]) == ("small", None)


def test_move_rewrites_the_subtree_and_keeps_scope(browser: Any, session: Session) -> None:
    client = browser("bole")
    source = unit_id(session, "652701100")
    target = unit_id(session, "652701101")
    village = unit_id(session, "652701100-V01")
    response = client.api("POST", f"/api/units/{village}/move", json={"parent_id": target})
    assert response.status_code == 200
    session.expire_all()
    moved = session.get_one(Unit, village)
    assert moved.parent_id == target and f"/{target}/{village}/" in moved.path and source not in (moved.parent_id,)
    # into another county: the target is outside bole's area, so it is "not found"
    jinghe_township = unit_id(session, "652722100")
    outside = client.api("POST", f"/api/units/{village}/move", json={"parent_id": jinghe_township})
    assert outside.status_code == 404
    # under its own descendant: refused
    own = client.api("POST", f"/api/units/{target}/move", json={"parent_id": village})
    assert own.status_code == 400


def test_prefecture_moves_a_township_with_its_villages(browser: Any, session: Session) -> None:
    client = browser("zhou")
    township = unit_id(session, "652701100")
    villages = [unit_id(session, "652701100-V01"), unit_id(session, "652701100-V02")]
    wenquan = unit_id(session, "652723")
    assert client.api("POST", f"/api/units/{township}/move", json={"parent_id": wenquan}).status_code == 200
    session.expire_all()
    for vid in villages:
        village = session.get_one(Unit, vid)
        assert village.path.startswith(session.get_one(Unit, wenquan).path)
        assert village.depth == 3
    # bole no longer sees the moved villages
    bole = browser("bole")
    assert bole.get(f"/api/units/{villages[0]}").status_code == 404


def test_delete_only_when_nothing_hangs_on_it(browser: Any, session: Session) -> None:
    client = browser("bole")
    township = unit_id(session, "652701100")
    refused = client.api("DELETE", f"/api/units/{township}")
    assert refused.status_code == 409
    assert session.get(Unit, township) is not None
    created = client.api("POST", "/api/units", json={"parent_id": township, "code": "DEL-1", "name": "待删",
                                                     "kind": "village"}).json()
    assert client.api("DELETE", f"/api/units/{created['id']}").status_code == 204
    session.expire_all()
    assert session.get(Unit, created["id"]) is None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "delete",
                                                   AuditEntry.entity_id == str(created["id"]))) is not None


def test_list_filters_and_pages(browser: Any) -> None:
    client = browser("bole")
    everything = client.get("/api/units", params={"per_page": 5}).json()
    assert everything["total"] > 20 and len(everything["items"]) == 5
    second = client.get("/api/units", params={"per_page": 5, "page": 2}).json()
    assert {u["id"] for u in second["items"]}.isdisjoint({u["id"] for u in everything["items"]})
    towns = client.get("/api/units", params={"kind": "township"}).json()
    assert {u["code"][:6] for u in towns["items"]} == {"652701"}
    found = client.get("/api/units", params={"q": "小营盘"}).json()
    assert "小营盘镇" in [u["name"] for u in found["items"]]
    assert client.get("/api/units", params={"per_page": 100000}).status_code == 422


def test_tree_pages_render(browser: Any, session: Session) -> None:
    client = browser("bole")
    page = client.get("/units")
    assert page.status_code == 200 and "博乐市" in page.text and "精河县" not in page.text
    bole = unit_id(session, "652701")
    kids = client.get(f"/units/{bole}/children")
    assert "小营盘镇" in kids.text
    detail = client.get(f"/units/{unit_id(session, '652701100')}")
    assert "小营盘镇" in detail.text and 'id="add-child"' in detail.text
    search = client.get("/units", params={"q": "小营盘"})
    assert "小营盘镇" in search.text


def test_create_unit_through_the_form(browser: Any, session: Session) -> None:
    client = browser("bole")
    township = unit_id(session, "652701100")
    response = client.form("/units/new", {"parent_id": township, "code": "F-1", "name": "表单村", "kind": "village",
                                          "lon": "82.1", "lat": "44.9"})
    assert response.status_code == 303
    unit = session.scalar(select(Unit).where(Unit.code == "F-1"))
    assert unit is not None and unit.lon == pytest.approx(82.1)
    bad = client.form("/units/new", {"parent_id": township, "code": "F-2", "name": "", "kind": "village",
                                     "lon": "east"})
    assert bad.status_code == 400 and "lon" in bad.text


@pytest.mark.parametrize(("kind", "staff", "short"), [
    ("county", 1, True), ("county", 2, False), ("township", 0, True), ("township", 1, False),
    ("prefecture", 4, True), ("prefecture", 5, False),
])
def test_staffing_quota_boundaries(session: Session, kind: str, staff: int, short: bool) -> None:
    system = system_principal("tests")
    unit = session.scalar(select(Unit).where(Unit.kind == kind, Unit.valid_to.is_(None)).order_by(Unit.id))
    assert unit is not None
    for person in session.scalars(select(Person).where(Person.unit_id == unit.id)):
        person.full_time_emergency = False
    for n in range(staff):
        service.create_person(session, system, PersonCreate(unit_id=unit.id, name=f"专职{n}",
                                                            full_time_emergency=True))
    session.flush()
    rows = {r.unit_id: r for r in service.staffing_shortfalls(session, system)}
    assert (unit.id in rows) is short
    if short:
        assert rows[unit.id].missing == rows[unit.id].min_staff - staff
        assert "64号" in rows[unit.id].source


def test_staffing_page_lists_the_demo_shortfalls(browser: Any) -> None:
    client = browser("zhou")
    page = client.get("/units/staffing")
    assert page.status_code == 200
    assert "精河县" in page.text and "温泉县" in page.text and ">博乐市<" not in page.text
    export = client.get("/units/staffing", params={"export": "xlsx"})
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_quotas_are_data_editable_by_the_prefecture_and_audited(browser: Any, session: Session) -> None:
    from yingji.core.models import StaffingQuota

    county = session.scalar(select(StaffingQuota).where(StaffingQuota.unit_kind == "county"))
    assert county is not None and (county.min_staff, county.max_staff) == (2, 3) and "64号" in county.source
    bole = browser("bole")
    before = audit_count(session)
    refused = bole.form(f"/units/staffing/quotas/{county.id}", {"min_staff": 3, "max_staff": 3, "source": "x"})
    assert refused.status_code == 403 and audit_count(session) == before
    zhou = browser("zhou")
    assert "博乐市" not in zhou.get("/units/staffing").text.split('id="quotas"')[0]
    bad = zhou.form(f"/units/staffing/quotas/{county.id}", {"min_staff": 4, "max_staff": 3, "source": "x"})
    assert bad.status_code == 400
    before = audit_count(session)
    hidden = zhou.form(f"/units/staffing/quotas/{county.id}", {"min_staff": 3, "max_staff": 4, "source": "纪要\x00"})
    assert hidden.status_code == 400 and zh("This text contains invisible control characters.") in hidden.text
    assert audit_count(session) == before
    ok = zhou.form(f"/units/staffing/quotas/{county.id}", {"min_staff": 3, "max_staff": 4,
                                                           "source": "州应急委会议纪要（测试）"})
    assert ok.status_code == 303
    # 博乐市 has 2 full-time staff in the demo: at a minimum of 3 it now falls short
    assert "博乐市" in zhou.get("/units/staffing").text.split('id="quotas"')[0]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "staffing_quota")).all()[-1]
    assert entry.before == {"max_staff": 3, "min_staff": 2, "source": county.source}
    assert entry.after["min_staff"] == 3 and entry.actor_name == "zhou"


def test_the_unsearched_unit_list_is_the_scoped_select_page_by_page(session: Session) -> None:
    """The unit list without a search runs statements prepared per shape; every principal, filter and page
    gives what the scoped ORM select gives."""
    from yingji.core.schemas import UnitRead
    from yingji.core.scope import Principal, scoped

    def principal(code: str | None, role: str) -> Principal:
        unit = session.scalars(select(Unit).where(Unit.code == code)).one() if code else None
        return Principal(user_id=None, name="t", unit_id=unit.id if unit else None,
                         unit_path=unit.path if unit else "", role=role, via="token")

    township = unit_id(session, "652701100")
    principals = [principal("652701", "county_office"), principal("652701100", "township_officer"),
                  principal("652722", "county_office"), principal(None, "county_office"),
                  principal("652701", "admin")]
    checked = 0
    for who in principals:
        for kind, parent_id in (("", None), ("village", None), ("", township), ("township", None)):
            for page, per_page in ((1, 5), (2, 5), (1, 500), (999, 50), (1, service.EVERY_ROW)):
                stmt = scoped(select(Unit), who)
                if kind:
                    stmt = stmt.where(Unit.kind == kind)
                if parent_id is not None:
                    stmt = stmt.where(Unit.parent_id == parent_id)
                expected = service.paginate(session, stmt.order_by(Unit.path), UnitRead, page=page, per_page=per_page)
                got = service.list_units(session, who, kind=kind, parent_id=parent_id, page=page, per_page=per_page)
                assert got == expected, (who.unit_path, who.role, kind, parent_id, page, per_page)
                checked += len(got.items)
    assert checked > 100
    assert service.list_units(session, principals[3]).total == 0  # no unit, no rows
    with pytest.raises(Exception, match="role"):
        service.list_units(session, principal("652701", "nobody"))
