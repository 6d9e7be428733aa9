"""XLSX export of any list, and the all-or-nothing import of units and people."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import service
from yingji.core.models import Unit
from yingji.core.schemas import PersonCreate, UnitCreate
from yingji.core.scope import Principal
from yingji.errors import TooLarge, UserError, validation_message
from yingji.i18n import N_, gettext

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_ROWS = 20000
MAX_UNCOMPRESSED = 100 * 1024 * 1024


def bounded(stmt: Any) -> Any:
    """The statement limited to one row past what an export holds: enough for ``export`` to tell a list that
    fits from one that does not, without reading the rest of a long one."""
    return stmt.limit(service.EVERY_ROW)


def export(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "data") -> bytes:
    """One sheet: a header row (translated), then the rows. Times are written as text in ISO form.

    More than ``service.MAX_EXPORT_ROWS`` rows are refused (400, in the user's language) rather than cut short.
    The rows are counted before the workbook is begun: a write-only workbook keeps its sheet in a temporary
    file until it is saved, and one abandoned part-written stays on disk for the life of the process."""
    cells = []
    for number, row in enumerate(rows, start=1):
        if number > service.MAX_EXPORT_ROWS:
            raise UserError("This list has more than %(n)s rows, more than one export holds. Narrow the filter "
                            "(for example the time range) and export again.", field="export", n=service.MAX_EXPORT_ROWS)
        cells.append([_cell(v) for v in row])
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([gettext(h) for h in headers])
    for line in cells:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    return value


UNIT_COLUMNS = (N_("code"), N_("name"), N_("kind"), N_("parent code"), N_("leading body"), N_("address"),
                N_("phone"), N_("longitude"), N_("latitude"), N_("enterprise size"), N_("high-risk industry"),
                N_("in industrial park"), N_("valid from"), N_("valid to"), N_("name (English)"))
UNIT_FIELDS = ("code", "name", "kind", "parent_code", "leading_body", "address", "phone", "lon", "lat",
               "enterprise_size", "high_risk_industry", "in_industrial_park", "valid_from", "valid_to",
               "name_en")
PERSON_COLUMNS = (N_("unit code"), N_("name"), N_("position"), N_("phone"), N_("email"), N_("duty"),
                  N_("full-time emergency staff"))
PERSON_FIELDS = ("unit_code", "name", "position", "phone", "email", "duty", "full_time_emergency")
FIELD_LABELS = dict(zip(UNIT_FIELDS, UNIT_COLUMNS, strict=True)) | dict(zip(PERSON_FIELDS, PERSON_COLUMNS, strict=True))


def read_rows(stream: BinaryIO, *, max_bytes: int, fields: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet as dicts keyed by ``fields`` (by position), with their row numbers."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge("The file is larger than %(mb)s MB.", mb=f"{max_bytes / 1024 / 1024:g}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
                raise TooLarge("The spreadsheet expands to too much data.")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TooLarge:
        raise
    except Exception as exc:
        raise UserError("The file is not a readable XLSX spreadsheet.") from exc
    sheet = book.worksheets[0]
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number == 1:
            continue
        if number > MAX_IMPORT_ROWS + 1:
            raise TooLarge("The spreadsheet has more than %(n)s rows.", n=MAX_IMPORT_ROWS)
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        padded = list(values) + [None] * (len(fields) - len(values))
        rows.append((number, {f: _clean(v) for f, v in zip(fields, padded, strict=False)}))
    book.close()
    return rows


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date()
    return value


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "y", "是", "x", "√"} if value is not None else False


def _error_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        label = gettext(FIELD_LABELS.get(field, field))
        parts.append(f"{label}: {validation_message(dict(error))}")
    return "; ".join(parts)


class ImportFailed(UserError):
    status_code = 422


def import_units(session: Session, principal: Principal, stream: BinaryIO, *, max_bytes: int) -> int:
    """Create every unit of the sheet, or none: every bad row is reported with its number and reason."""

    def create(row: dict[str, Any]) -> None:
        parent_code = row.pop("parent_code")
        parent = session.scalar(select(Unit).where(Unit.code == str(parent_code or "")))
        if parent is None:
            raise UserError("Unknown parent code %(code)s.", code=parent_code)
        row["in_industrial_park"] = _bool(row.get("in_industrial_park"))
        service.create_unit(session, principal, UnitCreate(**_present(row, ("code", "phone")), parent_id=parent.id))

    return _import_all(session, read_rows(stream, max_bytes=max_bytes, fields=UNIT_FIELDS), create)


def import_people(session: Session, principal: Principal, stream: BinaryIO, *, max_bytes: int) -> int:
    """Create every person of the sheet, or none (as for units)."""

    def create(row: dict[str, Any]) -> None:
        unit = session.scalar(select(Unit.id).where(Unit.code == str(row.pop("unit_code") or "")))
        if unit is None:
            raise UserError("Unknown unit code.")
        row["full_time_emergency"] = _bool(row.get("full_time_emergency"))
        service.create_person(session, principal, PersonCreate(**_present(row, ("phone",)), unit_id=unit))

    return _import_all(session, read_rows(stream, max_bytes=max_bytes, fields=PERSON_FIELDS), create)


def _present(row: dict[str, Any], as_text: tuple[str, ...]) -> dict[str, Any]:
    """The cells that have a value; codes and phone numbers read as text even when typed as numbers."""
    return {k: (str(v) if k in as_text else v) for k, v in row.items() if v is not None}


def _import_all(session: Session, rows: list[tuple[int, dict[str, Any]]],
                create: Callable[[dict[str, Any]], None]) -> int:
    """All or nothing: each row in a savepoint, every failure collected, everything undone on any failure."""
    if not rows:
        raise UserError("The spreadsheet has no data rows.")
    errors: list[dict[str, Any]] = []
    with session.begin_nested() as savepoint:
        for number, row in rows:
            try:
                with session.begin_nested():
                    create(row)
            except ValidationError as exc:
                errors.append({"row": number, "message": _error_text(exc)})
            except UserError as exc:
                errors.append({"row": number, "message": exc.text()})
        if errors:
            savepoint.rollback()
    if errors:
        raise ImportFailed("Nothing was imported: %(n)s rows have errors.", n=len(errors), details=errors)
    return len(rows)


def unit_rows(units: Iterable[Unit], codes: dict[int, str]) -> Iterable[list[Any]]:
    for u in units:
        yield [u.code, u.name, u.kind, codes.get(u.parent_id or 0, ""), u.leading_body, u.address, u.phone,
               u.lon, u.lat, u.enterprise_size, u.high_risk_industry, u.in_industrial_park, u.valid_from,
               u.valid_to, u.name_en]
