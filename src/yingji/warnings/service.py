"""The life of an early warning: draft → review → sign-off → issued → updated or cancelled.

* Drafting needs WRITE in the issuing unit; review needs REVIEW_WARNING (the warning-release centre);
  sign-off needs SIGN_WARNING (a leader). Drafter, reviewer and signer are three different people.
* Fast track (rule ``fast_track_red``): a red warning goes from draft straight to sign-off; its
  review is recorded after the issue, by a reviewer who is neither the drafter nor the signer.
* Issuing assigns the GB/T 35965.1 identifier and the sent time (+08:00), writes the CAP 1.2 document
  (validated against the OASIS XSD before it is stored), supersedes or cancels the alert it references,
  queues the deliveries (``yingji.channels.delivery.fan_out`` when that module exists) and tells the
  duty desks of the targeted counties (``yingji.duty.routing.dispatch``, kind "warning").
* An Update or a Cancel is a new alert whose CAP ``references`` names the earlier one.
Every step is audited and kept as a :class:`AlertStep`.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit, User
from yingji.core.schemas import TERRITORIAL_KINDS
from yingji.core.scope import Principal, get_scoped, scoped, unit_in_scope
from yingji.db import lock_for_change
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.i18n import N_
from yingji.warnings import cap, defaults, targeting
from yingji.warnings.models import (
    AWAITING_SIGNOFF,
    CANCELLED,
    DEFAULT_LANGUAGE,
    DRAFT,
    IN_REVIEW,
    ISSUED,
    REJECTED,
    SUPERSEDED,
    Alert,
    AlertArea,
    AlertInfo,
    AlertStep,
)
from yingji.warnings.schemas import AlertDraft, AreaIn, InfoIn

EDITABLE = (DRAFT, REJECTED)
GEOCODE_NAME = "GB/T 2260"
LANGUAGE_NAMES = {"zh-CN": N_("Chinese"), "en": N_("English"), "mn": N_("Mongolian"), "ug": N_("Uyghur")}
STATUS_LABELS = {
    DRAFT: N_("Draft"), IN_REVIEW: N_("In review"), AWAITING_SIGNOFF: N_("Awaiting sign-off"),
    ISSUED: N_("Issued"), SUPERSEDED: N_("Superseded"), CANCELLED: N_("Cancelled"), REJECTED: N_("Returned"),
}
COLOUR_LABELS = {"red": N_("Red"), "orange": N_("Orange"), "yellow": N_("Yellow"), "blue": N_("Blue")}
MSG_TYPE_LABELS = {"Alert": N_("Alert"), "Update": N_("Update"), "Cancel": N_("Cancel")}


class BadTimes(UserError):
    status_code = 422


# --- reading ------------------------------------------------------------------------------------------------------

def get_alert(session: Session, principal: Principal, alert_id: int, action: str = roles.READ) -> Alert:
    return get_scoped(session, principal, Alert, alert_id, action)


def _alert_to_change(session: Session, principal: Principal, alert_id: int, action: str) -> Alert:
    """The alert a step changes, held until the step's transaction ends and read again (``lock_for_change``):
    two people taking the same step at once — two leaders signing — do it once; the second is refused."""
    alert = get_alert(session, principal, alert_id, action)
    lock_for_change(session, alert)
    return alert


def list_alerts(principal: Principal, *, status: str = "", colour: str = "", q: str = "") -> Any:
    stmt = scoped(select(Alert), principal)
    if status:
        stmt = stmt.where(Alert.status == status)
    if colour:
        stmt = stmt.where(Alert.colour == colour)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(Alert.event.like(like) | Alert.identifier.like(like))
    return stmt.order_by(Alert.id.desc())


def steps(session: Session, alert: Alert) -> list[AlertStep]:
    return list(session.scalars(select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.id)))


def chain(session: Session, principal: Principal, alert: Alert) -> list[Alert]:
    """The earlier messages this one references, and the later ones referencing it (oldest first)."""
    seen: dict[int, Alert] = {alert.id: alert}
    current = alert
    while current.references_alert_id is not None and current.references_alert_id not in seen:
        stmt = scoped(select(Alert), principal).where(Alert.id == current.references_alert_id)
        earlier = session.scalars(stmt).first()
        if earlier is None:
            break
        seen[earlier.id] = earlier
        current = earlier
    frontier = [alert.id]
    while frontier:
        later = list(session.scalars(scoped(select(Alert), principal).where(Alert.references_alert_id.in_(frontier))))
        frontier = [a.id for a in later if a.id not in seen]
        seen.update({a.id: a for a in later})
    return sorted(seen.values(), key=lambda a: a.id)


def active_public(session: Session) -> list[Alert]:
    """Issued alerts that have not expired, been superseded or cancelled (the public page and feed)."""
    now = clock.now()
    # Published means: issued with its CAP document (what the feed links to).
    stmt = (select(Alert).where(Alert.status == ISSUED, Alert.msg_type != "Cancel", Alert.scope == "Public",
                                Alert.cap_xml.is_not(None),
                                (Alert.expires_at.is_(None)) | (Alert.expires_at > now))
            .order_by(Alert.issued_at.desc(), Alert.id.desc()).limit(200))
    return list(session.scalars(stmt))


def public_alert(session: Session, alert_id: int) -> Alert:
    """An issued (or since superseded/cancelled) public alert; anything else is not found."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.cap_xml is None or alert.scope != "Public":
        raise NotFound("Not found, or not within your area.")
    return alert


