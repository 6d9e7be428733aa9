"""Every oversight page answers for the prefecture office, a county office and the leader."""

from __future__ import annotations

from typing import Any

import pytest

PAGES = ["/oversight", "/oversight/tasks", "/oversight/annual", "/oversight/stats", "/oversight/stats?period=year",
         "/oversight/forms", "/oversight/projects", "/oversight/funding", "/oversight/assessment",
         "/oversight/assessment/framework", "/oversight/rules"]


@pytest.mark.parametrize("user", ["zhou", "bole", "leader"])
def test_pages_answer(browser: Any, user: str) -> None:
    client = browser(user)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:2000])
