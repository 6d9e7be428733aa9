"""JSON API of the channels. Thin: parse, call a service, return.

Signed in: recipients, endpoints, channel configuration, deliveries, last-mile coverage.
Public (``public_router``): the subscription and its code, the "received" link, gateway receipts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from yingji.channels import defaults, delivery, lastmile, recipients
from yingji.channels.models import ChannelConfig
from yingji.channels.schemas import (
    CodeIn,
    ConfigIn,
    ConfigRead,
    DeliveryRead,
    EndpointIn,
    EndpointRead,
    Preview,
    ReceiptIn,
    RecipientIn,
    RecipientRead,
    RuleIn,
    SubscriptionCreated,
    SubscriptionIn,
)
from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.core.scope import system_principal
from yingji.errors import NotAuthenticated, UserError
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery, client_address

router = APIRouter(prefix="/channels", tags=["channels"])
public_router = APIRouter(tags=["channels (public)"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Token = Annotated[str, Path(max_length=64)]
ChannelPath = Annotated[Literal["email", "sms", "wecom", "dingtalk", "webhook"], Path()]
RuleKey = Annotated[str, Path(max_length=64)]
RECEIPT_MAX_AGE = 300  # seconds a signed receipt stays valid (replays of older ones are refused)


class Ok(BaseModel):
    ok: bool


class Coverage(BaseModel):
    unit_id: int
    name: str
    township: str
    state: str
    messages: int
    reached: int


# --- recipients and endpoints -------------------------------------------------------------------------------------

@router.get("/recipients", response_model=Page[RecipientRead])
def list_recipients(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Text = "", unit_id: IdQuery = None,
                    page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(recipients.list_recipients(db, principal, q=q, kind=kind, unit_id=unit_id, page=page,
                                                    per_page=per_page))


@router.post("/recipients", response_model=RecipientRead, status_code=201)
def create_recipient(db: DB, principal: CurrentPrincipal, data: RecipientIn) -> Any:
    return recipients.create_recipient(db, principal, data)


@router.get("/recipients/{recipient_id}", response_model=RecipientRead)
def get_recipient(db: DB, principal: CurrentPrincipal, recipient_id: IdPath) -> Any:
    return recipients.get_recipient(db, principal, recipient_id)


@router.put("/recipients/{recipient_id}", response_model=RecipientRead)
def update_recipient(db: DB, principal: CurrentPrincipal, recipient_id: IdPath, data: RecipientIn) -> Any:
    return recipients.update_recipient(db, principal, recipient_id, data)


@router.delete("/recipients/{recipient_id}", response_model=RecipientRead)
def disable_recipient(db: DB, principal: CurrentPrincipal, recipient_id: IdPath) -> Any:
    return recipients.set_recipient_active(db, principal, recipient_id, False)


@router.get("/endpoints", response_model=Page[EndpointRead])
def list_endpoints(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Text = "", unit_id: IdQuery = None,
                   page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(recipients.list_endpoints(db, principal, q=q, kind=kind, unit_id=unit_id, page=page,
                                                   per_page=per_page))


@router.post("/endpoints", response_model=EndpointRead, status_code=201)
def create_endpoint(db: DB, principal: CurrentPrincipal, data: EndpointIn) -> Any:
    return recipients.create_endpoint(db, principal, data)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointRead)
def get_endpoint(db: DB, principal: CurrentPrincipal, endpoint_id: IdPath) -> Any:
    return recipients.get_endpoint(db, principal, endpoint_id)


@router.put("/endpoints/{endpoint_id}", response_model=EndpointRead)
def update_endpoint(db: DB, principal: CurrentPrincipal, endpoint_id: IdPath, data: EndpointIn) -> Any:
    return recipients.update_endpoint(db, principal, endpoint_id, data)


@router.delete("/endpoints/{endpoint_id}", response_model=EndpointRead)
def disable_endpoint(db: DB, principal: CurrentPrincipal, endpoint_id: IdPath) -> Any:
    return recipients.set_endpoint_active(db, principal, endpoint_id, False)


# --- configuration and rules ----------------------------------------------------------------------------------------

@router.get("/config", response_model=list[ConfigRead])
def list_configs(db: DB, principal: CurrentPrincipal) -> Any:
    return recipients.list_configs(db, principal)


@router.put("/config/{channel}", response_model=ConfigRead)
def configure(db: DB, principal: CurrentPrincipal, channel: ChannelPath, data: ConfigIn) -> Any:
    recipients.configure(db, principal, channel, data)
    return next(c for c in recipients.list_configs(db, principal) if c["channel"] == channel)


@router.put("/rules/{key}")
def update_rule(db: DB, principal: CurrentPrincipal, key: RuleKey, data: RuleIn) -> Any:
    row = defaults.update_rule(db, principal, key, data.value, data.source)
    return {"key": row.key, "value": row.value, "unit": row.unit, "source": row.source}


# --- deliveries and coverage ----------------------------------------------------------------------------------------

@router.get("/deliveries", response_model=Page[DeliveryRead])
def list_deliveries(db: DB, principal: CurrentPrincipal, alert_id: IdQuery = None, status: Text = "",
                    channel: Text = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(lastmile.list_deliveries(db, principal, alert_id=alert_id, status=status, channel=channel,
                                                  page=page, per_page=per_page))


@router.get("/deliveries/{delivery_id}", response_model=DeliveryRead)
def get_delivery(db: DB, principal: CurrentPrincipal, delivery_id: IdPath) -> Any:
    return lastmile.get_delivery(db, principal, delivery_id)


@router.get("/alerts/{alert_id}/coverage", response_model=list[Coverage])
def coverage(db: DB, principal: CurrentPrincipal, alert_id: IdPath, state: Text = "") -> Any:
    return [Coverage(**{k: getattr(r, k) for k in Coverage.model_fields})
            for r in lastmile.coverage(db, principal, alert_id, state=state)]


@router.get("/alerts/{alert_id}/preview", response_model=Preview)
def preview(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    from yingji.warnings.targeting import target_of

    alert = lastmile.visible_alert(db, principal, alert_id)
    shown = delivery.preview(db, target_of(db, alert))
    return {**shown, "problems": delivery.problems(db, alert, shown=shown)}


# --- public: subscription, "received", receipts ---------------------------------------------------------------------

@public_router.post("/public/subscriptions", response_model=SubscriptionCreated, status_code=201)
def subscribe(request: Request, db: DB, settings: AppSettings, data: SubscriptionIn) -> Any:
    row = recipients.subscribe(db, system_principal("public subscription", request.state.request_id),
                               settings.secret_key, data, client_address(request))
    return SubscriptionCreated(subscription_id=row.id, expires_at=row.expires_at)


@public_router.post("/public/subscriptions/{subscription_id}/confirm", response_model=Ok)
def confirm(request: Request, db: DB, settings: AppSettings, subscription_id: IdPath, data: CodeIn) -> Any:
    recipients.confirm(db, system_principal("public subscription", request.state.request_id), settings.secret_key,
                       subscription_id, data.code)
    return Ok(ok=True)


@public_router.post("/public/ack/{token}", response_model=Ok)
def acknowledge(request: Request, db: DB, settings: AppSettings, token: Token) -> Any:
    from yingji.errors import NotFound

    delivery_id = delivery.check_ack_token(settings.secret_key, token)
    if delivery_id is None:
        raise NotFound("Not found, or not within your area.")
    delivery.acknowledge(db, system_principal("received link", request.state.request_id), delivery_id)
    return Ok(ok=True)


@public_router.post("/channels/receipts", response_model=Ok)
async def receipt(request: Request, db: DB) -> Any:
    """A gateway's delivery receipt, signed like the gateway protocol (see ``yingji.channels.sms``); the signature
    is the request's bearer credential."""
    raw = await request.body()
    secret = db.scalar(select(ChannelConfig.secret).where(ChannelConfig.channel == "sms")) or ""
    stamp = request.headers.get("x-yingji-timestamp", "")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else ""
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    fresh = stamp.isdigit() and len(stamp) < 12 and abs(time.time() - int(stamp)) < RECEIPT_MAX_AGE
    if not secret or not fresh or not hmac.compare_digest(given, expected):
        raise NotAuthenticated("The signature of the receipt is not valid.")
    try:
        data = ReceiptIn.model_validate_json(raw)
    except ValidationError as exc:
        raise UserError("Some fields are missing or not valid.", field="key") from exc
    delivery.receipt(db, system_principal("gateway receipt", request.state.request_id), data.key, data.status,
                     data.detail)
    return Ok(ok=True)
