"""Delivery: one row per alert × recipient (or endpoint) × channel, queued in one set-based INSERT … SELECT
per channel when an alert is issued, then sent by workers.

States: ``queued`` → ``sending`` (claimed by a worker) → ``sent`` → ``delivered`` | ``failed`` →
``acknowledged``. Workers claim a batch with a compare-and-set UPDATE (two workers never hold the same
row), send outside any transaction, and mark the batch in one transaction. Every message carries the
key ``yj-<alert>-<delivery>``: a worker that dies between sending and marking leaves its rows claimed;
after the claim timeout another worker sends them again with the same keys, and the peer drops what
it has seen. Temporary failures come back after a doubling back-off; permanent ones, or too many
attempts, end ``failed``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from yingji import clock
from yingji.channels import compose, defaults
from yingji.channels.base import Channel, ChannelError, Config, Message, Outcome
from yingji.channels.models import (
    ACKNOWLEDGED,
    DELIVERED,
    FAILED,
    LANGUAGES,
    OFFICER_KINDS,
    QUEUED,
    REACHED_STATES,
    SENDING,
    SENT,
    ChannelConfig,
    Delivery,
    Endpoint,
    Recipient,
)
from yingji.channels.registry import CHANNEL_LABELS, CHANNELS, ENDPOINT_CHANNELS, PERSON_CHANNELS
from yingji.core import audit
from yingji.core.models import Unit
from yingji.core.scope import Principal, in_subtree
from yingji.db import UTCDateTime, on_commit
from yingji.errors import NotFound, UserError
from yingji.i18n import N_

log = logging.getLogger(__name__)
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
VILLAGE_KINDS = ("village",)


# --- who is in the target -------------------------------------------------------------------------------------------

def _polygon_sql(ring: Any, lon: Any, lat: Any) -> ColumnElement[bool]:
    """Even-odd point-in-polygon as SQL (the same rule as ``warnings.targeting.point_in_ring``), behind a bbox."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    crossings = []
    for (x1, y1), (x2, y2) in zip(ring[:-1], ring[1:], strict=True):
        if y1 == y2:
            continue  # a horizontal edge is never crossed by the horizontal ray
        slope = (x2 - x1) / (y2 - y1)
        crossings.append(case((and_(lat >= min(y1, y2), lat < max(y1, y2),
                                    lon < literal(x1) + (lat - literal(y1)) * literal(slope)), 1), else_=0))
    if not crossings:
        return false()
    total: ColumnElement[Any] = crossings[0]
    for c in crossings[1:]:
        total = total + c
    return and_(lon >= min(xs), lon <= max(xs), lat >= min(ys), lat <= max(ys), total % 2 == 1)


def _circle_sql(shape: Any, lon: Any, lat: Any) -> ColumnElement[bool]:
    """Inside a circle, by the local flat-earth distance (within 0.1 % of the great circle below 100 km)."""
    kx = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(shape.lat))
    dlat = shape.radius_km / KM_PER_DEGREE_LAT
    dlon = shape.radius_km / max(kx, 1e-6)
    dx = (lon - literal(shape.lon)) * literal(kx)
    dy = (lat - literal(shape.lat)) * literal(KM_PER_DEGREE_LAT)
    return and_(lon >= shape.lon - dlon, lon <= shape.lon + dlon, lat >= shape.lat - dlat,
                lat <= shape.lat + dlat, dx * dx + dy * dy <= shape.radius_km ** 2)


def _shapes_sql(target: Any, lon: Any, lat: Any) -> ColumnElement[bool]:
    parts = []
    for shape in target.shapes:
        parts.append(_circle_sql(shape, lon, lat) if hasattr(shape, "radius_km")
                     else _polygon_sql(shape.ring, lon, lat))
    return or_(*parts) if parts else false()


def covered_units(session: Session, target: Any) -> tuple[list[int], list[int]]:
    """(units under a targeted unit, units whose own point lies in a drawn shape) — territorial units only."""
    rows = session.execute(select(Unit.id, Unit.path, Unit.lon, Unit.lat).where(
        Unit.kind.in_(("prefecture", "county", "zone", "township", "village")))).all()
    by_path = [r.id for r in rows if target.covers_path(r.path or "")]
    by_point = [r.id for r in rows if r.lon is not None and target.contains(r.lon, r.lat)]
    return by_path, by_point


