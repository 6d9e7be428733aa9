"""Monitoring: sensors with thresholds per warning level, device tokens, batch ingestion with threshold
checks, alarms to the duty desk, draft warnings, downsampled series, and silent sensors.

Thresholds rise blue < yellow < orange < red; a reading at or above a threshold has reached that level
("N以上" includes N). An alarm is raised when a reading reaches a level higher than the one the sensor was
at (one alarm per batch, for the highest level reached). Readings of a batch must rise strictly in time;
a reading at or before the last stored one must be an exact repeat (ignored) — anything else is refused
and nothing of the batch is stored.
"""

from __future__ import annotations

import importlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, insert, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, auth, roles
from yingji.core.models import Unit
from yingji.core.schemas import TERRITORIAL_KINDS, Page
from yingji.core.scope import Principal, get_scoped, scoped, system_principal
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.errors import Conflict, NotAuthenticated, UserError
from yingji.i18n import N_, gettext
from yingji.risks import common, defaults
from yingji.risks.hazards import _model, _table_ready
from yingji.risks.models import Hazard, Sensor, SensorAlarm, SensorReading
from yingji.risks.schemas import (
    SENSOR_KINDS,
    WARNING_LEVELS,
    AlarmRead,
    IngestResult,
    Reading,
    SensorCreate,
    SensorRead,
    Series,
    SeriesPoint,
)

TOKEN_PREFIX = "yjd_"
KIND_LABELS = {"gas": N_("gas concentration"), "water_level": N_("water level"), "displacement": N_("displacement"),
               "rainfall": N_("rainfall"), "temperature": N_("temperature"), "pressure": N_("pressure")}
LEVEL_LABELS = {"": N_("normal"), "blue": N_("blue"), "yellow": N_("yellow"), "orange": N_("orange"),
                "red": N_("red")}
RANK = {"": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}
ALARM_KIND_LABELS = {"threshold": N_("threshold crossed"), "silent": N_("sensor silent")}
ALARM_STATE_LABELS = {"open": N_("awaiting acknowledgement"), "acknowledged": N_("acknowledged")}
MAX_SERIES_POINTS = 500


# --- sensors -------------------------------------------------------------------------------------------

def _check_thresholds(kind: str, data: SensorCreate) -> tuple[float, float]:
    low = data.range_min if data.range_min is not None else SENSOR_KINDS[kind][1]
    high = data.range_max if data.range_max is not None else SENSOR_KINDS[kind][2]
    if low >= high:
        raise UserError("The measuring range must run from a lower to a higher value.", field="range_max")
    last = None
    for level in WARNING_LEVELS:
        value = getattr(data, level)
        if value is None:
            continue
        if not low <= value <= high:
            raise UserError("A threshold lies outside the measuring range.", field=level)
        if last is not None and value <= last:
            raise UserError("Thresholds must rise from blue to yellow, orange and red.", field=level)
        last = value
    if last is None:
        raise UserError("Give at least one threshold.", field="orange")
    return low, high


def create(session: Session, principal: Principal, data: SensorCreate) -> Sensor:
    common.unit_for_write(session, principal, data.unit_id)
    if data.hazard_id is not None:
        hazard = get_scoped(session, principal, Hazard, data.hazard_id)
        if hazard.unit_id != data.unit_id:
            raise UserError("The hazard source belongs to another unit.", field="hazard_id")
    low, high = _check_thresholds(data.kind, data)
    row = Sensor(**data.model_dump(exclude={"range_min", "range_max"}), range_min=low, range_max=high,
                 measure=SENSOR_KINDS[data.kind][0])
    return common.created(session, principal, row, "risks_sensor")


def update_thresholds(session: Session, principal: Principal, sensor_id: int, data: SensorCreate) -> Sensor:
    row = get(session, principal, sensor_id, roles.WRITE)
    if data.unit_id != row.unit_id or data.kind != row.kind:
        raise UserError("A sensor keeps its unit and its kind; register a new one instead.", field="kind")
    low, high = _check_thresholds(row.kind, data)
    before = audit.snapshot(row)
    row.name, row.range_min, row.range_max = data.name, low, high
    row.blue, row.yellow, row.orange, row.red = data.blue, data.yellow, data.orange, data.red
    row.lon, row.lat, row.hazard_id = data.lon, data.lat, data.hazard_id
    return common.changed(session, principal, row, "risks_sensor", before)


