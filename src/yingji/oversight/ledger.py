"""The task ledger (工作台账, R5.3): tasks from leaders' instructions, meeting decisions and documents, each
with an owner unit and person, a deadline, a roadmap of milestones, progress updates with evidence,
reminders before the deadline, escalation when overdue, and closure with evidence —
"件件有着落、事事有回音"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Attachment, Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.errors import Conflict, UserError
from yingji.i18n import gettext
from yingji.oversight import common, defaults
from yingji.oversight.models import OvMilestone, OvNotice, OvProgress, OvTask
from yingji.oversight.schemas import MilestoneCreate, ProgressCreate, TaskClose, TaskCreate, TaskRead

TASK_STATUSES = ("open", "overdue", "closed")


def task_query(principal: Principal, *, q: str = "", status: str = "", source_kind: str = "",
               unit_id: int | None = None, on: date | None = None) -> Select[Any]:
    stmt = scoped(select(OvTask), principal)
    on = on or common.today()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(OvTask.title.ilike(like), OvTask.source_ref.ilike(like), OvTask.owner_person.ilike(like)))
    if status == "open":
        stmt = stmt.where(OvTask.status == "open", OvTask.deadline >= on)
    elif status == "overdue":
        stmt = stmt.where(OvTask.status == "open", OvTask.deadline < on)
    elif status == "closed":
        stmt = stmt.where(OvTask.status == "closed")
    if source_kind:
        stmt = stmt.where(OvTask.source_kind == source_kind)
    if unit_id is not None:
        stmt = stmt.where(OvTask.unit_id == unit_id)
    return stmt.order_by(OvTask.status.desc(), OvTask.deadline, OvTask.id)


def list_tasks(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
               **filters: Any) -> Page[Any]:
    return paginate(session, task_query(principal, **filters), TaskRead, page=page, per_page=per_page)


def is_overdue(task: OvTask, on: date | None = None) -> bool:
    """Open after its deadline day (the deadline day itself is still in time)."""
    return task.status == "open" and (on or common.today()) > task.deadline


def get_task(session: Session, principal: Principal, task_id: int, action: str = roles.READ) -> OvTask:
    return get_scoped(session, principal, OvTask, task_id, action)


def create_task(session: Session, principal: Principal, data: TaskCreate) -> OvTask:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    if data.owner_user_id:  # checked before anything is written: an unknown person is a 400, not a broken key
        from yingji.core.models import User

        owner = session.get(User, data.owner_user_id)
        if owner is None or not _user_in_unit_tree(session, owner.unit_id, data.unit_id):
            raise UserError("The owner must belong to the owner unit.", field="owner_user_id")
    task = OvTask(**data.model_dump())
    session.add(task)
    recheck(session, principal, task)
    audit.record(session, principal, action="create", entity_type="oversight_task", entity_id=task.id,
                 unit_id=task.unit_id, after=audit.snapshot(task))
    return task


def _user_in_unit_tree(session: Session, user_unit_id: int, unit_id: int) -> bool:
    unit, user_unit = session.get(Unit, unit_id), session.get(Unit, user_unit_id)
    return unit is not None and user_unit is not None and user_unit.path.startswith(unit.path)


def _open_for_change(session: Session, principal: Principal, task_id: int) -> OvTask:
    task = get_task(session, principal, task_id, roles.WRITE)
    lock_for_change(session, task)
    if task.status == "closed":
        raise Conflict("This task is closed; nothing more can be added.")
    return task


def milestones(session: Session, principal: Principal, task_id: int) -> list[OvMilestone]:
    get_task(session, principal, task_id)
    return list(session.scalars(select(OvMilestone).where(OvMilestone.task_id == task_id)
                                .order_by(OvMilestone.due_on, OvMilestone.id)))


def add_milestone(session: Session, principal: Principal, task_id: int, data: MilestoneCreate) -> OvMilestone:
    task = _open_for_change(session, principal, task_id)
    if data.due_on > task.deadline:
        raise UserError("A milestone cannot fall after the task's deadline.", field="due_on")
    row = OvMilestone(task_id=task.id, unit_id=task.unit_id, title=data.title, due_on=data.due_on)
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_milestone", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def complete_milestone(session: Session, principal: Principal, milestone_id: int) -> OvMilestone:
    row = get_scoped(session, principal, OvMilestone, milestone_id, roles.WRITE)
    lock_for_change(session, row)
    _open_for_change(session, principal, row.task_id)
    if row.done_at is not None:
        raise Conflict("This milestone is already done.")
    before = audit.snapshot(row)
    row.done_at = clock.now()
    audit.record(session, principal, action="update", entity_type="oversight_milestone", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def progress(session: Session, principal: Principal, task_id: int) -> list[OvProgress]:
    get_task(session, principal, task_id)
    return list(session.scalars(select(OvProgress).where(OvProgress.task_id == task_id)
                                .order_by(OvProgress.created_at.desc(), OvProgress.id.desc())))


def _evidence(session: Session, principal: Principal, attachment_id: int | None, unit_id: int) -> int | None:
    if attachment_id is None:
        return None
    found = get_scoped(session, principal, Attachment, attachment_id)
    if found.unit_id != unit_id:
        raise UserError("The evidence must be filed under the task's owner unit.", field="attachment_id")
    return found.id


def add_progress(session: Session, principal: Principal, task_id: int, data: ProgressCreate,
                 attachment_id: int | None = None) -> OvProgress:
    task = _open_for_change(session, principal, task_id)
    row = OvProgress(task_id=task.id, unit_id=task.unit_id, note=data.note, percent=data.percent,
                     attachment_id=_evidence(session, principal, attachment_id, task.unit_id),
                     author_name=principal.name)
    session.add(row)
    before = audit.snapshot(task)
    task.progress = data.percent
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_progress", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    audit.record(session, principal, action="update", entity_type="oversight_task", entity_id=task.id,
                 unit_id=task.unit_id, before=before, after=audit.snapshot(task))
    return row


def close_task(session: Session, principal: Principal, task_id: int, data: TaskClose,
               attachment_id: int | None) -> OvTask:
    """Closing needs evidence: a file showing the result (事事有回音)."""
    task = _open_for_change(session, principal, task_id)
    if attachment_id is None:
        raise UserError("Closing a task needs evidence: attach the document that shows the result.",
                        field="attachment_id")
    before = audit.snapshot(task)
    task.closure_attachment_id = _evidence(session, principal, attachment_id, task.unit_id)
    task.status, task.closed_at, task.closure_note, task.progress = "closed", clock.now(), data.note, 100
    recheck(session, principal, task)
    audit.record(session, principal, action="close", entity_type="oversight_task", entity_id=task.id,
                 unit_id=task.unit_id, before=before, after=audit.snapshot(task))
    return task


def store_evidence(session: Session, principal: Principal, settings: Any, task: OvTask, upload: Any) -> int | None:
    """Store an uploaded file (if any) as evidence under the task's owner unit."""
    from yingji.core import attachments

    if upload is None or not getattr(upload, "filename", ""):
        return None
    row = attachments.store(session, principal, settings, stream=upload.file, filename=upload.filename,
                            unit_id=task.unit_id, entity_type="oversight_task", entity_id=str(task.id))
    return row.id


