"""The 02:10 landslide in a real browser, with the clock injected.

The server runs in this process (uvicorn in a thread, on its own temporary database with the demo data), so
the test moves the clock the server reads instead of waiting: a village information officer reports the
landslide with a photo from a phone-width page; the 博乐市 desk signs for it and forwards it; the prefecture
sees it with the time left; a second report passes its limit unsigned and shows as late, with the desk's
duty officer told; an event known from a public tip with no report from the unit becomes missed.
"""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import zh
from yingji import clock, runtime

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "Yingji@2026"


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    """Tomorrow at this Beijing time (inside the demo rosters, which start today)."""
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, second, tzinfo=SHANGHAI)


def _set(moment: datetime) -> None:
    clock.set_clock(lambda: moment.astimezone(ZoneInfo("UTC")))


@pytest.fixture()
def live() -> Iterator[str]:
    """A server in this process on a fresh database with the demo data; its clock is the test's clock."""
    import uvicorn

    from yingji import demo, migrate
    from yingji.app import create_app
    from yingji.core import defaults
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.duty import defaults as duty_defaults
    from yingji.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="yingji-e2e-incidents-"))
    settings = Settings(database_url=f"sqlite:///{tmp / 'yingji.db'}", var_dir=tmp / "var", env="test",
                        secret_key="e2e-incidents-secret-key")
    database = Database(settings)
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        system = system_principal("e2e")
        defaults.load(session, system)
        duty_defaults.load(session, system)
        demo.load(session, system)
    runtime.set_database(database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                          log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the in-process server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.set_database(None)
        database.engine.dispose()
        clock.set_clock(None)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture()
def open_as(browser: Any, live: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(username: str, **options: Any) -> Any:
        context = browser.new_context(base_url=live, locale="zh-CN", **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        form = page.locator("form[action='/login']")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


def _event_id(page: Any) -> int:
    page.wait_for_url(re.compile(r"/incidents/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _report(page: Any, title: str, occurred: datetime, subtype: str, photo: bool = False, **figures: str) -> int:
    page.goto("/incidents/new")
    form = page.locator("#report-form")
    if photo:
        form.locator("input[name=photos]").set_input_files({"name": "slope.png", "mimeType": "image/png",
                                                             "buffer": PNG})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=occurred_at]").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    form.locator("select[name=subtype]").select_option(value=subtype)
    for name, value in figures.items():
        if name in ("level",):
            form.locator(f"select[name={name}]").select_option(value=value)
        else:
            form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    return _event_id(page)


def _late_at(event_id: int) -> datetime | None:
    from yingji.incidents.models import Hop

    with runtime.get_database().unit_of_work() as session:
        return session.scalar(select(Hop.late_at).where(Hop.event_id == event_id))


def test_the_0210_landslide(open_as: Any) -> None:
    from yingji.duty import routing
    from yingji.incidents import tasks
    from yingji.incidents.models import Hop

    _set(_at(2, 14))
    village = open_as("village", **PHONE)
    landslide = _report(village, "演示村村道边坡滑坡（浏览器测试）", _at(2, 10), "1.4.2", photo=True, trapped="5",
                        level="3", level_reason="5人被困，按较大事件报告", description="村道边坡滑坡，5人被困")
    expect(village.locator("#report-table")).to_contain_text("5人被困，按较大事件报告")
    expect(village.locator("#report-table img.thumb")).to_have_count(1)
    assert village.evaluate("document.documentElement.scrollWidth") <= 390

    _set(_at(2, 20))
    county = open_as("bole")
    county.goto("/incidents/queue")
    row = county.locator("#queue-mine tr", has_text="演示村村道边坡滑坡")
    expect(row).to_contain_text(zh("%(t)s left", t="1 h 54 min"))
    expect(row).to_contain_text(zh("must reach the prefecture"))
    row.locator("button.sign").click()
    row = county.locator("#queue-mine tr", has_text="演示村村道边坡滑坡")
    row.locator("input[name=comment]").fill("已核实，5人被困，正在救援")
    row.locator("form.forward button").click()
    expect(county.locator("#queue-done")).to_contain_text("演示村村道边坡滑坡")

    _set(_at(2, 40))
    prefecture = open_as("zhou")
    prefecture.goto("/incidents/queue")
    row = prefecture.locator("#queue-mine tr", has_text="演示村村道边坡滑坡")
    expect(row).to_contain_text(zh("%(t)s left", t="1 h 40 min"))
    row.locator("button.sign").click()
    row = prefecture.locator("#queue-mine tr", has_text="演示村村道边坡滑坡")
    row.locator("input[name=comment]").fill("报自治区应急管理厅")
    row.locator("form.forward button").click()
    exported = prefecture.locator("#queue-done a", has_text=zh("document sent toward the region")).first
    with prefecture.expect_download() as download:
        exported.click()
    assert download.value.suggested_filename == f"incident-{landslide}.xlsx"
    prefecture.goto(f"/incidents/{landslide}")
    expect(prefecture.locator("#hops")).to_contain_text("已核实，5人被困，正在救援")
    expect(prefecture.locator("#response-link")).to_have_attribute("href", f"/incidents/{landslide}/response")

    _set(_at(2, 45))
    township = open_as("township")
    second = _report(township, "小营盘镇仓库货架倒塌（浏览器测试）", _at(2, 41), "2.1", injured="2")
    county.goto(f"/incidents/{second}")
    expect(county.locator("#hops button.sign")).to_have_count(1)
    county.goto("/incidents/known")
    known = county.locator("#known-form")
    known.locator("select[name=known_from]").select_option(value="tip")
    known.locator("input[name=title]").fill("群众举报：河道旁牧道塌方（浏览器测试）")
    known.locator("input[name=occurred_at]").fill(_at(2, 30).strftime("%Y-%m-%dT%H:%M"))
    known.locator("select[name=subtype]").select_option(value="1.4.1")
    known.locator("button[type=submit]").click()
    tip_event = _event_id(county)
    expect(county.locator("#reports")).to_contain_text(zh("No report from the responsible unit yet."))

    database = runtime.get_database()
    with database.unit_of_work() as session:
        hop = session.scalar(select(Hop).where(Hop.event_id == second))
        assert hop is not None and hop.signed_at is None
        due = hop.due_at
        people = routing.on_duty(session, hop.unit_id)
        assert people.officers and people.leader is not None
        officer, leader = people.officers[0].username, people.leader.username
    _set(due.astimezone(SHANGHAI))
    tasks.run_late()
    assert _late_at(second) is None  # at the limit itself: not late
    _set(due.astimezone(SHANGHAI) + timedelta(seconds=1))
    assert tasks.run_late() >= 1 and _late_at(second) is not None
    assert tasks.run_missed() >= 1  # the tip's event: 02:30 + 2 h passed with no report from the unit
    assert tasks.run_late() == 0 and tasks.run_missed() == 0  # each mark once

    desk = open_as("bole")
    desk.goto("/incidents/queue")
    row = desk.locator("#queue-mine tr", has_text="小营盘镇仓库货架倒塌")
    expect(row.locator(".tag.flag")).to_have_text(zh("late"))
    expect(row).to_contain_text(zh("overdue by %(t)s", t="0 h 00 min"))
    for name in {officer, leader}:
        inbox = open_as(name)
        inbox.goto("/inbox")
        expect(inbox.locator("body")).to_contain_text(
            zh("Late (迟报): %(title)s — the limit has passed", title="小营盘镇仓库货架倒塌（浏览器测试）"))
    desk.goto(f"/incidents/{tip_event}")
    expect(desk.locator("#flags")).to_contain_text(zh("Missed report (漏报)"))
    desk.goto("/incidents?flag=missed")
    expect(desk.locator("#events")).to_contain_text("群众举报：河道旁牧道塌方")
    expect(desk.locator("#events")).not_to_contain_text("演示村村道边坡滑坡")


def _events_titled(title: str) -> int:
    from sqlalchemy import func

    from yingji.incidents.models import Event

    with runtime.get_database().unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(Event).where(Event.title == title)) or 0)


def test_a_report_kept_offline_is_sent_when_the_network_returns(open_as: Any) -> None:
    """The phone loses the network as the officer sends: the report is kept on the phone (localStorage) and
    sent, once, with its Idempotency-Key, when the network returns."""
    _set(_at(3, 0))
    page = open_as("village", **PHONE)
    page.goto("/incidents/new")
    form = page.locator("#report-form")
    title = "断网草稿：桥头边坡落石（浏览器测试）"
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=occurred_at]").fill(_at(2, 50).strftime("%Y-%m-%dT%H:%M"))
    form.locator("select[name=subtype]").select_option(value="1.4.2")
    page.context.set_offline(True)
    form.locator("button[type=submit]").click()
    expect(page.locator("#draft-state")).to_have_text(
        zh("No network: the report is kept on this phone and will be sent when the network returns."))
    kept = page.evaluate("JSON.parse(localStorage.getItem('yingji-draft:incident-new'))")
    assert kept["pending"] and kept["fields"]["title"] == title and kept["key"].startswith("web-")
    assert _events_titled(title) == 0
    page.context.set_offline(False)  # the browser's "online" event sends what was kept
    event_id = _event_id(page)
    assert _events_titled(title) == 1
    assert page.evaluate("localStorage.getItem('yingji-draft:incident-new')") is None
    expect(page.locator("h1")).to_have_text(title)
    page.goto("/incidents/new")  # nothing is left to send again
    expect(page.locator("#draft-state")).to_be_hidden()
    assert _events_titled(title) == 1 and event_id > 0
