"""Insurance of rescue team members (R4.3): policies per team, the warnings at their boundaries (cover ending
within the notice period, fewer members insured than the team has, nobody insured), the team page and the
API, the list with its filters, paging and export, and bad input refused with nothing stored."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import audit_count, zh
from tests.resources.helpers import NOON, api_ok, set_now
from yingji.resources import defaults, insurance
from yingji.resources.common import today
from yingji.resources.models import Team, TeamInsurance

ON = date(2030, 6, 1)
N = 30


def _policy(count: int, first: int, last: int, team_id: int = 1) -> TeamInsurance:
    return TeamInsurance(team_id=team_id, kind="accident", insurer="保险公司", policy_no="P", insured_count=count,
                         cover_from=ON + timedelta(days=first), cover_to=ON + timedelta(days=last))


def _codes(members: int, *policies: TeamInsurance) -> list[str]:
    team = Team(id=1, members=members)
    return [w.code for w in insurance.cover_of(team, list(policies), ON, N)[1]]


def test_the_default_notice_has_its_source(session: Any) -> None:
    rule = defaults.rule(session, defaults.INSURANCE_NOTICE)
    assert rule.value == N and rule.unit == "d"
    assert "DEFAULTS.md gives no figure" in rule.source and "意外伤害保险" in rule.source


def test_cover_ending_at_the_notice_boundary() -> None:
    assert _codes(10, _policy(10, -100, N)) == ["ending"]          # last day today + N: within the notice
    assert _codes(10, _policy(10, -100, N + 1)) == []              # a day later: not yet
    assert _codes(10, _policy(10, -100, 0)) == ["ending"]          # ends today
    assert _codes(10, _policy(10, -100, -1)) == ["uninsured"]      # ended yesterday: nobody insured today


def test_a_renewal_without_a_gap_keeps_the_team_covered() -> None:
    assert _codes(10, _policy(10, -300, 10), _policy(10, 11, 400)) == []
    # a day's gap between the policies is warned
    assert _codes(10, _policy(10, -300, 10), _policy(10, 12, 400)) == ["ending"]
    # a renewal for fewer members is warned too
    assert _codes(10, _policy(10, -300, 10), _policy(8, 11, 400)) == ["ending"]
    # a renewal that itself ends within the notice is warned at its own end
    assert _codes(10, _policy(10, -300, 10), _policy(10, 11, 20)) == ["ending"]


def test_insured_count_against_the_members_at_the_boundary() -> None:
    assert _codes(10, _policy(9, -10, 300)) == ["short"]
    assert _codes(10, _policy(10, -10, 300)) == []
    assert _codes(10, _policy(6, -10, 300), _policy(4, -10, 300)) == []   # two policies add up
    assert _codes(10, _policy(12, -10, 300)) == []
    assert _codes(10) == ["uninsured"]
    assert _codes(0) == []                                         # a team without members needs no cover
    assert _codes(10, _policy(10, 1, 300)) == ["uninsured"]        # cover from tomorrow does not count today


def test_policy_states_at_their_boundaries() -> None:
    assert insurance.policy_state(_policy(1, 1, 400), ON, N) == "future"
    assert insurance.policy_state(_policy(1, 0, N + 1), ON, N) == "current"
    assert insurance.policy_state(_policy(1, 0, N), ON, N) == "ending"
    assert insurance.policy_state(_policy(1, -10, 0), ON, N) == "ending"
    assert insurance.policy_state(_policy(1, -10, -1), ON, N) == "ended"


def _team(session: Any, name: str) -> Team:
    found = session.scalar(select(Team).where(Team.name.like(f"{name}%")))
    assert found is not None, name
    return found


def _body(team_id: int, **extra: Any) -> dict[str, Any]:
    on = today()
    return {"team_id": team_id, "kind": "accident", "insurer": "中国人民财产保险股份有限公司", "policy_no": "PICC-1",
            "insured_count": 20, "cover_from": (on - timedelta(days=10)).isoformat(),
            "cover_to": (on + timedelta(days=N)).isoformat(), **extra}


def test_a_team_office_records_a_policy_and_sees_the_warnings(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    team = _team(session, "温泉县医疗救护队")  # 20 members, no cover in the demo
    cover = api_ok(client.get(f"/api/resources/teams/{team.id}/insurance"))
    assert cover["insured_now"] == 0 and [w["code"] for w in cover["warnings"]] == ["uninsured"]
    before = audit_count(session)
    created = api_ok(client.api("POST", "/api/resources/insurance", json=_body(team.id, insured_count=18)), 201)
    assert created["unit_id"] == team.unit_id and audit_count(session) == before + 1
    cover = api_ok(client.get(f"/api/resources/teams/{team.id}/insurance"))
    assert cover["insured_now"] == 18 and cover["notice_days"] == N and cover["notice_source"]
    assert [w["code"] for w in cover["warnings"]] == ["short", "ending"]
    # the renewal from the day after, for every member, clears both
    api_ok(client.api("POST", "/api/resources/insurance", json=_body(
        team.id, policy_no="PICC-2", insured_count=2, cover_to=(today() + timedelta(days=400)).isoformat())), 201)
    api_ok(client.api("POST", "/api/resources/insurance", json=_body(
        team.id, policy_no="PICC-3", cover_from=(today() + timedelta(days=N + 1)).isoformat(),
        cover_to=(today() + timedelta(days=400)).isoformat())), 201)
    cover = api_ok(client.get(f"/api/resources/teams/{team.id}/insurance"))
    assert cover["insured_now"] == 20 and cover["warnings"] == []
    page = client.get(f"/resources/teams/{team.id}")
    assert page.status_code == 200 and "PICC-3" in page.text and zh("not yet in force") in page.text
    assert 'id="insurance-warnings"' not in page.text


def test_the_team_page_shows_the_warnings_in_chinese(browser: Any, session: Any) -> None:
    team = _team(session, "温泉县地震灾害紧急救援队")  # demo: 24 of 30 insured, cover ends in 20 days
    page = browser("wenquan").get(f"/resources/teams/{team.id}")
    assert page.status_code == 200
    assert zh("%(insured)s of %(members)s members are insured.") % {"insured": 24, "members": 30} in page.text
    ends = (today() + timedelta(days=20)).isoformat()
    assert zh("Cover of %(lost)s members ends on %(date)s (within %(days)s days).") % {
        "lost": 24, "date": ends, "days": N} in page.text


def test_the_team_page_form_adds_a_policy(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    team = _team(session, "温泉县医疗救护队")
    body = _body(team.id, policy_no="FORM-1")
    del body["team_id"]
    response = client.form(f"/resources/teams/{team.id}/insurance", body)
    assert response.status_code == 303
    assert session.scalar(select(TeamInsurance.policy_no).where(TeamInsurance.team_id == team.id)) == "FORM-1"


@pytest.mark.parametrize("change", [
    {"cover_to": "2020-01-01", "cover_from": "2020-01-02"},   # ends before it starts
    {"insured_count": -1},
    {"insurer": ""},
    {"policy_no": ""},
    {"kind": "pets"},
    {"cover_from": "2026-02-30"},
])
def test_bad_policies_are_refused_and_nothing_is_stored(browser: Any, session: Any, change: dict[str, Any]) -> None:
    client = browser("wenquan")
    team = _team(session, "温泉县医疗救护队")
    before = session.scalar(select(func.count()).select_from(TeamInsurance))
    response = client.api("POST", "/api/resources/insurance", json=_body(team.id, **change))
    assert response.status_code == 422, response.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TeamInsurance)) == before


def test_an_ending_before_the_start_says_so_on_the_form(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    team = _team(session, "温泉县医疗救护队")
    body = _body(team.id, cover_from="2027-01-02", cover_to="2027-01-01")
    before = session.scalar(select(func.count()).select_from(TeamInsurance))
    response = client.form("/resources/insurance", body)
    assert response.status_code == 400 and zh("Some fields are missing or not valid.") in response.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TeamInsurance)) == before


def test_another_countys_team_is_not_found_and_a_leader_only_reads(browser: Any, session: Any) -> None:
    team = _team(session, "精河县防汛抗旱抢险队")
    before = session.scalar(select(func.count()).select_from(TeamInsurance))
    assert browser("wenquan").api("POST", "/api/resources/insurance", json=_body(team.id)).status_code == 404
    assert browser("wenquan").get(f"/api/resources/teams/{team.id}/insurance").status_code == 404
    assert browser("leader").api("POST", "/api/resources/insurance", json=_body(team.id)).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TeamInsurance)) == before
    assert browser("leader").get(f"/api/resources/teams/{team.id}/insurance").status_code == 200


def test_the_list_filters_pages_and_exports(browser: Any, session: Any) -> None:
    client = browser("zhou")
    ending = api_ok(client.get("/api/resources/insurance", params={"state": "ending"}))["items"]
    assert [p["policy_no"] for p in ending] == ["PA-BZ-2026-017"]
    current = api_ok(client.get("/api/resources/insurance", params={"state": "current"}))["items"]
    assert sorted(p["policy_no"] for p in current) == ["CL-BZ-2026-005", "PICC-WQ-2026-001"]
    assert client.get("/api/resources/insurance", params={"state": "sleeping"}).status_code == 400
    paged = api_ok(client.get("/api/resources/insurance", params={"per_page": 2, "page": 2}))
    assert paged["total"] == 3 and len(paged["items"]) == 1
    wenquan = api_ok(browser("wenquan").get("/api/resources/insurance"))["items"]
    assert sorted(p["policy_no"] for p in wenquan) == ["PA-BZ-2026-017", "PICC-WQ-2026-001"]
    page = client.get("/resources/insurance", params={"state": "ending"})
    assert page.status_code == 200 and "PA-BZ-2026-017" in page.text and "PICC-WQ-2026-001" not in page.text
    assert zh("ending soon") in page.text and "DEFAULTS.md" in page.text
    exported = client.get("/resources/insurance", params={"state": "ending", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet.max_row == 2 and "PA-BZ-2026-017" in [c.value for c in sheet[2]]
    overview = client.get("/resources").text  # the overview lists cover ending soon
    assert "PA-BZ-2026-017" in overview and "PICC-WQ-2026-001" not in overview


def test_the_notice_follows_the_rule(browser: Any, session: Any) -> None:
    rule = defaults.rule(session, defaults.INSURANCE_NOTICE)
    api_ok(browser("zhou").api("PATCH", f"/api/resources/rules/{rule.id}", json={"value": 10, "source": "州规定"}))
    client = browser("wenquan")
    team = _team(session, "温泉县地震灾害紧急救援队")  # cover ends in 20 days: outside a 10-day notice
    cover = api_ok(client.get(f"/api/resources/teams/{team.id}/insurance"))
    assert [w["code"] for w in cover["warnings"]] == ["short"] and cover["notice_days"] == 10


def test_cover_states_move_with_the_clock(session: Any) -> None:
    set_now(NOON)
    on = today()
    policy = TeamInsurance(cover_from=on - timedelta(days=5), cover_to=on + timedelta(days=N))
    assert insurance.policy_state(policy, on, N) == "ending"
    set_now(NOON - timedelta(days=1))
    assert insurance.policy_state(policy, today(), N) == "current"


def test_the_notice_job_tells_the_team_once_and_not_of_a_renewed_policy(database: Any, session: Any) -> None:
    from datetime import UTC, datetime

    from tests.resources.helpers import as_user
    from yingji.core.models import Notification
    from yingji.resources import tasks

    team = _team(session, "温泉县医疗救护队")
    county = team.unit_id
    first_day = date(2031, 3, 1)
    with database.unit_of_work() as s:
        for policy_no, first, last in (("JOB-1", -200, 0), ("JOB-RENEWED", -200, 0), ("JOB-NEXT", 1, 365)):
            s.add(TeamInsurance(unit_id=county, team_id=team.id, insurer="某保险公司", policy_no=policy_no,
                                insured_count=10, cover_from=first_day + timedelta(days=first),
                                cover_to=first_day + timedelta(days=last)))
    # JOB-1 and JOB-RENEWED both end on first_day; JOB-NEXT renews 10 of the 20 from the day after

    def at(day: date) -> None:
        set_now(datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC))  # noon in Beijing

    at(first_day - timedelta(days=N + 1))  # the day before the notice period: nothing is due
    with database.unit_of_work() as s:
        assert tasks.insurance_notices(s, as_user(s, "admin")) == 0
    at(first_day - timedelta(days=N))  # the first day of the notice period
    with database.unit_of_work() as s:
        # 20 insured on the last day, 10 the day after: both ending policies are told of (one each)
        assert tasks.insurance_notices(s, as_user(s, "admin")) == 2
        assert tasks.insurance_notices(s, as_user(s, "admin")) == 0
    session.expire_all()
    subjects = session.scalars(select(Notification.subject).where(Notification.subject.like("%温泉县医疗救护队%")))
    assert first_day.isoformat() in " ".join(subjects)
    assert session.scalar(select(TeamInsurance.notified_on).where(TeamInsurance.policy_no == "JOB-NEXT")) is None


def test_the_notice_job_skips_a_policy_renewed_in_full(database: Any, session: Any) -> None:
    from datetime import UTC, datetime

    from tests.resources.helpers import as_user
    from yingji.resources import tasks

    team = _team(session, "温泉县医疗救护队")
    first_day = date(2032, 3, 1)
    with database.unit_of_work() as s:
        for policy_no, first, last in (("FULL-1", -200, 0), ("FULL-2", 1, 365)):
            s.add(TeamInsurance(unit_id=team.unit_id, team_id=team.id, insurer="某保险公司", policy_no=policy_no,
                                insured_count=20, cover_from=first_day + timedelta(days=first),
                                cover_to=first_day + timedelta(days=last)))
    set_now(datetime(first_day.year, first_day.month, first_day.day, 4, 0, tzinfo=UTC) - timedelta(days=5))
    with database.unit_of_work() as s:
        assert tasks.insurance_notices(s, as_user(s, "admin")) == 0