def _in_target(session: Session, target: Any, model: Any) -> ColumnElement[bool]:
    """Rows of ``model`` (recipients or endpoints) the target reaches: under a targeted unit; or their own
    point inside a drawn shape; or, without a point of their own, their unit's point inside a shape."""
    parts: list[ColumnElement[bool]] = []
    if target.unit_paths:
        under = select(Unit.id).where(or_(*[in_subtree(Unit.path, p) for p in target.unit_paths]))
        parts.append(model.unit_id.in_(under))
    if target.shapes:
        parts.append(and_(model.lon.is_not(None), _shapes_sql(target, model.lon, model.lat)))
        _by_path, by_point = covered_units(session, target)
        if by_point:
            parts.append(and_(model.lon.is_(None), model.unit_id.in_(by_point)))
    return or_(*parts) if parts else false()


def _person_filter(channel: str) -> ColumnElement[bool]:
    if channel == "sms":
        return and_(Recipient.by_sms.is_(True), Recipient.phone != "")
    return and_(Recipient.by_email.is_(True), Recipient.email != "")


# --- preview at sign-off --------------------------------------------------------------------------------------------

def preview(session: Session, target: Any) -> dict[str, Any]:
    """Per-channel recipient counts for ``target`` and the villages in it with no channel at all (blind spots)."""
    counts: dict[str, int] = {}
    if not target.empty:
        where = _in_target(session, target, Recipient)
        row = session.execute(select(
            func.count(case((_person_filter("sms"), 1))), func.count(case((_person_filter("email"), 1))),
            func.count()).where(Recipient.active.is_(True), where)).one()
        counts["sms"], counts["email"], people = int(row[0]), int(row[1]), int(row[2])
        endpoint_rows = session.execute(select(Endpoint.channel, func.count()).where(
            Endpoint.active.is_(True), _in_target(session, target, Endpoint)).group_by(Endpoint.channel)).all()
        by_channel = dict(endpoint_rows)
    else:
        people, by_channel = 0, {}
    for name in ENDPOINT_CHANNELS:
        counts[name] = int(by_channel.get(name, 0))
    counts.setdefault("sms", 0)
    counts.setdefault("email", 0)
    blind = blind_spots(session, target)
    return {"channels": counts, "recipients": people, "endpoints": sum(counts[c] for c in ENDPOINT_CHANNELS),
            "blind_spots": blind, "villages": _village_count(session, target)}


def target_villages(session: Session, target: Any) -> list[tuple[int, str, str]]:
    """(id, name, path) of the villages and communities the target covers."""
    if target.empty:
        return []
    rows = session.execute(select(Unit.id, Unit.name, Unit.path, Unit.lon, Unit.lat).where(
        Unit.kind.in_(VILLAGE_KINDS), Unit.valid_to.is_(None)).order_by(Unit.path)).all()
    return [(r.id, r.name, r.path) for r in rows
            if target.covers_path(r.path or "") or (r.lon is not None and target.contains(r.lon, r.lat))]


def _village_count(session: Session, target: Any) -> int:
    return len(target_villages(session, target))


def blind_spots(session: Session, target: Any) -> list[dict[str, Any]]:
    """Villages in the target that no active recipient or endpoint reaches."""
    villages = target_villages(session, target)
    if not villages:
        return []
    ids = [v[0] for v in villages]
    reached: set[int] = set()
    for chunk in _chunks(ids, 5000):
        reached.update(session.scalars(select(Recipient.unit_id).where(
            Recipient.unit_id.in_(chunk), Recipient.active.is_(True),
            or_(_person_filter("sms"), _person_filter("email"))).distinct()))
        reached.update(session.scalars(select(Endpoint.unit_id).where(
            Endpoint.unit_id.in_(chunk), Endpoint.active.is_(True)).distinct()))
    return [{"id": v[0], "name": v[1], "path": v[2]} for v in villages if v[0] not in reached]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- message length against each channel ----------------------------------------------------------------------------