# --- drafting -----------------------------------------------------------------------------------------------------

def _step(session: Session, principal: Principal, alert: Alert, step: str, note: str = "") -> None:
    session.add(AlertStep(alert_id=alert.id, unit_id=alert.unit_id, step=step, actor_id=principal.user_id,
                          actor_name=principal.name, note=note[:2000], at=clock.now()))


def check_times(session: Session, effective: datetime | None, expires: datetime | None,
                onset: datetime | None = None) -> None:
    if expires is None:
        raise BadTimes(N_("Say when the warning expires."), field="expires_at")
    start = effective or clock.now()
    if effective is not None and expires <= effective:
        raise BadTimes(N_("The warning would expire before it takes effect."), field="expires_at")
    if onset is not None and onset > expires:
        raise BadTimes(N_("The onset is after the warning expires."), field="onset_at")
    hours = defaults.value(session, defaults.MAX_VALIDITY_HOURS)
    if expires - start > timedelta(hours=hours):
        raise BadTimes(N_("A warning may be valid for at most %(hours)s hours; renew it with an update."),
                       field="expires_at", hours=hours)


def _resolve_areas(session: Session, principal: Principal, areas: list[AreaIn], alert_unit_id: int,
                   check_geometry: bool = True) -> list[AlertArea]:
    rows: list[AlertArea] = []
    for i, area in enumerate(areas):
        field = f"areas.{i}"
        if area.kind == "unit":
            if area.unit_id is None:
                raise targeting.BadArea(N_("Choose a unit for the area."), field=field)
            # Any administrative division of the prefecture may be warned (divisions are public geography);
            # it need not lie in the author's own subtree. Other units (enterprises, offices) are not areas.
            unit = session.get(Unit, area.unit_id)
            if unit is None or unit.kind not in TERRITORIAL_KINDS:
                raise targeting.BadArea(N_("Choose an administrative division (county, township, village) as "
                                           "the area."), field=field)
            rows.append(AlertArea(kind="unit", target_unit_id=unit.id, geocode=unit.code,
                                  area_desc=area.area_desc or unit.name, unit_id=alert_unit_id))
        elif area.kind == "polygon":
            ring = targeting.check_polygon(area.points, field) if check_geometry else [
                (float(p[0]), float(p[1])) for p in (area.points or [])]
            rows.append(AlertArea(kind="polygon", points=[[lat, lon] for lon, lat in ring],
                                  area_desc=area.area_desc, unit_id=alert_unit_id))
        else:
            if check_geometry:
                circle = targeting.check_circle(area.lon, area.lat, area.radius_km, field)
            else:
                circle = targeting.Circle(float(area.lon or 0), float(area.lat or 0), float(area.radius_km or 0))
            rows.append(AlertArea(kind="circle", lon=circle.lon, lat=circle.lat, radius_km=circle.radius_km,
                                  area_desc=area.area_desc, unit_id=alert_unit_id))
    return rows


