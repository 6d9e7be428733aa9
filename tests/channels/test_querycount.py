"""List pages and their exports cost the same number of queries for a few rows as for many (no N+1)."""

from __future__ import annotations

import pytest

from tests.channels.helpers import endpoint, person
from tests.core.test_querycount import counting

PATHS = ["/warnings/recipients", "/warnings/recipients?export=xlsx", "/warnings/endpoints",
         "/warnings/endpoints?export=xlsx", "/warnings/deliveries", "/api/channels/recipients?per_page=200"]


@pytest.mark.parametrize("path", PATHS)
def test_channel_lists_cost_a_fixed_number_of_queries(session, database, browser, path) -> None:
    client = browser("jinghe")
    counts = []
    for rows in (3, 80):
        have = len(counts) and 3 or 0
        for n in range(have, rows):
            person(session, "652722", f"1391000{n:04d}", name=f"人{n}")
            endpoint(session, "652722", "display", f"http://127.0.0.1:9/h/{n}", secret="s", name=f"屏{n}")
        session.commit()
        client.get(path)  # warm
        with counting(database) as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
