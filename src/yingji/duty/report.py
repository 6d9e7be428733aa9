"""The roll-call bulletin (通报) as XLSX and PDF (reportlab, CJK through the built-in STSong-Light font)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yingji.core import xlsx
from yingji.duty.schemas import Bulletin, MonthlyRow
from yingji.i18n import N_, gettext

FONT = "STSong-Light"
STATUS_LABELS = {"on_time": N_("on time"), "late": N_("late"), "missing": N_("missing"),
                 "pending": N_("not answered yet"), "scheduled": N_("not made yet")}
COLUMNS = (N_("unit"), N_("duty desk"), N_("duty officer"), N_("answered at"), N_("answered by"),
           N_("seconds after the call"), N_("result"))


def _rows(bulletin: Bulletin, local: Callable[[datetime | None], str]) -> list[list[str]]:
    return [[r.unit_name, r.desk_name, r.officer, local(r.answered_at), r.answered_by,
             "" if r.delay_seconds is None else str(r.delay_seconds), gettext(STATUS_LABELS[r.status])]
            for r in bulletin.rows]


def title(bulletin: Bulletin, local: Callable[[datetime | None], str]) -> str:
    return gettext("Roll call bulletin no. %(id)s, %(at)s") % {"id": bulletin.roll_call.id,
                                                               "at": local(bulletin.roll_call.started_at)}


def summary(bulletin: Bulletin) -> str:
    c = bulletin.counts
    return gettext("Called %(total)s desks: %(on_time)s on time, %(late)s late, %(missing)s missing; "
                   "limit %(limit)s seconds.") % {"total": sum(c.values()), "on_time": c["on_time"],
                                                   "late": c["late"], "missing": c["missing"],
                                                   "limit": bulletin.roll_call.limit_seconds}


def to_xlsx(bulletin: Bulletin, local: Callable[[datetime | None], str]) -> bytes:
    return xlsx.export(COLUMNS, _rows(bulletin, local), title="bulletin")


def to_pdf(bulletin: Bulletin, local: Callable[[datetime | None], str]) -> bytes:
    return _pdf(title(bulletin, local), summary(bulletin), COLUMNS, _rows(bulletin, local),
                [80, 90, 65, 75, 60, 60, 55])


MONTHLY_COLUMNS = (N_("unit"), N_("duty desk"), N_("times called"), N_("on time"), N_("late"), N_("missing"),
                   N_("average seconds to answer"))


def _monthly_rows(rows: list[MonthlyRow]) -> list[list[Any]]:
    return [[r.unit_name, r.desk_name, r.called, r.on_time, r.late, r.missing + r.pending,
             "" if r.average_seconds is None else r.average_seconds] for r in rows]


def monthly_title(month: str) -> str:
    return gettext("Roll calls of %(month)s by duty desk") % {"month": month}


def monthly_xlsx(rows: list[MonthlyRow]) -> bytes:
    return xlsx.export(MONTHLY_COLUMNS, _monthly_rows(rows), title="monthly")


def monthly_pdf(month: str, rows: list[MonthlyRow]) -> bytes:
    total = sum(r.called for r in rows)
    text = gettext("%(n)s calls of %(desks)s desks.") % {"n": total, "desks": len(rows)}
    return _pdf(monthly_title(month), text, MONTHLY_COLUMNS, _monthly_rows(rows), [90, 100, 50, 50, 50, 50, 75])


def _pdf(heading_text: str, summary_text: str, headers: tuple[str, ...], rows: list[list[Any]],
         widths: list[int]) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    heading = ParagraphStyle("h", fontName=FONT, fontSize=15, leading=20)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10, leading=14)
    cell = ParagraphStyle("c", fontName=FONT, fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=heading_text, leftMargin=36, rightMargin=36)
    data = [[Paragraph(gettext(h), cell) for h in headers]]
    data += [[Paragraph(_escape(str(v)), cell) for v in row] for row in rows]
    table = Table(data, repeatRows=1, colWidths=widths)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    doc.build([Paragraph(_escape(heading_text), heading), Spacer(1, 8), Paragraph(_escape(summary_text), body),
               Spacer(1, 8), table])
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
