"""CAP arriving from outside: uploaded, POSTed to the API, or pulled from a configured URL on a schedule.

Whatever arrives (a CAP 1.2/1.1/1.0 alert, an Atom or RSS feed, an EDXL-DE wrapper) goes through the
safe reader (:mod:`yingji.warnings.cap`): size limit first, no DTD, no entities, the namespace checked.
Each alert it carries becomes a *draft* in the receiving unit, for the warning-release centre to review;
nothing from outside is issued without the people of the release chain. The same message (sender and
identifier) is imported once. A single refused document changes nothing and says where and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, scoped, unit_in_scope
from yingji.errors import NotFound, TooLarge, UserError
from yingji.i18n import N_
from yingji.warnings import cap, defaults
from yingji.warnings.models import DRAFT, ISSUED, Alert, AlertArea, AlertInfo, AlertStep, InboundSource
from yingji.warnings.schemas import SourceIn

log = logging.getLogger(__name__)
KNOWN_LANGUAGES = {"zh": "zh-CN", "en": "en", "mn": "mn", "ug": "ug"}
MAX_LINKS = 20  # alerts linked (not embedded) from one pulled feed that are fetched in one run
FETCH_TIMEOUT = 15.0


class Refused(UserError):
    status_code = 422


@dataclass
class ImportResult:
    created: list[Alert] = field(default_factory=list)
    duplicates: list[Alert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def _problem_text(exc: cap.CapError) -> str:
    return f"{exc.path}: {exc.reason}"


def max_bytes(session: Session) -> int:
    return defaults.value(session, defaults.MAX_UPLOAD_BYTES)


def _refuse(exc: cap.CapError, limit: int) -> UserError:
    if "bytes" in exc.reason and "limit of" in exc.reason:
        return TooLarge(N_("The file is larger than %(mb)s MB."), field="file", mb=round(limit / 1024 / 1024, 1))
    return Refused(N_("The CAP message was refused: %(problem)s"), field="file", problem=_problem_text(exc))


def carried(data: bytes, limit: int) -> list[cap.CarriedAlert]:
    """The alerts in a document (one alert, or those a feed/wrapper carries); CapError for a refused one."""
    if len(data) > limit:
        raise cap.CapError([cap.Problem("/", f"document is {len(data)} bytes, larger than the limit of {limit} "
                                             "bytes")])
    return cap.extract_alerts(data, limit)


def _language(value: str | None) -> str:
    code = (value or "en-US").strip()
    return KNOWN_LANGUAGES.get(code.split("-")[0].lower(), code[:16])


def _colour(info: cap.Info) -> str:
    for name, val in info.parameters:
        if name.lower() in ("colour", "color") and val.strip().lower() in cap.COLOUR_TO_SEVERITY:
            return val.strip().lower()
    return cap.colour_for_severity(info.severity) or "blue"


def _first(values: list[str], allowed: tuple[str, ...], default: str) -> str:
    for v in values:
        if v in allowed:
            return v
    return default


def _areas(session: Session, infos: list[cap.Info], unit_id: int) -> list[AlertArea]:
    rows: list[AlertArea] = []
    seen: set[Any] = set()
    first = infos[0] if infos else None
    for area in first.areas if first else []:
        for _name, code in area.geocodes:
            unit = session.scalar(select(Unit).where(Unit.code == code.strip()))
            if unit is not None and ("u", unit.id) not in seen:
                seen.add(("u", unit.id))
                rows.append(AlertArea(kind="unit", target_unit_id=unit.id, geocode=unit.code,
                                      area_desc=area.area_desc[:300] or unit.name, unit_id=unit_id))
        for poly in area.polygons:
            if len(poly) < 4:
                continue
            rows.append(AlertArea(kind="polygon", points=[[lat, lon] for lat, lon in poly],
                                  area_desc=area.area_desc[:300], unit_id=unit_id))
        for lat, lon, radius in area.circles:
            rows.append(AlertArea(kind="circle", lat=lat, lon=lon, radius_km=radius, area_desc=area.area_desc[:300],
                                  unit_id=unit_id))
    return rows


def _find_existing(session: Session, sender: str, identifier: str) -> Alert | None:
    return session.scalars(select(Alert).where(Alert.origin_sender == sender[:300],
                                               Alert.origin_identifier == identifier[:300])).first()


def _referenced(session: Session, refs: list[cap.Reference]) -> Alert | None:
    for ref in reversed(refs):
        found = session.scalars(select(Alert).where(
            ((Alert.identifier == ref.identifier) | (Alert.origin_identifier == ref.identifier[:300])),
            Alert.status == ISSUED)).first()
        if found is not None:
            return found
    return None


def to_draft(session: Session, principal: Principal, parsed: cap.ParseResult, *, unit_id: int, origin: str,
             source: InboundSource | None = None) -> tuple[Alert, bool]:
    """A draft from an imported alert; ``(existing, False)`` when the same message was imported before."""
    src = parsed.alert
    existing = _find_existing(session, src.sender, src.identifier)
    if existing is not None:
        return existing, False
    if not src.infos:
        raise Refused(N_("The CAP message has no info block to draft a warning from."), field="file")
    main = src.infos[0]
    for info in src.infos:
        if info.effective and info.expires and info.expires <= info.effective:
            raise Refused(N_("The warning would expire before it takes effect."), field="expires")
        if info.onset and info.expires and info.expires < info.onset:
            raise Refused(N_("The onset is after the warning expires."), field="expires")
    now = clock.now()
    effective = main.effective or src.sent
    expires = main.expires or (max(effective, now) + timedelta(hours=24))
    colour = _colour(main)
    earlier = _referenced(session, src.references) if src.msg_type in ("Update", "Cancel") else None
    alert = Alert(
        unit_id=unit_id, msg_type=src.msg_type if earlier is not None else "Alert", status=DRAFT, colour=colour,
        severity=cap.severity_for_colour(colour), urgency=main.urgency, certainty=main.certainty,
        category=_first(main.category, ("Met", "Geo", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                                        "Transport", "Infra", "CBRNE", "Other"), "Other"),
        response_type=_first(main.response_type, ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor",
                                                  "Assess", "AllClear", "None"), "Monitor"),
        event=main.event[:200], effective_at=effective, onset_at=main.onset, expires_at=expires,
        cap_status=src.status if src.status in ("Actual", "Exercise", "System", "Test", "Draft") else "Actual",
        origin=origin, source_id=source.id if source else None, origin_sender=src.sender[:300],
        origin_identifier=src.identifier[:300], origin_sent=src.sent, sender_name=(main.sender_name or "")[:200],
        drafted_by_id=None if origin == "pull" else principal.user_id,
        references_alert_id=earlier.id if earlier is not None else None)
    infos: dict[str, AlertInfo] = {}
    for info in src.infos:
        lang = _language(info.language)
        if lang in infos:
            continue
        infos[lang] = AlertInfo(language=lang, event=info.event[:200], sender_name=(info.sender_name or "")[:200],
                                headline=(info.headline or "")[:300], description=(info.description or "")[:8000],
                                instruction=(info.instruction or "")[:8000], web=(info.web or "")[:500],
                                contact=(info.contact or "")[:300], unit_id=unit_id)
    alert.infos = list(infos.values())
    alert.areas = _areas(session, src.infos, unit_id)
    session.add(alert)
    session.flush()
    note = f"CAP {parsed.version} {src.sender} {src.identifier}"
    session.add(AlertStep(alert_id=alert.id, unit_id=unit_id, step=f"imported_{origin}", actor_id=principal.user_id,
                          actor_name=principal.name, note=note[:2000], at=now))
    audit.record(session, principal, action="import", entity_type="warning_alert", entity_id=alert.id,
                 unit_id=unit_id, after={"origin": origin, "sender": src.sender, "identifier": src.identifier,
                                         "version": parsed.version, "warnings": [str(w) for w in parsed.warnings]})
    return alert, True


def import_bytes(session: Session, principal: Principal, data: bytes, *, origin: str, unit_id: int | None = None,
                 source: InboundSource | None = None) -> ImportResult:
    """Import a document. A document that is refused as a whole, or a single alert that is refused, raises
    (nothing is stored); a feed imports the alerts it can and lists the problems of the others."""
    if origin != "pull":
        principal.require(roles.WRITE)
    if unit_id is None:
        if principal.unit_id is None:
            raise UserError(N_("Choose the issuing unit."), field="unit_id")
        unit_id = principal.unit_id
    unit_in_scope(session, principal, unit_id, roles.WRITE)
    limit = max_bytes(session)
    try:
        found = carried(data, limit)
    except cap.CapError as exc:
        raise _refuse(exc, limit) from exc
    result = ImportResult()
    single = len(found) == 1 and found[0].result is not None and found[0].path in ("/alert", "")
    if not found:
        raise Refused(N_("The document carries no CAP alert."), field="file")
    for item in found:
        if item.error is not None:
            if len(found) == 1:
                raise _refuse(item.error, limit)
            result.problems.append(_problem_text(item.error))
            continue
        if item.link:
            result.links.append(item.link)
            continue
        if item.result is None:
            continue
        try:
            with session.begin_nested():
                alert, new = to_draft(session, principal, item.result, unit_id=unit_id, origin=origin, source=source)
        except UserError as exc:
            if single or len(found) == 1:
                raise
            result.problems.append(f"{item.path}: {exc.text()}")
            continue
        (result.created if new else result.duplicates).append(alert)
    return result


# --- configured pull sources --------------------------------------------------------------------------------------

def list_sources(session: Session, principal: Principal) -> list[InboundSource]:
    return list(session.scalars(scoped(select(InboundSource), principal).order_by(InboundSource.id)))


SOURCE_STATES = {"on": N_("on"), "off": N_("off"), "failing": N_("failing")}


def _source_query(principal: Principal, *, q: str = "", state: str = "") -> Any:
    """Sources in scope with how many drafts each has brought, narrowed by text (name or address) and state."""
    if state and state not in SOURCE_STATES:
        raise UserError(N_("This value is not one of the allowed choices."), field="state")
    brought = (select(func.count()).select_from(Alert).where(Alert.source_id == InboundSource.id)
               .correlate(InboundSource).scalar_subquery())
    stmt = scoped(select(InboundSource), principal).add_columns(brought.label("brought"))
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(InboundSource.name.like(like) | InboundSource.url.like(like))
    if state == "on":
        stmt = stmt.where(InboundSource.enabled.is_(True))
    elif state == "off":
        stmt = stmt.where(InboundSource.enabled.is_(False))
    elif state == "failing":
        stmt = stmt.where(InboundSource.last_error != "")
    return stmt.order_by(InboundSource.id)


def source_page(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                **filters: Any) -> Page[Any]:
    """One page of (source, drafts brought) rows, paged in SQL, with the total."""
    stmt = _source_query(principal, **filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page[Any](items=[tuple(r) for r in rows], total=total, page=page, per_page=per_page)


def all_sources(session: Session, principal: Principal, **filters: Any) -> list[tuple[InboundSource, int]]:
    """The whole filtered list of (source, drafts brought), for the export."""
    return [(r[0], int(r[1])) for r in session.execute(_source_query(principal, **filters)).all()]


def get_source(session: Session, principal: Principal, source_id: int, action: str = roles.READ) -> InboundSource:
    return get_scoped(session, principal, InboundSource, source_id, action)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if host:
            host.encode("idna")  # a host name that cannot be looked up (e.g. a label over 63 characters)
    except ValueError as exc:  # "Invalid IPv6 URL", a bad port, an unencodable host name
        raise UserError(N_("This is not a valid web address."), field="url") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise UserError(N_("The address must start with http:// or https://."), field="url")


def create_source(session: Session, principal: Principal, data: SourceIn) -> InboundSource:
    principal.require(roles.WRITE)
    unit = unit_in_scope(session, principal, data.unit_id or principal.unit_id or 0, roles.WRITE)
    _check_url(data.url)
    minimum = defaults.value(session, defaults.MIN_PULL_INTERVAL)
    if data.interval_minutes < minimum:
        raise UserError(N_("A source is pulled at most every %(n)s minutes."), field="interval_minutes", n=minimum)
    source = InboundSource(unit_id=unit.id, name=data.name, url=data.url, interval_minutes=data.interval_minutes,
                           enabled=data.enabled, created_by_id=principal.user_id)
    session.add(source)
    session.flush()
    audit.record(session, principal, action="create", entity_type="warning_inbound_source", entity_id=source.id,
                 unit_id=source.unit_id, after=audit.snapshot(source))
    return source


def update_source(session: Session, principal: Principal, source_id: int, data: SourceIn) -> InboundSource:
    source = get_source(session, principal, source_id, roles.WRITE)
    _check_url(data.url)
    minimum = defaults.value(session, defaults.MIN_PULL_INTERVAL)
    if data.interval_minutes < minimum:
        raise UserError(N_("A source is pulled at most every %(n)s minutes."), field="interval_minutes", n=minimum)
    before = audit.snapshot(source)
    source.name, source.url = data.name, data.url
    source.interval_minutes, source.enabled = data.interval_minutes, data.enabled
    audit.record(session, principal, action="update", entity_type="warning_inbound_source", entity_id=source.id,
                 unit_id=source.unit_id, before=before, after=audit.snapshot(source))
    return source


def delete_source(session: Session, principal: Principal, source_id: int) -> None:
    source = get_source(session, principal, source_id, roles.WRITE)
    audit.record(session, principal, action="delete", entity_type="warning_inbound_source", entity_id=source.id,
                 unit_id=source.unit_id, before=audit.snapshot(source))
    session.delete(source)
    session.flush()


def fetch(url: str, limit: int, client: httpx.Client) -> bytes:
    """GET ``url`` reading at most ``limit`` bytes (refused beyond it, without reading the rest)."""
    with client.stream("GET", url, headers={"Accept": "application/cap+xml, application/atom+xml, application/xml, "
                                                       "text/xml;q=0.9, */*;q=0.1"}) as response:
        response.raise_for_status()
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise TooLarge(N_("The file is larger than %(mb)s MB."), mb=round(limit / 1024 / 1024, 1))
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLarge(N_("The file is larger than %(mb)s MB."), mb=round(limit / 1024 / 1024, 1))
            chunks.append(chunk)
        return b"".join(chunks)


def due(source: InboundSource, now: datetime) -> bool:
    return source.enabled and (source.last_fetched_at is None
                               or now - source.last_fetched_at >= timedelta(minutes=source.interval_minutes))


# What fetching a configured URL can raise besides HTTP errors: a URL httpx refuses, a host name that
# cannot be encoded (a label over 63 characters) — recorded on the source like any failed fetch.
FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL, UnicodeError)


def pull(session: Session, principal: Principal, source: InboundSource,
         client: httpx.Client | None = None) -> ImportResult:
    """Fetch one source now and import what it carries (linked alerts too, at most ``MAX_LINKS``)."""
    limit = max_bytes(session)
    own = client is None
    http = client or httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True)
    result = ImportResult()
    source.last_fetched_at = clock.now()
    try:
        data = fetch(source.url, limit, http)
        try:
            result = import_bytes(session, principal, data, origin="pull", unit_id=source.unit_id, source=source)
        except UserError as exc:
            result.problems.append(exc.text())
        for link in result.links[:MAX_LINKS]:
            target = urljoin(source.url, link)
            try:
                _check_url(target)
                part = import_bytes(session, principal, fetch(target, limit, http), origin="pull",
                                    unit_id=source.unit_id, source=source)
                result.created += part.created
                result.duplicates += part.duplicates
                result.problems += part.problems
            except (UserError, *FETCH_ERRORS) as exc:
                result.problems.append(f"{target}: {exc.text() if isinstance(exc, UserError) else exc}")
        source.last_ok_at = clock.now()
        source.last_error = "; ".join(result.problems)[:2000]
    except (UserError, *FETCH_ERRORS) as exc:
        source.last_error = (exc.text() if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")[:2000]
        log.warning("pulling %s failed: %s", source.url, source.last_error)
    finally:
        if own:
            http.close()
    source.last_count = len(result.created)
    audit.record(session, principal, action="pull", entity_type="warning_inbound_source", entity_id=source.id,
                 unit_id=source.unit_id, after={"created": [a.id for a in result.created],
                                                "duplicates": len(result.duplicates), "error": source.last_error})
    return result


def pull_due(session: Session, principal: Principal) -> int:
    """Pull every enabled source whose interval has passed; returns the number of drafts made."""
    now = clock.now()
    made = 0
    for source in list(session.scalars(select(InboundSource).where(InboundSource.enabled.is_(True))
                                       .order_by(InboundSource.id))):
        if due(source, now):
            made += len(pull(session, principal, source).created)
    return made


def source_or_404(session: Session, source_id: int) -> InboundSource:
    source = session.get(InboundSource, source_id)
    if source is None:
        raise NotFound("Not found, or not within your area.")
    return source