def _infos(data: list[InfoIn], event: str, unit_id: int) -> list[AlertInfo]:
    languages = [i.language for i in data]
    if DEFAULT_LANGUAGE not in languages:
        raise UserError(N_("The Chinese (zh-CN) text is required."), field="infos")
    if len(set(languages)) != len(languages):
        raise UserError(N_("Each language may appear once."), field="infos")
    out = []
    for info in data:
        if info.language == DEFAULT_LANGUAGE and not info.headline:
            raise UserError(N_("The Chinese headline is required."), field="infos.headline")
        out.append(AlertInfo(language=info.language, event=info.event or event, headline=info.headline,
                             description=info.description, instruction=info.instruction, web=info.web,
                             contact=info.contact, unit_id=unit_id))
    return out


def _issuing_unit(session: Session, principal: Principal, unit_id: int | None) -> Unit:
    if unit_id is None:
        if principal.unit_id is None:
            raise UserError(N_("Choose the issuing unit."), field="unit_id")
        unit_id = principal.unit_id
    return unit_in_scope(session, principal, unit_id, roles.WRITE)


def create_draft(session: Session, principal: Principal, data: AlertDraft, *, msg_type: str = "Alert",
                 references: Alert | None = None, origin: str = "drafted", check_geometry: bool = True) -> Alert:
    principal.require(roles.WRITE)
    unit = _issuing_unit(session, principal, data.unit_id)
    check_times(session, data.effective_at, data.expires_at, data.onset_at)
    alert = Alert(unit_id=unit.id, msg_type=msg_type, status=DRAFT, colour=data.colour,
                  severity=cap.severity_for_colour(data.colour), urgency=data.urgency, certainty=data.certainty,
                  category=data.category, response_type=data.response_type, event=data.event,
                  sector_code=data.sector_code, effective_at=data.effective_at, onset_at=data.onset_at,
                  expires_at=data.expires_at, drafted_by_id=principal.user_id, origin=origin,
                  sender_name=unit.name)
    alert.infos = _infos(data.infos, data.event, unit.id)
    alert.areas = _resolve_areas(session, principal, data.areas, unit.id, check_geometry)
    if references is not None:
        alert.references_alert_id = references.id
        alert.references = reference_text(references)
    session.add(alert)
    session.flush()
    _step(session, principal, alert, "drafted")
    audit.record(session, principal, action="create", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, after=_snapshot(alert))
    return alert


def _snapshot(alert: Alert) -> dict[str, Any]:
    snap = audit.snapshot(alert)
    snap.pop("cap_xml", None)
    snap["infos"] = [{"language": i.language, "headline": i.headline} for i in alert.infos]
    snap["areas"] = [{"kind": a.kind, "geocode": a.geocode, "points": a.points, "lat": a.lat, "lon": a.lon,
                      "radius_km": a.radius_km} for a in alert.areas]
    return snap


def update_draft(session: Session, principal: Principal, alert_id: int, data: AlertDraft) -> Alert:
    alert = _alert_to_change(session, principal, alert_id, roles.WRITE)
    if alert.status not in EDITABLE:
        raise Conflict(N_("Only a draft or a returned warning can be changed."))
    check_times(session, data.effective_at, data.expires_at, data.onset_at)
    before = _snapshot(alert)
    infos = _infos(data.infos, data.event, alert.unit_id)
    areas = _resolve_areas(session, principal, data.areas, alert.unit_id)
    alert.colour, alert.severity = data.colour, cap.severity_for_colour(data.colour)
    alert.urgency, alert.certainty, alert.category = data.urgency, data.certainty, data.category
    alert.response_type, alert.event, alert.sector_code = data.response_type, data.event, data.sector_code
    alert.effective_at, alert.onset_at, alert.expires_at = data.effective_at, data.onset_at, data.expires_at
    alert.infos = infos
    alert.areas = areas
    session.flush()
    _step(session, principal, alert, "edited")
    audit.record(session, principal, action="update", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, before=before, after=_snapshot(alert))
    return alert


def delete_draft(session: Session, principal: Principal, alert_id: int) -> None:
    alert = _alert_to_change(session, principal, alert_id, roles.WRITE)
    if alert.status not in EDITABLE:
        raise Conflict(N_("Only a draft or a returned warning can be deleted."))
    audit.record(session, principal, action="delete", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, before=_snapshot(alert))
    session.delete(alert)
    session.flush()