def channel_instances(session: Session) -> dict[str, Channel]:
    """Every channel built from its configuration (disabled ones too: length checks need them)."""
    rules = defaults.values(session)
    configs = {c.channel: c for c in session.scalars(select(ChannelConfig))}
    out = {}
    for name, cls in CHANNELS.items():
        row = configs.get(name)
        options = dict(row.options or {}) if row else {}
        if name == "sms":
            options.setdefault("segment_length", rules[defaults.SEGMENT_LENGTH])
            options.setdefault("max_segments", rules[defaults.MAX_SEGMENTS])
        out[name] = cls(Config(url=row.url if row else "", secret=row.secret if row else "", options=options))
    return out


TOO_LONG = N_("The message is too long for %(channel)s (%(language)s): %(why)s. Shorten the text.")
SWITCHED_OFF = N_("%(channel)s is switched off: %(count)s in the area will not get this warning.")
NOBODY = N_("No one in the area is reached by %(channel)s.")
BLIND = N_("%(count)s villages in the area have no channel at all: %(names)s.")
GATEWAY_FAILING = N_("%(channel)s: %(failed)s of %(total)s messages failed in the past %(hours)s hours "
                     "(last error: %(detail)s).")
ENDPOINT_FAILING = N_("%(name)s (%(channel)s) failed on its last message: %(detail)s")
MORE_ENDPOINTS_FAILING = N_("…and %(count)s more endpoints in the area whose last message failed.")
BLIND_NAMES_SHOWN = 10  # villages named in the problem line; the preview lists them all
ENDPOINTS_SHOWN = 10


def problems(session: Session, alert: Any, shown: dict[str, Any] | None = None) -> list[str]:
    """What stands between the alert and the people in its area, in the reader's language, for the sign-off page:

    * texts too long for a channel that will carry them (these refuse the issue);
    * channels switched off although people or endpoints in the area depend on them, and switched-on
      channels that reach no one there;
    * villages in the area with no channel at all (blind spots);
    * gateways (SMS, mail) with failed messages in the past ``failure_window_hours``, and endpoints in the
      area whose last message within that window failed.

    ``shown``: the :func:`preview` of the same target when the caller already has it (saves its queries).
    """
    from yingji.i18n import gettext
    from yingji.warnings.targeting import target_of

    out = [gettext(TOO_LONG) % {"channel": c, "language": lang, "why": why}
           for c, lang, why in length_problems(session, alert)]
    target = target_of(session, alert)
    if target.empty:
        return out
    shown = shown if shown is not None else preview(session, target)
    enabled = set(enabled_channels(session))
    for name in CHANNELS:
        count = int(shown["channels"].get(name, 0))
        label = gettext(CHANNEL_LABELS[name])
        if count and name not in enabled:
            out.append(gettext(SWITCHED_OFF) % {"channel": label, "count": count})
        elif not count and name in enabled:
            out.append(gettext(NOBODY) % {"channel": label})
    blind = shown["blind_spots"]
    if blind:
        names = "、".join(b["name"] for b in blind[:BLIND_NAMES_SHOWN])
        names += "…" if len(blind) > BLIND_NAMES_SHOWN else ""
        out.append(gettext(BLIND) % {"count": len(blind), "names": names})
    hours = defaults.value(session, defaults.FAILURE_WINDOW)
    since = clock.now() - timedelta(hours=hours)
    used = [name for name in PERSON_CHANNELS if name in enabled and shown["channels"].get(name)]
    for name, failed, total, detail in failing_gateways(session, used, since):
        out.append(gettext(GATEWAY_FAILING) % {"channel": gettext(CHANNEL_LABELS[name]), "failed": failed,
                                                "total": total, "hours": hours, "detail": detail or "—"})
    endpoints = failing_endpoints(session, target, since)
    for name, channel, detail in endpoints[:ENDPOINTS_SHOWN]:
        out.append(gettext(ENDPOINT_FAILING) % {"name": name, "channel": gettext(CHANNEL_LABELS[channel]),
                                                 "detail": detail or "—"})
    if len(endpoints) > ENDPOINTS_SHOWN:
        out.append(gettext(MORE_ENDPOINTS_FAILING) % {"count": len(endpoints) - ENDPOINTS_SHOWN})
    return out


def _failed_attempt() -> ColumnElement[bool]:
    """The row's last attempt failed: given up, or waiting for a retry."""
    return or_(Delivery.status == FAILED, and_(Delivery.status == QUEUED, Delivery.attempts > 0))