def get(session: Session, principal: Principal, sensor_id: int, action: str = roles.READ) -> Sensor:
    return get_scoped(session, principal, Sensor, sensor_id, action)


def sensors_statement(session: Session, principal: Principal, *, q: str = "", kind: str = "", level: str = "",
                      hazard_id: int | None = None) -> Any:
    stmt = scoped(select(Sensor), principal)
    if q:
        stmt = stmt.where(Sensor.name.ilike(f"%{q}%"))
    if kind:
        stmt = stmt.where(Sensor.kind == kind)
    if level:
        stmt = stmt.where(Sensor.level == level)
    if hazard_id is not None:
        stmt = stmt.where(Sensor.hazard_id == hazard_id)
    return stmt.order_by(Sensor.id)


def list_sensors(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                 **filters: Any) -> Page[SensorRead]:
    return paginate(session, sensors_statement(session, principal, **filters), SensorRead, page=page,
                    per_page=per_page)


# --- device tokens ---------------------------------------------------------------------------------------

def issue_token(session: Session, principal: Principal, sensor_id: int) -> tuple[Sensor, str]:
    """A new secret for the device (shown once; only its SHA-256 is kept); any earlier one stops working."""
    row = get(session, principal, sensor_id, roles.WRITE)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    before = audit.snapshot(row)
    row.token_hash, row.token_issued_at, row.token_revoked_at = auth.sha256(raw), clock.now(), None
    common.changed(session, principal, row, "risks_sensor", before, action="token")
    return row, raw


def revoke_token(session: Session, principal: Principal, sensor_id: int) -> Sensor:
    row = get(session, principal, sensor_id, roles.WRITE)
    if row.token_hash is None or row.token_revoked_at is not None:
        raise Conflict("This sensor has no device token in force.")
    before = audit.snapshot(row)
    row.token_revoked_at = clock.now()
    return common.changed(session, principal, row, "risks_sensor", before, action="revoke")


