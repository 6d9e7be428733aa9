"""The 温泉县 hour in a real browser: an earthquake near 温泉县 (81.10 E, 44.95 N). The county office finds
the nearest teams with earthquake capability and the shelters with room for 3,000 people, requests 500 tents
and 10 t of drinking water, approves, allocates from its two nearest warehouses as suggested, ships and
receives — and sees the ledger and what is still short. The expired lot of water is flagged.

The live server runs on the real clock; the demo lots are dated relative to the moment the demo was loaded,
so the expired lot is expired whenever the test runs. Expiry boundaries are tested with an injected clock in
tests/resources/test_registry.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e


def test_the_wenquan_hour(signed_in: Any) -> None:
    page = signed_in("wenquan")
    page.goto("/resources/nearby")
    form = page.locator("#near-form")
    form.locator("input[name=lon]").fill("81.10")
    form.locator("input[name=lat]").fill("44.95")
    form.locator("select[name=capability]").select_option("earthquake")
    form.locator("input[name=min_free]").fill("3000")
    form.locator("button[type=submit]").click()
    teams = page.locator("#near-team tbody tr")
    expect(teams).to_have_count(2)
    expect(teams.nth(0)).to_contain_text("温泉县综合性消防救援大队（演示）")
    expect(page.locator("#near-shelter tbody tr").first).to_contain_text("温泉县人民广场应急避难场所（演示）")
    expect(page.locator("#near-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#near-map .leaflet-interactive").first).to_be_visible()

    page.goto("/resources/dispatches")
    new = page.locator("#new-dispatches")
    new.locator("input[name=title]").fill("温泉县地震：帐篷和饮用水")
    new.locator("input[name=lon]").fill("81.10")
    new.locator("input[name=lat]").fill("44.95")
    new.locator("select[name=item_1]").select_option(label=f"帐篷（{zh('pieces')}）")
    new.locator("input[name=quantity_1]").fill("500")
    new.locator("select[name=item_2]").select_option(label=f"瓶装饮用水（{zh('t')}）")
    new.locator("input[name=quantity_2]").fill("10")
    new.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/resources/dispatches/\d+$"))
    expect(page.locator("#dispatch-state")).to_have_text(zh("requested"))

    page.locator("#approve button[type=submit]").click()
    expect(page.locator("#dispatch-state")).to_have_text(zh("approved"))
    suggestions = page.locator("#suggestions tbody tr:not(.extra)")
    expect(suggestions).to_have_count(4)
    expect(suggestions.nth(0)).to_contain_text("温泉县救灾物资储备库（演示）")
    expect(suggestions.nth(1)).to_contain_text("哈日布呼镇应急物资储备点（演示）")
    page.locator("#allocate button[type=submit]").click()
    expect(page.locator("#dispatch-state")).to_have_text(zh("allocated"))
    expect(page.locator("#allocations tbody tr")).to_have_count(4)

    page.locator("#ship button[type=submit]").click()
    expect(page.locator("#dispatch-state")).to_have_text(zh("shipped"))
    page.locator("#receive button[type=submit]").click()
    expect(page.locator("#dispatch-state")).to_have_text(zh("received"))
    lines = page.locator("#lines tbody tr")
    expect(lines.nth(0).locator("td.short")).to_have_text("80")
    expect(lines.nth(1).locator("td.short")).to_have_text("1.5")
    expect(page.locator("#steps td.step")).to_have_text([zh("requested"), zh("approved"), zh("allocated"),
                                                          zh("shipped"), zh("received")])
    expect(page.locator("#movements tbody tr")).to_have_count(4)

    # the county store's ledger shows the shipment, and its lot past expiry is flagged
    page.locator("#movements a", has_text="温泉县救灾物资储备库（演示）").first.click()
    expect(page.locator("#ledger td.kind").first).to_have_text(zh("dispatch shipment"))
    expired = page.locator("#lots tr.lot-expired")
    expect(expired).to_have_count(1)
    expect(expired.locator("td.state")).to_have_text(zh("expired"))
    page.goto("/resources/lots?state=expired")
    expect(page.locator("#lots tbody tr")).to_have_count(1)
    expect(page.locator("#lots tbody tr td.state")).to_have_text(zh("expired"))
    expect(page.locator("nav.pager")).to_contain_text(zh("%(total)s in all, page %(page)s of %(last)s")
                                                      % {"total": 1, "page": 1, "last": 1})


def test_resources_on_a_phone(signed_in: Any) -> None:
    page = signed_in("wenquan", viewport={"width": 390, "height": 844})
    page.goto("/resources/shelters?min_free=3000")
    rows = page.locator("#shelters tbody tr")
    expect(rows).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    for path in ("/resources/lots?state=all", "/resources/matches"):
        page.goto(path)
        expect(page.locator("nav.pager")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, (path, width)


def test_team_insurance_warnings_clear_when_every_member_is_covered(signed_in: Any) -> None:
    """The 温泉县 earthquake rescue team (30 members) has 24 insured until 20 days from now: the team page
    warns of both; a policy for the other 6 and a renewal from the day after the cover ends clear them."""
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    page = signed_in("wenquan", viewport={"width": 390, "height": 844})
    page.goto("/resources/teams?q=地震灾害紧急救援队")
    page.locator("#teams tbody tr a").first.click()
    warnings = page.locator("#insurance-warnings li")
    expect(warnings).to_have_count(2)
    expect(page.locator("#insurance-warnings li.insurance-short")).to_contain_text("24")
    expect(page.locator("#insurance-warnings li.insurance-ending")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the server's dates are Beijing dates
    ends = page.locator("#team-insurance tr.policy-ending td").nth(5).inner_text()
    renewal_from = (date.fromisoformat(ends) + timedelta(days=1)).isoformat()
    for policy_no, count, first, last in (("E2E-EXTRA-1", "6", today.isoformat(), ends),
                                          ("E2E-RENEW-1", "30", renewal_from,
                                           (today + timedelta(days=400)).isoformat())):
        form = page.locator("#insurance-form")
        form.locator("input[name=insurer]").fill("中国人民财产保险温泉支公司")
        form.locator("input[name=policy_no]").fill(policy_no)
        form.locator("input[name=insured_count]").fill(count)
        form.locator("input[name=cover_from]").fill(first)
        form.locator("input[name=cover_to]").fill(last)
        form.locator("button[type=submit]").click()
        expect(page.locator("#team-insurance")).to_contain_text(policy_no)
    expect(page.locator("#insurance-warnings")).to_have_count(0)
    expect(page.locator("#insured-now")).to_contain_text("30")
    expect(page.locator("#team-insurance tr.policy-future td.state")).to_have_text(zh("not yet in force"))