def failing_gateways(session: Session, channels: list[str], since: datetime) -> list[tuple[str, int, int, str]]:
    """(channel, failed, attempted, last error) for each of ``channels`` with failed messages since ``since``."""
    if not channels:
        return []
    failed = _failed_attempt()
    attempted = or_(failed, Delivery.status.in_(REACHED_STATES))
    rows = session.execute(select(Delivery.channel, func.count(case((failed, 1))), func.count(), func.max(
        case((failed, Delivery.id)))).where(Delivery.channel.in_(channels), Delivery.created_at >= since, attempted)
        .group_by(Delivery.channel)).all()
    found = [(name, int(n_failed), int(total), last) for name, n_failed, total, last in rows if n_failed]
    details = dict(session.execute(select(Delivery.id, Delivery.detail).where(
        Delivery.id.in_([last for *_rest, last in found]))).all()) if found else {}
    return [(name, n_failed, total, details.get(last) or "") for name, n_failed, total, last in
            sorted(found, key=lambda r: list(CHANNELS).index(r[0]))]


def failing_endpoints(session: Session, target: Any, since: datetime) -> list[tuple[str, str, str]]:
    """(name, channel, error) of the active endpoints in ``target`` whose last message since ``since`` failed."""
    latest = select(func.max(Delivery.id)).where(Delivery.endpoint_id.is_not(None), Delivery.created_at >= since,
                                                 or_(_failed_attempt(), Delivery.status.in_(REACHED_STATES))
                                                 ).group_by(Delivery.endpoint_id)
    rows = session.execute(select(Endpoint.name, Endpoint.channel, Delivery.detail).join(
        Delivery, Delivery.endpoint_id == Endpoint.id).where(
        Delivery.id.in_(latest), _failed_attempt(), Endpoint.active.is_(True),
        _in_target(session, target, Endpoint)).order_by(Endpoint.name)).all()
    return [(name, channel, detail or "") for name, channel, detail in rows]


def length_problems(session: Session, alert: Any) -> list[tuple[str, str, str]]:
    """(channel, language, why) for each channel and language whose composed text is too long and that some
    recipient or endpoint in the target would get. Texts are checked first (no query when all fit)."""
    from yingji.warnings.targeting import target_of

    channels = channel_instances(session)
    suspects = [(name, lang, why) for name in CHANNELS for lang in LANGUAGES
                for _c, _l, why in _too_long(channels[name], alert, [lang], ack=name in PERSON_CHANNELS)]
    if not suspects:
        return []
    target = target_of(session, alert)
    if target.empty:
        return []
    where = _in_target(session, target, Recipient)
    found = []
    for name, lang, why in suspects:
        if name in PERSON_CHANNELS:
            hit = session.scalar(select(Recipient.id).where(Recipient.active.is_(True), _person_filter(name),
                                                            Recipient.language == lang, where).limit(1))
        else:
            hit = session.scalar(select(Endpoint.id).where(
                Endpoint.active.is_(True), Endpoint.channel == name, Endpoint.language == lang,
                _in_target(session, target, Endpoint)).limit(1))
        if hit is not None:
            found.append((name, lang, why))
    return found


def _too_long(channel: Channel, alert: Any, languages: Iterable[str], *, ack: bool) -> list[tuple[str, str, str]]:
    out = []
    for lang in sorted(set(languages)):
        text = compose.compose(alert, lang, "x" * compose.ACK_LINK_ROOM if ack else "").body
        why = channel.too_long(text)
        if why:
            out.append((channel.name, lang, why))
    return out


# --- fan-out --------------------------------------------------------------------------------------------------------