def _check_ready(session: Session, alert: Alert) -> None:
    """What must hold before a warning goes to review or sign-off."""
    if not alert.areas:
        raise targeting.BadArea(N_("Say where the warning applies: choose units or draw an area."), field="areas")
    for area in alert.areas:
        if area.kind == "polygon":
            targeting.check_polygon([[p[1], p[0]] for p in (area.points or [])], "areas")
        elif area.kind == "circle":
            targeting.check_circle(area.lon, area.lat, area.radius_km, "areas")
    if alert.info_for(DEFAULT_LANGUAGE) is None or alert.info_for(DEFAULT_LANGUAGE).language != DEFAULT_LANGUAGE:  # type: ignore[union-attr]
        raise UserError(N_("The Chinese (zh-CN) text is required."), field="infos")
    check_times(session, alert.effective_at, alert.expires_at, alert.onset_at)


def fast_track_applies(session: Session, alert: Alert) -> bool:
    return alert.colour == "red" and defaults.value(session, defaults.FAST_TRACK_RED) == 1


def submit(session: Session, principal: Principal, alert_id: int, note: str = "") -> Alert:
    """The drafter sends the draft on: to review, or (red, fast track on) straight to sign-off."""
    alert = _alert_to_change(session, principal, alert_id, roles.WRITE)
    if alert.status not in EDITABLE:
        raise Conflict(N_("Only a draft or a returned warning can be submitted."))
    _check_ready(session, alert)
    before = audit.snapshot(alert)
    alert.fast_track = fast_track_applies(session, alert)
    alert.status = AWAITING_SIGNOFF if alert.fast_track else IN_REVIEW
    alert.submitted_at = clock.now()
    if alert.drafted_by_id is None or alert.origin != "drafted":
        alert.drafted_by_id = principal.user_id  # an imported message: whoever submits it answers for it
    _step(session, principal, alert, "submitted_fast_track" if alert.fast_track else "submitted", note)
    audit.record(session, principal, action="submit", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, before=before, after=audit.snapshot(alert))
    if alert.fast_track:
        _tell_role(session, principal, alert, "leader", N_("Red warning to sign (fast track): %(event)s"))
    else:
        _tell_role(session, principal, alert, "warning_centre", N_("Warning to review: %(event)s"))
    return alert


def _not_same(principal: Principal, alert: Alert, what: str) -> None:
    if principal.user_id is None:
        return
    if principal.user_id == alert.drafted_by_id:
        if what == "sign":
            raise PermissionDenied(N_("The person who drafted a warning may not also sign it."))
        raise PermissionDenied(N_("The person who drafted a warning may not also review it."))
    if what == "sign" and principal.user_id == alert.reviewed_by_id:
        raise PermissionDenied(N_("The person who reviewed a warning may not also sign it."))
    if what == "review" and principal.user_id == alert.signed_by_id:
        raise PermissionDenied(N_("The person who signed a warning may not also review it."))


def review(session: Session, principal: Principal, alert_id: int, *, approve: bool, note: str = "") -> Alert:
    """The warning-release centre approves (on to sign-off) or returns the draft with a note.

    On a fast-tracked red warning that is already signed (or issued), this records the review after."""
    principal.require(roles.REVIEW_WARNING)
    alert = _alert_to_change(session, principal, alert_id, roles.REVIEW_WARNING)
    late = alert.fast_track and alert.reviewed_by_id is None and alert.status in (AWAITING_SIGNOFF, ISSUED,
                                                                                   SUPERSEDED, CANCELLED)
    if alert.status != IN_REVIEW and not late:
        raise Conflict(N_("This warning is not waiting for review."))
    _not_same(principal, alert, "review")
    if not approve and not note.strip():
        raise UserError(N_("Say why the warning is returned."), field="note")
    before = audit.snapshot(alert)
    alert.reviewed_by_id, alert.reviewed_at, alert.review_note = principal.user_id, clock.now(), note.strip()
    if late:
        step = "reviewed_after" if approve else "review_objection_after"
    elif approve:
        alert.status, step = AWAITING_SIGNOFF, "reviewed"
    else:
        alert.status, step = REJECTED, "returned"
    _step(session, principal, alert, step, note)
    audit.record(session, principal, action=step, entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, before=before, after=audit.snapshot(alert))
    if step == "reviewed":
        _tell_role(session, principal, alert, "leader", N_("Warning to sign: %(event)s"))
    if not approve and not late and alert.drafted_by_id:
        _tell(session, principal, [alert.drafted_by_id], N_("Warning returned: %(event)s"), alert)
    return alert


