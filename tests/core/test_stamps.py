"""What a process keeps of the tree, the incident rules and the classification follows every change, made by
this process or another one, and never a change that was rolled back."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from yingji.core import service, stamps
from yingji.core.models import TableStamp, Unit
from yingji.core.scope import Principal, places, system_principal
from yingji.incidents import defaults
from yingji.incidents.models import IncidentCategory, IncidentRule


def _in_another_process(database: Any, *statements: str) -> None:
    """Run SQL in a separate Python process on the same database, committed there."""
    url = database.settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    code = ("import sys\nfrom sqlalchemy import create_engine, text\n"
            "engine = create_engine(sys.argv[1])\n"
            "with engine.begin() as conn:\n"
            "    for statement in sys.argv[2:]:\n"
            "        conn.execute(text(statement))\n")
    subprocess.run([sys.executable, "-c", code, url, *statements], check=True, timeout=60)


def _fresh(database: Any) -> Session:
    return database.sessionmaker()  # type: ignore[no-any-return]


def _village(session: Session) -> Unit:
    return session.scalars(select(Unit).where(Unit.kind == "village").order_by(Unit.id).limit(1)).one()


def _stamp(session: Session, table: str) -> int:
    return session.scalar(select(TableStamp.stamp).where(TableStamp.name == table))  # type: ignore[return-value]


def test_a_change_made_in_another_process_is_seen_at_once(database: Any) -> None:
    with _fresh(database) as s:
        village = _village(s)
        assert places(s, [village.id])[village.id].kind == "village"
        assert stamps.kept(s, "unit", dict)[village.id].kind == "village"  # kept in this process now
    _in_another_process(database, f"UPDATE unit SET kind = 'community', path = '{village.path}' "
                                  f"WHERE id = {village.id}")
    with _fresh(database) as s:
        assert places(s, [village.id])[village.id].kind == "community"


def test_a_rolled_back_change_is_never_served(database: Any) -> None:
    with _fresh(database) as s:
        village_id = _village(s).id
        before = _stamp(s, "unit")
        places(s, [village_id])
        s.execute(update(Unit).where(Unit.id == village_id).values(kind="community"))
        assert _stamp(s, "unit") != before  # the transaction sees its own new stamp ...
        assert places(s, [village_id])[village_id].kind == "community"  # ... and its own change
        s.rollback()
    with _fresh(database) as s:
        assert _stamp(s, "unit") == before
        assert places(s, [village_id])[village_id].kind == "village"
    # a later change, committed, is seen (the stamp of the rolled-back one is not reused)
    _in_another_process(database, f"UPDATE unit SET kind = 'community' WHERE id = {village_id}")
    with _fresh(database) as s:
        assert places(s, [village_id])[village_id].kind == "community"


def test_which_changes_renew_the_stamp(session: Session) -> None:
    village = _village(session)
    seen = [_stamp(session, "unit")]
    session.execute(update(Unit).where(Unit.id == village.id).values(name="改名村"))
    assert _stamp(session, "unit") == seen[-1]  # the name is not the unit's place in the tree
    for change in (update(Unit).where(Unit.id == village.id).values(kind="community"),
                   update(Unit).where(Unit.id == village.id).values(path=village.path),
                   update(Unit).where(Unit.id == village.id).values(parent_id=village.parent_id)):
        session.execute(change)
        seen.append(_stamp(session, "unit"))
    session.add(Unit(code="X-STAMP", name="新村", kind="village", parent_id=village.parent_id, path="/x/"))
    session.flush()
    seen.append(_stamp(session, "unit"))
    session.execute(text("DELETE FROM unit WHERE code = 'X-STAMP'"))
    seen.append(_stamp(session, "unit"))
    assert len(set(seen)) == len(seen)  # every watched change gave a new stamp


def test_rules_and_classification_follow_a_change_from_another_process(database: Any) -> None:
    with _fresh(database) as s:
        rule = s.scalars(select(IncidentRule).where(IncidentRule.key == "limit.county.4")).one()
        assert defaults.rules(s).limit("county", 4) == rule.value
        assert "1.4.2" in defaults.categories(s) and "9.9" not in defaults.categories(s)
    _in_another_process(database, f"UPDATE incident_rule SET value = {rule.value + 7} WHERE id = {rule.id}",
                        "INSERT INTO incident_category (code, parent_code, name, name_en, grading, source) "
                        "VALUES ('9.9', '1', '测试子类', 'test subtype', '', 'test')")
    with _fresh(database) as s:
        assert defaults.rules(s).limit("county", 4) == rule.value + 7
        assert defaults.categories(s)["9.9"].name == "测试子类"
        assert s.scalar(select(IncidentCategory.name_en).where(IncidentCategory.code == "9.9")) == "test subtype"


def _county(session: Session) -> Principal:
    county = session.scalars(select(Unit).where(Unit.code == "652701")).one()
    return Principal(user_id=None, name="博乐市应急局", unit_id=county.id, unit_path=county.path, role="county_office",
                     via="token")


def _county_village(session: Session, county: Principal) -> Unit:
    return session.scalars(select(Unit).where(Unit.kind == "village", Unit.path.startswith(county.unit_path))
                           .order_by(Unit.id).limit(1)).one()


def _total(session: Session, principal: Principal, **filters: Any) -> int:
    return service.list_units(session, principal, per_page=1, **filters).total


def test_the_unit_lists_total_follows_every_change_of_the_tree(database: Any) -> None:
    with _fresh(database) as s:
        county = _county(s)
        township = _county_village(s, county).parent_id
        counted = {"all": s.scalar(select(func.count()).where(Unit.path.startswith(county.unit_path))),
                   "villages": s.scalar(select(func.count()).where(Unit.path.startswith(county.unit_path),
                                                                  Unit.kind == "village"))}
        assert counted["villages"] < counted["all"]
        assert _total(s, county) == counted["all"]
        assert _total(s, county, kind="village") == counted["villages"]
        assert _total(s, county, kind="village", parent_id=township) < counted["villages"]
        assert stamps.kept(s, "unit", dict, part="list_totals")  # kept in this process now
        assert _total(s, system_principal("tests")) > counted["all"]  # another subtree, another total
    # a unit added in another process is counted at once, in every list it belongs to
    with _fresh(database) as s:
        village = _county_village(s, county)
    sibling_path = village.path[: village.path.rstrip("/").rfind("/") + 1] + "x/"
    _in_another_process(database, "INSERT INTO unit (code, name, name_en, kind, parent_id, path, depth, leading_body, "
                                  "address, phone, note, in_industrial_park, is_demo, created_at, updated_at) VALUES "
                                  f"('X-TOTAL', '新村', '', 'village', {village.parent_id}, '{sibling_path}', "
                                  f"{village.depth}, '', '', '', '', false, false, '2026-11-30 00:00:00', "
                                  "'2026-11-30 00:00:00')")
    with _fresh(database) as s:
        assert _total(s, county) == counted["all"] + 1
        assert _total(s, county, kind="village") == counted["villages"] + 1
        # a transaction sees its own change; once it is rolled back, nobody does
        s.execute(update(Unit).where(Unit.code == "X-TOTAL").values(kind="community"))
        assert _total(s, county, kind="village") == counted["villages"]
        s.rollback()
    with _fresh(database) as s:
        assert _total(s, county, kind="village") == counted["villages"] + 1


def test_a_searched_unit_list_is_counted_every_time(database: Any) -> None:
    # names do not renew the tree's stamp, so a search's total is never kept
    with _fresh(database) as s:
        county = _county(s)
        village = _county_village(s, county)
        assert _total(s, county, q="改名后的村") == 0
        before = _total(s, county)
    _in_another_process(database, f"UPDATE unit SET name = '改名后的村' WHERE id = {village.id}")
    with _fresh(database) as s:
        assert _total(s, county, q="改名后的村") == 1
        assert _total(s, county) == before
