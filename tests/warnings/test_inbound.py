"""CAP from outside: upload, API POST, pulled sources (a real local HTTP server) — and what is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import zh
from tests.warnings.helpers import NOW, principal, set_now
from yingji.core.models import AuditEntry
from yingji.warnings import inbound, service, tasks
from yingji.warnings.models import Alert, InboundSource

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "cap" / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _counts(session: Any) -> tuple[int, int]:
    session.expire_all()
    return (int(session.scalar(select(func.count()).select_from(Alert)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0))


def _upload(client: Any, name: str, data: bytes) -> Any:
    return client.post("/warnings/inbound", data={"csrf_token": client.csrf}, files={"file": (name, data)},
                       follow_redirects=False)


def test_upload_becomes_a_draft_once(browser: Any, session: Any) -> None:
    set_now()
    client = browser("qixiang")
    response = _upload(client, "cn.xml", sample("cn-baoding_update_zh-CN-en.xml"))
    assert response.status_code == 303, response.text
    alert = session.get(Alert, int(response.headers["location"].rsplit("/", 1)[1]))
    assert alert.status == "draft" and alert.origin == "upload" and alert.identifier is None
    assert {i.language for i in alert.infos} >= {"zh-CN", "en"} and alert.origin_identifier
    # The same message again: no second draft.
    again = _upload(client, "cn.xml", sample("cn-baoding_update_zh-CN-en.xml"))
    assert again.status_code == 200 and "1" in again.text
    assert session.scalar(select(func.count()).select_from(Alert).where(
        Alert.origin_identifier == alert.origin_identifier)) == 1
    # It goes through review and sign-off like any draft once it names an area of the prefecture.
    assert client.get(f"/warnings/{alert.id}").status_code == 200


def test_api_post_of_cap11_feed_and_edxl(browser: Any, session: Any) -> None:
    set_now()
    client = browser("qixiang")
    headers = {"Content-Type": "application/cap+xml"}
    r11 = client.api("POST", "/api/warnings/inbound", content=sample("us-nws_cap11_polygon.cap"), headers=headers)
    assert r11.status_code == 201 and len(r11.json()["created"]) == 1, r11.text
    assert session.get(Alert, r11.json()["created"][0]).origin == "api"
    poly = client.api("POST", "/api/warnings/inbound", content=sample("dz-meteo_fr_polygon.xml"), headers=headers)
    imported = session.get(Alert, poly.json()["created"][0])
    assert imported.areas and imported.areas[0].kind == "polygon" and len(imported.areas[0].points) > 3
    edxl = client.api("POST", "/api/warnings/inbound", content=sample("edxlde_au-nsw-rfs.xml"), headers=headers)
    assert edxl.status_code == 201 and edxl.json()["created"], edxl.text
    feed = client.api("POST", "/api/warnings/inbound", content=sample("feed_ca-eccc_embedded-signed.atom"),
                      headers=headers)
    assert feed.status_code == 201 and feed.json()["created"], feed.text
    linked = client.api("POST", "/api/warnings/inbound", content=sample("feed_us-nws_index.atom"), headers=headers)
    # An index feed only links to alerts: nothing is fetched on upload, the links are reported.
    assert linked.status_code == 201 and linked.json()["created"] == [] and linked.json()["links"]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""


def _expires_before_effective() -> bytes:
    text = sample("oasis-example1_homeland-security.xml").decode("utf-8")
    assert "<effective>" not in text and "<expires>" not in text
    return text.replace("</certainty>", "</certainty><effective>2003-04-02T14:39:01-05:00</effective>"
                        "<expires>2003-04-01T14:39:01-05:00</expires>", 1).encode("utf-8")


@pytest.mark.parametrize(("name", "make", "status"), [
    ("xxe", lambda: XXE, 422),
    ("billion-laughs", lambda: LAUGHS, 422),
    ("xxe-corpus", lambda: sample("invalid_xxe-attack.cap"), 422),
    ("xxe-feed", lambda: sample("feed_xxe-attack.atom"), 422),
    ("wrong-namespace", lambda: sample("invalid_wrong-namespace.cap"), 422),
    ("missing-required", lambda: sample("invalid_missing-required.cap"), 422),
    ("not-xml", lambda: b"PK\x03\x04 not xml", 422),
    ("fifty-megabytes", lambda: b"<alert>" + b" " * (50 * 1024 * 1024) + b"</alert>", 413),
])
def test_bad_input_is_refused_and_changes_nothing(browser: Any, session: Any, name: str, make: Any,
                                                   status: int) -> None:
    set_now()
    client = browser("qixiang")
    before = _counts(session)
    data = make()
    page = _upload(client, f"{name}.xml", data)
    assert page.status_code == status, (name, page.status_code, page.text[:300])
    api = client.api("POST", "/api/warnings/inbound", content=data, headers={"Content-Type": "application/xml"})
    assert api.status_code == status
    if status == 413:
        assert api.json()["detail"] == zh("The file is larger than %(mb)s MB.", mb=5.0)
    else:
        assert api.json()["detail"].startswith(zh("The CAP message was refused: %(problem)s", problem="")), api.text
    assert _counts(session) == before


def test_expires_before_effective_is_refused(browser: Any, session: Any) -> None:
    set_now()
    client = browser("qixiang")
    before = _counts(session)
    response = client.api("POST", "/api/warnings/inbound", content=_expires_before_effective(),
                          headers={"Content-Type": "application/xml"})
    # The reader refuses it, naming the element and the reason.
    detail = response.json()["detail"]
    assert response.status_code == 422 and detail.startswith(zh("The CAP message was refused: %(problem)s",
                                                                 problem=""))
    assert "/alert/info[1]/expires" in detail and "before effective" in detail
    assert _counts(session) == before


def test_upload_limit_is_a_rule_tested_at_its_boundary(session: Any) -> None:
    from yingji.warnings import defaults

    set_now()
    admin, met = principal(session, "admin"), principal(session, "qixiang")
    data = sample("oasis-example1_homeland-security.xml")
    defaults.update_rule(session, admin, defaults.MAX_UPLOAD_BYTES, len(data), "test: exactly the file")
    assert len(inbound.import_bytes(session, met, data, origin="upload").created) == 1
    defaults.update_rule(session, admin, defaults.MAX_UPLOAD_BYTES, len(data) - 1, "test: one byte short")
    from yingji.errors import TooLarge

    with pytest.raises(TooLarge):
        inbound.import_bytes(session, met, data, origin="upload")


class Peer:
    """A real HTTP server on loopback serving fixed documents, counting requests per path."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, bytes]] = {}
        self.hits: dict[str, int] = {}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                peer.hits[self.path] = peer.hits.get(self.path, 0) + 1
                status, body = peer.documents.get(self.path, (404, b"not here"))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def peer() -> Iterator[Peer]:
    server = Peer()
    yield server
    server.close()


