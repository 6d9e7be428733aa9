"""Annual reports (R3.6): every county and every prefecture department files its report on the past year
before 10 January; who has filed, reminders before the deadline, the overdue list; and a draft of the
prefecture's compiled report, generated from the platform's data as DOCX for people to edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.errors import Conflict, UserError
from yingji.i18n import gettext
from yingji.oversight import common, defaults
from yingji.oversight.models import OvAnnualReport, OvNotice
from yingji.oversight.schemas import AnnualReportFile

OWING_KINDS = ("county", "department")


def deadline(session: Session, year: int) -> datetime:
    """The first instant at which the report on ``year`` is late: the end of the due day (local time)."""
    due = date(year + 1, defaults.value(session, defaults.ANNUAL_DUE_MONTH),
               defaults.value(session, defaults.ANNUAL_DUE_DAY))
    return common.day_end(due)


def due_day(session: Session, year: int) -> date:
    return common.local_day(deadline(session, year) - timedelta(seconds=1))


def owing_units(session: Session, principal: Principal) -> list[Unit]:
    """Counties, and the departments directly under a prefecture (各县市人民政府、各有关部门)."""
    parent = aliased(Unit)
    stmt = scoped(select(Unit), principal).outerjoin(parent, parent.id == Unit.parent_id).where(
        Unit.valid_to.is_(None),
        or_(Unit.kind == "county", (Unit.kind == "department") & (parent.kind == "prefecture")))
    return list(session.scalars(stmt.order_by(Unit.kind, Unit.code)))


@dataclass
class Status:
    unit: Unit
    report: OvAnnualReport | None
    state: str  # filed_on_time | filed_late | draft | due | overdue


def status_table(session: Session, principal: Principal, year: int, *, now: datetime | None = None) -> list[Status]:
    now = now or clock.now()
    late_from = deadline(session, year)
    units = owing_units(session, principal)
    reports = {r.unit_id: r for r in session.scalars(
        scoped(select(OvAnnualReport), principal).where(OvAnnualReport.year == year))}
    out = []
    for unit in units:
        report = reports.get(unit.id)
        if report is not None and report.status == "filed":
            state = "filed_on_time" if report.on_time else "filed_late"
        elif now >= late_from:
            state = "overdue"
        else:
            state = "draft" if report is not None else "due"
        out.append(Status(unit, report, state))
    return out


def get(session: Session, principal: Principal, report_id: int) -> OvAnnualReport:
    return get_scoped(session, principal, OvAnnualReport, report_id)


def file(session: Session, principal: Principal, data: AnnualReportFile, attachment_id: int | None = None) -> \
        OvAnnualReport:
    """File (submit) a unit's report for a year. A filed report is never rewritten."""
    unit = unit_in_scope(session, principal, data.unit_id, roles.REPORT)
    if unit.kind not in OWING_KINDS:
        raise UserError("Annual reports are filed by counties and departments.", field="unit_id")
    if data.year >= common.today().year:
        raise UserError("A report can only be filed on a year that has ended.", field="year")
    existing = session.scalar(select(OvAnnualReport).where(OvAnnualReport.unit_id == unit.id,
                                                           OvAnnualReport.year == data.year))
    if existing is not None and existing.status == "filed":
        raise Conflict("This unit's report for that year is already filed.")
    now = clock.now()
    row = existing or OvAnnualReport(unit_id=unit.id, year=data.year)
    before = audit.snapshot(row) if existing is not None else None
    row.summary, row.status, row.filed_at, row.filed_by_name = data.summary, "filed", now, principal.name
    row.on_time = now < deadline(session, data.year)
    if attachment_id is not None:
        from yingji.core.models import Attachment

        found = get_scoped(session, principal, Attachment, attachment_id)
        if found.unit_id != unit.id:
            raise UserError("The file must be filed under the reporting unit.", field="attachment_id")
        row.attachment_id = found.id
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create" if before is None else "update",
                 entity_type="oversight_annual_report", entity_id=row.id, unit_id=unit.id, before=before,
                 after=audit.snapshot(row))
    return row


