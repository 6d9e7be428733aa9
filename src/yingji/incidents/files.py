"""Photos and videos attached to reports.

An information officer may report but not write other records, so uploads for reports need the REPORT
action; they are stored like every attachment (size limit, content sniffed, SHA-256 on disk), and only
photos, videos and PDF files are accepted on a report.
"""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy.orm import Session

from yingji.core import attachments, roles
from yingji.core.models import Attachment
from yingji.core.scope import Principal
from yingji.i18n import N_
from yingji.settings import Settings

REPORT_TYPES = ("image/", "video/", "application/pdf")


def store(session: Session, principal: Principal, settings: Settings, *, stream: BinaryIO, filename: str,
          unit_id: int) -> Attachment:
    """Store one upload for a report (not yet attached to one: the report claims it when filed)."""
    principal.require(roles.REPORT)
    return attachments.store(session, principal, settings, stream=stream, filename=filename, unit_id=unit_id,
                             action=roles.REPORT, accept=REPORT_TYPES,
                             refusal=N_("A report takes photos, videos and PDF files only."))
