"""The risks module in a real browser, against its own live server whose database this test can also open
(to run the periodic escalation job with an injected clock, as a worker process would):

the demo plant's 五有 shows the missing drill; an inspection finds two hidden hazards — one is rectified,
verified and closed with a photo, the other passes its deadline and the job escalates it; a burst of gas
readings from the plant's sensor crosses the orange threshold and the officer on duty at the desk sees the
alarm — on a phone-sized page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import zh
from tests.e2e.conftest import PASSWORD, TIMEOUT_MS, live_server
from tests.risks.helpers import PNG

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, Path]]:
    """Base URL and var directory of a live server with the demo data."""
    with live_server("yingji-e2e-risks-") as found:
        yield found


@pytest.fixture(scope="module")
def chromium(browser: Any) -> Any:
    """The session's chromium (tests/e2e/conftest.py): one Playwright per process."""
    return browser


def _page(chromium: Any, base: str, username: str) -> Any:
    context = chromium.new_context(base_url=base, locale="zh-CN", viewport={"width": 390, "height": 844},
                                   is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    form = page.locator("form[action='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _database(var: Path) -> Any:
    from yingji.db import Database
    from yingji.settings import Settings

    return Database(Settings(var_dir=var, database_url=f"sqlite:///{var / 'yingji.db'}"))


def test_plant_five_haves_findings_and_gas_alarm(live: tuple[str, Path], chromium: Any) -> None:
    base, var = live
    zhou = _page(chromium, base, "zhou")

    # 五有: the drill of this year is missing, the rest is in the records
    zhou.goto("/risks/hazards")
    zhou.get_by_role("link", name="五台化工有限公司液氯储罐区（演示）").click()
    expect(zhou.locator("#five-drill .state")).to_have_text(zh("not in place"))
    for key in ("people", "rules", "plan", "support"):
        expect(zhou.locator(f"#five-{key} .state")).to_have_text(zh("in place"))
    expect(zhou.locator("#five-summary")).to_have_text(zh("Not all five are in place."))

    # an inspection of the plant finds two hidden hazards
    form = zhou.locator("#new-inspection")
    form.locator("input[name=title]").fill("储罐区专项检查")
    form.locator("button[type=submit]").click()
    zhou.wait_for_url(re.compile(r"/risks/inspections/\d+"))
    for text in ("可燃气体探测器未按期校验", "围堰排水阀常开"):
        finding = zhou.locator("#new-finding")
        finding.locator("textarea[name=description]").fill(text)
        finding.locator("input[name=responsible]").fill("安全总监")
        finding.locator("button[type=submit]").click()
        zhou.wait_for_load_state()
    rows = zhou.locator("#findings tbody tr")
    expect(rows).to_have_count(2)
    first_url = rows.nth(0).locator("a").get_attribute("href")
    second_url = rows.nth(1).locator("a").get_attribute("href")

    # the first: rectified, verified, closed — closing asks for the photo first
    zhou.goto(first_url)
    zhou.locator("#rectify textarea").fill("探测器已送检并更换")
    zhou.locator("#rectify button").click()
    zhou.locator("#verify button").click()
    zhou.locator("#close button").click()
    expect(zhou.locator("main")).to_contain_text(zh(
        "A hidden hazard is closed only with a photo of the rectification as evidence."))
    zhou.goto(first_url)
    zhou.locator("#evidence-upload input[type=file]").set_input_files(
        {"name": "rectified.png", "mimeType": "image/png", "buffer": PNG})
    zhou.locator("#evidence-upload button").click()
    expect(zhou.locator("#evidence")).to_contain_text("rectified.png")
    zhou.locator("#close button").click()
    expect(zhou.locator("#finding-state")).to_have_text(zh("closed out"))

    # the second passes its deadline: the escalation job runs with the clock moved past it
    from sqlalchemy import select

    from yingji import clock
    from yingji.core.scope import system_principal
    from yingji.risks import inspections
    from yingji.risks.models import Finding

    finding_id = int(second_url.rsplit("/", 1)[1])
    database = _database(var)
    try:
        with database.unit_of_work() as session:
            deadline = session.scalar(select(Finding.deadline).where(Finding.id == finding_id))
        clock.set_clock(lambda: deadline + timedelta(minutes=1))
        with database.unit_of_work() as session:
            assert inspections.escalate_overdue(session, system_principal("risks.overdue")) == 1
    finally:
        clock.set_clock(None)
    zhou.goto(second_url)
    expect(zhou.locator("#finding-escalated")).to_be_visible()
    expect(zhou.locator("#finding-state")).to_contain_text(zh("awaiting rectification"))
    zhou.goto("/inbox")
    expect(zhou.locator("main")).to_contain_text("围堰排水阀常开")

    # the gas sensor: a device token, then a burst of readings crossing orange (25 %LEL)
    zhou.goto("/risks/sensors")
    zhou.get_by_role("link", name="储罐区可燃气体探测器GT-01（演示）").click()
    zhou.locator("#issue-token button").click()
    token = zhou.locator("#device-token").inner_text().strip()
    now = datetime.now(UTC).replace(microsecond=0)
    burst = {"readings": [{"at": (now - timedelta(seconds=10 - i)).isoformat(), "value": v}
                          for i, v in enumerate([6.0, 12.5, 19.0, 24.0, 26.5, 31.0])]}
    response = zhou.request.post(f"{base}/api/risks/readings", data=burst,
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, response.text()
    result = response.json()
    assert result["level"] == "orange" and result["stored"] == 6 and result["alarm_id"]

    from yingji.duty import routing
    from yingji.risks.models import Sensor

    with database.unit_of_work() as session:
        unit = session.scalar(select(Sensor.unit_id).where(Sensor.name == "储罐区可燃气体探测器GT-01（演示）"))
        officers = [u.username for u in routing.on_duty(session, unit).officers]
    database.engine.dispose()
    assert officers
    desk = _page(chromium, base, officers[0])
    desk.goto("/inbox")
    expect(desk.locator("main")).to_contain_text("储罐区可燃气体探测器GT-01（演示）")
    desk.goto("/risks/alarms?status=open")
    row = desk.locator(f"#alarm-{result['alarm_id']}")
    expect(row).to_contain_text(zh("orange"))
    row.locator("a").click()
    expect(desk.locator("#alarm-level")).to_have_text(zh("orange"))
    desk.locator("#ack button").click()
    expect(desk.locator("#alarm-state")).to_contain_text(zh("acknowledged"))