def _atom_linking(peer: Peer, names: list[str]) -> bytes:
    entries = "".join(f"<entry><id>{n}</id><title>{n}</title><updated>2026-07-15T10:00:00+08:00</updated>"
                      f"<link rel='alternate' type='application/cap+xml' href='/cap/{n}'/></entry>" for n in names)
    return (f"<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'><id>t</id>"
            f"<title>t</title><updated>2026-07-15T10:00:00+08:00</updated>{entries}</feed>").encode()


def test_pulled_source_on_schedule(browser: Any, session: Any, peer: Peer) -> None:
    set_now()
    names = ["oasis-example4_amber-en-es.xml", "us-ntwc_tsunami_seq01_alert.xml"]
    for n in names:
        peer.documents[f"/cap/{n}"] = (200, sample(n))
    peer.documents["/feed.atom"] = (200, _atom_linking(peer, names))
    client = browser("qixiang")
    created = client.api("POST", "/api/warnings/sources", json={"name": "州上级预警", "url": peer.url + "/feed.atom",
                                                                "interval_minutes": 10})
    assert created.status_code == 201, created.text
    source_id = created.json()["id"]
    assert tasks.run_pulls() == 2
    session.expire_all()
    drafts = list(session.scalars(select(Alert).where(Alert.source_id == source_id)))
    assert len(drafts) == 2 and {d.origin for d in drafts} == {"pull"} and {d.status for d in drafts} == {"draft"}
    assert peer.hits["/feed.atom"] == 1
    # Not due yet (9:59 later): nothing fetched. At 10 minutes: fetched again, nothing imported twice.
    set_now(NOW + timedelta(minutes=9, seconds=59))
    assert tasks.run_pulls() == 0 and peer.hits["/feed.atom"] == 1
    set_now(NOW + timedelta(minutes=10))
    assert tasks.run_pulls() == 0 and peer.hits["/feed.atom"] == 2
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Alert).where(Alert.source_id == source_id)) == 2
    # A source that fails says why, and the job goes on.
    peer.documents["/feed.atom"] = (500, b"boom")
    set_now(NOW + timedelta(minutes=20))
    assert tasks.run_pulls() == 0
    session.expire_all()
    source = session.get(InboundSource, source_id)
    assert "500" in source.last_error and source.last_fetched_at == NOW + timedelta(minutes=20)
    # The centre reviews what arrived: the drafts show up in its list.
    listed = session.scalars(service.list_alerts(principal(session, "warncentre"), status="draft"))
    assert sum(1 for a in listed if a.source_id == source_id) == 2


