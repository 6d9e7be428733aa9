"""Recipients (people), endpoints (machines and groups), the channels' configuration, and the public
subscription confirmed by a code sent through the SMS channel."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.channels import defaults
from yingji.channels.base import ChannelError, Config, Message
from yingji.channels.models import ChannelConfig, Endpoint, Recipient, Subscription
from yingji.channels.registry import CHANNELS
from yingji.channels.schemas import ConfigIn, EndpointIn, RecipientIn, SubscriptionIn
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.db import on_commit
from yingji.errors import NotFound, PermissionDenied, TooManyRequests, UserError
from yingji.i18n import N_

log = logging.getLogger(__name__)
ENDPOINT_CHANNEL = {"loudspeaker": "webhook", "display": "webhook", "tv": "webhook", "radio": "webhook",
                    "wecom_group": "wecom", "dingtalk_group": "dingtalk"}
SUBSCRIBABLE_KINDS = ("county", "zone", "township", "village")


# --- recipients -----------------------------------------------------------------------------------------------------

def _recipient_query(principal: Principal, *, q: str = "", kind: str = "", unit_id: int | None = None,
                     active: bool | None = True) -> Any:
    stmt = scoped(select(Recipient), principal)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Recipient.name.like(like), Recipient.phone.like(like), Recipient.email.like(like)))
    if kind:
        stmt = stmt.where(Recipient.kind == kind)
    if unit_id:
        stmt = stmt.where(Recipient.unit_id == unit_id)
    if active is not None:
        stmt = stmt.where(Recipient.active.is_(active))
    return stmt.order_by(Recipient.id)


def list_recipients(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                    **filters: Any) -> Page[Any]:
    from yingji.channels.schemas import RecipientRead

    return paginate(session, _recipient_query(principal, **filters), RecipientRead, page=page, per_page=per_page)


def all_recipients(session: Session, principal: Principal, limit: int = 100000, **filters: Any) -> list[Recipient]:
    return list(session.scalars(_recipient_query(principal, **filters).limit(limit)))


def get_recipient(session: Session, principal: Principal, recipient_id: int, action: str = roles.READ) -> Recipient:
    return get_scoped(session, principal, Recipient, recipient_id, action)


def _check_person(data: RecipientIn) -> None:
    if data.by_sms and not data.phone:
        raise UserError("A phone number is needed for SMS.", field="phone")
    if data.by_email and not data.email:
        raise UserError("A mail address is needed for mail.", field="email")
    if (data.lon is None) != (data.lat is None):
        raise UserError("Give both longitude and latitude, or neither.", field="lon")


def create_recipient(session: Session, principal: Principal, data: RecipientIn) -> Recipient:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    _check_person(data)
    row = Recipient(**data.model_dump())
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="channel_recipient", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def update_recipient(session: Session, principal: Principal, recipient_id: int, data: RecipientIn) -> Recipient:
    row = get_recipient(session, principal, recipient_id, roles.WRITE)
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    _check_person(data)
    before = audit.snapshot(row)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    recheck(session, principal, row)
    audit.record(session, principal, action="update", entity_type="channel_recipient", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def set_recipient_active(session: Session, principal: Principal, recipient_id: int, active: bool) -> Recipient:
    """Recipients are switched off, never deleted: their deliveries stay on record."""
    row = get_recipient(session, principal, recipient_id, roles.WRITE)
    if row.active != active:
        row.active = active
        audit.record(session, principal, action="enable" if active else "disable", entity_type="channel_recipient",
                     entity_id=row.id, unit_id=row.unit_id, after={"active": active})
    return row


# --- endpoints ------------------------------------------------------------------------------------------------------

def _endpoint_query(principal: Principal, *, q: str = "", kind: str = "", unit_id: int | None = None,
                    active: bool | None = True) -> Any:
    stmt = scoped(select(Endpoint), principal)
    if q:
        stmt = stmt.where(Endpoint.name.like(f"%{q}%"))
    if kind:
        stmt = stmt.where(Endpoint.kind == kind)
    if unit_id:
        stmt = stmt.where(Endpoint.unit_id == unit_id)
    if active is not None:
        stmt = stmt.where(Endpoint.active.is_(active))
    return stmt.order_by(Endpoint.id)


def list_endpoints(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                   **filters: Any) -> Page[Any]:
    from yingji.channels.schemas import EndpointRead

    return paginate(session, _endpoint_query(principal, **filters), EndpointRead, page=page, per_page=per_page)


def all_endpoints(session: Session, principal: Principal, limit: int = 100000, **filters: Any) -> list[Endpoint]:
    return list(session.scalars(_endpoint_query(principal, **filters).limit(limit)))


def get_endpoint(session: Session, principal: Principal, endpoint_id: int, action: str = roles.READ) -> Endpoint:
    return get_scoped(session, principal, Endpoint, endpoint_id, action)


def _endpoint_values(data: EndpointIn) -> dict[str, Any]:
    if (data.lon is None) != (data.lat is None):
        raise UserError("Give both longitude and latitude, or neither.", field="lon")
    values = data.model_dump()
    values["channel"] = ENDPOINT_CHANNEL[data.kind]
    if values["channel"] == "webhook" and not data.secret:
        raise UserError("A webhook needs a signing secret.", field="secret")
    return values


def _endpoint_snapshot(row: Endpoint) -> dict[str, Any]:
    shot = audit.snapshot(row)
    shot["secret"] = mask(row.secret)
    return shot


def create_endpoint(session: Session, principal: Principal, data: EndpointIn) -> Endpoint:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    row = Endpoint(**_endpoint_values(data))
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="channel_endpoint", entity_id=row.id,
                 unit_id=row.unit_id, after=_endpoint_snapshot(row))
    return row


def update_endpoint(session: Session, principal: Principal, endpoint_id: int, data: EndpointIn) -> Endpoint:
    row = get_endpoint(session, principal, endpoint_id, roles.WRITE)
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    before = _endpoint_snapshot(row)
    values = _endpoint_values(data.model_copy(update={"secret": data.secret or row.secret}))
    for key, value in values.items():
        setattr(row, key, value)
    recheck(session, principal, row)
    audit.record(session, principal, action="update", entity_type="channel_endpoint", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=_endpoint_snapshot(row))
    return row


def set_endpoint_active(session: Session, principal: Principal, endpoint_id: int, active: bool) -> Endpoint:
    row = get_endpoint(session, principal, endpoint_id, roles.WRITE)
    if row.active != active:
        row.active = active
        audit.record(session, principal, action="enable" if active else "disable", entity_type="channel_endpoint",
                     entity_id=row.id, unit_id=row.unit_id, after={"active": active})
    return row


# --- channel configuration (prefecture-wide) ------------------------------------------------------------------------

def mask(secret: str) -> str:
    """A secret is never shown back: only that there is one, and its last two characters."""
    if not secret:
        return ""
    return "••••" + (secret[-2:] if len(secret) >= 8 else "")


def _require_config_role(principal: Principal) -> None:
    if not principal.can(roles.EDIT_RULES):
        raise PermissionDenied("Your role does not allow this action.")


def list_configs(session: Session, principal: Principal) -> list[dict[str, Any]]:
    _require_config_role(principal)
    have = {c.channel: c for c in session.scalars(select(ChannelConfig))}
    out = []
    for name in CHANNELS:
        row = have.get(name)
        out.append({"channel": name, "url": row.url if row else "", "enabled": bool(row and row.enabled),
                    "secret_hint": mask(row.secret) if row else "",
                    "sender": str((row.options or {}).get("sender", "")) if row else ""})
    return out


def configure(session: Session, principal: Principal, channel: str, data: ConfigIn) -> ChannelConfig:
    """Set a channel's URL, secret and switch (audited; the secret itself never enters the audit log)."""
    from yingji.channels.schemas import SMTP_RE, URL_RE

    _require_config_role(principal)
    if channel not in CHANNELS:
        raise NotFound("Not found, or not within your area.")
    pattern = SMTP_RE if channel == "email" else URL_RE
    if data.url and not pattern.match(data.url):
        raise UserError(N_("This address does not suit the channel."), field="url")
    if data.enabled and not data.url and channel in ("sms", "email"):
        raise UserError(N_("A channel needs an address before it can be switched on."), field="url")
    row = session.scalar(select(ChannelConfig).where(ChannelConfig.channel == channel))
    if row is None:
        row = ChannelConfig(channel=channel, url="", secret="", enabled=False, options={})
        session.add(row)
        session.flush()
    before = {"url": row.url, "enabled": row.enabled, "secret": mask(row.secret), "options": dict(row.options or {})}
    row.url = data.url
    row.enabled = data.enabled
    if data.clear_secret:
        row.secret = ""
    elif data.secret:
        row.secret = data.secret
    options = dict(row.options or {})
    if data.sender:
        options["sender"] = data.sender
    row.options = options
    session.flush()
    audit.record(session, principal, action="update", entity_type="channel_config", entity_id=row.id, unit_id=None,
                 before=before, after={"url": row.url, "enabled": row.enabled, "secret": mask(row.secret),
                                       "options": options})
    return row