def authenticate(session: Session, raw: str | None) -> Sensor:
    """The sensor behind a device token: unknown and revoked tokens are refused alike."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise NotAuthenticated("The device token is unknown or has been revoked.")
    sensor = session.scalar(select(Sensor).where(Sensor.token_hash == auth.sha256(raw)))
    if sensor is None or sensor.token_revoked_at is not None:
        raise NotAuthenticated("The device token is unknown or has been revoked.")
    return sensor


def device_principal(sensor: Sensor, request_id: str | None = None) -> Principal:
    return system_principal(f"sensor {sensor.id}", request_id=request_id)


# --- ingestion ---------------------------------------------------------------------------------------------

def level_of(sensor: Sensor, value: float) -> str:
    reached = ""
    for level in WARNING_LEVELS:
        threshold = getattr(sensor, level)
        if threshold is not None and value >= threshold:
            reached = level
    return reached


@dataclass
class _Checked:
    new: list[tuple[datetime, float]]
    duplicates: int


def _check_batch(session: Session, sensor: Sensor, readings: list[Reading]) -> _Checked:
    times = [r["at"] for r in readings]
    values = [r["value"] for r in readings]
    for n, at in enumerate(times):
        offset = at.utcoffset()
        if offset is None:
            raise UserError("Reading %(n)s has a time without a UTC offset.", field="readings", n=n + 1)
        if offset:
            times[n] = at.astimezone(UTC)
    low, high = sensor.range_min, sensor.range_max
    if not all(low <= v <= high for v in values):  # NaN fails every comparison too
        n = next(i for i, v in enumerate(values) if not (math.isfinite(v) and low <= v <= high))
        raise UserError("Reading %(n)s (%(value)s) lies outside the sensor's measuring range %(low)s–%(high)s.",
                        field="readings", n=n + 1, value=values[n], low=low, high=high)
    latest_allowed = clock.now() + timedelta(seconds=defaults.value(session, defaults.FUTURE_SKEW))
    if max(times) > latest_allowed:
        raise UserError("Reading %(n)s is time-stamped in the future; check the device's clock.",
                        field="readings", n=next(i for i, t in enumerate(times) if t > latest_allowed) + 1)
    checked = list(zip(times, values, strict=True))
    repeats = 0
    if not all(a < b for a, b in zip(times, times[1:], strict=False)):
        checked, repeats = _drop_repeats(checked)
    last = sensor.last_reading_at
    old = [r for r in checked if r[0] <= last] if last is not None and checked[0][0] <= last else []
    if old:
        _check_stored(session, sensor, old)
    return _Checked(new=checked[len(old):], duplicates=len(old) + repeats)


def _drop_repeats(rows: list[tuple[datetime, float]]) -> tuple[list[tuple[datetime, float]], int]:
    """Within a batch: an exact repeat of the previous reading is ignored; any other step back is refused."""
    kept = [rows[0]]
    for n, (at, value) in enumerate(rows[1:], start=2):
        if at > kept[-1][0]:
            kept.append((at, value))
        elif at == kept[-1][0] and value == kept[-1][1]:
            continue
        else:
            raise UserError("Reading %(n)s is out of order: times must rise within a batch.", field="readings", n=n)
    return kept, len(rows) - len(kept)


def _check_stored(session: Session, sensor: Sensor, old: list[tuple[datetime, float]]) -> None:
    """Readings at or before the last stored one must repeat stored readings exactly."""
    stored = {k.astimezone(UTC): v for k, v in session.execute(select(SensorReading.at, SensorReading.value).where(
        SensorReading.sensor_id == sensor.id, SensorReading.at >= old[0][0], SensorReading.at <= old[-1][0])).all()}
    for at, value in old:
        if at not in stored:
            raise UserError("A reading at %(at)s is older than the last one stored: out of order.",
                            field="readings", at=at.isoformat())
        if stored[at] != value:
            raise Conflict("A reading at %(at)s was already stored with another value.", field="readings",
                           at=at.isoformat())


def ingest(session: Session, sensor: Sensor, readings: list[Reading], *,
           request_id: str | None = None) -> IngestResult:
    """Store a batch from the device, check the thresholds, raise the alarm if a level was newly reached."""
    checked = _check_batch(session, sensor, readings)
    alarm = None
    if checked.new:
        insert_readings(session, sensor, checked.new)
        alarm = _apply(session, sensor, checked.new, request_id)
    return IngestResult(sensor_id=sensor.id, stored=len(checked.new), duplicates=checked.duplicates,
                        level=sensor.level, alarm_id=alarm.id if alarm else None)


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (UTC, microseconds always written), so that comparisons
    in SQL agree with rows written through the ORM."""
    text = value.isoformat(" ")[:-6]  # values are UTC here: drop "+00:00"
    return text if len(text) > 19 else text + ".000000"