def remind(session: Session, principal: Principal, *, now: datetime | None = None) -> dict[str, int]:
    """Before the deadline (within the reminder lead) every owing unit that has not filed is told once; after
    it, once more that it is overdue. The report due is for the year before the current local year."""
    now = now or clock.now()
    year = common.local_day(now).year - 1
    late_from = deadline(session, year)
    lead = timedelta(days=defaults.value(session, defaults.ANNUAL_REMIND))
    if now < late_from - lead:
        return {"reminded": 0, "overdue": 0}
    kind = "annual_overdue" if now >= late_from else "annual_remind"
    counts = {"reminded": 0, "overdue": 0}
    for status in status_table(session, principal, year, now=now):
        if status.state.startswith("filed"):
            continue
        ref = f"{status.unit.id}:{year}"
        if session.scalar(select(OvNotice.id).where(OvNotice.kind == kind, OvNotice.ref == ref)) is not None:
            continue
        session.add(OvNotice(unit_id=status.unit.id, kind=kind, ref=ref))
        due = due_day(session, year).isoformat()
        overdue = kind == "annual_overdue"

        def subject(overdue: bool = overdue, due: str = due) -> str:
            if overdue:
                return gettext("[Annual report] The %(year)s annual report on emergency response is overdue "
                               "(due by %(due)s)") % {"year": year, "due": due}
            return gettext("[Annual report] Please file the %(year)s annual report on emergency response by "
                           "%(due)s") % {"year": year, "due": due}

        common.notify_each(session, principal, users=common.office_users(session, status.unit.id), subject=subject,
                           link=f"/oversight/annual?year={year}")
        counts["overdue" if kind == "annual_overdue" else "reminded"] += 1
    session.flush()
    return counts


def compiled_draft(session: Session, principal: Principal, year: int) -> bytes:
    """The prefecture's compiled report for ``year`` as a DOCX draft, from the platform's records."""
    from yingji.oversight import docx, stats

    doc = docx.Document()
    doc.heading(f"博尔塔拉蒙古自治州{year}年度突发事件应对工作总结评估报告（草稿）")
    doc.paragraph(f"本草稿由平台于 {common.today().isoformat()} 根据平台记录生成，供编辑修改后报自治区应急办。")
    doc.heading("一、突发事件总体情况", 2)
    table = stats.table(session, principal, year=year, period="year", period_no=1)
    if not table.source:
        doc.paragraph("事件记录来源尚未建立（no records source yet）。")
    else:
        t = table.total
        doc.paragraph(f"全年共发生突发事件{t.count}起，死亡{t.deaths}人，受伤{t.injured}人，失踪{t.missing}人，"
                      f"直接经济损失{t.loss}元；上年同期{table.previous.count}起"
                      f"（{stats.change(t.count, table.previous.count)}）。")
        rows = [[_zh_category(stats.CATEGORIES[c]), f.count, f.deaths, f.injured, f.missing, f.loss]
                for c, f in sorted(table.by_category.items()) if c in stats.CATEGORIES]
        doc.table(["类别", "起数", "死亡", "受伤", "失踪", "直接经济损失（元）"], rows)
        doc.table(["县市", "起数", "死亡", "受伤", "失踪", "直接经济损失（元）"],
                  [[table.counties.get(u, ""), f.count, f.deaths, f.injured, f.missing, f.loss]
                   for u, f in sorted(table.by_county.items(), key=lambda i: table.counties.get(i[0], ""))])
    doc.heading("二、各县市、各部门年度报告报送情况", 2)
    statuses = status_table(session, principal, year)
    doc.table(["单位", "状态", "报送时间"],
              [[s.unit.name, _STATE_ZH[s.state], common.local_day(s.report.filed_at).isoformat()
                if s.report and s.report.filed_at else ""] for s in statuses])
    for s in statuses:
        if s.report is not None and s.report.status == "filed":
            doc.heading(s.unit.name, 3)
            doc.paragraph(s.report.summary)
    doc.heading("三、重点工作任务落实情况", 2)
    _ledger_section(session, principal, doc, year)
    doc.heading("四、存在的问题和下一步工作", 2)
    doc.paragraph("（请编写。）")
    return doc.to_bytes()


_STATE_ZH = {"filed_on_time": "按时报送", "filed_late": "逾期报送", "draft": "未报送", "due": "未报送",
             "overdue": "逾期未报"}


def _zh_category(label: str) -> str:
    return {"Natural disasters": "自然灾害", "Accidents": "事故灾难", "Public health events": "公共卫生事件",
            "Social security events": "社会安全事件"}.get(label, label)


def _ledger_section(session: Session, principal: Principal, doc: Any, year: int) -> None:
    from yingji.oversight.models import OvTask

    start, end = date(year, 1, 1), date(year, 12, 31)
    tasks = list(session.scalars(scoped(select(OvTask), principal)
                                 .where(OvTask.deadline >= start, OvTask.deadline <= end).order_by(OvTask.deadline)))
    closed = sum(1 for t in tasks if t.status == "closed")
    doc.paragraph(f"期限在本年度的重点任务{len(tasks)}项，已办结{closed}项，未办结{len(tasks) - closed}项。")
    names = common.unit_names(session, [t.unit_id for t in tasks])
    doc.table(["任务", "来源", "责任单位", "责任人", "期限", "状态"],
              [[t.title, t.source_ref, names.get(t.unit_id, ""), t.owner_person, t.deadline.isoformat(),
                "已办结" if t.status == "closed" else f"进行中 {t.progress}%"] for t in tasks[:200]])
