"""Rules of the administrative tree, the people of each unit, and staffing quotas.

Plain functions: a session and a principal in, rows out. They never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import String, bindparam, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core import audit, defaults, roles, stamps
from yingji.core.models import Person, StaffingQuota, Unit
from yingji.core.schemas import (
    TERRITORIAL_KINDS,
    Page,
    PersonCreate,
    StaffingShortfall,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped, subtree_bounds
from yingji.db import Prepared
from yingji.errors import Conflict, NotFound, UserError

MAX_PER_PAGE = 500
# Rows one XLSX export holds. A longer filtered list is refused with a message, never cut short: an export is
# the whole filtered list or nothing (a million rows would take minutes and gigabytes to write).
MAX_EXPORT_ROWS = 20000
# ``per_page`` of an export: the whole filtered list on one page, read one row past what an export holds so
# that ``xlsx.export`` can tell a list that fits from one that does not.
EVERY_ROW = MAX_EXPORT_ROWS + 1
# Totals of the unit list kept per stamp of the tree, one per subtree, kind and parent asked for; past this
# many, the rest are counted every time until the tree changes.
KEPT_TOTALS = 4096

# Which kinds of unit may hang under which.
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "prefecture": (),
    "county": ("prefecture",),
    "zone": ("prefecture", "county"),
    "township": ("county", "zone"),
    "village": ("township",),
}
NON_TERRITORIAL_PARENTS = TERRITORIAL_KINDS


def allowed_parent_kinds(kind: str) -> tuple[str, ...]:
    return PARENT_KINDS.get(kind, NON_TERRITORIAL_PARENTS)


def _check_parent(kind: str, parent: Unit) -> None:
    if parent.kind not in allowed_parent_kinds(kind):
        raise UserError("A unit of this kind cannot be placed under a unit of that kind.", field="parent_id")


def _check_validity(valid_from: Any, valid_to: Any) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise UserError("The end of validity is before its start.", field="valid_to")


def _check_code_free(session: Session, code: str, except_id: int | None = None) -> None:
    stmt = select(Unit.id).where(Unit.code == code)
    if except_id is not None:
        stmt = stmt.where(Unit.id != except_id)
    if session.scalar(stmt) is not None:
        raise Conflict("The code %(code)s is already used by another unit.", field="code", code=code)


# --- units ---------------------------------------------------------------------------------

def list_units(session: Session, principal: Principal, *, q: str = "", kind: str = "",
               parent_id: int | None = None, page: int = 1, per_page: int = 50) -> Page[UnitRead]:
    def statement() -> Any:
        stmt = scoped(select(Unit), principal)
        if q:
            pattern = f"%{q.strip()}%"
            stmt = stmt.where(or_(Unit.name.ilike(pattern), Unit.code.ilike(pattern), Unit.name_en.ilike(pattern)))
        if kind:
            stmt = stmt.where(Unit.kind == kind)
        if parent_id is not None:
            stmt = stmt.where(Unit.parent_id == parent_id)
        return stmt

    if q:
        return paginate(session, statement().order_by(Unit.path), UnitRead, page=page, per_page=per_page)
    # Without a search, the ORM statement is built only to count the rows, when the kept total is missing.
    total = _kept_total(session, principal, kind, parent_id, lambda: count(session, statement()))
    page, per_page, offset = _window(page, per_page)
    return Page(items=_unit_page(session, principal, kind, parent_id, per_page, offset), total=total, page=page,
                per_page=per_page)


_UNIT_KEYS = tuple(UnitRead.model_fields)
_UNIT_PAGES: dict[tuple[bool, bool, bool], Prepared] = {}


def _unit_page(session: Session, principal: Principal, kind: str, parent_id: int | None, limit: int,
               offset: int) -> list[UnitRead]:
    """A page of the unsearched unit list: one statement per shape (whole tree or a subtree; kind; parent),
    prepared once with bound parameters, the scope from :func:`scope.subtree_bounds`. Building, compiling
    and running the ORM statement every time was half of the page's work."""
    bounds = subtree_bounds(principal)
    shape = (bounds is not None, bool(kind), parent_id is not None)
    prepared = _UNIT_PAGES.get(shape)
    if prepared is None:
        stmt = select(*(getattr(Unit, key) for key in _UNIT_KEYS))
        if bounds is not None:
            stmt = stmt.where(Unit.path >= bindparam("low"), Unit.path < bindparam("high"))
        if kind:
            stmt = stmt.where(Unit.kind == bindparam("kind"))
        if parent_id is not None:
            stmt = stmt.where(Unit.parent_id == bindparam("parent_id"))
        prepared = _UNIT_PAGES[shape] = Prepared(
            stmt.order_by(Unit.path).limit(bindparam("limit")).offset(bindparam("offset")))
    values: dict[str, Any] = {"limit": limit, "offset": offset}
    if bounds is not None:
        values["low"], values["high"] = bounds
    if kind:
        values["kind"] = kind
    if parent_id is not None:
        values["parent_id"] = parent_id
    rows = prepared.rows(session, values)
    return _page_of(UnitRead).validate_python([dict(zip(_UNIT_KEYS, row, strict=True)) for row in rows])


