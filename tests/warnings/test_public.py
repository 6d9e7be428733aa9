"""The public web: the warnings page, each alert's CAP XML and the Atom feed of the warnings in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lxml import etree

from tests.warnings.helpers import NOW, draft_data, principal, set_now
from yingji.warnings import cap, service
from yingji.warnings.models import Alert

ATOM = "{http://www.w3.org/2005/Atom}"


def _issue(session: Any, alert: Alert) -> Alert:
    service.submit(session, principal(session, "qixiang"), alert.id)
    service.review(session, principal(session, "warncentre"), alert.id, approve=True)
    service.sign(session, principal(session, "leader"), alert.id)
    session.commit()
    return alert


def _read_atom(data: bytes) -> list[dict[str, Any]]:
    """Entries of an Atom feed: with feedparser when it is installed, else with lxml (a strict parser)."""
    try:
        import feedparser  # type: ignore[import-not-found]
    except ImportError:
        root = etree.fromstring(data)
        assert root.tag == f"{ATOM}feed"
        return [{"id": e.findtext(f"{ATOM}id"), "title": e.findtext(f"{ATOM}title"),
                 "updated": e.findtext(f"{ATOM}updated"),
                 "links": [dict(link.attrib) for link in e.findall(f"{ATOM}link")]}
                for e in root.findall(f"{ATOM}entry")]
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    return [{"id": e.id, "title": e.title, "updated": e.updated, "links": [dict(link) for link in e.links]}
            for e in parsed.entries]


def test_public_page_cap_and_atom(browser: Any, session: Any) -> None:
    set_now()
    met = principal(session, "qixiang")
    draft = service.create_draft(session, met, draft_data())
    session.commit()
    anonymous = browser()
    assert anonymous.get(f"/public/warnings/{draft.id}.xml").status_code == 404  # not issued: not public
    assert _read_atom(anonymous.get("/public/warnings.atom").content) == []
    alert = _issue(session, draft)
    page = anonymous.get("/public/warnings")
    assert page.status_code == 200 and "精河县暴雨橙色预警" in page.text and alert.identifier in page.text
    xml = anonymous.get(f"/public/warnings/{alert.id}.xml")
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/cap+xml")
    parsed = cap.parse(xml.content)
    assert parsed.version == "1.2" and parsed.alert.identifier == alert.identifier
    assert anonymous.get(f"/api/public/warnings/{alert.id}/cap").content == xml.content
    feed = anonymous.get("/public/warnings.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    entries = _read_atom(feed.content)
    assert len(entries) == 1 and entries[0]["title"] == "精河县暴雨橙色预警"
    assert entries[0]["id"] == f"urn:yingji:cap:{alert.identifier}"
    href = next(link["href"] for link in entries[0]["links"] if link.get("type") == "application/cap+xml")
    assert href.endswith(f"/public/warnings/{alert.id}.xml")
    assert anonymous.get(href.replace("http://testserver", "")).content == xml.content
    listed = anonymous.get("/api/public/warnings").json()
    assert [w["identifier"] for w in listed] == [alert.identifier] and listed[0]["sent"].endswith("+08:00")


def test_feed_follows_update_cancel_and_expiry(browser: Any, session: Any) -> None:
    set_now()
    met = principal(session, "qixiang")
    first = _issue(session, service.create_draft(session, met, draft_data(hours=3)))
    update = _issue(session, service.start_followup(session, met, first.id, "Update"))
    anonymous = browser()
    ids = [e["id"] for e in _read_atom(anonymous.get("/public/warnings.atom").content)]
    assert ids == [f"urn:yingji:cap:{update.identifier}"]
    # The superseded message stays published as CAP (it is referenced), but is no longer in force.
    assert anonymous.get(f"/public/warnings/{first.id}.xml").status_code == 200
    # Expiry: in force until expires (exclusive).
    set_now(update.expires_at - timedelta(seconds=1))
    assert len(_read_atom(anonymous.get("/public/warnings.atom").content)) == 1
    set_now(update.expires_at)
    assert _read_atom(anonymous.get("/public/warnings.atom").content) == []
    set_now(NOW + timedelta(minutes=5))
    cancel = _issue(session, service.start_followup(session, met, update.id, "Cancel"))
    assert _read_atom(anonymous.get("/public/warnings.atom").content) == []
    page = anonymous.get("/public/warnings").text
    assert 'id="no-warnings"' in page and update.identifier not in page
    refs = cap.parse(anonymous.get(f"/public/warnings/{cancel.id}.xml").content).alert.references
    assert refs[0].identifier == update.identifier
