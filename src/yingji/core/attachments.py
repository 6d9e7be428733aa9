"""Attachments: a size limit, content sniffed from the bytes, stored by SHA-256 under var/."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.models import Attachment, Unit
from yingji.core.scope import Principal, get_scoped, recheck, scoped
from yingji.errors import NotFound, TooLarge, Unsupported, UserError
from yingji.i18n import N_
from yingji.settings import Settings

log = logging.getLogger(__name__)
CHUNK = 1 << 16

# Accepted kinds, recognised from their first bytes, never from the name or the browser's word.
SIGNATURES: list[tuple[bytes, int, str, tuple[str, ...]]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", (".png",)),
    (b"GIF87a", 0, "image/gif", (".gif",)),
    (b"GIF89a", 0, "image/gif", (".gif",)),
    (b"%PDF-", 0, "application/pdf", (".pdf",)),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", (".webm", ".mkv")),
    (b"ftyp", 4, "video/mp4", (".mp4", ".m4v", ".mov", ".3gp")),
    (b"PK\x03\x04", 0, "application/zip", (".docx", ".xlsx", ".pptx", ".zip", ".odt", ".ods")),
]
OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(head: bytes, filename: str) -> str:
    """The content type proven by the first bytes, if the name's extension agrees with it."""
    ext = Path(filename).suffix.lower()
    for magic, offset, content_type, extensions in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            if head[:4] == b"RIFF":
                continue
            if ext not in extensions:
                raise Unsupported("The file's content (%(type)s) does not match its name.", type=content_type)
            return OFFICE_TYPES.get(ext, content_type)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and ext == ".webp":
        return "image/webp"
    raise Unsupported("This kind of file is not accepted. Photos, videos, PDF and Office documents are.")


def blob_path(settings: Settings, sha256: str) -> Path:
    return settings.attachments_dir / sha256[:2] / sha256[2:4] / sha256


def store(session: Session, principal: Principal, settings: Settings, *, stream: BinaryIO, filename: str,
          unit_id: int, entity_type: str = "", entity_id: str = "", action: str = roles.WRITE,
          accept: tuple[str, ...] = (), refusal: str = "") -> Attachment:
    """Copy an upload to disk (refusing it past the size limit), then record it.

    ``action`` is what the uploader must be allowed for the unit (REPORT for an information officer's
    photos); ``accept`` limits the sniffed content types (prefixes such as ``"image/"``), ``refusal`` being
    the message id shown otherwise."""
    get_scoped(session, principal, Unit, unit_id, action)
    filename = Path(filename or "").name[:255]
    if not filename:
        raise UserError("The file has no name.")
    limit = int(settings.max_upload_mb * 1024 * 1024)
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=settings.attachments_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge("The file is larger than %(mb)s MB.", mb=f"{settings.max_upload_mb:g}")
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UserError("The file is empty.")
        content_type = sniff(head, filename)
        if accept and not content_type.startswith(accept):
            raise Unsupported(refusal or N_("This kind of file is not accepted here."))
        sha = digest.hexdigest()
        target = blob_path(settings, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.utime(target)  # the same content is stored already: keep it fresh for sweep_unreferenced
            os.unlink(tmp_name)
        except FileNotFoundError:
            os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    row = Attachment(sha256=sha, size=size, content_type=content_type, filename=filename, unit_id=unit_id,
                     uploaded_by_id=principal.user_id, entity_type=entity_type, entity_id=entity_id)
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="attachment", entity_id=row.id,
                 unit_id=unit_id, after=audit.snapshot(row))
    return row


def get(session: Session, principal: Principal, attachment_id: int) -> Attachment:
    return get_scoped(session, principal, Attachment, attachment_id)


def stored_file(session: Session, principal: Principal, settings: Settings,
                attachment_id: int) -> tuple[Attachment, Path]:
    """The attachment and the path of its bytes. A record whose file is not on disk (a database restored
    without var/attachments, a file removed by hand) is a clear 404 naming the problem, logged for the
    operator."""
    row = get(session, principal, attachment_id)
    path = blob_path(settings, row.sha256)
    if not path.is_file():
        log.error("attachment %s (%s) has no file at %s", row.id, row.filename, path)
        raise NotFound("The file of this attachment is missing from the server's storage. "
                       "Tell the system administrator.")
    return row, path


def list_for(session: Session, principal: Principal, *, unit_id: int | None = None, entity_type: str = "",
             entity_id: str = "") -> list[Attachment]:
    stmt = scoped(select(Attachment), principal)
    if unit_id is not None:
        stmt = stmt.where(Attachment.unit_id == unit_id)
    if entity_type:
        stmt = stmt.where(Attachment.entity_type == entity_type, Attachment.entity_id == entity_id)
    return list(session.scalars(stmt.order_by(Attachment.id.desc()).limit(200)))


SWEEP_GRACE = timedelta(days=1)  # a file younger than this may belong to a transaction not yet committed
SWEEP_SUFFIX = ".sweeping"


def sweep_unreferenced(session: Session, settings: Settings, *, grace: timedelta = SWEEP_GRACE) -> int:
    """Remove stored files that no attachment refers to, and uploads cut off half-way, once they are older than
    ``grace``: a file stored by a request whose transaction then rolled back (a report refused after its
    photo was copied), a blob whose last attachment was deleted, the partial copy of a killed process.

    ``store`` refreshes the time of a file whose content it stores again, before its row is committed. A file
    is renamed aside before it is removed: a store of the same content in the meantime either refreshed its
    time first (it is put back) or finds it gone and writes its own copy."""
    root = settings.attachments_dir
    if not root.is_dir():
        return 0
    cutoff = time.time() - grace.total_seconds()
    referenced = set(session.scalars(select(Attachment.sha256).distinct()))
    removed = 0
    for path in root.glob("*/*/*"):
        leftover = path.name.endswith(SWEEP_SUFFIX)  # a sweep stopped between its two steps
        sha = path.name.removesuffix(SWEEP_SUFFIX)
        home = path.with_name(sha)
        if sha in referenced and not leftover:
            continue
        try:
            if leftover:
                aside = path
            else:
                if path.stat().st_mtime > cutoff:
                    continue
                aside = path.with_name(sha + SWEEP_SUFFIX)
                os.replace(path, aside)
            # a store of the same content refreshed the time before the file was set aside
            wanted = sha in referenced or aside.stat().st_mtime > cutoff
            if wanted and not home.exists():
                os.replace(aside, home)
            else:
                os.unlink(aside)  # unwanted, or a store found it gone and wrote its own copy
                removed += not wanted
        except FileNotFoundError:
            continue
    for partial in root.glob(".upload-*"):
        try:
            if partial.stat().st_mtime <= cutoff:
                os.unlink(partial)
                removed += 1
        except FileNotFoundError:
            continue
    if removed:
        log.info("removed %s stored files that no attachment refers to", removed)
    return removed
