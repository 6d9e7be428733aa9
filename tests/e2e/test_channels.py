"""Channels in the browser, on a phone: the public subscription page, and the recipients, endpoints and
last-mile pages of a county office at 390 px (tables stack, nothing scrolls sideways)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_public_subscription_page_on_a_phone(new_page: Any) -> None:
    phone = new_page(viewport=PHONE)
    phone.goto("/public/subscribe")
    expect(phone.locator("h1")).to_have_text(zh("Warnings by SMS"))
    phone.locator("#subscribe input[name=phone]").fill("12345")
    phone.locator("#subscribe select[name=area_id]").select_option(label="精河县")
    _fits(phone)


def test_channel_pages_of_a_county_office_on_a_phone(new_page: Any, sign_in: Any) -> None:
    phone = new_page(viewport=PHONE)
    sign_in(phone, "jinghe")
    phone.goto("/warnings/recipients")
    expect(phone.locator("#recipients tbody tr").first).to_contain_text("（演示）")
    _fits(phone)
    phone.goto("/warnings/endpoints")
    expect(phone.locator("#endpoints tbody tr").first).to_be_visible()
    _fits(phone)
    phone.goto("/warnings/coverage")
    expect(phone.locator("h1")).to_have_text(zh("Last mile"))
    _fits(phone)
