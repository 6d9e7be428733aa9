"""The response rules page, the demo's public pages, English pages, and lists that cost a fixed number of
queries however many rows they hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.conftest import zh
from tests.response.helpers import county, local, set_now
from yingji import clock
from yingji.response import defaults
from yingji.response.models import ResponseRule, ResponseStatement, ResponseTip


def test_rules_page_shows_sources_and_only_rule_editors_change_them(browser: Any, session: Session) -> None:
    zhou, bole = browser("zhou"), browser("bole")
    page = bole.get("/incidents/response/rules")
    assert page.status_code == 200 and "64号" in page.text and 'name="value"' not in page.text
    row = session.scalar(select(ResponseRule).where(ResponseRule.key == defaults.REMINDER_DAYS))
    assert row is not None
    assert bole.form(f"/incidents/response/rules/{row.id}", {"value": "10", "source": "x"}).status_code == 403
    assert zhou.form(f"/incidents/response/rules/{row.id}", {"value": "400", "source": "x"}).status_code == 400
    changed = zhou.form(f"/incidents/response/rules/{row.id}", {"value": "10", "source": "州应急办通知：提前10天提醒"})
    assert changed.status_code == 303
    session.expire_all()
    assert (row.value, row.source) == (10, "州应急办通知：提前10天提醒")
    api = {r["key"]: r for r in bole.get("/api/response/rules").json()}
    assert api[defaults.REMINDER_DAYS]["value"] == 10 and api[defaults.EVALUATION_MONTHS]["unit"] == "month"


def test_the_demo_publishes_a_statement_and_a_rebuttal(browser: Any, session: Session) -> None:
    published = list(session.scalars(select(ResponseStatement).where(ResponseStatement.status == "published")))
    assert {s.kind for s in published} == {"statement", "rebuttal"}
    public = browser()
    page = public.get(f"/public/events/{published[0].event_id}")
    assert page.status_code == 200 and "网传滑坡造成多人被埋" in page.text
    listing = public.get("/public/events")
    assert published[0].title in listing.text and 'href="/public/events.atom"' in listing.text
    assert public.get("/public/events/999999").status_code == 404
    english = browser("bole")
    english.form("/lang", {"lang": "en", "next": "/"})
    response_page = english.get(f"/incidents/{published[0].event_id}/response")
    assert "First response and aftermath" in response_page.text and "Opinion log" in response_page.text
    assert zh("Opinion log") not in response_page.text


class _Counter:
    def __init__(self, database: Any) -> None:
        self.database, self.statements = database, []

    def __enter__(self) -> list[str]:
        event.listen(self.database.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.database.engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            self.statements.append(statement)


def _tips(database: Any, unit_id: int, n: int) -> None:
    with database.unit_of_work() as s:
        for i in range(n):
            s.add(ResponseTip(unit_id=unit_id, occurred_at=clock.now() - timedelta(minutes=i + 1),
                              received_at=clock.now(), text=f"线索{i}", client_hash="qc"))


def test_lists_cost_a_fixed_number_of_queries(browser: Any, database: Any, session: Session) -> None:
    set_now(local(2026, 7, 14, 9))
    bole = browser("bole")
    paths = ("/incidents/tips", "/api/response/tips", "/incidents/evaluations",
             "/api/response/evaluations", "/incidents/tips?export=xlsx")
    counts: dict[str, list[int]] = {p: [] for p in paths}
    for n in (3, 60):
        _tips(database, county(session, "652701"), n)
        for path in paths:
            with _Counter(database) as statements:
                assert bole.get(path).status_code == 200
            counts[path].append(len(statements))
    for path, (few, many) in counts.items():
        assert few == many, f"{path}: {few} queries, then {many}"
        assert many <= 8, f"{path}: {many} queries"


def test_the_lists_live_under_incidents_and_their_earlier_addresses_redirect(browser: Any) -> None:
    bole = browser("bole")
    for old, new in (("/incidents/response/tips?status=unverified", "/incidents/tips?status=unverified"),
                     ("/incidents/response/evaluations?state=due", "/incidents/evaluations?state=due")):
        moved = bole.get(old, follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"] == new
        assert bole.get(new).status_code == 200
    assert bole.get("/incidents/tips").text != bole.get("/incidents/999999").text  # no longer an event number
    assert bole.get("/incidents/999999").status_code == 404
