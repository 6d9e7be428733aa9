"""End-to-end flows in a real browser against a live server: sign-in, the unit tree, creating a
unit, the audit log, language, sign-out, scope, throttling, phone width and CSRF."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e
CJK = re.compile(r"[\u4e00-\u9fff]")


def _me(page: Any) -> dict[str, Any]:
    response = page.request.get("/api/me")
    assert response.status == 200, response.text()
    return response.json()


def _units(page: Any, q: str) -> dict[str, Any]:
    response = page.request.get("/api/units", params={"q": q})
    assert response.status == 200, response.text()
    return response.json()


def _alert_text(html: str) -> str:
    found = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', html, re.S)
    assert found, f"no error message on the page:\n{html[:2000]}"
    return found.group(1).strip()


def test_sign_in_browse_create_audit_language_sign_out(page: Any, server: str, sign_in: Any) -> None:
    sign_in(page, "bole")
    expect(page).to_have_url(f"{server}/")
    expect(page.locator("a.who")).to_have_text("bole")

    # The tree starts at the county; its children arrive through htmx when the twisty is clicked.
    page.goto("/units")
    root = page.locator("#tree > li.node").first
    expect(root.locator(":scope > a")).to_have_text("博乐市")
    kids = root.locator(":scope > ul.kids")
    expect(kids.get_by_role("link", name="小营盘镇", exact=True)).to_have_count(0)
    twisty = root.locator(":scope > button.twisty")
    with page.expect_response(re.compile(r"/units/\d+/children$")) as fragment:
        twisty.click()
    assert fragment.value.status == 200
    expect(twisty).to_have_attribute("aria-expanded", "true")
    township = kids.get_by_role("link", name="小营盘镇", exact=True)
    expect(township).to_be_visible()

    # Open the township and add a village below it.
    township.click()
    expect(page).to_have_url(re.compile(r"/units/\d+$"))
    expect(page.locator("#unit-name")).to_have_text("小营盘镇")
    township_url = page.url
    page.locator("#add-child").click()
    expect(page).to_have_url(re.compile(r"/units/new\?parent_id=\d+$"))
    suffix = uuid.uuid4().hex[:8]
    code, name = f"E2E-{suffix}", f"端到端测试村{suffix}"
    form = page.locator("#unit-form")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=kind]").select_option("village")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/units/\d+$"))
    assert page.url != township_url
    new_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#unit-name")).to_have_text(name)
    expect(page.locator("p.crumbs")).to_contain_text("小营盘镇")
    expect(page.locator("main")).to_contain_text(code)
    # The server agrees: the unit exists, in the right place.
    created = page.request.get(f"/api/units/{new_id}").json()
    assert created["code"] == code and created["name"] == name and created["kind"] == "village"

    # Its history: one "create" entry by bole.
    page.locator(f'a[href="/audit?entity_type=unit&entity_id={new_id}"]').click()
    expect(page).to_have_url(re.compile(rf"/audit\?entity_type=unit&entity_id={new_id}$"))
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_be_visible()
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
    created_label, unit_label = zh("created"), zh("unit")  # the page names actions in the user's language
    creates = [c for c in cells if len(c) >= 4 and c[2] == created_label]
    assert creates, f"no create entry for unit {new_id}: {cells}"
    assert creates[0][1] == "bole" and creates[0][3] == f"{unit_label} #{new_id}", creates
    assert name in creates[0][4], creates
    assert all(c[3] == f"{unit_label} #{new_id}" for c in cells if len(c) >= 4), f"filter leaked other entries: {cells}"
    # The filter form narrows further and keeps the unit filter.
    filters = page.locator("#audit-filters")
    filters.locator("select[name=action]").select_option("update")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"entity_id={new_id}.*action=update|action=update.*entity_id={new_id}"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_count(1)  # the "nothing found" row

    # Language: English navigation, then back to Chinese; the page stays where it was.
    nav_units = page.locator("#nav a[href='/units']")
    nav_audit = page.locator("#nav a[href='/audit']")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    zh_units, zh_audit = nav_units.inner_text(), nav_audit.inner_text()
    assert CJK.search(zh_units) and CJK.search(zh_audit), \
        f"Chinese is the default, yet the navigation reads {zh_units!r} / {zh_audit!r}"
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/audit"))
    expect(nav_units).to_have_text("Units")
    expect(nav_audit).to_have_text("Audit log")
    expect(page.locator("#lang-switch")).to_have_text("中文")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav_units).to_have_text(zh_units)
    expect(nav_audit).to_have_text(zh_audit)

    # Sign out: back to the login page, and the old session cookie no longer opens anything.
    session_cookie = [c for c in page.context.cookies() if c["name"] == "yj_session"]
    assert session_cookie
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.locator("form[action='/login'] input[name=password]")).to_be_visible()
    page.context.add_cookies(session_cookie)
    page.goto("/units")
    expect(page).to_have_url(re.compile(r"/login\?next=/units$"))


def test_scope_in_browser(signed_in: Any) -> None:
    bole = signed_in("bole")
    bole_id = _me(bole)["unit_id"]
    township_ids = [u["id"] for u in _units(bole, "小营盘镇")["items"] if u["name"] == "小营盘镇"]
    assert len(township_ids) == 1

    page = signed_in("jinghe")
    response = page.goto(f"/units/{bole_id}")
    assert response is not None and response.status == 404
    expect(page.locator("main h1")).to_have_text("404")
    expect(page.locator("#unit-name")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "博乐市" not in body and "652701" not in body, body
    # The htmx fragment and the JSON API refuse the same way.
    assert page.request.get(f"/units/{township_ids[0]}/children").status == 404
    assert page.request.get(f"/api/units/{bole_id}").status == 404

    page.goto("/units")
    page.locator("#unit-search").fill("小营盘")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"q=%E5%B0%8F%E8%90%A5%E7%9B%98|q=小营盘"))
    results = page.locator("table.list tbody")
    expect(results.locator("a")).to_have_count(0)
    expect(results.locator("td.muted")).to_have_count(1)
    assert "小营盘" not in page.locator("main").inner_text().replace(page.locator("#unit-search").input_value(), "")
    # Control: the search itself works within jinghe's own area.
    page.locator("#unit-search").fill("精河镇")
    page.locator("form[role=search] button[type=submit]").click()
    expect(results.get_by_role("link", name="精河镇", exact=True)).to_be_visible()


def test_wrong_passwords_throttled(new_page: Any, sign_in: Any) -> None:
    # A browser asking for neither Chinese nor English gets the platform default: Chinese.
    page = new_page(locale="fr-FR")
    page.goto("/login")
    form = page.locator("form[action='/login']")
    statuses = []
    for _attempt in range(6):
        form.locator("input[name=username]").fill("nobody-e2e")
        form.locator("input[name=password]").fill("wrong-password-e2e")
        with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
            form.locator("button[type=submit]").click()
        statuses.append(answer.value.status)
        page.wait_for_load_state()
    assert statuses == [401] * 5 + [429], statuses
    message = page.locator("#login-error")
    expect(message).to_be_visible()
    text = message.inner_text()
    assert "15" in text, text
    assert CJK.search(text), f"the throttling message is not in Chinese: {text!r}"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # Throttling is per account: someone else on the same address still signs in.
    other = new_page(locale="fr-FR")
    sign_in(other, "leader")
    expect(other.locator("a.who")).to_have_text("leader")


_WIDTH_PROBE = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= vw + 1) continue;
    let p = el.parentElement, clipped = false;
    for (; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
    }
    if (!clipped) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                           + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '')
                           + ' right=' + Math.round(r.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, overflowing: out.slice(0, 10)};
}"""