# --- the public subscription ----------------------------------------------------------------------------------------

def _code_hash(secret_key: str, subscription_id: int, code: str) -> str:
    return hmac.new(secret_key.encode(), f"sub:{subscription_id}:{code}".encode(), hashlib.sha256).hexdigest()


def subscribable_areas(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.kind.in_(SUBSCRIBABLE_KINDS), Unit.valid_to.is_(None))
                                .order_by(Unit.path).limit(5000)))


def subscribe(session: Session, principal: Principal, secret_key: str, data: SubscriptionIn,
              address: str = "") -> Subscription:
    """Ask for warnings to a phone: a code goes out by SMS; the subscription counts once it is confirmed."""
    area = session.get(Unit, data.area_id)
    if area is None or area.kind not in SUBSCRIBABLE_KINDS or area.valid_to is not None:
        raise UserError(N_("Choose an area of the prefecture."), field="area_id")
    rules = defaults.values(session)
    now = clock.now()
    recent = session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.phone == data.phone, Subscription.created_at > now - timedelta(hours=1))) or 0
    if recent >= rules[defaults.CODE_PER_HOUR]:
        raise TooManyRequests(N_("Too many codes for this number. Try again in an hour."), field="phone")
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = Subscription(area_unit_id=area.id, phone=data.phone, language=data.language, code_hash="",
                       code_to_send=code, expires_at=now + timedelta(minutes=rules[defaults.CODE_MINUTES]),
                       address=address[:64], created_at=now)
    session.add(row)
    session.flush()
    row.code_hash = _code_hash(secret_key, row.id, code)
    audit.record(session, principal, action="create", entity_type="channel_subscription", entity_id=row.id,
                 unit_id=area.id, after={"phone": _phone_hint(row.phone), "area_id": area.id})
    on_commit(session, _kick_codes)
    return row


