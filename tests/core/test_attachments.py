"""Attachments: size limit, content sniffing, storage by hash, downloads through the scope check."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import unit_id, zh
from yingji.core.models import Attachment

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


def post(client: Any, unit: int, name: str, content: bytes) -> Any:
    return client.api("POST", "/api/attachments", data={"unit_id": unit},
                      files={"file": (name, content, "image/jpeg")})


def test_photo_is_stored_by_hash_and_downloaded_within_scope(browser: Any, session: Session, settings: Any) -> None:
    village = unit_id(session, "652701100-V01")
    client = browser("village")
    # the information officer has read-only rights on units in the demo: uploads go through the township
    township = browser("township")
    response = post(township, village, "landslide.jpg", JPEG)
    assert response.status_code == 201, response.text
    meta = response.json()
    digest = hashlib.sha256(JPEG).hexdigest()
    assert meta["sha256"] == digest and meta["content_type"] == "image/jpeg"
    stored = settings.attachments_dir / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == JPEG
    download = client.get(f"/api/attachments/{meta['id']}/download")
    assert download.status_code == 200 and download.content == JPEG
    assert download.headers["x-content-type-options"] == "nosniff"
    assert browser("jinghe").get(f"/api/attachments/{meta['id']}/download").status_code == 404


def test_disguised_and_unknown_files_are_refused(browser: Any, session: Session) -> None:
    client = browser("bole")
    bole = unit_id(session, "652701")
    before = session.scalar(select(func.count()).select_from(Attachment))
    script = post(client, bole, "photo.jpg", b"<script>alert(1)</script>")
    assert script.status_code == 415
    assert script.json()["detail"] == zh("This kind of file is not accepted. Photos, videos, PDF and Office "
                                         "documents are.")
    renamed = post(client, bole, "report.pdf", JPEG)
    assert renamed.status_code == 415
    empty = post(client, bole, "empty.jpg", b"")
    assert empty.status_code == 400
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Attachment)) == before


def test_oversized_upload_is_refused_and_leaves_no_file(browser: Any, session: Session, app: Any,
                                                        settings: Any) -> None:
    client = browser("bole")
    app.state.settings.max_upload_mb = 0.001
    response = post(client, unit_id(session, "652701"), "big.jpg", JPEG + b"\0" * 4096)
    assert response.status_code == 413
    assert response.json()["detail"] == zh("The file is larger than %(mb)s MB.", mb="0.001")
    leftovers = [p for p in settings.attachments_dir.rglob("*") if p.is_file()] if settings.attachments_dir.exists() \
        else []
    assert leftovers == []


def test_request_body_over_the_server_limit_is_413(browser: Any, app: Any) -> None:
    client = browser("bole")
    response = client.api("POST", "/api/attachments", content=b"x" * (61 * 1024 * 1024),
                          headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.json()["detail"] == zh("The request is too large.")
    # a page's form over the limit is answered with a page, in the user's language
    client.cookies.set("yj_lang", "en")
    page = client.form("/units/import", files={"file": ("big.xlsx", b"x" * (61 * 1024 * 1024))})
    assert page.status_code == 413
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in page.text and "The request is too large." in page.text


def test_upload_into_another_county_is_not_found(browser: Any, session: Session) -> None:
    response = post(browser("bole"), unit_id(session, "652722"), "x.jpg", JPEG)
    assert response.status_code == 404


def test_a_record_whose_file_is_gone_is_a_clear_404(browser: Any, session: Session, settings: Any) -> None:
    """A database restored without var/attachments (or a file removed by hand): the record is still listed,
    and asking for its bytes says what is wrong instead of failing with a server error."""
    village = unit_id(session, "652701100-V01")
    township = browser("township")
    meta = post(township, village, "landslide.jpg", JPEG).json()
    digest = hashlib.sha256(JPEG).hexdigest()
    (settings.attachments_dir / digest[:2] / digest[2:4] / digest).unlink()
    message = zh("The file of this attachment is missing from the server's storage. Tell the system administrator.")
    api = township.get(f"/api/attachments/{meta['id']}/download")
    assert api.status_code == 404 and api.json()["detail"] == message
    page = township.get(f"/files/{meta['id']}")
    assert page.status_code == 404 and message in page.text
    assert township.get(f"/api/attachments/{meta['id']}").status_code == 200  # the record itself is kept


def _aged(path: Any, days: float = 2) -> None:
    import os
    import time

    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_the_sweep_removes_only_old_files_no_attachment_refers_to(browser: Any, session: Session,
                                                                   settings: Any) -> None:
    """A file stored by a request that then failed, or left by a killed upload, is removed once it is a day
    old; a file an attachment refers to, or a young one (its transaction may not have committed yet), stays."""
    from yingji import jobs
    from yingji.core import attachments

    assert "attachments.sweep" in jobs.PERIODIC
    township = browser("township")
    kept = post(township, unit_id(session, "652701100-V01"), "landslide.jpg", JPEG).json()["sha256"]
    kept_path = attachments.blob_path(settings, kept)
    _aged(kept_path)

    def planted(content: bytes, days: float) -> Any:
        path = attachments.blob_path(settings, hashlib.sha256(content).hexdigest())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        _aged(path, days)
        return path

    orphan, young = planted(b"refused report's photo", 2), planted(b"photo of a report being filed", 0.5)
    partial = settings.attachments_dir / ".upload-cut-off"
    partial.write_bytes(b"half a vid")
    _aged(partial)
    fresh_partial = settings.attachments_dir / ".upload-in-flight"
    fresh_partial.write_bytes(b"arriving")
    session.rollback()
    assert attachments.sweep_unreferenced(session, settings) == 2
    assert not orphan.exists() and not partial.exists()
    assert kept_path.read_bytes() == JPEG and young.exists() and fresh_partial.exists()
    assert not list(settings.attachments_dir.glob(f"*/*/*{attachments.SWEEP_SUFFIX}"))
    assert attachments.sweep_unreferenced(session, settings) == 0


def test_a_store_racing_the_sweep_keeps_its_file(browser: Any, session: Session, settings: Any) -> None:
    """The same content stored again while the sweep holds the old copy aside: the store writes its own copy,
    the sweep drops the one it set aside, and the attachment's file is there. A store before the sweep
    refreshes the old copy's time, so the sweep leaves it."""
    import os

    from yingji.core import attachments

    digest = hashlib.sha256(JPEG).hexdigest()
    home = attachments.blob_path(settings, digest)
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_bytes(JPEG)  # an orphan of the same content
    _aged(home)
    aside = home.with_name(digest + attachments.SWEEP_SUFFIX)
    os.replace(home, aside)  # the sweep's first step
    township = browser("township")
    meta = post(township, unit_id(session, "652701100-V01"), "again.jpg", JPEG).json()
    assert home.read_bytes() == JPEG
    session.rollback()
    attachments.sweep_unreferenced(session, settings)  # finds its own step left half-done
    assert not aside.exists() and home.read_bytes() == JPEG
    assert township.get(f"/api/attachments/{meta['id']}/download").content == JPEG


def test_content_stored_again_before_its_commit_survives_the_sweep(session: Session, settings: Any,
                                                                   database: Any) -> None:
    """An old orphan whose content a request is storing again, its row not yet committed when the sweep runs:
    the store refreshed the file's time, so the sweep leaves it, and the committed attachment has its file."""
    import io

    from tests.incidents.helpers import principal
    from yingji.core import attachments

    content = b"\xff\xd8\xff\xe0 an old orphan, uploaded again"
    digest = hashlib.sha256(content).hexdigest()
    home = attachments.blob_path(settings, digest)
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_bytes(content)
    _aged(home)
    storing = database.sessionmaker()
    try:
        attachments.store(storing, principal(storing, "township"), settings, stream=io.BytesIO(content),
                          filename="again.jpg", unit_id=unit_id(storing, "652701100-V01"))
        storing.flush()
        session.rollback()
        assert attachments.sweep_unreferenced(session, settings) == 0  # the row is not committed yet
        storing.commit()
    finally:
        storing.close()
    assert home.read_bytes() == content
