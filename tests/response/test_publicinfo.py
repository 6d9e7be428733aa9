"""Public information (R3.5): statements drafted by the office, approved only by a spokesperson (the PUBLISH
action), then published to the public event page and the Atom feed; the opinion log with rumours answered by
published rebuttals. Drafts never reach the public; another county's statements are not found."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.response.helpers import audits, local, open_event, set_now
from yingji.response.models import ResponseStatement

NOW = local(2026, 7, 14, 9, 0)
ATOM = "{http://www.w3.org/2005/Atom}"
STATEMENT = {"title": "关于后山村道滑坡的情况通报", "facts": "7月14日2时10分，后山村道发生滑坡，无人员伤亡。",
             "measures": "已封闭道路，抢险队正在清理。", "advice": "请绕行，雨天远离边坡。"}


def _event(session: Session, username: str = "bole", title: str = "后山村道滑坡") -> Any:
    set_now(NOW)
    event = open_event(session, username, occurred_at=NOW - timedelta(hours=7), title=title)
    session.commit()
    return event


def _feed(client: Any) -> Any:
    response = client.get("/public/events.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    return etree.fromstring(response.content)


def test_draft_approve_publish_and_the_public_sees_only_published(browser: Any, session: Session) -> None:
    event = _event(session)
    bole, spokes, public = browser("bole"), browser("bole_spokes"), browser()
    drafted = bole.api("POST", f"/api/response/events/{event.id}/statements", json=STATEMENT)
    assert drafted.status_code == 201, drafted.text
    sid = drafted.json()["id"]
    assert drafted.json()["status"] == "draft" and drafted.json()["drafted_by_name"] == "博乐市应急办"
    assert public.get(f"/public/events/{event.id}").status_code == 404
    assert STATEMENT["title"] not in public.get("/public/events.atom").text
    # An office cannot approve its own draft; publishing before approval is refused.
    before = audit_count(session)
    refused = bole.form(f"/incidents/response/statements/{sid}/approve")
    assert refused.status_code == 403 and zh("Only a spokesperson approves statements for publication.") in refused.text
    early = bole.api("POST", f"/api/response/statements/{sid}/publish")
    assert early.status_code == 409
    assert audit_count(session) == before
    # The draft may still change; once approved it may not.
    assert bole.api("PATCH", f"/api/response/statements/{sid}", json={"advice": "请绕行。"}).status_code == 200
    approved = spokes.form(f"/incidents/response/statements/{sid}/approve")
    assert approved.status_code == 303, approved.text
    assert bole.api("PATCH", f"/api/response/statements/{sid}", json={"advice": "改"}).status_code == 409
    assert public.get(f"/public/events/{event.id}").status_code == 404  # approved is not yet published
    published = bole.form(f"/incidents/response/statements/{sid}/publish")
    assert published.status_code == 303
    session.expire_all()
    row = session.get_one(ResponseStatement, sid)
    assert (row.status, row.approved_by_name, row.published_by_name) == ("published", "博乐市新闻发言人（演示）",
                                                                       "博乐市应急办")
    assert row.approved_at == NOW and row.published_at == NOW
    assert [a.action for a in audits(session, "response_statement") if a.entity_id == str(sid)] == [
        "create", "update", "approve", "publish"]
    page = public.get(f"/public/events/{event.id}")
    assert page.status_code == 200 and STATEMENT["facts"] in page.text and "请绕行。" in page.text
    assert 'id="nav"' not in page.text  # a public page, no sign-in
    assert bole.api("POST", f"/api/response/statements/{sid}/publish").status_code == 409


def test_the_atom_feed_is_valid_atom(browser: Any, session: Session) -> None:
    event = _event(session)
    bole, spokes, public = browser("bole"), browser("spokes"), browser()
    ids = []
    for n in range(2):
        sid = bole.api("POST", f"/api/response/events/{event.id}/statements",
                       json={**STATEMENT, "title": f"通报第{n + 1}号"}).json()["id"]
        set_now(NOW + timedelta(minutes=n))
        assert spokes.api("POST", f"/api/response/statements/{sid}/approve").status_code == 200
        assert spokes.api("POST", f"/api/response/statements/{sid}/publish").status_code == 200
        ids.append(sid)
    bole.api("POST", f"/api/response/events/{event.id}/statements", json={**STATEMENT, "title": "未发布草稿"})
    feed = _feed(public)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None and feed.find(f"{ATOM}{required}").text
    every = feed.findall(f"{ATOM}entry")
    entries = [e for e in every if (e.findtext(f"{ATOM}title") or "").startswith(event.title)]
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == [f"{event.title}: 通报第2号", f"{event.title}: 通报第1号"]  # newest first, no draft
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == f"tag:yingji.bortala.gov.cn,2026:statement:{ids[1]}"
    assert first.findtext(f"{ATOM}updated") == (NOW + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    link = first.find(f"{ATOM}link").get("href")
    assert link.endswith(f"/public/events/{event.id}#statement-{ids[1]}")
    assert STATEMENT["measures"] in first.findtext(f"{ATOM}content")
    assert len({e.findtext(f"{ATOM}id") for e in every}) == len(every)
    assert public.get(link.split("testserver", 1)[1]).status_code == 200


def test_rumours_and_rebuttals(browser: Any, session: Session) -> None:
    event = _event(session)
    bole, spokes, public = browser("bole"), browser("bole_spokes"), browser()
    rumour = bole.form(f"/incidents/{event.id}/response/opinions",
                       {"channel": "social", "source": "某短视频账号", "summary": "网传滑坡埋了十几个人",
                        "assessment": "rumour", "seen_at": "2026-07-14T08:30"})
    assert rumour.status_code == 303, rumour.text
    opinion_id = bole.get(f"/api/response/events/{event.id}/opinions").json()[0]["id"]
    plain = bole.api("POST", f"/api/response/events/{event.id}/statements", json=STATEMENT).json()["id"]
    assert bole.api("POST", f"/api/response/opinions/{opinion_id}/rebuttal",
                    json={"statement_id": plain}).status_code == 400
    no_expert = bole.api("POST", f"/api/response/events/{event.id}/statements",
                         json={"kind": "rebuttal", "title": "辟谣", "facts": "无人被埋。"})
    assert no_expert.status_code == 400 and no_expert.json()["field"] == "expert"
    rebuttal = bole.api("POST", f"/api/response/events/{event.id}/statements",
                        json={"kind": "rebuttal", "title": "“十几人被埋”系谣言", "facts": "经核查无人被埋。",
                              "expert": "州地质灾害专家 王某"}).json()["id"]
    linked = bole.form(f"/incidents/response/opinions/{opinion_id}/rebuttal", {"statement_id": str(rebuttal)})
    assert linked.status_code == 303
    assert public.get(f"/public/events/{event.id}").status_code == 404
    spokes.api("POST", f"/api/response/statements/{rebuttal}/approve")
    spokes.api("POST", f"/api/response/statements/{rebuttal}/publish")
    page = public.get(f"/public/events/{event.id}")
    assert "网传滑坡埋了十几个人" in page.text and "州地质灾害专家 王某" in page.text
    assert zh("Rumours answered") in page.text
    future = bole.form(f"/incidents/{event.id}/response/opinions",
                       {"channel": "media", "summary": "x", "assessment": "accurate", "seen_at": "2026-07-14T09:01"})
    assert future.status_code == 400


def test_another_county_and_roles_without_rights(browser: Any, session: Session) -> None:
    event = _event(session, "jinghe", "精河县事件")
    jinghe, bole_spokes, bole, leader = browser("jinghe"), browser("bole_spokes"), browser("bole"), browser("leader")
    sid = jinghe.api("POST", f"/api/response/events/{event.id}/statements", json=STATEMENT).json()["id"]
    before = audit_count(session)
    assert bole_spokes.api("POST", f"/api/response/statements/{sid}/approve").status_code == 404
    assert bole.get(f"/api/response/statements/{sid}").status_code == 404
    assert bole.api("POST", f"/api/response/events/{event.id}/statements", json=STATEMENT).status_code == 404
    assert bole.get(f"/incidents/{event.id}/response").status_code == 404
    # A leader reads everything in the prefecture but neither drafts nor approves.
    assert leader.get(f"/incidents/{event.id}/response").status_code == 200
    assert leader.api("POST", f"/api/response/events/{event.id}/statements", json=STATEMENT).status_code == 403
    assert leader.api("POST", f"/api/response/statements/{sid}/approve").status_code == 403
    assert audit_count(session) == before
