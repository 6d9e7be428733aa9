"""Annual reports: the deadline "before 10 January" read as "by the end of 10 January, Beijing time" (a
rule with its source), tested at the boundary; reminders and the overdue list; the compiled draft."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from sqlalchemy import select

from tests.conftest import unit_id
from tests.oversight.helpers import audits, local, set_now
from yingji.core.models import Notification, User
from yingji.core.scope import system_principal
from yingji.oversight import annual, defaults


def _file(client: Any, session: Any, code: str, year: int) -> Any:
    return client.api("POST", "/api/oversight/annual", json={"unit_id": unit_id(session, code), "year": year,
                                                             "summary": "全年工作总结"})


def test_filed_on_10_january_is_on_time_and_on_11_january_late(browser: Any, session: Any) -> None:
    set_now(local(2031, 1, 10, 23, 59, 59))
    on_time = _file(browser("bole"), session, "652701", 2030)
    assert on_time.status_code == 201, on_time.text
    assert on_time.json()["on_time"] is True
    set_now(local(2031, 1, 11, 0, 0, 0))
    late = _file(browser("jinghe"), session, "652722", 2030)
    assert late.status_code == 201 and late.json()["on_time"] is False
    rule = defaults.rule(session, defaults.ANNUAL_DUE_DAY)
    assert rule.value == 10 and "1月10日前" in rule.source


def test_a_filed_report_is_not_rewritten(browser: Any, session: Any) -> None:
    set_now(local(2031, 1, 5, 10))
    bole = browser("bole")
    assert _file(bole, session, "652701", 2030).status_code == 201
    before = audits(session, "oversight_annual_report")
    again = _file(bole, session, "652701", 2030)
    assert again.status_code == 409
    assert audits(session, "oversight_annual_report") == before
    assert _file(bole, session, "652701", 2031).status_code == 400  # the year has not ended
    assert _file(bole, session, "652722", 2030).status_code == 404  # not bole's county


def test_status_reminders_and_overdue_list(browser: Any, session: Any, database: Any) -> None:
    system = system_principal("test")
    set_now(local(2031, 1, 2, 9))
    assert _file(browser("bole"), session, "652701", 2030).status_code == 201

    def remind(*when: int) -> dict[str, int]:
        set_now(local(*when))
        with database.unit_of_work() as s:
            return annual.remind(s, system)

    # Reminder lead 7 days: the deadline instant is 11 January 00:00 Beijing, so reminders start 4 January 00:00.
    assert remind(2031, 1, 3, 23, 59) == {"reminded": 0, "overdue": 0}
    first = remind(2031, 1, 4, 0, 0)
    assert first["reminded"] >= 3 and first["overdue"] == 0  # every county and department but 博乐市
    assert remind(2031, 1, 5, 9, 0)["reminded"] == 0  # once
    jinghe = session.scalar(select(User).where(User.username == "jinghe"))
    session.expire_all()
    subjects = list(session.scalars(select(Notification.subject).where(Notification.user_id == jinghe.id)))
    assert any("2030年度" in s and "2031-01-10" in s for s in subjects)
    bole = session.scalar(select(User).where(User.username == "bole"))
    assert not any("2030年度" in s for s in session.scalars(
        select(Notification.subject).where(Notification.user_id == bole.id)))
    overdue = remind(2031, 1, 11, 0, 0)
    assert overdue["overdue"] == first["reminded"]
    set_now(local(2031, 1, 11, 9))
    states = {r["unit_name"]: r["state"] for r in browser("zhou").api("GET", "/api/oversight/annual",
                                                                     params={"year": 2030}).json()}
    assert states["博乐市"] == "filed_on_time" and states["精河县"] == "overdue"
    page = browser("zhou").get("/oversight/annual", params={"year": 2030, "state": "overdue"})
    assert "精河县" in page.text and "annual-overdue" in page.text


def test_compiled_draft_is_a_docx_from_the_records(browser: Any, session: Any) -> None:
    set_now(local(2031, 1, 5, 10))
    assert _file(browser("bole"), session, "652701", 2030).status_code == 201
    response = browser("zhou").get("/oversight/annual/draft", params={"year": 2030})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(z.namelist())
        body = z.read("word/document.xml").decode()
    assert "博尔塔拉蒙古自治州2030年度" in body and "全年工作总结" in body and "按时报送" in body
    from lxml import etree

    etree.fromstring(body.encode())  # well-formed XML
