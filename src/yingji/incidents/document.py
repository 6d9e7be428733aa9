"""The report document of an event as an XLSX workbook: what the prefecture sends toward the region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yingji.core import xlsx
from yingji.core.models import Unit
from yingji.i18n import N_, gettext
from yingji.incidents.models import Event, Hop, Report

KIND_NAMES = {"first": N_("First report"), "followup": N_("Follow-up report"), "final": N_("Final report"),
              "correction": N_("Correction")}
STAGE_NAMES = {"county": N_("county duty desk"), "prefecture": N_("prefecture duty desk")}
REPORT_FIELDS: list[tuple[str, str]] = [
    ("kind", N_("Kind of report")), ("reported_at", N_("Reported at")), ("occurred_at", N_("Occurred at")),
    ("address", N_("Address")), ("category", N_("Category")), ("subtype", N_("Subtype")),
    ("level", N_("Level")), ("suggested_level", N_("Suggested level")), ("level_reason", N_("Reason for the level")),
    ("deaths", N_("Deaths")), ("injured", N_("Injured")), ("seriously_injured", N_("Seriously injured")),
    ("missing", N_("Missing")), ("trapped", N_("Trapped")), ("affected", N_("Affected population")),
    ("evacuated", N_("Evacuated")), ("direct_loss", N_("Direct economic loss (CNY)")),
    ("description", N_("Description")), ("cause", N_("Cause")), ("measures", N_("Measures taken")),
    ("plan_activated", N_("Plan activated")), ("help_requested", N_("Help requested")),
    ("reporter_name", N_("Reporter")), ("reporter_phone", N_("Reporter's phone")),
]


def _value(value: Any, zone: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return value


def region_document(session: Session, event: Event, reports: list[Report], hops: list[Hop], zone: Any) -> bytes:
    """One column per report, one row per field; then the hops with who signed and forwarded when."""
    unit = session.get_one(Unit, event.unit_id)
    headers = [gettext("Field"), *[f"{r.seq}. {gettext(KIND_NAMES[r.kind])}" for r in reports]]
    rows: list[list[Any]] = [[gettext("Event"), *[event.title for _ in reports]],
                             [gettext("Unit"), *[unit.name for _ in reports]]]
    for name, label in REPORT_FIELDS:
        rows.append([gettext(label), *[_value(getattr(r, name), zone) for r in reports]])
    rows.append([])
    rows.append([gettext("Hop"), gettext("Received at"), gettext("Signed for at"), gettext("Forwarded at"),
                 gettext("Comment")])
    for hop in hops:
        rows.append([gettext(STAGE_NAMES.get(hop.stage, hop.stage)), _value(hop.received_at, zone),
                     _value(hop.signed_at, zone), _value(hop.forwarded_at, zone), hop.comment])
    return xlsx.export(headers, rows, title=gettext("Incident report"))
