"""Monitoring: device tokens, batch ingestion (duplicates idempotent, bad input refused with nothing stored),
thresholds at their boundaries, the alarm reaching the duty officer on shift, silence, series, drafts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tests.conftest import audit_count, zh
from tests.risks.helpers import SYSTEM, as_user, batch, frozen, plant_sensor, set_now
from yingji.core.models import Notification
from yingji.risks import sensors
from yingji.risks.models import Sensor, SensorAlarm, SensorReading
from yingji.risks.schemas import SensorCreate


def _token(client: Any, sensor_id: int) -> str:
    response = client.api("POST", f"/api/risks/sensors/{sensor_id}/token")
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def _post(client: Any, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/risks/readings", json=body, headers={"Authorization": f"Bearer {token}"})


def _count(session: Any, sensor_id: int) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(SensorReading)
                              .where(SensorReading.sensor_id == sensor_id)) or 0)


def test_token_issue_revoke_and_unknown(browser: Any, session: Any) -> None:
    now = frozen()
    zhou, device = browser("zhou"), browser()
    sensor = plant_sensor(session)
    token = _token(zhou, sensor.id)
    assert _post(device, token, batch(now, [1.0])).status_code == 200
    stored = session.scalar(select(Sensor.token_hash).where(Sensor.id == sensor.id))
    assert stored and token not in stored  # only the hash is kept
    before = _count(session, sensor.id)
    unknown = _post(device, "yjd_" + "x" * 40, batch(now + timedelta(seconds=5), [1.0]))
    assert unknown.status_code == 401
    assert zhou.api("DELETE", f"/api/risks/sensors/{sensor.id}/token").status_code == 204
    revoked = _post(device, token, batch(now + timedelta(seconds=5), [1.0]))
    assert revoked.status_code == 401 and revoked.json()["detail"] == unknown.json()["detail"]
    assert _count(session, sensor.id) == before
    assert zhou.api("DELETE", f"/api/risks/sensors/{sensor.id}/token").status_code == 409
    # a user's session does not stand in for a device token
    assert zhou.api("POST", "/api/risks/readings", json=batch(now, [1.0])).status_code == 401


def test_duplicates_are_ignored_and_bad_batches_change_nothing(browser: Any, session: Any) -> None:
    now = frozen()
    zhou, device = browser("zhou"), browser()
    sensor = plant_sensor(session)
    token = _token(zhou, sensor.id)
    start = now - timedelta(minutes=1)
    first = _post(device, token, batch(start, [1.0, 2.0, 3.0]))
    assert first.json()["stored"] == 3, first.text
    again = _post(device, token, batch(start, [1.0, 2.0, 3.0, 4.0]))
    assert again.status_code == 200 and again.json() | {"alarm_id": None} == {
        "sensor_id": sensor.id, "stored": 1, "duplicates": 3, "level": "", "alarm_id": None}
    count, audits = _count(session, sensor.id), audit_count(session)
    cases = [
        ("out of order in the batch", batch(now, [1.0, 2.0], step=timedelta(seconds=-10)), 400),
        ("older than stored, not a repeat", batch(start + timedelta(seconds=5), [1.0]), 400),
        ("repeat with another value", batch(start, [9.0]), 409),
        ("above the measuring range", batch(now, [100.01]), 400),
        ("below the measuring range", batch(now, [-0.01]), 400),
        ("in the future", batch(now + timedelta(seconds=301), [1.0]), 400),
        ("no offset", {"readings": [{"at": now.replace(tzinfo=None).isoformat(), "value": 1.0}]}, 400),
        ("not a number", {"readings": [{"at": now.isoformat(), "value": "NaN"}]}, 400),
        ("empty", {"readings": []}, 422),
    ]
    for label, body, status in cases:
        response = _post(device, token, body)
        assert response.status_code == status, (label, response.text)
        assert response.json()["detail"], label
    assert _count(session, sensor.id) == count and audit_count(session) == audits
    # the edges that are allowed: exactly the range's ends, exactly 300 s ahead
    ok = _post(device, token, {"readings": [{"at": (now + timedelta(seconds=1)).isoformat(), "value": 0.0},
                                            {"at": (now + timedelta(seconds=300)).isoformat(), "value": 5.0}]})
    assert ok.status_code == 200, ok.text


def test_absurd_value_message_in_chinese(browser: Any, session: Any) -> None:
    now = frozen()
    zhou, device = browser("zhou"), browser()
    token = _token(zhou, plant_sensor(session).id)
    response = device.post("/api/risks/readings", json=batch(now, [1e6]),
                           headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert response.json()["detail"] == zh(
        "Reading %(n)s (%(value)s) lies outside the sensor's measuring range %(low)s–%(high)s.", n=1,
        value=1e6, low=0.0, high=100.0)


def test_orange_crossing_alarms_the_duty_officer_on_shift(browser: Any, session: Any) -> None:
    from yingji.duty import routing

    now = frozen()
    zhou, device = browser("zhou"), browser()
    sensor = plant_sensor(session)
    token = _token(zhou, sensor.id)
    # 24.99 is still yellow (orange is "25以上": 25 included)
    below = _post(device, token, batch(now - timedelta(seconds=50), [5.0, 24.99]))
    assert below.json()["level"] == "yellow" and below.json()["alarm_id"] is not None
    yellow_alarm = below.json()["alarm_id"]
    burst = _post(device, token, batch(now - timedelta(seconds=30), [25.0, 26.5, 27.0]))
    body = burst.json()
    assert body["level"] == "orange" and body["alarm_id"] not in (None, yellow_alarm)
    alarm = session.get(SensorAlarm, body["alarm_id"])
    assert alarm.level == "orange" and alarm.value == 25.0 and alarm.kind == "threshold"
    on_duty = routing.on_duty(session, sensor.unit_id)
    assert on_duty.officers, "the demo prefecture desk has an officer on shift"
    assert alarm.dispatched >= len(on_duty.officers)
    for officer in on_duty.officers:
        notes = session.scalars(select(Notification).where(Notification.user_id == officer.id)).all()
        assert any(f"/risks/alarms/{alarm.id}" == n.link for n in notes)
    # staying orange raises nothing new; rising to red does, once
    assert _post(device, token, batch(now - timedelta(seconds=5), [28.0])).json()["alarm_id"] is None
    red = _post(device, token, batch(now, [50.0])).json()
    assert red["level"] == "red" and red["alarm_id"] is not None


def test_acknowledge_and_draft(browser: Any, session: Any) -> None:
    now = frozen()
    zhou, device = browser("zhou"), browser()
    sensor = plant_sensor(session)
    token = _token(zhou, sensor.id)
    alarm_id = _post(device, token, batch(now, [30.0])).json()["alarm_id"]
    acked = zhou.api("POST", f"/api/risks/alarms/{alarm_id}/ack")
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert zhou.api("POST", f"/api/risks/alarms/{alarm_id}/ack").status_code == 409
    draft = zhou.api("POST", f"/api/risks/alarms/{alarm_id}/draft")
    assert draft.status_code == 200, draft.text
    assert draft.json()["draft_state"] in ("created", "requested")
    if draft.json()["draft_state"] == "created":
        from yingji.warnings.models import Alert

        alert = session.get(Alert, int(draft.json()["draft_ref"]))
        assert alert is not None and alert.colour == "orange" and alert.status == "draft"
    assert zhou.api("POST", f"/api/risks/alarms/{alarm_id}/draft").status_code == 409


def test_silent_sensor_alarm_at_the_limit(session: Any) -> None:
    now = frozen()
    sensor = plant_sensor(session)
    sensors.issue_token(session, SYSTEM, sensor.id)
    sensor.last_reading_at = now
    session.flush()
    set_now(now + timedelta(minutes=29, seconds=59))
    assert sensors.alarm_silent(session, SYSTEM) == 0
    set_now(now + timedelta(minutes=30))
    assert sensors.alarm_silent(session, SYSTEM) == 1
    assert sensors.alarm_silent(session, SYSTEM) == 0  # once
    alarm = session.scalar(select(SensorAlarm).where(SensorAlarm.sensor_id == sensor.id, SensorAlarm.kind == "silent"))
    assert alarm is not None and alarm.cleared_at is None
    from yingji.risks.schemas import Reading

    sensors.ingest(session, sensor, [Reading(at=now + timedelta(minutes=31), value=2.0)])
    assert sensor.silent_since is None and alarm.cleared_at is not None


def test_series_downsampled(session: Any) -> None:
    now = frozen().replace(second=0)
    set_now(now)
    sensor = sensors.create(session, SYSTEM, SensorCreate(unit_id=plant_sensor(session).unit_id, name="水位计",
                                                          kind="water_level", orange=10.0))
    from yingji.risks.schemas import Reading

    start = now - timedelta(hours=2)
    sensors.ingest(session, sensor, [Reading(at=start + timedelta(seconds=10 * i), value=float(i % 6))
                                     for i in range(720)])
    result = sensors.series(session, SYSTEM, sensor.id, start, now)
    assert result.bucket_seconds == 60 and len(result.points) == 120
    assert sum(p.n for p in result.points) == 720
    assert all(p.min == 0 and p.max == 5 and p.avg == 2.5 for p in result.points)


def test_thresholds_must_rise_and_lie_in_range(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    unit_id = plant_sensor(session).unit_id
    base = {"unit_id": unit_id, "name": "探测器", "kind": "gas"}
    assert zhou.api("POST", "/api/risks/sensors", json=base | {"yellow": 20, "orange": 20}).status_code == 400
    assert zhou.api("POST", "/api/risks/sensors", json=base | {"orange": 120}).status_code == 400
    assert zhou.api("POST", "/api/risks/sensors", json=base).status_code == 400
    assert zhou.api("POST", "/api/risks/sensors", json=base | {"kind": "laser"}).status_code == 422
    assert zhou.api("POST", "/api/risks/sensors", json=base | {"orange": 25}).status_code == 201
    bole = browser("bole")  # the plant is not in 博乐市
    assert bole.api("POST", "/api/risks/sensors", json=base | {"orange": 25}).status_code == 404
    leader = as_user(session, "leader")
    assert not leader.can("write")