def _kept_total(session: Session, principal: Principal, kind: str, parent_id: int | None,
                counted: Callable[[], int]) -> int:
    """The count of an unsearched unit list, kept while the tree's stamp holds.

    Counting a county's ten thousand units was most of a page's work, and the tree rarely changes. Without a
    search the rows are decided by the principal's subtree, the kind and the parent alone, and a change to
    any of these (path, kind, parent_id, a unit added or deleted) renews the stamp. A search also reads the
    names and codes, which do not renew it, so a searched list is counted every time."""
    totals: dict[tuple[Any, ...], int] = stamps.kept(session, "unit", dict, part="list_totals")
    key = (principal.is_global, principal.unit_path, kind, parent_id)
    total = totals.get(key)
    if total is None:
        total = counted()
        if len(totals) < KEPT_TOTALS:
            totals[key] = total
    return total


def count(session: Session, stmt: Any) -> int:
    """How many rows ``stmt`` selects."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def paginate(session: Session, stmt: Any, schema: Any, *, page: int, per_page: int,
             total: int | None = None) -> Page[Any]:
    """One page of a scoped select, with the total (counted here unless the caller knows it), validated into
    ``schema``."""
    page, per_page, offset = _window(page, per_page)
    if total is None:
        total = count(session, stmt)
    projected = _only_schema_columns(stmt, schema)
    window = projected.limit(per_page).offset(offset)
    if projected is not stmt:
        items = _page_of(schema).validate_python([row._asdict() for row in session.execute(window)])
    else:
        items = _page_of(schema).validate_python(session.scalars(window).all(), from_attributes=True)
    return Page(items=items, total=total, page=page, per_page=per_page)


def _window(page: int, per_page: int) -> tuple[int, int, int]:
    """The page asked for, its size within bounds, and how many rows come before it."""
    page = max(page, 1)
    per_page = per_page if per_page == EVERY_ROW else min(max(per_page, 1), MAX_PER_PAGE)
    return page, per_page, (page - 1) * per_page


@cache
def _page_of(schema: Any) -> TypeAdapter[list[Any]]:
    """The validator of a list of ``schema`` (one call for a page's rows instead of one per row)."""
    return TypeAdapter(list[schema])


def _only_schema_columns(stmt: Any, schema: Any) -> Any:
    """Select just the columns the output schema shows (cheaper than loading whole rows)."""
    descriptions = stmt.column_descriptions
    entity = descriptions[0].get("entity") if len(descriptions) == 1 else None
    if entity is None:
        return stmt
    columns = [getattr(entity, name, None) for name in schema.model_fields]
    if not all(isinstance(c, InstrumentedAttribute) for c in columns):
        return stmt
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def get_unit(session: Session, principal: Principal, unit_id: int) -> Unit:
    return get_scoped(session, principal, Unit, unit_id)


def children(session: Session, principal: Principal, unit_id: int) -> list[Unit]:
    get_unit(session, principal, unit_id)
    stmt = scoped(select(Unit), principal).where(Unit.parent_id == unit_id).order_by(Unit.kind, Unit.code)
    return list(session.scalars(stmt))


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The chain from the root down to the unit's parent (for breadcrumbs)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    rows = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def child_counts(session: Session, parent_ids: list[int]) -> dict[int, int]:
    if not parent_ids:
        return {}
    stmt = select(Unit.parent_id, func.count()).where(Unit.parent_id.in_(parent_ids)).group_by(Unit.parent_id)
    return {int(pid or 0): int(n) for pid, n in session.execute(stmt)}


def create_unit(session: Session, principal: Principal, data: UnitCreate) -> Unit:
    parent = get_scoped(session, principal, Unit, data.parent_id, roles.WRITE)
    _check_parent(data.kind, parent)
    _check_validity(data.valid_from, data.valid_to)
    _check_code_free(session, data.code)
    unit = Unit(**data.model_dump(exclude={"parent_id"}), parent_id=parent.id, depth=parent.depth + 1)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path}{unit.id}/"
    recheck(session, principal, unit)
    audit.record(session, principal, action="create", entity_type="unit", entity_id=unit.id, unit_id=unit.id,
                 after=audit.snapshot(unit))
    return unit


