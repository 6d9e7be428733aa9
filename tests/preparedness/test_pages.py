"""The preparedness pages: each renders for an office and a grassroots persona, the compliance page filters and
its XLSX says the same, forms post with the CSRF token, bad input gives a page in Chinese and changes nothing."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from tests.preparedness.helpers import set_today
from yingji.preparedness.models import PrepDrill, PrepPlan

PAGES = ["/preparedness", "/preparedness/compliance", "/preparedness/plans", "/preparedness/filings",
         "/preparedness/linkage", "/preparedness/coverage", "/preparedness/drills", "/preparedness/training",
         "/preparedness/experts", "/preparedness/sites", "/preparedness/rules"]


@pytest.mark.parametrize("username", ["zhou", "bole", "village", "leader"])
def test_every_page_renders(browser: Any, username: str) -> None:
    client = browser(username)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        assert "<h1>" in response.text
    for url in PAGES[1:]:
        if url == "/preparedness/rules":
            continue
        export = client.get(url + "?export=xlsx")
        assert export.status_code == 200 and export.content[:2] == b"PK", url


def test_compliance_page_filters_and_xlsx_says_the_same(browser: Any, session: Session) -> None:
    set_today(date(2026, 10, 1))
    zhou = browser("zhou")
    area = unit_id(session, "652723")
    query = f"on=2026-10-01&year=2026&area={area}&rule=drills_government"
    page = zhou.get(f"/preparedness/compliance?{query}")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-unit="([^"]+)" data-rule="([^"]+)">.*?class="status (\w+)"', page.text, re.S)
    assert rows, page.text[:2000]
    assert all(code.startswith("652723") for code, _rule, _status in rows)
    sheet = load_workbook(io.BytesIO(zhou.get(f"/preparedness/compliance?{query}&export=xlsx").content)).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == zh("unit code")
    assert [(r[0], r[4]) for r in lines[1:]] == [(code, zh({"at_risk": "at risk", "failing": "failing",
                                                            "compliant": "compliant"}[status]))
                                                 for code, _rule, status in rows]
    assert all("博州政办发" in str(r[10]) for r in lines[1:])


def test_compliance_page_for_a_county_shows_only_its_units(browser: Any, session: Session) -> None:
    bole = browser("bole")
    page = bole.get("/preparedness/compliance")
    codes = re.findall(r'<tr data-unit="([^"]+)"', page.text)
    assert codes and all(c.startswith("652701") for c in codes)
    other = bole.get(f"/preparedness/compliance?area={unit_id(session, '652722')}")
    assert other.status_code == 404


def test_bad_dates_are_refused_with_a_message(browser: Any) -> None:
    zhou = browser("zhou")
    for query in ("on=2026-13-01", "year=1900", "year=x", "area=-1", "status=fine"):
        response = zhou.get(f"/preparedness/compliance?{query}")
        assert response.status_code == 400, query
        assert zh("Some fields are missing or not valid.") in response.text or zh("Unknown status.") in response.text
    assert zhou.get("/preparedness/compliance?on=&year=&area=").status_code == 200


def test_forms_create_a_plan_and_a_drill(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    county = unit_id(session, "652701")
    created = bole.form("/preparedness/plans", {"unit_id": county, "title": "表单预案", "plan_type": "special",
                                                 "event_types": ["earthquake", "geological"], "status": "in_force",
                                                 "issued_on": "2026-02-02", "version": "1"})
    assert created.status_code == 303, created.text
    plan_id = int(created.headers["location"].rsplit("/", 1)[1])
    session.expire_all()
    plan = session.get(PrepPlan, plan_id)
    assert plan is not None and plan.event_types == ["earthquake", "geological"]
    drill = bole.form("/preparedness/drills", {"unit_id": county, "title": "表单演练", "held_on": "2026-05-05",
                                                "scope": "special", "form": "tabletop", "plan_ids": [plan_id]})
    assert drill.status_code == 303
    assert "表单演练" in bole.get(f"/preparedness/plans/{plan_id}").text


def test_future_drill_from_the_page_is_refused_in_chinese_and_nothing_changes(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    bole = browser("bole")
    before = (audit_count(session), session.scalar(select(func.count()).select_from(PrepDrill)))
    response = bole.form("/preparedness/drills", {"unit_id": unit_id(session, "652701"), "title": "明日演练",
                                                  "held_on": "2026-06-02", "scope": "comprehensive",
                                                  "form": "tabletop"})
    assert response.status_code == 400
    assert zh("A drill cannot be recorded before it is held: the date lies in the future.") in response.text
    session.expire_all()
    assert (audit_count(session), session.scalar(select(func.count()).select_from(PrepDrill))) == before


def test_rules_page_edits_a_rule_for_the_prefecture_only(browser: Any, session: Session) -> None:
    from yingji.preparedness.models import PrepRule

    rule = session.scalar(select(PrepRule).where(PrepRule.code == "drills_government"))
    assert rule is not None
    bole = browser("bole")
    refused = bole.form(f"/preparedness/rules/{rule.id}", {"threshold": "1", "source": "x", "active": "on"})
    assert refused.status_code == 403
    zhou = browser("zhou")
    done = zhou.form(f"/preparedness/rules/{rule.id}", {"threshold": "3", "source": "测试依据", "active": "on"})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(PrepRule, rule.id).threshold == 3  # type: ignore[union-attr]
    page = zhou.get("/preparedness/rules")
    assert "测试依据" in page.text and "博州政办发" in page.text


def test_bad_input_from_the_forms_is_refused_in_chinese_and_nothing_changes(browser: Any, session: Session) -> None:
    """Issue 6 item 8 through the pages: a drill for a superseded plan, a filing with an office that is not
    above the owner, a checklist item ticked without evidence — a 4xx page in Chinese, nothing written."""
    from yingji.preparedness.models import PrepFiling, PrepSiteItem

    set_today(date(2026, 6, 1))
    bole = browser("bole")
    county, dept = unit_id(session, "652701"), unit_id(session, "652701-D01")
    old = bole.api("POST", "/api/preparedness/plans", json={
        "unit_id": county, "title": "旧版预案", "plan_type": "special", "issued_on": "2026-01-05",
        "status": "in_force", "event_types": ["earthquake"]}).json()["id"]
    assert bole.api("POST", f"/api/preparedness/plans/{old}/revise",
                    json={"version": "2", "issued_on": "2026-05-01"}).status_code == 201
    own = bole.api("POST", "/api/preparedness/plans", json={
        "unit_id": dept, "title": "部门预案", "plan_type": "department", "issued_on": "2026-01-05",
        "status": "in_force", "event_types": ["earthquake"]}).json()["id"]
    site = bole.api("POST", "/api/preparedness/sites", json={"unit_id": unit_id(session, "652701100-V02"),
                                                              "name": "表单示范点", "category": "village"}).json()["id"]
    item = bole.api("GET", f"/api/preparedness/sites/{site}/items").json()[0]["id"]

    def state() -> tuple[int, ...]:
        session.expire_all()
        return (audit_count(session), *(int(session.scalar(select(func.count()).select_from(m)) or 0)
                                        for m in (PrepDrill, PrepFiling)),
                int(session.scalar(select(func.count()).select_from(PrepSiteItem).where(PrepSiteItem.done)) or 0))

    before = state()
    superseded = bole.form("/preparedness/drills", {"unit_id": county, "title": "旧版演练", "held_on": "2026-05-20",
                                                    "scope": "special", "form": "tabletop", "plan_ids": [old]})
    assert superseded.status_code == 409
    assert zh("This plan has been superseded; link the drill to the version in force.") in superseded.text
    for office in (dept, unit_id(session, "652701-S01"), unit_id(session, "652701100")):  # itself, a sibling, below
        filing = bole.form(f"/preparedness/plans/{own}/filings", {"office_id": office, "filed_on": "2026-02-01"})
        assert filing.status_code == 400
        assert zh("A plan is filed with an office above its owner.") in filing.text
    ticked = bole.form(f"/preparedness/site-items/{item}", {"done": "on", "evidence_note": "无附件"})
    assert ticked.status_code == 400
    assert zh("An item is marked done only with evidence: attach a file.") in ticked.text
    assert state() == before
    # The same forms with good input do write: the office above, the item with its photo.
    assert bole.form(f"/preparedness/plans/{own}/filings",
                     {"office_id": county, "filed_on": "2026-02-01"}).status_code == 303
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert bole.post(f"/preparedness/site-items/{item}", data={"csrf_token": bole.csrf, "done": "on"},
                     files={"file": ("evidence.png", png, "image/png")}, follow_redirects=False).status_code == 303
    after = state()
    assert after[2] == before[2] + 1 and after[3] == before[3] + 1