def insert_readings(session: Session, sensor: Sensor, rows: list[tuple[datetime, float]]) -> None:
    """One executemany. On SQLite the times are written in the storage format directly: the per-value type
    processing would cost more than the insert itself (bench/bench_sensors.py)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(SensorReading), [{"sensor_id": sensor.id, "unit_id": sensor.unit_id, "at": at,
                                                    "value": value} for at, value in rows])
        return
    sensor_id, unit_id = sensor.id, sensor.unit_id
    connection.exec_driver_sql("INSERT INTO risks_reading (sensor_id, unit_id, at, value) VALUES (?, ?, ?, ?)",
                               [(sensor_id, unit_id, _sqlite_time(at), value) for at, value in rows])


def _apply(session: Session, sensor: Sensor, new: list[tuple[datetime, float]],
           request_id: str | None) -> SensorAlarm | None:
    principal = device_principal(sensor, request_id)
    state = sensor.level
    crossing: tuple[str, datetime, float] | None = None
    thresholds = [(level, getattr(sensor, level)) for level in WARNING_LEVELS if getattr(sensor, level) is not None]
    lowest = min((t for _level, t in thresholds), default=None)
    if lowest is None or max(value for _at, value in new) < lowest:
        new_state = ""  # the whole batch below every threshold: nothing crossed
        walk: list[tuple[datetime, float]] = []
    else:
        new_state, walk = state, new
    for at, value in walk:
        reached = ""
        for level, threshold in thresholds:
            if value >= threshold:
                reached = level
        if RANK[reached] > RANK[state] and (crossing is None or RANK[reached] > RANK[crossing[0]]):
            crossing = (reached, at, value)
        state = reached
    if not walk:
        state = new_state
    before = audit.snapshot(sensor)
    sensor.last_reading_at, sensor.last_value, sensor.level = new[-1][0], new[-1][1], state
    if sensor.silent_since is not None:
        _end_silence(session, principal, sensor)
    if state == "":
        for open_alarm in session.scalars(select(SensorAlarm).where(
                SensorAlarm.sensor_id == sensor.id, SensorAlarm.kind == "threshold",
                SensorAlarm.cleared_at.is_(None))):
            open_alarm.cleared_at = new[-1][0]
    audit.record(session, principal, action="ingest", entity_type="risks_sensor", entity_id=sensor.id,
                 unit_id=sensor.unit_id,
                 before={"last_reading_at": before["last_reading_at"], "level": before["level"]},
                 after={"stored": len(new), "first": new[0][0].isoformat(), "last": new[-1][0].isoformat(),
                        "level": state})
    if crossing is None:
        return None
    return raise_alarm(session, principal, sensor, kind="threshold", level=crossing[0], at=crossing[1],
                       value=crossing[2])


# --- alarms ---------------------------------------------------------------------------------------------------

def raise_alarm(session: Session, principal: Principal, sensor: Sensor, *, kind: str, level: str, at: datetime,
                value: float | None) -> SensorAlarm:
    alarm = SensorAlarm(sensor_id=sensor.id, unit_id=sensor.unit_id, kind=kind, level=level, value=value, at=at)
    session.add(alarm)
    session.flush()
    if kind == "threshold":
        subject = gettext("Sensor alarm (%(level)s): %(name)s reads %(value)s %(measure)s") % {
            "level": gettext(LEVEL_LABELS[level]), "name": sensor.name, "value": f"{value:g}",
            "measure": sensor.measure}
    else:
        subject = gettext("Sensor silent: %(name)s has sent nothing since %(since)s") % {
            "name": sensor.name, "since": common.local_text(sensor.last_reading_at or sensor.token_issued_at)}
    alarm.dispatched = _dispatch(session, principal, sensor.unit_id, alarm.id, subject, f"/risks/alarms/{alarm.id}",
                                 leaders=RANK.get(level, 0) >= RANK["orange"])
    audit.record(session, principal, action="alarm", entity_type="risks_alarm", entity_id=alarm.id,
                 unit_id=alarm.unit_id, after=audit.snapshot(alarm))
    return alarm


def _dispatch(session: Session, principal: Principal, unit_id: int, ref_id: int, subject: str, link: str,
              leaders: bool) -> int:
    try:
        from yingji.duty import routing
    except ImportError:  # a platform without duty routing: the alarm stays on the alarms page
        return 0
    return len(routing.dispatch(session, principal, unit_id=unit_id, kind="sensor_alarm", ref_id=ref_id,
                                subject=subject, link=link, leaders=leaders))


def alarms_statement(session: Session, principal: Principal, *, status: str = "", kind: str = "",
                     sensor_id: int | None = None) -> Any:
    stmt = scoped(select(SensorAlarm), principal)
    if status:
        stmt = stmt.where(SensorAlarm.status == status)
    if kind:
        stmt = stmt.where(SensorAlarm.kind == kind)
    if sensor_id is not None:
        stmt = stmt.where(SensorAlarm.sensor_id == sensor_id)
    return stmt.order_by(SensorAlarm.id.desc())


def list_alarms(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                **filters: Any) -> Page[AlarmRead]:
    return paginate(session, alarms_statement(session, principal, **filters), AlarmRead, page=page,
                    per_page=per_page)


def get_alarm(session: Session, principal: Principal, alarm_id: int, action: str = roles.READ) -> SensorAlarm:
    return get_scoped(session, principal, SensorAlarm, alarm_id, action)


def acknowledge(session: Session, principal: Principal, alarm_id: int) -> SensorAlarm:
    """The desk has dealt with the alarm: stops the duty escalation. Whoever may report for the area may."""
    alarm = get_alarm(session, principal, alarm_id, roles.REPORT)
    lock_for_change(session, alarm)
    if alarm.status != "open":
        raise Conflict("This alarm has already been acknowledged.")
    before = audit.snapshot(alarm)
    alarm.status, alarm.acknowledged_at, alarm.acknowledged_by_id = "acknowledged", clock.now(), principal.user_id
    try:
        from yingji.duty import routing

        routing.acknowledge_ref(session, principal, kind="sensor_alarm", ref_id=alarm.id)
    except ImportError:
        pass
    return common.changed(session, principal, alarm, "risks_alarm", before, action="acknowledge")


def prepare_draft(session: Session, principal: Principal, alarm_id: int) -> SensorAlarm:
    """A draft early warning for review, through the warnings module when it offers ``create_draft``;
    otherwise the request is recorded on the alarm (state "requested") with what the draft would say."""
    alarm = get_alarm(session, principal, alarm_id, roles.WRITE)
    lock_for_change(session, alarm)
    if alarm.draft_state:
        raise Conflict("A draft warning has already been prepared for this alarm.")
    sensor = session.get(Sensor, alarm.sensor_id)
    assert sensor is not None
    colour = alarm.level if alarm.level in WARNING_LEVELS else "yellow"
    event = gettext("%(kind)s alarm at %(name)s") % {"kind": gettext(KIND_LABELS[sensor.kind]), "name": sensor.name}
    text = gettext("%(name)s read %(value)s %(measure)s at %(at)s, at or above the %(level)s threshold.") % {
        "name": sensor.name, "value": f"{alarm.value:g}" if alarm.value is not None else "—",
        "measure": sensor.measure, "at": common.local_text(alarm.at), "level": gettext(LEVEL_LABELS[alarm.level])}
    payload = {"colour": colour, "event": event[:200], "description": text,
               "unit_id": _area_of(session, sensor.unit_id),
               "category": "Safety", "expires_hours": 6}
    before = audit.snapshot(alarm)
    draft = _warnings_draft(session, principal, payload)
    alarm.draft_payload = payload
    if draft is not None:
        alarm.draft_state, alarm.draft_ref = "created", str(draft)
    else:
        alarm.draft_state = "requested"
    return common.changed(session, principal, alarm, "risks_alarm", before, action="draft")


def _area_of(session: Session, unit_id: int) -> int:
    """The administrative division a warning about this unit's site would target: the unit itself or its
    nearest territorial ancestor (an enterprise is not an area)."""
    unit = session.get(Unit, unit_id)
    assert unit is not None
    chain = [int(p) for p in unit.path.strip("/").split("/") if p]
    kinds = dict(session.execute(select(Unit.id, Unit.kind).where(Unit.id.in_(chain))).all())
    return next((i for i in reversed(chain) if kinds.get(i) in TERRITORIAL_KINDS), chain[0])


def _warnings_draft(session: Session, principal: Principal, payload: dict[str, Any]) -> int | None:
    """The id of a draft made by ``yingji.warnings.service.create_draft``, or None when that is not there."""
    alert = _model("yingji.warnings.models", "Alert")
    if not _table_ready(session, alert):
        return None
    try:
        service = importlib.import_module("yingji.warnings.service")
        schemas = importlib.import_module("yingji.warnings.schemas")
    except ImportError:
        return None
    if not hasattr(service, "create_draft") or not hasattr(schemas, "AlertDraft"):
        return None
    data = schemas.AlertDraft(colour=payload["colour"], event=payload["event"], category=payload["category"],
                              urgency="Immediate", certainty="Observed", response_type="Monitor",
                              expires_at=clock.now() + timedelta(hours=payload["expires_hours"]),
                              infos=[{"language": "zh-CN", "event": payload["event"], "headline": payload["event"],
                                      "description": payload["description"]}],
                              areas=[{"kind": "unit", "unit_id": payload["unit_id"]}])
    return int(service.create_draft(session, principal, data).id)


# --- silent sensors (periodic) --------------------------------------------------------------------------------

def alarm_silent(session: Session, principal: Principal, now: datetime | None = None) -> int:
    """Sensors with a device token in force that have sent nothing for the silence limit: one alarm each,
    until they send again (``silent_since``). At exactly the limit a sensor is silent."""
    now = now or clock.now()
    limit = now - timedelta(minutes=defaults.value(session, defaults.SILENCE))
    heard = func.coalesce(Sensor.last_reading_at, Sensor.token_issued_at)
    due = list(session.scalars(select(Sensor).where(Sensor.token_hash.is_not(None), Sensor.token_revoked_at.is_(None),
                                                    Sensor.silent_since.is_(None), heard <= limit)
                               .order_by(Sensor.id).limit(1000)))
    for sensor in due:
        before = audit.snapshot(sensor)
        sensor.silent_since = now
        audit.record(session, principal, action="silent", entity_type="risks_sensor", entity_id=sensor.id,
                     unit_id=sensor.unit_id, before=before, after=audit.snapshot(sensor))
        raise_alarm(session, principal, sensor, kind="silent", level="", at=now, value=None)
    return len(due)


def _end_silence(session: Session, principal: Principal, sensor: Sensor) -> None:
    sensor.silent_since = None
    for alarm in session.scalars(select(SensorAlarm).where(SensorAlarm.sensor_id == sensor.id,
                                                           SensorAlarm.kind == "silent",
                                                           SensorAlarm.cleared_at.is_(None))):
        alarm.cleared_at = clock.now()


# --- time series ------------------------------------------------------------------------------------------------

BUCKETS = (1, 10, 60, 300, 900, 3600, 6 * 3600, 86400)


def bucket_for(span: timedelta) -> int:
    seconds = max(span.total_seconds(), 1)
    return next((b for b in BUCKETS if seconds / b <= MAX_SERIES_POINTS), BUCKETS[-1])


def _epoch(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", SensorReading.at))
    return cast(func.strftime("%s", SensorReading.at), Integer)


def series(session: Session, principal: Principal, sensor_id: int, start: datetime, end: datetime,
           bucket: int | None = None) -> Series:
    """min / max / mean per bucket between start and end (at most MAX_SERIES_POINTS buckets)."""
    sensor = get(session, principal, sensor_id)
    if end <= start:
        raise UserError("The range must end after it starts.", field="end")
    size = bucket or bucket_for(end - start)
    if (end - start).total_seconds() / size > MAX_SERIES_POINTS * 2:
        raise UserError("Too many points for one chart: choose a longer interval.", field="bucket")
    epoch = _epoch(session)
    key = func.floor(epoch / size).label("b")
    rows = session.execute(select(key, func.min(SensorReading.value), func.max(SensorReading.value),
                                  func.avg(SensorReading.value), func.count())
                           .where(SensorReading.sensor_id == sensor.id, SensorReading.at >= start,
                                  SensorReading.at < end).group_by(key).order_by(key)).all()
    points = [SeriesPoint(at=datetime.fromtimestamp(int(b) * size, UTC), min=lo, max=hi, avg=round(float(avg), 4),
                          n=n) for b, lo, hi, avg, n in rows]
    return Series(sensor_id=sensor.id, bucket_seconds=size, points=points)


def recent(session: Session, principal: Principal, sensor_id: int, limit: int = 50) -> list[SensorReading]:
    sensor = get(session, principal, sensor_id)
    return list(session.scalars(select(SensorReading).where(SensorReading.sensor_id == sensor.id)
                                .order_by(SensorReading.at.desc()).limit(limit)))


def hazard_sensors(session: Session, principal: Principal, hazard_id: int) -> list[Sensor]:
    return list(session.scalars(sensors_statement(session, principal, hazard_id=hazard_id)))


def open_alarm_count(session: Session, principal: Principal) -> int:
    stmt = scoped(select(func.count()).select_from(SensorAlarm), principal, model=SensorAlarm)
    return int(session.scalar(stmt.where(or_(SensorAlarm.status == "open"))) or 0)