def fan_out(session: Session, principal: Principal, alert: Any) -> int:
    """Queue every delivery row of the alert's target (set-based; idempotent: a second call adds only what is
    missing). A message too long for a channel refuses the whole issue, nothing queued."""
    from yingji.warnings.targeting import target_of

    target = target_of(session, alert)
    found = length_problems(session, alert)
    if found:
        channel, language, why = found[0]
        raise UserError(TOO_LONG, field="text", channel=channel, language=language, why=why)
    if target.empty:
        return 0
    now = clock.now()
    again = session.scalar(select(exists().where(Delivery.alert_id == alert.id))) or False
    before = _queued_by_channel(session, alert.id) if again else {}
    table: Any = Delivery.__table__
    columns = ["alert_id", "unit_id", "recipient_id", "endpoint_id", "channel", "language", "status", "attempts",
               "next_attempt_at", "created_at"]
    stamp = literal(now, UTCDateTime())
    where = _in_target(session, target, Recipient)
    for name in PERSON_CHANNELS:
        query = select(literal(alert.id, Integer), Recipient.unit_id, Recipient.id, cast(null(), Integer),
                       literal(name, String), Recipient.language, literal(QUEUED, String), literal(0, Integer),
                       stamp, stamp).where(_person_filter(name), Recipient.active.is_(True), where)
        if again:
            query = query.where(~exists().where(Delivery.alert_id == alert.id, Delivery.recipient_id == Recipient.id,
                                                Delivery.channel == name))
        session.execute(insert(table).from_select(columns, query))
    query = select(literal(alert.id, Integer), Endpoint.unit_id, cast(null(), Integer), Endpoint.id, Endpoint.channel,
                   Endpoint.language, literal(QUEUED, String), literal(0, Integer), stamp, stamp).where(
        Endpoint.active.is_(True), Endpoint.channel.in_(ENDPOINT_CHANNELS), _in_target(session, target, Endpoint))
    if again:
        query = query.where(~exists().where(Delivery.alert_id == alert.id, Delivery.endpoint_id == Endpoint.id,
                                            Delivery.channel == Endpoint.channel))
    session.execute(insert(table).from_select(columns, query))
    # Counted afterwards: drivers differ in what rowcount says for INSERT … SELECT.
    after = _queued_by_channel(session, alert.id)
    counts = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    total = sum(counts.values())
    audit.record(session, principal, action="fan_out", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, after={"queued": counts})
    on_commit(session, _kick_delivery)
    return total


def _queued_by_channel(session: Session, alert_id: int) -> dict[str, int]:
    rows = session.execute(select(Delivery.channel, func.count()).where(Delivery.alert_id == alert_id)
                           .group_by(Delivery.channel)).all()
    return {name: int(n) for name, n in rows}


def _kick_delivery() -> None:
    from yingji.channels import tasks

    tasks.deliver_task()


# --- the worker's side ----------------------------------------------------------------------------------------------

def message_key(alert_id: int, delivery_id: int) -> str:
    return f"yj-{alert_id}-{delivery_id}"


def parse_key(key: str) -> int | None:
    parts = key.split("-")
    if len(parts) != 3 or parts[0] != "yj" or not parts[2].isdigit() or len(parts[2]) > 10:
        return None
    return int(parts[2])