def sign(session: Session, principal: Principal, alert_id: int, *, approve: bool = True, note: str = "") -> Alert:
    """A leader signs the warning off (it is issued at once) or returns it."""
    principal.require(roles.SIGN_WARNING)
    alert = _alert_to_change(session, principal, alert_id, roles.SIGN_WARNING)
    if alert.status != AWAITING_SIGNOFF:
        raise Conflict(N_("This warning is not waiting for sign-off."))
    _not_same(principal, alert, "sign")
    if not approve:
        if not note.strip():
            raise UserError(N_("Say why the warning is returned."), field="note")
        before = audit.snapshot(alert)
        alert.status = REJECTED
        _step(session, principal, alert, "returned_by_signer", note)
        audit.record(session, principal, action="return", entity_type="warning_alert", entity_id=alert.id,
                     unit_id=alert.unit_id, before=before, after=audit.snapshot(alert))
        if alert.drafted_by_id:
            _tell(session, principal, [alert.drafted_by_id], N_("Warning returned: %(event)s"), alert)
        return alert
    _check_ready(session, alert)
    before = audit.snapshot(alert)
    alert.signed_by_id, alert.signed_at = principal.user_id, clock.now()
    _step(session, principal, alert, "signed", note)
    issue(session, principal, alert)
    audit.record(session, principal, action="sign_and_issue", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=alert.unit_id, before=before, after=audit.snapshot(alert))
    return alert


# --- issuing ------------------------------------------------------------------------------------------------------

def division_code(session: Session, unit: Unit) -> str:
    """The GB/T 2260 code of the unit or of its nearest ancestor that has a six-digit code."""
    chain = [int(p) for p in (unit.path or "").strip("/").split("/") if p] or [unit.id]
    codes = {r[0]: r[1] for r in session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(chain)))}
    for uid in reversed(chain):
        code = codes.get(uid, "")
        if len(code) == 6 and code.isdigit():
            return code
    return targeting.PREFECTURE_CODE


def sender_of(session: Session, unit: Unit) -> str:
    return f"{unit.code}@yingji.{division_code(session, unit)}.cn".replace(" ", "")


def reference_text(alert: Alert) -> str:
    """CAP ``references``: ``sender,identifier,sent`` of the alert referred to."""
    if alert.identifier is None or alert.sent_at is None:
        raise Conflict(N_("Only an issued warning can be updated or cancelled."))
    return f"{alert.sender},{alert.identifier},{cap.format_time(alert.sent_at.astimezone(cap.BEIJING))}"


def _identifier(session: Session, division: str, sector: str, sent: datetime) -> str:
    for sequence in range(10):
        candidate = cap.make_identifier(division, sector, sent, sequence)
        if session.scalar(select(func.count()).select_from(Alert).where(Alert.identifier == candidate)) == 0:
            return candidate
    raise Conflict(N_("Too many warnings in the same second; try again."))


def to_cap(session: Session, alert: Alert) -> cap.Alert:
    """The CAP 1.2 model of an issued (or about to be issued) alert."""
    assert alert.identifier is not None and alert.sent_at is not None
    local = cap.BEIJING
    refs = []
    if alert.references:
        for triple in alert.references.split():
            sender, identifier, sent = triple.split(",", 2)
            refs.append(cap.Reference(sender, identifier, datetime.fromisoformat(sent)))
    target = targeting.target_of(session, alert)
    desc_parts = [a.area_desc for a in alert.areas if a.area_desc]
    area = cap.Area(area_desc="；".join(desc_parts) or alert.event,
                    polygons=[s.to_cap() for s in target.shapes if isinstance(s, targeting.Polygon)],
                    circles=[(s.lat, s.lon, round(s.radius_km, 3)) for s in target.shapes
                             if isinstance(s, targeting.Circle)],
                    geocodes=[(GEOCODE_NAME, code) for code in target.geocodes])
    infos = []
    for info in sorted(alert.infos, key=lambda i: (i.language != DEFAULT_LANGUAGE, i.id or 0)):
        infos.append(cap.Info(
            category=[alert.category], event=info.event or alert.event, urgency=alert.urgency,
            severity=alert.severity, certainty=alert.certainty, language=info.language,
            response_type=[alert.response_type] if alert.response_type else [],
            effective=alert.effective_at.astimezone(local) if alert.effective_at else None,
            onset=alert.onset_at.astimezone(local) if alert.onset_at else None,
            expires=alert.expires_at.astimezone(local) if alert.expires_at else None,
            sender_name=alert.sender_name or None, headline=info.headline or None,
            description=info.description or None, instruction=info.instruction or None, web=info.web or None,
            contact=info.contact or None, parameters=[cap.colour_parameter(alert.colour)], areas=[area]))
    return cap.Alert(identifier=alert.identifier, sender=alert.sender, sent=alert.sent_at.astimezone(local),
                     status=alert.cap_status, msg_type=alert.msg_type, scope=alert.scope, references=refs,
                     infos=infos)