def create_root(session: Session, principal: Principal, data: UnitCreate | dict[str, Any]) -> Unit:
    """The prefecture itself: only the system (``yingji init``/``demo``) creates a root."""
    if principal.via != "system":
        raise UserError("Only the system creates the root of the tree.")
    values = data if isinstance(data, dict) else data.model_dump(exclude={"parent_id"})
    unit = Unit(**values, parent_id=None, depth=0)
    session.add(unit)
    session.flush()
    unit.path = f"/{unit.id}/"
    audit.record(session, principal, action="create", entity_type="unit", entity_id=unit.id, unit_id=unit.id,
                 after=audit.snapshot(unit))
    return unit


def update_unit(session: Session, principal: Principal, unit_id: int, data: UnitUpdate) -> Unit:
    unit = get_scoped(session, principal, Unit, unit_id, roles.WRITE)
    before = audit.snapshot(unit)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and not Unit.__table__.c[key].nullable:
            raise UserError("This field may not be empty.", field=key)
        setattr(unit, key, value)
    _check_validity(unit.valid_from, unit.valid_to)
    recheck(session, principal, unit)
    audit.record(session, principal, action="update", entity_type="unit", entity_id=unit.id, unit_id=unit.id,
                 before=before, after=audit.snapshot(unit))
    return unit


def move_unit(session: Session, principal: Principal, unit_id: int, parent_id: int) -> Unit:
    unit = get_scoped(session, principal, Unit, unit_id, roles.WRITE)
    if unit.parent_id is None or unit.id == principal.unit_id:
        raise UserError("This unit cannot be moved.")
    parent = get_scoped(session, principal, Unit, parent_id, roles.WRITE)
    if parent.path.startswith(unit.path):
        raise UserError("A unit cannot be moved under itself or its own descendants.", field="parent_id")
    _check_parent(unit.kind, parent)
    before = audit.snapshot(unit)
    old_path, new_path = unit.path, f"{parent.path}{unit.id}/"
    depth_shift = parent.depth + 1 - unit.depth
    session.execute(
        update(Unit)
        .where(in_subtree(Unit.path, old_path))
        .values(path=literal(new_path, String) + func.substr(Unit.path, len(old_path) + 1),
                depth=Unit.depth + depth_shift)
        .execution_options(synchronize_session=False)
    )
    session.execute(update(Unit).where(Unit.id == unit.id).values(parent_id=parent.id))
    session.expire_all()
    unit = session.get_one(Unit, unit_id)
    recheck(session, principal, unit)
    audit.record(session, principal, action="move", entity_type="unit", entity_id=unit.id, unit_id=unit.id,
                 before=before, after=audit.snapshot(unit))
    return unit


def delete_unit(session: Session, principal: Principal, unit_id: int) -> None:
    unit = get_scoped(session, principal, Unit, unit_id, roles.WRITE)
    if unit.id == principal.unit_id or unit.parent_id is None:
        raise UserError("This unit cannot be deleted.")
    before = audit.snapshot(unit)
    try:
        with session.begin_nested():
            session.delete(unit)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("The unit still has sub-units, people, users or records; set its end of validity "
                       "instead.") from exc
    audit.record(session, principal, action="delete", entity_type="unit", entity_id=unit_id,
                 unit_id=unit.parent_id, before=before)


# --- people --------------------------------------------------------------------------------