def ack_token(secret_key: str, delivery_id: int) -> str:
    mac = hmac.new(secret_key.encode(), f"ack:{delivery_id}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"{delivery_id}-{mac}"


def check_ack_token(secret_key: str, token: str) -> int | None:
    head, _, _mac = token.partition("-")
    if not head.isdigit() or len(head) > 10 or len(token) > 40:
        return None
    return int(head) if hmac.compare_digest(ack_token(secret_key, int(head)), token) else None


def enabled_channels(session: Session) -> list[str]:
    return list(session.scalars(select(ChannelConfig.channel).where(ChannelConfig.enabled.is_(True))))


def claim(session: Session, worker: str, *, limit: int | None = None) -> tuple[str, list[int]]:
    """Claim due rows of enabled channels with one compare-and-set UPDATE; returns (claim token, ids won)."""
    rules = defaults.values(session)
    limit = limit or rules[defaults.BATCH_SIZE]
    now = clock.now()
    stale = now - timedelta(seconds=rules[defaults.CLAIM_TIMEOUT])
    channels = enabled_channels(session)
    if not channels:
        return "", []
    due = or_(Delivery.status == QUEUED, and_(Delivery.status == SENDING, Delivery.claimed_at < stale))
    # The literal text of the partial index's predicate, so that SQLite may use ix_channel_deliveries_due.
    in_due_index = text("channel_deliveries.status IN ('queued', 'sending')")
    ids = list(session.scalars(select(Delivery.id).where(
        in_due_index, Delivery.next_attempt_at <= now, due,
        Delivery.channel.in_(channels)).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))
    if not ids:
        return "", []
    token = f"{worker}:{uuid.uuid4().hex[:10]}"[-64:]
    session.execute(update(Delivery).where(Delivery.id.in_(ids), due).values(
        status=SENDING, claimed_by=token, claimed_at=now), execution_options={"synchronize_session": False})
    won = list(session.scalars(select(Delivery.id).where(Delivery.id.in_(ids), Delivery.claimed_by == token)))
    return token, won


@dataclass
class Job:
    delivery_id: int
    channel: str
    message: Message


def prepare(session: Session, secret_key: str, base_url: str, ids: list[int]) -> list[Job]:
    """The messages for claimed rows: address, language and text composed from the alert."""
    rows = session.execute(
        select(Delivery.id, Delivery.alert_id, Delivery.channel, Delivery.language, Recipient.phone, Recipient.email,
               Recipient.kind, Endpoint.url, Endpoint.secret)
        .outerjoin(Recipient, Recipient.id == Delivery.recipient_id)
        .outerjoin(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.id.in_(ids))).all()
    alerts = _alerts(session, {r.alert_id for r in rows})
    cache: dict[tuple[int, str], compose.Text] = {}
    data_cache: dict[tuple[int, str], dict[str, Any]] = {}
    jobs = []
    for r in rows:
        alert = alerts[r.alert_id]
        link = ""
        if r.kind in OFFICER_KINDS:
            link = f"{base_url.rstrip('/')}/public/ack/{ack_token(secret_key, r.id)}"
            text = compose.compose(alert, r.language, link)
        else:
            text = cache.get((alert.id, r.language)) or compose.compose(alert, r.language)
            cache[(alert.id, r.language)] = text
        address = {"sms": r.phone, "email": r.email}.get(r.channel) or r.url or ""
        data: dict[str, Any] = {}
        if r.channel == "webhook":
            data = data_cache.get((alert.id, r.language)) or compose.structured(alert, r.language)
            data_cache[(alert.id, r.language)] = data
        jobs.append(Job(r.id, r.channel, Message(key=message_key(alert.id, r.id), address=address or "",
                                                  subject=text.subject, text=text.body, language=r.language,
                                                  secret=r.secret or "", data=data)))
    return jobs


_ALERT_CACHE: dict[tuple[Any, ...], Any] = {}
_ALERT_CACHE_SIZE = 32


def _alerts(session: Session, ids: set[int]) -> dict[int, Any]:
    """Alerts by id, kept between batches as detached copies with their info blocks loaded. The key carries the
    identifier and last change, so a changed (or another database's) alert is never taken for a cached one."""
    from yingji.warnings.models import Alert

    stamps = session.execute(select(Alert.id, Alert.identifier, Alert.updated_at).where(Alert.id.in_(ids))).all()
    keys = {r.id: (r.id, r.identifier, r.updated_at, str(session.get_bind().engine.url)) for r in stamps}
    missing = [i for i, key in keys.items() if key not in _ALERT_CACHE]
    if missing:
        for alert in session.scalars(select(Alert).where(Alert.id.in_(missing))):
            session.expunge(alert)
            if len(_ALERT_CACHE) >= _ALERT_CACHE_SIZE:
                _ALERT_CACHE.pop(next(iter(_ALERT_CACHE)))
            _ALERT_CACHE[keys[alert.id]] = alert
    return {i: _ALERT_CACHE[key] for i, key in keys.items() if key in _ALERT_CACHE}


@dataclass
class Result:
    delivery_id: int
    outcome: Outcome | None
    error: ChannelError | None


def send_all(channels: dict[str, Channel], jobs: list[Job]) -> list[Result]:
    results = []
    for job in jobs:
        channel = channels.get(job.channel)
        try:
            if channel is None:
                raise ChannelError(f"no channel {job.channel!r}", permanent=True)
            results.append(Result(job.delivery_id, channel.send(job.message), None))
        except ChannelError as exc:
            results.append(Result(job.delivery_id, None, exc))
        except Exception as exc:  # a bug in one channel must not lose the batch's other results
            log.exception("channel %s failed", job.channel)
            results.append(Result(job.delivery_id, None, ChannelError(f"internal error: {exc}", permanent=False)))
    return results


def mark(session: Session, token: str, results: list[Result]) -> dict[str, int]:
    """Record a batch's outcomes (only rows this claim still holds)."""
    if not results:
        return {}
    rules = defaults.values(session)
    now = clock.now()
    attempts = dict(session.execute(select(Delivery.id, Delivery.attempts).where(
        Delivery.id.in_([r.delivery_id for r in results]), Delivery.claimed_by == token)).all())
    params = []
    tally: dict[str, int] = {}
    for r in results:
        if r.delivery_id not in attempts:
            continue  # the claim was taken over meanwhile; the other worker records it
        n = attempts[r.delivery_id] + 1
        row: dict[str, Any] = {"b_id": r.delivery_id, "b_claim": token, "attempts": n, "claimed_by": None,
                               "claimed_at": None, "sent_at": None, "delivered_at": None, "failed_at": None,
                               "next_attempt_at": now, "detail": "", "reference": ""}
        if r.outcome is not None:
            row.update(status=DELIVERED if r.outcome.delivered else SENT, sent_at=now,
                       delivered_at=now if r.outcome.delivered else None, detail=r.outcome.detail[:500],
                       reference=r.outcome.reference[:100])
        elif r.error is not None and (r.error.permanent or n >= rules[defaults.MAX_ATTEMPTS]):
            row.update(status=FAILED, failed_at=now, detail=r.error.detail[:500])
        else:
            detail = r.error.detail if r.error else ""
            row.update(status=QUEUED, detail=detail[:500],
                       next_attempt_at=now + timedelta(seconds=backoff(rules[defaults.RETRY_BASE], n)))
        tally[row["status"]] = tally.get(row["status"], 0) + 1
        params.append(row)
    if params:
        table: Any = Delivery.__table__
        stmt = update(table).where(table.c.id == bindparam("b_id"), table.c.claimed_by == bindparam("b_claim"))
        session.connection().execute(stmt, params)
    return tally


def backoff(base_seconds: int, attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: base, 2×base, 4×base… (attempts counts those made)."""
    return int(base_seconds * 2 ** max(attempts - 1, 0))


def run_once(database: Any, worker: str, channels: dict[str, Channel] | None = None) -> int:
    """Claim one batch, send it, mark it; returns how many messages were handled (0: nothing due)."""
    with database.unit_of_work() as session:  # short: the claim holds the write lock until it commits
        token, ids = claim(session, worker)
    if not ids:
        return 0
    with database.sessionmaker() as session:
        jobs = prepare(session, database.settings.secret_key, database.settings.base_url, ids)
        channels = channels or channel_instances(session)
    results = send_all(channels, jobs)
    with database.unit_of_work() as session:
        mark(session, token, results)
    return len(ids)


def run_until_idle(database: Any, worker: str, limit: int = 1_000_000) -> int:
    done = 0
    with database.unit_of_work() as session:
        channels = channel_instances(session)
    while done < limit:
        n = run_once(database, worker, channels)
        if n == 0:
            break
        done += n
    return done


# --- receipts and acknowledgement -----------------------------------------------------------------------------------

def receipt(session: Session, principal: Principal, key: str, status: str, detail: str = "") -> Delivery:
    """A gateway's delivery receipt for a message it accepted earlier."""
    delivery_id = parse_key(key)
    row = session.get(Delivery, delivery_id) if delivery_id else None
    if row is None or message_key(row.alert_id, row.id) != key:
        raise NotFound("Not found, or not within your area.")
    if status not in (DELIVERED, FAILED):
        raise UserError("Unknown receipt status.", field="status")
    now = clock.now()
    if row.status in (SENT, SENDING, QUEUED):
        row.status = status
        if status == DELIVERED:
            row.delivered_at = now
        else:
            row.failed_at = now
        row.detail = (detail or "receipt")[:500]
        audit.record(session, principal, action="receipt", entity_type="channel_delivery", entity_id=row.id,
                     unit_id=row.unit_id, after={"status": status})
    return row


def acknowledge(session: Session, principal: Principal, delivery_id: int) -> Delivery:
    """A village officer's "received": recorded once (a second tap changes nothing)."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound("Not found, or not within your area.")
    if row.acknowledged_at is None:
        row.acknowledged_at = clock.now()
        before = row.status
        row.status = ACKNOWLEDGED
        audit.record(session, principal, action="acknowledge", entity_type="channel_delivery", entity_id=row.id,
                     unit_id=row.unit_id, before={"status": before}, after={"status": ACKNOWLEDGED})
    return row


def reached_states() -> tuple[str, ...]:
    return REACHED_STATES


def latest_time(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
