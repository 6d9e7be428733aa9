"""The compliance engine: every default rule at its boundary, the year's pace, scope, records, registering
a measure from outside, and the notices to units at risk."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.preparedness.helpers import SYSTEM, drill, plan, result, set_today, staff, status, tree
from yingji.core import service as core_service
from yingji.core.models import Notification, OutboxMessage, Person, Unit
from yingji.core.scope import Principal
from yingji.preparedness import compliance, measures
from yingji.preparedness import service as prep_service
from yingji.preparedness.models import PrepNotice, PrepSite
from yingji.preparedness.schemas import FilingCreate

C, R, F = compliance.COMPLIANT, compliance.AT_RISK, compliance.FAILING
AFTER_YEAR = date(2027, 1, 1)


@pytest.fixture()
def t(session: Session) -> object:
    set_today(date(2026, 12, 31))
    return tree(session)


def test_county_needs_two_comprehensive_drills_one_is_not_enough(session: Session, t: object) -> None:
    county = t.county  # type: ignore[attr-defined]
    drill(session, county, date(2026, 3, 1))
    assert status(session, county, "drills_government", AFTER_YEAR, 2026) == F
    drill(session, county, date(2026, 9, 1))
    assert status(session, county, "drills_government", AFTER_YEAR, 2026) == C
    # A special drill does not count as comprehensive; nor does a drill of another year.
    assert result(session, county, "drills_government", AFTER_YEAR, 2027).value == 0


def test_prefecture_needs_two_comprehensive_drills_one_is_not_enough(session: Session, t: object) -> None:
    """The prefecture government is held to the same two a year as the counties (2020: no demo drills)."""
    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    assert root is not None
    assert result(session, root, "drills_government", date(2021, 1, 1), 2020).value == 0
    drill(session, root, date(2020, 5, 1))
    assert status(session, root, "drills_government", date(2021, 1, 1), 2020) == F
    assert status(session, root, "drills_government", date(2020, 12, 31), 2020) == R  # the year still running
    drill(session, root, date(2020, 11, 1))
    assert status(session, root, "drills_government", date(2021, 1, 1), 2020) == C


def test_special_drills_do_not_count_as_comprehensive(session: Session, t: object) -> None:
    county = t.county  # type: ignore[attr-defined]
    drill(session, county, date(2026, 3, 1))
    drill(session, county, date(2026, 4, 1), scope="special")
    assert result(session, county, "drills_government", AFTER_YEAR, 2026).value == 1


@pytest.mark.parametrize(("kind", "rule", "minimum"), [
    ("township", "drills_township", 1), ("village", "drills_township", 1),
    ("enterprise", "drills_enterprise", 2), ("school", "drills_enterprise", 2),
    ("kindergarten", "drills_enterprise", 2), ("college", "drills_enterprise", 2),
    ("crowded_place", "drills_enterprise", 2),
])
def test_drill_minimums_at_the_boundary(session: Session, t: object, kind: str, rule: str, minimum: int) -> None:
    unit = t.units[kind]  # type: ignore[attr-defined]
    for n in range(minimum - 1):
        drill(session, unit, date(2026, 2, 1 + n))
    assert status(session, unit, rule, AFTER_YEAR, 2026) == F
    drill(session, unit, date(2026, 11, 30))
    assert status(session, unit, rule, AFTER_YEAR, 2026) == C


def test_hospitals_and_departments_have_no_comprehensive_drill_minimum(session: Session, t: object) -> None:
    for kind in ("hospital", "department"):
        unit = t.units[kind]  # type: ignore[attr-defined]
        for rule in ("drills_government", "drills_township", "drills_enterprise"):
            assert status(session, unit, rule, AFTER_YEAR, 2026) is None


def test_the_year_is_judged_by_its_pace(session: Session, t: object) -> None:
    """Two a year: one drill keeps the pace until the middle of the year (2 x 182/365 < 1), not a day later."""
    county = t.county  # type: ignore[attr-defined]
    assert status(session, county, "drills_government", date(2026, 1, 1)) == C  # nothing is due on day one
    assert status(session, county, "drills_government", date(2026, 1, 2)) == R
    drill(session, county, date(2026, 3, 1))
    assert status(session, county, "drills_government", date(2026, 7, 2)) == C
    assert status(session, county, "drills_government", date(2026, 7, 3)) == R
    assert status(session, county, "drills_government", date(2026, 10, 1)) == R
    assert status(session, county, "drills_government", date(2026, 12, 31)) == R
    assert status(session, county, "drills_government", date(2027, 1, 1), 2026) == F
    drill(session, county, date(2026, 9, 20))
    assert status(session, county, "drills_government", date(2026, 10, 1)) == C
    # A drill after the day of the evaluation does not count on that day.
    assert result(session, county, "drills_government", date(2026, 9, 19)).value == 1


def test_special_and_department_plans_each_need_a_drill(session: Session, t: object) -> None:
    county, dept = t.county, t.units["department"]  # type: ignore[attr-defined]
    assert status(session, county, "drills_special_plan", AFTER_YEAR, 2026) is None  # no special plan: n/a
    quake = plan(session, county, plan_type="special", title="地震")
    flood = plan(session, county, plan_type="special", title="防汛")
    drill(session, county, date(2026, 5, 1), scope="special", plan_ids=[quake.id])
    assert result(session, county, "drills_special_plan", AFTER_YEAR, 2026).value == 0
    assert status(session, county, "drills_special_plan", AFTER_YEAR, 2026) == F
    drill(session, county, date(2026, 6, 1), scope="special", plan_ids=[flood.id])
    assert status(session, county, "drills_special_plan", AFTER_YEAR, 2026) == C
    own = plan(session, dept, plan_type="department")
    assert status(session, dept, "drills_department_plan", AFTER_YEAR, 2026) == F
    drill(session, dept, date(2026, 6, 1), scope="special", plan_ids=[own.id])
    assert status(session, dept, "drills_department_plan", AFTER_YEAR, 2026) == C


def test_plan_coverage_zero_or_one_plan_in_force(session: Session, t: object) -> None:
    village = t.units["village"]  # type: ignore[attr-defined]
    plan(session, village, plan_type="grassroots", status="draft", issued=date(2026, 1, 5))
    assert status(session, village, "plan_coverage", date(2026, 6, 1)) == F
    plan(session, village, plan_type="grassroots")
    assert status(session, village, "plan_coverage", date(2026, 6, 1)) == C


def test_a_plan_counts_from_the_day_it_was_issued(session: Session, t: object) -> None:
    """Evaluated for a past day, a plan issued after that day did not exist yet: no coverage, no drill owed."""
    village, county = t.units["village"], t.county  # type: ignore[attr-defined]
    plan(session, village, plan_type="grassroots", issued=date(2026, 3, 10))
    assert status(session, village, "plan_coverage", date(2026, 3, 9)) == F
    assert status(session, village, "plan_coverage", date(2026, 3, 10)) == C
    assert status(session, county, "drills_special_plan", date(2026, 3, 9), 2026) is None  # no special plan
    plan(session, county, plan_type="special", issued=date(2026, 3, 10), title="防汛专项预案")
    assert status(session, county, "drills_special_plan", date(2026, 3, 9), 2026) is None  # not issued yet
    assert status(session, county, "drills_special_plan", date(2026, 3, 10), 2026) == R  # owes its drill now


def test_plan_evaluation_every_three_years_at_the_boundary(session: Session, t: object) -> None:
    county = t.county  # type: ignore[attr-defined]
    plan(session, county, issued=date(2023, 6, 1), evaluated=date(2023, 6, 1))
    assert status(session, county, "plan_evaluation", date(2026, 6, 1)) == C  # exactly three years
    assert status(session, county, "plan_evaluation", date(2026, 6, 2)) == F


def test_plan_filing_within_twenty_working_days(session: Session, t: object) -> None:
    school = t.units["school"]  # type: ignore[attr-defined]
    own = plan(session, school, plan_type="unit", issued=date(2026, 3, 2))  # a Monday
    # 20 working days after Monday 2 March 2026 is Monday 30 March: still in time; the day after is late.
    assert measures.working_days_before(date(2026, 3, 30), 20) == date(2026, 3, 2)
    assert status(session, school, "plan_filing", date(2026, 3, 30)) == C
    assert status(session, school, "plan_filing", date(2026, 3, 31)) == F
    from yingji.preparedness import plans

    plans.file_plan(session, SYSTEM, own.id, FilingCreate(office_id=t.county.id, filed_on=date(2026, 3, 20)))  # type: ignore[attr-defined]
    assert status(session, school, "plan_filing", date(2026, 3, 31)) == C


def _sites(session: Session, unit: Unit, year: int, n: int) -> None:
    for i in range(n):
        session.add(PrepSite(unit_id=unit.id, name=f"示范点{year}-{i}", category="village", accredited_year=year))
    session.flush()


def test_site_growth_fifteen_percent_at_the_boundary(session: Session, t: object) -> None:
    county, village = t.county, t.units["village"]  # type: ignore[attr-defined]
    _sites(session, village, 2025, 20)
    _sites(session, village, 2026, 2)  # 22 / 20: +10 %
    assert result(session, county, "site_growth", AFTER_YEAR, 2026).value == pytest.approx(10.0)
    assert status(session, county, "site_growth", AFTER_YEAR, 2026) == F
    _sites(session, village, 2026, 1)  # 23 / 20: +15 % exactly
    assert status(session, county, "site_growth", AFTER_YEAR, 2026) == C
    assert measures.growth_pct(7, 8) < 15 <= measures.growth_pct(20, 23)
    # No site the year before: any new site is growth (100 %), none is none.
    assert (measures.growth_pct(0, 0), measures.growth_pct(0, 1)) == (0.0, 100.0)


@pytest.mark.parametrize(("kind", "minimum"), [("prefecture", 5), ("county", 2), ("township", 1)])
def test_staffing_quotas_read_from_core_at_the_boundary(session: Session, t: object, kind: str, minimum: int) -> None:
    unit = session.scalar(select(Unit).where(Unit.code == "652700")) if kind == "prefecture" else \
        t.units[kind]  # type: ignore[attr-defined]
    assert unit is not None
    for person in session.scalars(select(Person).where(Person.unit_id == unit.id)):
        person.full_time_emergency = False
    staff(session, unit, minimum - 1)
    assert result(session, unit, f"staffing_{kind}", date(2026, 6, 1)).value == minimum - 1
    assert status(session, unit, f"staffing_{kind}", date(2026, 6, 1)) == F
    shortfalls = {s.unit_id for s in core_service.staffing_shortfalls(session, SYSTEM)}
    assert unit.id in shortfalls
    staff(session, unit, 1)
    assert status(session, unit, f"staffing_{kind}", date(2026, 6, 1)) == C
    assert unit.id not in {s.unit_id for s in core_service.staffing_shortfalls(session, SYSTEM)}


def test_staffing_rules_follow_an_edited_quota(session: Session, t: object) -> None:
    from yingji.core.models import StaffingQuota

    quota = session.scalar(select(StaffingQuota).where(StaffingQuota.unit_kind == "county"))
    assert quota is not None
    quota.min_staff = 3
    session.flush()
    rule = compliance.rule_by_code(session, "staffing_county")
    assert rule is not None and rule.threshold == 3 and rule.source == quota.source


def test_every_result_names_its_rule_and_source(session: Session, t: object) -> None:
    found = compliance.evaluate(session, SYSTEM, on=date(2026, 10, 1), within=t.county)  # type: ignore[attr-defined]
    assert found.results
    assert all(r.rule.source for r in found.results)
    assert {r.rule.code for r in found.results} >= {"drills_government", "drills_township", "drills_enterprise",
                                                   "plan_coverage", "staffing_county", "staffing_township"}


def test_scope_a_county_sees_only_its_own_units(session: Session, t: object) -> None:
    bole = session.scalar(select(Unit).where(Unit.code == "652701"))
    assert bole is not None
    officer = Principal(user_id=None, name="bole", unit_id=bole.id, unit_path=bole.path, role="county_office")
    found = compliance.evaluate(session, officer, on=date(2026, 10, 1))
    paths = {i: p for i, p in session.execute(select(Unit.id, Unit.path))}
    assert found.results and all(paths[r.unit_id].startswith(bole.path) for r in found.results)
    assert status(session, t.county, "drills_government", date(2026, 10, 1), principal=officer) is None  # type: ignore[attr-defined]


def test_records_behind_a_status(session: Session, t: object) -> None:
    county = t.county  # type: ignore[attr-defined]
    first = drill(session, county, date(2026, 3, 1))
    drill(session, county, date(2025, 3, 1))
    unit, rule, records, res = prep_service.records_for(session, SYSTEM, unit_id=county.id,
                                                        rule_code="drills_government", on=date(2026, 10, 1))
    assert [r.id for r in records] == [first.id] and records[0].link == f"/preparedness/drills/{first.id}"
    assert res is not None and res.status == R and rule.source.startswith("博州政办发")
    assert "1" in prep_service.reason(res) and "2026" in prep_service.reason(res)


def test_a_module_adds_a_measure_and_a_rule_without_touching_the_engine(session: Session, t: object) -> None:
    """What a later module does: register a measure by name and provide a rule naming it."""
    def hazards_without_plan(ctx: compliance.MeasureContext) -> dict[int, float | None]:
        ids = [i for (i,) in ctx.session.execute(ctx.units)]
        return {i: 3.0 for i in ids}

    def provider(_session: Session) -> list[compliance.Rule]:
        return [compliance.Rule(code="risk_hazard_plans", label="hazards with a plan", kinds=("enterprise",),
                                measure="risk_hazards_without_plan", period="standing", comparison="at_most",
                                threshold=2, source="R3.1 (test)")]

    compliance.register_measure("risk_hazards_without_plan", hazards_without_plan, label="hazards without a plan")
    compliance.register_rule_provider(provider)
    try:
        res = result(session, t.units["enterprise"], "risk_hazard_plans", date(2026, 6, 1))  # type: ignore[attr-defined]
        assert (res.value, res.status, res.rule.source) == (3.0, F, "R3.1 (test)")
    finally:
        compliance.RULE_PROVIDERS.remove(provider)
        del compliance.MEASURES["risk_hazards_without_plan"]
    assert compliance.rule_by_code(session, "risk_hazard_plans") is None


def test_an_inactive_rule_is_not_evaluated(session: Session, t: object) -> None:
    from yingji.preparedness import defaults

    defaults.load(session, SYSTEM)
    row = next(r for r in defaults.rows(session) if r.code == "drills_government")
    defaults.update_rule(session, SYSTEM, row.id, threshold=2, param=None, source=row.source, active=False)
    assert status(session, t.county, "drills_government", date(2026, 10, 1)) is None  # type: ignore[attr-defined]


def test_edited_threshold_moves_the_boundary(session: Session, t: object) -> None:
    from yingji.preparedness import defaults

    defaults.load(session, SYSTEM)
    county = t.county  # type: ignore[attr-defined]
    drill(session, county, date(2026, 3, 1))
    drill(session, county, date(2026, 4, 1))
    assert status(session, county, "drills_government", AFTER_YEAR, 2026) == C
    row = next(r for r in defaults.rows(session) if r.code == "drills_government")
    defaults.update_rule(session, SYSTEM, row.id, threshold=3, param=None, source="test", active=True)
    assert status(session, county, "drills_government", AFTER_YEAR, 2026) == F


def test_notices_go_once_to_units_at_risk(session: Session, t: object) -> None:
    set_today(date(2026, 10, 1))
    wenquan = session.scalar(select(Unit).where(Unit.code == "652723"))
    assert wenquan is not None
    before = session.scalar(select(func.count()).select_from(Notification)) or 0
    sent = prep_service.notify_at_risk(session, SYSTEM, on=date(2026, 10, 1))
    assert sent > 0
    notices = session.scalar(select(func.count()).select_from(PrepNotice).where(PrepNotice.unit_id == wenquan.id))
    assert notices and notices >= 1
    wenquan_users = session.scalars(select(Notification).where(Notification.unit_id == wenquan.id)).all()
    assert any("温泉县" in n.subject for n in wenquan_users)
    assert (session.scalar(select(func.count()).select_from(Notification)) or 0) > before
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) is not None
    assert prep_service.notify_at_risk(session, SYSTEM, on=date(2026, 10, 2)) == 0  # nothing new: nothing sent


def test_unknown_status_filter_is_refused() -> None:
    from yingji.errors import UserError

    with pytest.raises(UserError):
        prep_service.filters(on=None, year=None, status="great")


Row = tuple[int, str, str, str, int | None, str, float, float, str, str]


def _full(r: compliance.Result) -> Row:
    return (r.unit_id, r.unit_code, r.unit_name, r.unit_kind, r.area_id, r.rule.code, r.value, r.expected, r.status,
            r.period_key)


@pytest.mark.parametrize(("chunk", "everything"), [(500, 5000), (3, 7)])
def test_results_are_ordered_and_a_page_is_the_same_as_the_whole(session: Session, t: object, chunk: int,
                                                                   everything: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Results are held compactly and built on reading: a page, a single result, the statuses alone and the
    whole list agree, in order (failing, at risk, compliant; then unit code, then rule), and the counts are
    the list's. Small batch sizes drive the unit details through both ways of fetching them."""
    monkeypatch.setattr(compliance, "_DETAIL_CHUNK", chunk)
    monkeypatch.setattr(compliance, "_DETAIL_ALL", everything)
    drill(session, t.county, date(2026, 3, 1))  # type: ignore[attr-defined]
    on = date(2026, 10, 1)
    whole = compliance.evaluate(session, SYSTEM, on=on)
    listed = [_full(r) for r in whole.results]
    assert len(listed) == len(whole.results) > 50
    rank = {F: 0, R: 1, C: 2}
    order = [(rank[r[8]], r[1]) for r in listed]
    assert order == sorted(order)
    assert whole.counts() == {s: sum(1 for r in listed if r[8] == s) for s in compliance.STATUSES}
    assert [(u, rule, s) for u, rule, s in whole.results.statuses()] == [(r[0], r[5], r[8]) for r in listed]
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_({r[0] for r in listed})))}
    assert all(units[r[0]].code == r[1] and units[r[0]].name == r[2] for r in listed)
    fresh = compliance.evaluate(session, SYSTEM, on=on)
    assert [_full(r) for r in fresh.results[20:40]] == listed[20:40]
    assert _full(compliance.evaluate(session, SYSTEM, on=on).results[-1]) == listed[-1]
    county_row = next(r for r in listed if r[0] == t.county.id and r[5] == "drills_government")  # type: ignore[attr-defined]
    assert county_row[6:9] == (1.0, pytest.approx(2 * 273 / 365), R)
    assert county_row[4] == t.county.id  # type: ignore[attr-defined]  # a county is its own area


def test_status_filter_keeps_order_and_counts(session: Session, t: object) -> None:
    on = date(2026, 10, 1)
    whole = [(r.unit_id, r.rule.code, r.status) for r in compliance.evaluate(session, SYSTEM, on=on).results]
    bad = compliance.evaluate(session, SYSTEM, on=on, statuses=(R, F))
    assert [(r.unit_id, r.rule.code, r.status) for r in bad.results] == [w for w in whole if w[2] != C]
    assert bad.counts()[C] == 0 and sum(bad.counts().values()) == len(bad.results)


def test_notices_reach_many_units_in_batches(session: Session, t: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipients of a nightly run are looked up in batches (no IN list as long as the prefecture)."""
    monkeypatch.setattr(prep_service, "_CHUNK", 2)
    set_today(date(2026, 10, 1))
    expected = {(r.unit_id, r.rule.code, r.status)
                for r in compliance.evaluate(session, SYSTEM, on=date(2026, 10, 1), statuses=(R, F)).results}
    sent = prep_service.notify_at_risk(session, SYSTEM, on=date(2026, 10, 1))
    stored = {(n.unit_id, n.rule_code, n.status) for n in session.scalars(select(PrepNotice))}
    assert sent == len(expected) and stored >= expected
