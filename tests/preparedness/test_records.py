"""Plans, filing, revision, linkage, drills, improvement items, training, experts and sites — and the bad
input of issue 6 item 8: a clear message in the user's language and nothing changed."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from tests.preparedness.helpers import SYSTEM, plan, set_today
from yingji.core.models import Unit
from yingji.preparedness.models import PrepDrill, PrepFiling, PrepPlan, PrepSite, PrepSiteItem


def _unit(session: Session, code: str) -> Unit:
    found = session.get(Unit, unit_id(session, code))
    assert found is not None
    return found


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _plan_api(client: Any, unit: int, **extra: Any) -> Any:
    body = {"unit_id": unit, "title": "测试预案", "plan_type": "special", "issued_on": "2026-01-05",
            "status": "in_force", "event_types": ["earthquake"]} | extra
    return client.api("POST", "/api/preparedness/plans", json=body)


def test_plan_filed_with_an_office_above_accepted_or_returned(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    county = unit_id(session, "652701")
    dept = unit_id(session, "652701-D01")
    created = _plan_api(bole, dept, plan_type="department")
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    filed = bole.api("POST", f"/api/preparedness/plans/{plan_id}/filings",
                     json={"office_id": county, "filed_on": "2026-01-20"})
    assert filed.status_code == 201, filed.text
    again = bole.api("POST", f"/api/preparedness/plans/{plan_id}/filings",
                     json={"office_id": county, "filed_on": "2026-01-21"})
    assert again.status_code == 409
    no_reason = bole.api("POST", f"/api/preparedness/filings/{filed.json()['id']}/decision", json={"accept": False})
    assert no_reason.status_code == 400
    returned = bole.api("POST", f"/api/preparedness/filings/{filed.json()['id']}/decision",
                        json={"accept": False, "reasons": "缺少衔接说明"})
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    refiled = bole.api("POST", f"/api/preparedness/plans/{plan_id}/filings",
                       json={"office_id": county, "filed_on": "2026-02-01"})
    assert refiled.status_code == 201


def test_filing_with_an_office_not_above_the_owner_is_refused(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    dept = unit_id(session, "652701-D01")
    plan_id = _plan_api(bole, dept, plan_type="department").json()["id"]
    before = (audit_count(session), _count(session, PrepFiling))
    for office in (dept, unit_id(session, "652701-S01"), unit_id(session, "652701100")):  # itself, a sibling, below
        response = bole.api("POST", f"/api/preparedness/plans/{plan_id}/filings",
                            json={"office_id": office, "filed_on": "2026-02-01"})
        assert response.status_code == 400, response.text
        assert response.json()["detail"] == zh("A plan is filed with an office above its owner.")
    assert (audit_count(session), _count(session, PrepFiling)) == before


def test_drill_in_the_future_or_for_a_superseded_plan_is_refused(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    county = unit_id(session, "652701")
    plan_id = _plan_api(bole, county).json()["id"]
    revised = bole.api("POST", f"/api/preparedness/plans/{plan_id}/revise",
                       json={"version": "2", "issued_on": "2026-05-01"})
    assert revised.status_code == 201
    assert bole.api("GET", f"/api/preparedness/plans/{plan_id}").json()["status"] == "superseded"
    assert revised.json()["supersedes_id"] == plan_id
    before = (audit_count(session), _count(session, PrepDrill))
    future = bole.api("POST", "/api/preparedness/drills", json={
        "unit_id": county, "title": "未来演练", "held_on": "2026-06-02", "scope": "comprehensive"})
    assert future.status_code == 400
    assert future.json()["detail"] == zh("A drill cannot be recorded before it is held: the date lies in the future.")
    old = bole.api("POST", "/api/preparedness/drills", json={
        "unit_id": county, "title": "旧版演练", "held_on": "2026-05-20", "scope": "special", "plan_ids": [plan_id]})
    assert old.status_code == 409
    assert old.json()["detail"] == zh("This plan has been superseded; link the drill to the version in force.")
    assert (audit_count(session), _count(session, PrepDrill)) == before
    today = bole.api("POST", "/api/preparedness/drills", json={
        "unit_id": county, "title": "今日演练", "held_on": "2026-06-01", "scope": "special",
        "plan_ids": [revised.json()["id"]]})
    assert today.status_code == 201, today.text


def test_another_countys_plan_or_unit_is_not_found(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    jinghe = browser("jinghe")
    foreign_plan = plan(session, _unit(session, "652701"))
    session.commit()
    before = _count(session, PrepDrill)
    response = jinghe.api("POST", "/api/preparedness/drills", json={
        "unit_id": unit_id(session, "652722"), "title": "演练", "held_on": "2026-05-01", "scope": "special",
        "plan_ids": [foreign_plan.id]})
    assert response.status_code == 404
    assert jinghe.api("GET", f"/api/preparedness/plans/{foreign_plan.id}").status_code == 404
    assert _count(session, PrepDrill) == before


def test_improvement_items_are_tracked_to_closure(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    drill = bole.api("POST", "/api/preparedness/drills", json={
        "unit_id": unit_id(session, "652701"), "title": "综合演练", "held_on": "2026-05-01",
        "scope": "comprehensive"}).json()
    early = bole.api("POST", f"/api/preparedness/drills/{drill['id']}/items",
                     json={"text": "x", "due_on": "2026-04-01"})
    assert early.status_code == 400
    item = bole.api("POST", f"/api/preparedness/drills/{drill['id']}/items",
                    json={"text": "通信保障不足", "owner": "应急局", "due_on": "2026-07-01"})
    assert item.status_code == 201
    closed = bole.api("POST", f"/api/preparedness/items/{item.json()['id']}/close", json={"note": "已配备卫星电话"})
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert bole.api("POST", f"/api/preparedness/items/{item.json()['id']}/close",
                    json={"note": "again"}).status_code == 409


def test_checklist_item_done_without_evidence_is_refused(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    village = unit_id(session, "652701100-V02")
    site = bole.api("POST", "/api/preparedness/sites", json={"unit_id": village, "name": "测试示范点",
                                                              "category": "village"})
    assert site.status_code == 201, site.text
    items = bole.api("GET", f"/api/preparedness/sites/{site.json()['id']}/items").json()
    assert [i["item"] for i in items] == ["agency", "plan", "rules", "team", "support", "shelter", "publicity"]
    before = (audit_count(session), _count(session, PrepSiteItem))
    refused = bole.api("POST", f"/api/preparedness/site-items/{items[0]['id']}", json={"done": True})
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh("An item is marked done only with evidence: attach a file.")
    accredit = bole.api("POST", f"/api/preparedness/sites/{site.json()['id']}/accredit", json={"accredited_year": 2026})
    assert accredit.status_code == 400
    assert before == (audit_count(session), _count(session, PrepSiteItem))
    session.expire_all()
    assert not session.get(PrepSiteItem, items[0]["id"]).done  # type: ignore[union-attr]

    # With a photo as evidence (the page's form: checkbox, file from the camera).
    page = bole.get(f"/preparedness/sites/{site.json()['id']}")
    assert page.status_code == 200
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    done = bole.post(f"/preparedness/site-items/{items[0]['id']}", data={"csrf_token": bole.csrf, "done": "on"},
                     files={"file": ("evidence.png", png, "image/png")}, follow_redirects=False)
    assert done.status_code == 303, done.text
    session.expire_all()
    row = session.get(PrepSiteItem, items[0]["id"])
    assert row is not None and row.done and row.evidence_id is not None


def test_site_accredited_when_all_seven_are_done(session: Session) -> None:
    set_today(date(2026, 6, 1))
    from yingji.core.models import Attachment
    from yingji.preparedness import sites
    from yingji.preparedness.schemas import SiteAccredit, SiteAssessment, SiteCreate, SiteItemUpdate

    village = unit_id(session, "652701100-V02")
    site = sites.create(session, SYSTEM, SiteCreate(unit_id=village, name="示范点", category="village"))
    evidence = Attachment(sha256="0" * 64, size=1, content_type="application/pdf", filename="e.pdf", unit_id=village)
    session.add(evidence)
    session.flush()
    for item in sites.items(session, SYSTEM, site.id):
        sites.update_item(session, SYSTEM, item.id, SiteItemUpdate(done=True, evidence_id=evidence.id))
    sites.assess(session, SYSTEM, site.id, SiteAssessment(scores={"training": 5, "recovery": 2}))
    sites.accredit(session, SYSTEM, site.id, SiteAccredit(accredited_year=2026))
    found = session.get(PrepSite, site.id)
    assert found is not None and found.accredited_year == 2026 and found.self_assessment["training"] == 5


def test_experts_searchable_by_field(browser: Any, session: Session) -> None:
    zhou = browser("zhou")
    root = unit_id(session, "652700")
    created = zhou.api("POST", "/api/preparedness/experts", json={"unit_id": root, "name": "张工", "field": "mining",
                                                                  "employer": "矿业公司"})
    assert created.status_code == 201
    found = zhou.api("GET", "/api/preparedness/experts", params={"field": "mining"}).json()
    assert [e["name"] for e in found["items"]] == ["张工"]
    assert zhou.api("GET", "/api/preparedness/experts", params={"q": "矿业"}).json()["total"] == 1
    bad = zhou.api("POST", "/api/preparedness/experts", json={"unit_id": root, "name": "x", "field": "astrology"})
    assert bad.status_code == 422


def test_training_and_publicity_plan(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    county = unit_id(session, "652701")
    t = bole.api("POST", "/api/preparedness/training", json={
        "unit_id": county, "title": "专干培训", "held_on": "2026-05-10", "audience": "grassroots", "hours": 8,
        "attendees": 40})
    assert t.status_code == 201, t.text
    p = bole.api("POST", "/api/preparedness/publicity", json={"unit_id": county, "year": 2026, "title": "安全生产月",
                                                               "planned_month": 6})
    assert p.status_code == 201
    wrong_year = bole.api("POST", f"/api/preparedness/publicity/{p.json()['id']}/done", json={"done_on": "2025-06-01"})
    assert wrong_year.status_code == 400
    done = bole.api("POST", f"/api/preparedness/publicity/{p.json()['id']}/done", json={"done_on": "2026-06-01"})
    assert done.status_code == 200
    page = bole.get("/preparedness/training?year=2026")
    assert page.status_code == 200 and "专干培训" in page.text and "安全生产月" in page.text


def test_linkage_table(browser: Any, session: Session) -> None:
    bole = browser("bole")
    county = unit_id(session, "652701")
    row = bole.api("POST", "/api/preparedness/linkage", json={
        "unit_id": county, "event_type": "flood_drought", "lead_unit_id": unit_id(session, "652701-D01"),
        "lead_duties": "统一指挥"})
    assert row.status_code == 201, row.text
    outside = bole.api("POST", f"/api/preparedness/linkage/{row.json()['id']}/members", json={
        "member_unit_id": unit_id(session, "652722-D01"), "role": "cooperating"})
    assert outside.status_code == 404
    member = bole.api("POST", f"/api/preparedness/linkage/{row.json()['id']}/members", json={
        "member_unit_id": unit_id(session, "652701-S01"), "role": "participating", "duties": "疏散师生"})
    assert member.status_code == 201
    table = bole.api("GET", "/api/preparedness/linkage").json()
    mine = next(r for r in table if r["id"] == row.json()["id"])
    assert mine["members"][0]["duties"] == "疏散师生"
    xlsx = bole.get("/preparedness/linkage?export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert any("疏散师生" in str(c.value) for r in sheet.iter_rows() for c in r)  # type: ignore[union-attr]


def test_plan_status_moves(session: Session) -> None:
    set_today(date(2026, 6, 1))
    from yingji.errors import Conflict
    from yingji.preparedness import plans
    from yingji.preparedness.schemas import PlanStatus

    own = plan(session, _unit(session, "652701"), status="draft", issued=date(2026, 1, 5))
    plans.set_status(session, SYSTEM, own.id, PlanStatus(status="in_force"))
    plans.set_status(session, SYSTEM, own.id, PlanStatus(status="superseded"))
    try:
        plans.set_status(session, SYSTEM, own.id, PlanStatus(status="in_force"))
        raise AssertionError("a superseded plan came back")
    except Conflict:
        pass
    assert session.get(PrepPlan, own.id).status == "superseded"  # type: ignore[union-attr]
