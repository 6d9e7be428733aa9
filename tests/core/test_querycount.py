"""Query-count baselines: a list costs the same number of queries for 5 rows as for 200 (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from yingji.core import service
from yingji.core.schemas import UnitCreate
from yingji.core.scope import system_principal

# The most queries each list may take per request once the process has served it before: the sign-in
# (session, user and unit in one query), then count and page (2); pages add the inbox bell and the names
# they show. The unit lists read the tree's stamp instead of counting (the total is kept per stamp).
BASELINES = {
    "/api/units": 3,
    "/api/people": 3,
    "/api/users": 3,
    "/api/audit": 3,
    "/units?q=Q": 4,
    "/admin/users": 5,
    "/audit": 4,
    "/api/units.xlsx": 3,
}


@contextmanager
def counting(database: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


@pytest.fixture()
def many_units(database: Any) -> None:
    with database.unit_of_work() as s:
        from tests.conftest import unit_id

        township = unit_id(s, "652701100")
        for n in range(120):
            service.create_unit(s, system_principal("tests"), UnitCreate(parent_id=township, code=f"QC-{n:03d}",
                                                                         name=f"Q村{n}", kind="village"))


@pytest.mark.parametrize("path", sorted(BASELINES))
def test_lists_cost_a_fixed_number_of_queries(browser: Any, database: Any, many_units: None, path: str) -> None:
    client = browser("zhou")
    counts = []
    separator = "&" if "?" in path else "?"
    assert client.get(f"{path}{separator}per_page=1").status_code == 200  # what a process keeps is built
    for per_page in (5, 200):
        with counting(database) as statements:
            response = client.get(f"{path}{separator}per_page={per_page}")
        assert response.status_code == 200, response.text
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 5 rows, {counts[1]} for 200"
    assert counts[1] <= BASELINES[path], f"{path}: {counts[1]} queries, baseline {BASELINES[path]}"