def issue(session: Session, principal: Principal, alert: Alert) -> None:
    now = clock.now().replace(microsecond=0)
    unit = session.get(Unit, alert.unit_id)
    assert unit is not None
    alert.sent_at = now
    alert.sender = sender_of(session, unit)
    alert.identifier = _identifier(session, division_code(session, unit), alert.sector_code, now)
    if alert.references_alert_id is not None:
        earlier = session.get(Alert, alert.references_alert_id)
        if earlier is None or earlier.status != ISSUED:
            raise Conflict(N_("The warning this message refers to is no longer in force."))
        alert.references = reference_text(earlier)
    document = cap.to_xml(to_cap(session, alert))
    problems = cap.validate(document)
    if problems:  # never publish what the schema refuses
        raise UserError(N_("The warning cannot be written as valid CAP: %(problem)s"), problem=str(problems[0]))
    alert.cap_xml = document.decode("utf-8")
    alert.status, alert.issued_at = ISSUED, now
    _step(session, principal, alert, "issued")
    if alert.references_alert_id is not None:
        earlier = session.get(Alert, alert.references_alert_id)
        assert earlier is not None
        before = audit.snapshot(earlier)
        earlier.status = CANCELLED if alert.msg_type == "Cancel" else SUPERSEDED
        _step(session, principal, earlier, earlier.status, f"{alert.msg_type} {alert.identifier}")
        audit.record(session, principal, action=earlier.status, entity_type="warning_alert", entity_id=earlier.id,
                     unit_id=earlier.unit_id, before=before, after=audit.snapshot(earlier))
    session.flush()
    _after_issue(session, principal, alert)


def fan_out_module() -> Any | None:
    """``yingji.channels.delivery`` when the channels package is installed, else None."""
    try:
        if importlib.util.find_spec("yingji.channels.delivery") is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module("yingji.channels.delivery")


def targeted_counties(session: Session, alert: Alert) -> list[Unit]:
    target = targeting.target_of(session, alert)
    counties = list(session.scalars(select(Unit).where(Unit.kind == "county").order_by(Unit.code)))
    out = []
    for county in counties:
        # the county lies under a targeted unit, or a targeted unit lies under the county
        hit = target.covers_path(county.path) or any(p.startswith(county.path) for p in target.unit_paths)
        if not hit and target.shapes and (targeting.GEO_DIR / f"{county.code}.geojson").exists():
            for shape in target.shapes:
                ring = list(shape.ring) if isinstance(shape, targeting.Polygon) else shape.ring()
                if targeting.overlaps_boundary(ring, county.code):
                    hit = True
                    break
        if hit:
            out.append(county)
    return out


def _after_issue(session: Session, principal: Principal, alert: Alert) -> None:
    delivery = fan_out_module()
    if delivery is not None and hasattr(delivery, "fan_out"):
        delivery.fan_out(session, principal, alert)
    try:
        from yingji.duty import routing
    except ImportError:  # pragma: no cover - the duty domain is part of the platform
        return
    subject = f"[{alert.msg_type}] {alert.headline}"
    for county in targeted_counties(session, alert):
        routing.dispatch(session, principal, unit_id=county.id, kind="warning", ref_id=alert.id, subject=subject,
                         link=f"/warnings/{alert.id}", leaders=alert.colour in ("red", "orange"))


def preview(session: Session, alert: Alert) -> dict[str, Any] | None:
    """Per-channel recipient counts, blind-spot villages and delivery problems (from the channels package), or None."""
    delivery = fan_out_module()
    if delivery is None or not hasattr(delivery, "preview"):
        return None
    result: dict[str, Any] = delivery.preview(session, targeting.target_of(session, alert))
    if hasattr(delivery, "problems"):
        result["problems"] = delivery.problems(session, alert, shown=result)
    return result


# --- update and cancel --------------------------------------------------------------------------------------------