# --- reminders and escalation (the job oversight.tasks) -----------------------------------

def _notice_once(session: Session, unit_id: int, kind: str, ref: str) -> bool:
    """Record that a notice is sent; False if it was sent before."""
    exists = session.scalar(select(OvNotice.id).where(OvNotice.kind == kind, OvNotice.ref == ref))
    if exists is not None:
        return False
    session.add(OvNotice(unit_id=unit_id, kind=kind, ref=ref))
    session.flush()
    return True


def remind_and_escalate(session: Session, principal: Principal, on: date | None = None) -> dict[str, int]:
    """Owners of open tasks within the reminder lead time are told once; tasks still open the escalation
    lead after their deadline are reported once to the office of the unit above."""
    on = on or common.today()
    lead = defaults.value(session, defaults.TASK_REMIND)
    late = defaults.value(session, defaults.TASK_ESCALATE)
    counts = {"reminded": 0, "escalated": 0}
    due_soon = select(OvTask).where(OvTask.status == "open", OvTask.deadline >= on,
                                    OvTask.deadline <= on + timedelta(days=lead))
    for task in session.scalars(due_soon).all():
        if _notice_once(session, task.unit_id, "task_remind", str(task.id)):
            subject, body = _due_notice(task)
            common.notify_each(session, principal, users=_owners(session, task), subject=subject, body=body,
                               link=f"/oversight/tasks/{task.id}")
            task.reminded_at = clock.now()
            counts["reminded"] += 1
    overdue = select(OvTask).where(OvTask.status == "open", OvTask.deadline <= on - timedelta(days=late),
                                   OvTask.escalated_at.is_(None))
    for task in session.scalars(overdue).all():
        counts["escalated"] += _escalate(session, principal, task)
    return counts


def _due_notice(task: OvTask) -> tuple[Callable[[], str], Callable[[], str]]:
    """The reminder's subject and body, built in each recipient's language."""
    def subject() -> str:
        return gettext("[Task ledger] Task due on %(deadline)s: %(title)s") % {
            "deadline": task.deadline.isoformat(), "title": task.title}

    def body() -> str:
        return gettext("Source: %(source)s\nOwner: %(owner)s") % {"source": task.source_ref,
                                                                   "owner": task.owner_person}
    return subject, body


def _owners(session: Session, task: OvTask) -> list[Any]:
    from yingji.core.models import User

    if task.owner_user_id:
        owner = session.get(User, task.owner_user_id)
        if owner is not None and owner.is_active:
            return [owner]
    return common.office_users(session, task.unit_id)


def _escalate(session: Session, principal: Principal, task: OvTask) -> int:
    unit = session.get(Unit, task.unit_id)
    above = unit.parent_id if unit is not None and unit.parent_id else task.unit_id
    before = audit.snapshot(task)
    task.escalated_at = clock.now()
    users = common.office_users(session, above) + _owners(session, task)
    common.notify_each(
        session, principal, users=list({u.id: u for u in users}.values()),
        subject=lambda: gettext("[Task ledger] Task overdue and not closed: %(title)s (deadline %(deadline)s)")
        % {"title": task.title, "deadline": task.deadline.isoformat()},
        body=lambda: gettext("Source: %(source)s\nOwner unit: %(unit)s\nOwner: %(owner)s")
        % {"source": task.source_ref, "unit": unit.name if unit else "", "owner": task.owner_person},
        link=f"/oversight/tasks/{task.id}")
    audit.record(session, principal, action="alert", entity_type="oversight_task", entity_id=task.id,
                 unit_id=task.unit_id, before=before, after=audit.snapshot(task))
    return 1
