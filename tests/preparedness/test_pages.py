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
        if url in ("/preparedness/filings", "/preparedness/coverage", "/preparedness/rules"):
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