def _copy(session: Session, alert: Alert) -> AlertDraft:
    infos = [InfoIn(language=i.language, event=i.event, headline=i.headline,  # type: ignore[arg-type]
                    description=i.description, instruction=i.instruction, web=i.web, contact=i.contact)
             for i in alert.infos if i.language in ("zh-CN", "en", "mn", "ug")]
    areas = []
    for a in alert.areas:
        if a.kind == "unit":
            areas.append(AreaIn(kind="unit", unit_id=a.target_unit_id, area_desc=a.area_desc))
        elif a.kind == "polygon":
            areas.append(AreaIn(kind="polygon", points=[[p[1], p[0]] for p in (a.points or [])],
                                area_desc=a.area_desc))
        else:
            areas.append(AreaIn(kind="circle", lon=a.lon, lat=a.lat, radius_km=a.radius_km, area_desc=a.area_desc))
    now = clock.now()
    expires = alert.expires_at if alert.expires_at and alert.expires_at > now else now + timedelta(hours=24)
    return AlertDraft(unit_id=alert.unit_id, colour=alert.colour, event=alert.event,  # type: ignore[arg-type]
                      urgency=alert.urgency, certainty=alert.certainty,  # type: ignore[arg-type]
                      category=alert.category, response_type=alert.response_type,  # type: ignore[arg-type]
                      effective_at=None, onset_at=None, expires_at=expires, sector_code=alert.sector_code,
                      infos=infos, areas=areas)


def start_followup(session: Session, principal: Principal, alert_id: int, msg_type: str) -> Alert:
    """A new draft (Update or Cancel) referencing an issued alert, with its text and area copied."""
    if msg_type not in ("Update", "Cancel"):
        raise UserError(N_("This value is not one of the allowed choices."), field="msg_type")
    earlier = _alert_to_change(session, principal, alert_id, roles.WRITE)
    if earlier.status != ISSUED or earlier.msg_type == "Cancel":
        raise Conflict(N_("Only a warning in force can be updated or cancelled."))
    pending = session.scalar(select(func.count()).select_from(Alert).where(
        Alert.references_alert_id == earlier.id, Alert.status.in_((DRAFT, IN_REVIEW, AWAITING_SIGNOFF, REJECTED))))
    if pending:
        raise Conflict(N_("An update or cancellation of this warning is already being prepared."))
    data = _copy(session, earlier)
    if msg_type == "Cancel":
        data.response_type = "AllClear"
        for info in data.infos:
            if info.language == DEFAULT_LANGUAGE:
                info.headline = f"解除：{info.headline}"[:300]
    alert = create_draft(session, principal, data, msg_type=msg_type, references=earlier, check_geometry=False)
    return alert


# --- helpers ------------------------------------------------------------------------------------------------------

def _tell(session: Session, principal: Principal, user_ids: list[int], subject: str, alert: Alert) -> None:
    from yingji.core import notify
    from yingji.i18n import gettext

    users = list(session.scalars(select(User).where(User.id.in_(user_ids), User.is_active.is_(True))))
    if users:
        notify.notify(session, principal, users=users, subject=gettext(subject) % {"event": alert.event},
                      link=f"/warnings/{alert.id}")


def _tell_role(session: Session, principal: Principal, alert: Alert, role: str, subject: str) -> None:
    """Tell the people of ``role`` whose area holds the alert's unit (they are the ones who may act on it)."""
    unit = session.get(Unit, alert.unit_id)
    if unit is None:
        return
    chain = [int(p) for p in (unit.path or "").strip("/").split("/") if p]
    ids = list(session.scalars(select(User.id).where(User.role == role, User.unit_id.in_(chain),
                                                     User.is_active.is_(True), User.id != principal.user_id)
                               .limit(50)))
    if ids:
        _tell(session, principal, ids, subject, alert)


def waiting_for(session: Session, principal: Principal) -> list[Alert]:
    """What waits for this person: reviews for the centre, sign-offs for leaders, returned drafts for authors."""
    states = []
    if principal.can(roles.REVIEW_WARNING):
        states.append(IN_REVIEW)
    if principal.can(roles.SIGN_WARNING):
        states.append(AWAITING_SIGNOFF)
    if not states:
        return []
    stmt = scoped(select(Alert), principal).where(Alert.status.in_(states)).order_by(Alert.id).limit(100)
    return list(session.scalars(stmt))