def _phone_hint(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def _kick_codes() -> None:
    from yingji.channels import tasks

    tasks.codes_task()


def confirm(session: Session, principal: Principal, secret_key: str, subscription_id: int, code: str) -> Recipient:
    """The code from the SMS: the phone becomes a public recipient of its area (or is switched on again)."""
    row = session.get(Subscription, subscription_id)
    if row is None:
        raise NotFound("Not found, or not within your area.")
    rules = defaults.values(session)
    if row.confirmed_at is not None:
        raise UserError(N_("This subscription is confirmed already."), field="code")
    if row.expires_at <= clock.now() or row.attempts >= rules[defaults.CODE_ATTEMPTS]:
        raise UserError(N_("The code has expired. Ask for a new one."), field="code")
    if not hmac.compare_digest(row.code_hash, _code_hash(secret_key, row.id, code)):
        _count_failed_try(session, row.id)
        raise UserError(N_("The code is not right."), field="code")
    recipient = session.scalar(select(Recipient).where(Recipient.phone == row.phone, Recipient.kind == "public",
                                                       Recipient.unit_id == row.area_unit_id))
    if recipient is None:
        recipient = Recipient(unit_id=row.area_unit_id, kind="public", phone=row.phone, language=row.language,
                              by_sms=True, by_email=False, name="")
        session.add(recipient)
    recipient.active, recipient.language = True, row.language
    session.flush()
    row.confirmed_at, row.recipient_id, row.code_to_send = clock.now(), recipient.id, None
    audit.record(session, principal, action="confirm", entity_type="channel_subscription", entity_id=row.id,
                 unit_id=row.area_unit_id, after={"recipient_id": recipient.id})
    return recipient


def _count_failed_try(session: Session, subscription_id: int) -> None:
    """A wrong code counts even though the request itself is rolled back: its own short transaction."""
    with Session(session.get_bind()) as own, own.begin():
        own.execute(update(Subscription).where(Subscription.id == subscription_id)
                    .values(attempts=Subscription.attempts + 1))


def send_codes(database: Any) -> int:
    """Send the confirmation codes not sent yet (through the SMS channel, key ``yj-sub-<id>``)."""
    with database.unit_of_work() as session:
        config = session.scalar(select(ChannelConfig).where(ChannelConfig.channel == "sms",
                                                            ChannelConfig.enabled.is_(True)))
        if config is None:
            return 0
        pending = session.execute(select(Subscription.id, Subscription.phone, Subscription.language,
                                         Subscription.code_to_send).where(
            Subscription.code_to_send.is_not(None), Subscription.code_sent_at.is_(None),
            Subscription.expires_at > clock.now()).limit(200)).all()
        minutes = defaults.value(session, defaults.CODE_MINUTES)
        channel = CHANNELS["sms"](Config(url=config.url, secret=config.secret, options=dict(config.options or {})))
    sent = 0
    for sub_id, phone, language, code in pending:
        text = (f"您订阅预警信息的验证码：{code}，{minutes}分钟内有效。"
                if language != "en" else f"Your code for warning messages: {code}")
        try:
            channel.send(Message(key=f"yj-sub-{sub_id}", address=phone, subject="", text=text, language=language))
        except ChannelError as exc:
            log.warning("confirmation code %s not sent: %s", sub_id, exc.detail)
            continue
        with database.unit_of_work() as session:
            row = session.get(Subscription, sub_id)
            if row is not None:
                row.code_sent_at, row.code_to_send = clock.now(), None
        sent += 1
    return sent