def list_people(session: Session, principal: Principal, *, unit_id: int | None = None, q: str = "",
                page: int = 1, per_page: int = 50) -> Page[Any]:
    from yingji.core.schemas import PersonRead

    stmt = scoped(select(Person), principal)
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id == unit_id)
    if q:
        stmt = stmt.where(or_(Person.name.ilike(f"%{q}%"), Person.phone.ilike(f"%{q}%")))
    return paginate(session, stmt.order_by(Person.unit_id, Person.id), PersonRead, page=page, per_page=per_page)


def create_person(session: Session, principal: Principal, data: PersonCreate) -> Person:
    get_scoped(session, principal, Unit, data.unit_id, roles.WRITE)
    person = Person(**data.model_dump())
    session.add(person)
    recheck(session, principal, person)
    audit.record(session, principal, action="create", entity_type="person", entity_id=person.id,
                 unit_id=person.unit_id, after=audit.snapshot(person))
    return person


def delete_person(session: Session, principal: Principal, person_id: int) -> None:
    person = get_scoped(session, principal, Person, person_id, roles.WRITE)
    before = audit.snapshot(person)
    session.delete(person)
    audit.record(session, principal, action="delete", entity_type="person", entity_id=person_id,
                 unit_id=person.unit_id, before=before)


# --- staffing quotas (R2.1) ----------------------------------------------------------------

def list_quotas(session: Session, principal: Principal) -> list[StaffingQuota]:
    principal.require(roles.READ)
    return list(session.scalars(select(StaffingQuota).order_by(StaffingQuota.id)))


def update_quota(session: Session, principal: Principal, quota_id: int, *, min_staff: int,
                 max_staff: int | None, source: str) -> StaffingQuota:
    """Quotas are prefecture-wide rules: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    quota = session.get(StaffingQuota, quota_id)
    if quota is None:
        raise NotFound("Not found, or not within your area.")
    if min_staff < 0 or (max_staff is not None and max_staff < min_staff):
        raise UserError("The maximum must not be below the minimum, and neither below zero.", field="max_staff")
    source = defaults.checked_source(source)
    before = audit.snapshot(quota)
    quota.min_staff, quota.max_staff, quota.source = min_staff, max_staff, source
    audit.record(session, principal, action="update", entity_type="staffing_quota", entity_id=quota.id,
                 unit_id=None, before=before, after=audit.snapshot(quota))
    return quota


def staffing_shortfall_statement(principal: Principal, *, kind: str = "") -> Any:
    """The staffing page's list in SQL: units (of ``kind`` when given) whose kind has a quota and that have
    fewer full-time emergency staff than its minimum, in tree order (the rule of :func:`staffing_shortfalls`)."""
    staff = (
        select(Person.unit_id, func.count().label("n"))
        .where(Person.full_time_emergency.is_(True))
        .group_by(Person.unit_id)
        .subquery()
    )
    count = func.coalesce(staff.c.n, 0)
    stmt = (
        scoped(select(Unit.id.label("unit_id"), Unit.code, Unit.name, Unit.kind, count.label("staff"),
                      StaffingQuota.min_staff, StaffingQuota.max_staff,
                      (StaffingQuota.min_staff - count).label("missing"), StaffingQuota.source), principal)
        .join(StaffingQuota, StaffingQuota.unit_kind == Unit.kind)
        .outerjoin(staff, staff.c.unit_id == Unit.id)
        .where(Unit.valid_to.is_(None), count < StaffingQuota.min_staff)
    )
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    return stmt.order_by(Unit.path)


def staffing_shortfall_rows(session: Session, stmt: Any) -> list[StaffingShortfall]:
    return [StaffingShortfall.model_validate(dict(row._mapping)) for row in session.execute(stmt)]


def staffing_shortfall_page(session: Session, principal: Principal, *, kind: str = "", page: int = 1,
                            per_page: int = 50) -> Page[StaffingShortfall]:
    """One page of the staffing page's list (paged in SQL) with the number of rows in all."""
    principal.require(roles.READ)
    stmt = staffing_shortfall_statement(principal, kind=kind)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = staffing_shortfall_rows(session, stmt.limit(per_page).offset((page - 1) * per_page))
    return Page(items=items, total=total, page=page, per_page=per_page)


def staffing_shortfalls(session: Session, principal: Principal) -> list[StaffingShortfall]:
    """Units of a kind that has a quota and fewer full-time emergency staff than its minimum (every row of
    :func:`staffing_shortfall_statement`)."""
    return staffing_shortfall_rows(session, staffing_shortfall_statement(principal))
