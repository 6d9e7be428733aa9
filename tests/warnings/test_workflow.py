"""Draft → review → sign-off → issued → updated/cancelled: three people, fast track, times, audit, duty desks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import zh
from tests.warnings.helpers import NOW, audits, draft_data, principal, set_now, unit_id
from yingji.core.models import AuditEntry
from yingji.duty.models import DutyDispatch
from yingji.errors import Conflict, PermissionDenied, UserError
from yingji.warnings import cap, defaults, service
from yingji.warnings.models import Alert, AlertStep

GBT_ID = re.compile(r"^\d{14}_\d{14}_\d$")


def _api_draft(client: Any, colour: str = "orange", **extra: Any) -> dict[str, Any]:
    body = draft_data(colour, **extra).model_dump(mode="json")
    response = client.api("POST", "/api/warnings/alerts", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _count(session: Any, model: Any = Alert) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_draft_review_sign_issue_over_http(browser: Any, session: Any) -> None:
    set_now()
    met, centre, leader = browser("qixiang"), browser("warncentre"), browser("leader")
    alert = _api_draft(met)
    assert alert["status"] == "draft" and alert["identifier"] is None
    assert met.api("POST", f"/api/warnings/alerts/{alert['id']}/submit").json()["status"] == "in_review"
    # The drafter may not sign; the leader may not sign before the review.
    assert met.api("POST", f"/api/warnings/alerts/{alert['id']}/sign", json={}).status_code == 403
    assert leader.api("POST", f"/api/warnings/alerts/{alert['id']}/sign", json={}).status_code == 409
    reviewed = centre.api("POST", f"/api/warnings/alerts/{alert['id']}/review", json={"approve": True})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "awaiting_signoff"
    signed = leader.api("POST", f"/api/warnings/alerts/{alert['id']}/sign", json={"note": "同意发布"})
    assert signed.status_code == 200, signed.text
    issued = signed.json()
    assert issued["status"] == "issued" and GBT_ID.match(issued["identifier"]) and len(issued["identifier"]) == 31
    # GB/T 35965.1: the division code of 州气象局 is the prefecture's, the time is Beijing time.
    assert issued["identifier"].startswith("652700") and "_20260715100000_" in issued["identifier"]
    row = session.get(Alert, alert["id"])
    assert row.cap_xml is not None and cap.validate(row.cap_xml.encode()) == []
    parsed = cap.parse(row.cap_xml.encode()).alert
    assert parsed.identifier == issued["identifier"] and parsed.sent.utcoffset() == timedelta(hours=8)
    assert [i.language for i in parsed.infos] == ["zh-CN", "en"]
    assert ("colour", "orange") in parsed.infos[0].parameters and parsed.infos[0].severity == "Severe"
    assert parsed.infos[0].areas[0].polygons and parsed.infos[0].expires.utcoffset() == timedelta(hours=8)
    # Every step is audited and kept.
    for action in ("create", "submit", "reviewed", "sign_and_issue"):
        assert audits(session, "warning_alert", action), action
    steps = [s.step for s in session.scalars(select(AlertStep).where(AlertStep.alert_id == alert["id"])
                                                   .order_by(AlertStep.id))]
    assert steps == ["drafted", "submitted", "reviewed", "signed", "issued"]
    # The duty desk of 精河县 (the county under the polygon) was told, and no other county's.
    dispatched = list(session.scalars(select(DutyDispatch).where(DutyDispatch.kind == "warning",
                                                                 DutyDispatch.ref_id == alert["id"])))
    assert dispatched and {d.unit_id for d in dispatched} == {unit_id(session, "652722")}


def test_three_different_people(session: Any) -> None:
    set_now()
    admin, centre, leader = principal(session, "admin"), principal(session, "warncentre"), principal(session, "leader")
    # The warning centre may draft, but then not review its own draft.
    own = service.create_draft(session, centre, draft_data())
    service.submit(session, centre, own.id)
    with pytest.raises(PermissionDenied) as exc:
        service.review(session, centre, own.id, approve=True)
    assert "drafted" in exc.value.message
    # A reviewer may not also sign (admin may do both by role, not by rule).
    other = service.create_draft(session, centre, draft_data())
    service.submit(session, centre, other.id)
    service.review(session, admin, other.id, approve=True)
    with pytest.raises(PermissionDenied) as exc:
        service.sign(session, admin, other.id)
    assert "reviewed" in exc.value.message
    service.sign(session, leader, other.id)
    assert other.status == "issued" and len({other.drafted_by_id, other.reviewed_by_id, other.signed_by_id}) == 3


def test_refusals_are_translated_and_change_nothing(browser: Any, session: Any) -> None:
    set_now()
    centre = browser("warncentre")
    alert = _api_draft(centre)
    centre.api("POST", f"/api/warnings/alerts/{alert['id']}/submit")
    before = _count(session, AuditEntry)
    response = centre.api("POST", f"/api/warnings/alerts/{alert['id']}/review", json={"approve": True})
    assert response.status_code == 403
    assert response.json()["detail"] == zh("The person who drafted a warning may not also review it.")
    assert _count(session, AuditEntry) == before and session.get(Alert, alert["id"]).status == "in_review"


def test_roles(browser: Any) -> None:
    set_now()
    body = draft_data().model_dump(mode="json")
    assert browser("leader").api("POST", "/api/warnings/alerts", json=body).status_code == 403
    assert browser("village").api("POST", "/api/warnings/alerts", json=body).status_code == 403
    alert = _api_draft(browser("qixiang"))
    browser("qixiang").api("POST", f"/api/warnings/alerts/{alert['id']}/submit")
    # A department may not review; a county office outside the issuing unit does not even see it.
    assert browser("dept").api("POST", f"/api/warnings/alerts/{alert['id']}/review", json={}).status_code == 403
    assert browser("bole").api("GET", f"/api/warnings/alerts/{alert['id']}").status_code == 404


def test_return_needs_a_reason_and_the_draft_comes_back(session: Any) -> None:
    set_now()
    met, centre = principal(session, "qixiang"), principal(session, "warncentre")
    alert = service.create_draft(session, met, draft_data())
    service.submit(session, met, alert.id)
    with pytest.raises(UserError):
        service.review(session, centre, alert.id, approve=False, note="  ")
    service.review(session, centre, alert.id, approve=False, note="范围偏大")
    assert alert.status == "rejected" and alert.review_note == "范围偏大"
    service.update_draft(session, met, alert.id, draft_data(hours=6))
    service.submit(session, met, alert.id)
    assert alert.status == "in_review"


def test_fast_track_for_red_is_a_rule(session: Any) -> None:
    set_now()
    met, centre, leader = principal(session, "qixiang"), principal(session, "warncentre"), principal(session, "leader")
    admin = principal(session, "admin")
    red = service.create_draft(session, met, draft_data("red"))
    service.submit(session, met, red.id)
    assert red.status == "awaiting_signoff" and red.fast_track
    service.sign(session, leader, red.id)
    assert red.status == "issued" and red.reviewed_by_id is None
    # The review is recorded after, by someone who neither drafted nor signed.
    service.review(session, centre, red.id, approve=True, note="事后审核")
    assert red.reviewed_by_id is not None and red.status == "issued"
    assert audits(session, "warning_alert", "reviewed_after")
    # Orange never takes the fast track.
    orange = service.create_draft(session, met, draft_data("orange"))
    service.submit(session, met, orange.id)
    assert orange.status == "in_review" and not orange.fast_track
    # Switched off (0), red goes through review; the switch takes only 0 and 1.
    with pytest.raises(UserError):
        defaults.update_rule(session, admin, defaults.FAST_TRACK_RED, 2, "test")
    defaults.update_rule(session, admin, defaults.FAST_TRACK_RED, 0, "演练：关闭快速通道")
    red2 = service.create_draft(session, met, draft_data("red"))
    service.submit(session, met, red2.id)
    assert red2.status == "in_review" and not red2.fast_track
    with pytest.raises(PermissionDenied):
        defaults.update_rule(session, met, defaults.FAST_TRACK_RED, 1, "x")


def test_times_expire_before_effective_and_validity_limit(browser: Any, session: Any) -> None:
    set_now()
    met = browser("qixiang")
    before = _count(session)
    body = draft_data().model_dump(mode="json")
    body["expires_at"] = (NOW - timedelta(minutes=1)).isoformat()
    response = met.api("POST", "/api/warnings/alerts", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == zh("The warning would expire before it takes effect.")
    body["expires_at"] = NOW.isoformat()  # equal is not after
    assert met.api("POST", "/api/warnings/alerts", json=body).status_code == 422
    assert _count(session) == before
    limit = defaults.value(session, defaults.MAX_VALIDITY_HOURS)
    body["expires_at"] = (NOW + timedelta(hours=limit)).isoformat()
    assert met.api("POST", "/api/warnings/alerts", json=body).status_code == 201
    body["expires_at"] = (NOW + timedelta(hours=limit, seconds=1)).isoformat()
    assert met.api("POST", "/api/warnings/alerts", json=body).status_code == 422
    body["expires_at"] = "2026-07-16T10:00:00"  # no offset
    assert met.api("POST", "/api/warnings/alerts", json=body).status_code == 422
    assert _count(session) == before + 1


def _issue(session: Any, alert: Alert) -> Alert:
    met, centre, leader = principal(session, "qixiang"), principal(session, "warncentre"), principal(session, "leader")
    service.submit(session, met, alert.id)
    if alert.status == "in_review":
        service.review(session, centre, alert.id, approve=True)
    service.sign(session, leader, alert.id)
    return alert


def test_update_and_cancel_reference_the_earlier_message(session: Any) -> None:
    set_now()
    met = principal(session, "qixiang")
    first = _issue(session, service.create_draft(session, met, draft_data()))
    set_now(NOW + timedelta(hours=1))
    update = service.start_followup(session, met, first.id, "Update")
    assert update.msg_type == "Update" and update.references_alert_id == first.id
    with pytest.raises(Conflict):  # one follow-up at a time
        service.start_followup(session, met, first.id, "Cancel")
    _issue(session, update)
    assert first.status == "superseded" and update.status == "issued"
    ref = cap.parse(update.cap_xml.encode()).alert.references  # type: ignore[union-attr]
    assert [(r.sender, r.identifier) for r in ref] == [(first.sender, first.identifier)]
    assert ref[0].sent == first.sent_at
    with pytest.raises(Conflict):  # a superseded message is not updated again
        service.start_followup(session, met, first.id, "Update")
    set_now(NOW + timedelta(hours=2))
    cancel = _issue(session, service.start_followup(session, met, update.id, "Cancel"))
    assert update.status == "cancelled" and cancel.status == "issued" and cancel.msg_type == "Cancel"
    doc = cap.parse(cancel.cap_xml.encode()).alert  # type: ignore[union-attr]
    assert doc.msg_type == "Cancel" and doc.references[0].identifier == update.identifier
    assert service.active_public(session) == []
    assert [a.id for a in service.chain(session, met, update)] == [first.id, update.id, cancel.id]


def test_issue_hook_calls_fan_out_when_channels_exist(session: Any, monkeypatch: Any) -> None:
    set_now()
    calls: list[int] = []

    class Delivery:
        @staticmethod
        def fan_out(s: Any, p: Any, alert: Alert) -> None:
            calls.append(alert.id)

        @staticmethod
        def preview(s: Any, target: Any) -> dict[str, Any]:
            return {"channels": {"sms": len(target.shapes)}, "blind_spots": []}

    monkeypatch.setattr(service, "fan_out_module", lambda: Delivery)
    alert = service.create_draft(session, principal(session, "qixiang"), draft_data())
    assert service.preview(session, alert) == {"channels": {"sms": 1}, "blind_spots": []}
    _issue(session, alert)
    assert calls == [alert.id]


def test_pages(browser: Any, session: Any) -> None:
    set_now()
    met = browser("qixiang")
    assert met.get("/warnings").status_code == 200
    assert met.get("/warnings/new").status_code == 200
    alert = _api_draft(met)
    page = met.get(f"/warnings/{alert['id']}")
    assert page.status_code == 200 and "精河县暴雨橙色预警" in page.text and 'id="submit-warning"' in page.text
    met.form(f"/warnings/{alert['id']}/submit")
    centre = browser("warncentre")
    assert 'id="review-approve"' in centre.get(f"/warnings/{alert['id']}").text
    assert centre.get("/warnings", params={"export": "xlsx"}).content[:2] == b"PK"
    assert centre.form(f"/warnings/{alert['id']}/review", {"decision": "approve"}).status_code == 303
    sign_page = browser("leader").get(f"/warnings/{alert['id']}")
    assert 'id="sign-issue"' in sign_page.text and 'id="preview"' in sign_page.text
    assert browser("leader").form(f"/warnings/{alert['id']}/sign", {"decision": "approve"}).status_code == 303
    assert session.get(Alert, alert["id"]).status == "issued"
    assert met.get("/warnings/rules").status_code == 200


def test_the_next_person_is_told(session: Any) -> None:
    from yingji.core.models import Notification, User

    set_now()
    met, centre = principal(session, "qixiang"), principal(session, "warncentre")

    def inbox(username: str) -> list[str]:
        uid = session.scalar(select(User.id).where(User.username == username))
        return list(session.scalars(select(Notification.subject).where(Notification.user_id == uid)))

    alert = service.create_draft(session, met, draft_data())
    service.submit(session, met, alert.id)
    assert any("暴雨" in s for s in inbox("warncentre")) and not any("暴雨" in s for s in inbox("leader"))
    # The county's centre (精河县) does not see a prefecture department's warning: not told.
    assert not any("暴雨" in s for s in inbox("warncentre_jh"))
    service.review(session, centre, alert.id, approve=True)
    assert any("暴雨" in s for s in inbox("leader"))