def test_pull_refuses_oversized_and_hostile_documents(session: Any, peer: Peer) -> None:
    set_now()
    met = principal(session, "qixiang")
    peer.documents["/big.xml"] = (200, b"<alert>" + b" " * (6 * 1024 * 1024) + b"</alert>")
    peer.documents["/xxe.xml"] = (200, XXE)
    from yingji.warnings.schemas import SourceIn

    big = inbound.create_source(session, met, SourceIn(name="big", url=peer.url + "/big.xml"))
    bad = inbound.create_source(session, met, SourceIn(name="xxe", url=peer.url + "/xxe.xml"))
    before = _counts(session)[0]
    assert inbound.pull(session, met, big).created == [] and "MB" in big.last_error
    assert inbound.pull(session, met, bad).created == [] and "DOCTYPE" in bad.last_error
    assert _counts(session)[0] == before


def test_source_interval_rule_and_url(browser: Any) -> None:
    client = browser("qixiang")
    assert client.api("POST", "/api/warnings/sources", json={"name": "x", "url": "ftp://example.org/x",
                                                             "interval_minutes": 10}).status_code == 422
    assert client.api("POST", "/api/warnings/sources", json={"name": "x", "url": "http://127.0.0.1:9/x",
                                                             "interval_minutes": 0}).status_code == 422
    assert client.api("POST", "/api/warnings/sources", json={"name": "x", "url": "http://127.0.0.1:9/x",
                                                             "interval_minutes": 1}).status_code == 201
    assert client.get("/warnings/inbound").status_code == 200


def test_pulling_a_source_whose_host_cannot_be_encoded_records_the_error(browser: Any, session: Any) -> None:
    """A host label over 63 characters cannot be encoded (IDNA) and a broken IPv6 address cannot be parsed:
    both are refused as addresses, with nothing stored."""
    client = browser("qixiang")
    for url in ("http://" + "a" * 70 + ".example/x", "https://]x"):
        refused = client.api("POST", "/api/warnings/sources", json={"name": "x", "url": url, "interval_minutes": 10})
        assert refused.status_code == 400 and refused.json()["field"] == "url", refused.text
    assert client.api("GET", "/api/warnings/sources").json() == [] or all(
        "example/x" not in s["url"] for s in client.api("GET", "/api/warnings/sources").json())