def _assert_fits(page: Any, where: str, width: int = 390) -> None:
    probe = page.evaluate(_WIDTH_PROBE)
    assert probe["scrollWidth"] <= width, f"{where}: sideways scroll, scrollWidth={probe['scrollWidth']}"
    assert not probe["overflowing"], f"{where}: elements cut off past the right edge: {probe['overflowing']}"


def test_phone_width(signed_in: Any, artifacts: Any) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
             "device_scale_factor": 1}
    page = signed_in("village", **phone)
    expect(page).to_have_url(re.compile(r"/$"))
    _assert_fits(page, "home")
    page.screenshot(path=str(artifacts / "phone-home.png"), full_page=True)

    # The navigation is folded away behind the menu toggle.
    nav = page.locator("#nav")
    toggle = page.locator("button.menu-toggle")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.locator("a[href='/units']")).to_be_visible()
    _assert_fits(page, "home, menu open")
    page.screenshot(path=str(artifacts / "phone-menu.png"), full_page=True)
    nav.locator("a[href='/units']").click()
    expect(page).to_have_url(re.compile(r"/units$"))
    _assert_fits(page, "units")

    unit_id = _me(page)["unit_id"]
    page.goto(f"/units/{unit_id}")
    expect(page.locator("#unit-name")).to_have_text("小营盘镇演示村1")
    _assert_fits(page, "unit page")
    page.screenshot(path=str(artifacts / "phone-unit.png"), full_page=True)

    # An information officer may not read the audit log or manage users: refused, and still fits.
    for path in ("/audit", "/admin/users"):
        response = page.goto(path)
        assert response is not None and response.status == 403, (path, response and response.status)
        _assert_fits(page, path)

    # Where allowed (a county office), the wide tables must not push the page sideways either.
    page.context.close()  # a page left open in the background can stall headless screenshots
    county = signed_in("bole", **phone)
    for shot, path in (("audit", "/audit"), ("users", "/admin/users"), ("search", "/units?q=%E6%BC%94%E7%A4%BA")):
        response = county.goto(path)
        assert response is not None and response.status == 200, path
        expect(county.locator("table.list tbody tr").first).to_be_visible()
        _assert_fits(county, path)
        county.screenshot(path=str(artifacts / f"phone-{shot}.png"), full_page=shot != "audit")


def test_csrf_missing_is_refused(signed_in: Any) -> None:
    page = signed_in("township")
    parent_id = _me(page)["unit_id"]
    code = f"E2E-CSRF-{uuid.uuid4().hex[:8]}"
    fields = {"parent_id": str(parent_id), "code": code, "name": f"无令牌村{code[-8:]}", "kind": "village"}

    refused = page.request.post("/units/new", form=fields, max_redirects=0)
    assert refused.status == 403, refused.status
    message = _alert_text(refused.text())
    assert CJK.search(message), f"the CSRF refusal is not in Chinese: {message!r}"
    assert _units(page, code)["total"] == 0

    wrong = page.request.post("/units/new", form={**fields, "csrf_token": "x" * 32}, max_redirects=0)
    assert wrong.status == 403
    assert _units(page, code)["total"] == 0

    # Control: the same form with the page's token is accepted, so the refusal was the missing token.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "yj_csrf")
    accepted = page.request.post("/units/new", form={**fields, "csrf_token": token}, max_redirects=0)
    assert accepted.status == 303, accepted.text()
    assert re.fullmatch(r"/units/\d+", accepted.headers["location"])
    assert _units(page, code)["total"] == 1
