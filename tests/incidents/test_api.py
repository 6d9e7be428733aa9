"""The JSON API: submissions with Idempotency-Key, sign for, forward, list, detail, bad input."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import audit_count, zh
from tests.incidents.helpers import first_report, local, set_now, unit_of
from yingji.core.models import Attachment
from yingji.incidents.models import Event, Hop, IdempotentSubmission, Report

T0 = local(2026, 12, 2, 2, 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _reports(session):
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def test_idempotent_first_report(browser, session):
    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    body = first_report(T0)
    before = _reports(session)
    first = village.api("POST", "/api/incidents", json=body, headers={"Idempotency-Key": "phone-1-abc"})
    assert first.status_code == 201, first.text
    again = village.api("POST", "/api/incidents", json=body, headers={"Idempotency-Key": "phone-1-abc"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _reports(session) == before + 1
    other = village.api("POST", "/api/incidents", json={**body, "deaths": 1},
                        headers={"Idempotency-Key": "phone-1-abc"})
    assert other.status_code == 409
    assert other.json()["detail"] == zh("This Idempotency-Key was already used for a different submission. "
                                        "Use a new key for a new submission.")
    bad = village.api("POST", "/api/incidents", json=body, headers={"Idempotency-Key": "a b/c"})
    assert bad.status_code in (400, 422)
    # a different person with the same key is a different submission
    township = browser("township")
    theirs = township.api("POST", "/api/incidents", json=body, headers={"Idempotency-Key": "phone-1-abc"})
    assert theirs.status_code == 201 and theirs.json()["event_id"] != first.json()["event_id"]
    assert _reports(session) == before + 2
    assert session.scalar(select(func.count()).select_from(IdempotentSubmission)) == 2


def test_a_refused_submission_keeps_its_key_free(browser, session):
    set_now(T0)
    village = browser("village")
    refused = village.api("POST", "/api/incidents", json=first_report(T0 + timedelta(seconds=1)),
                          headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 400 and refused.json()["field"] == "occurred_at"
    ok = village.api("POST", "/api/incidents", json=first_report(T0), headers={"Idempotency-Key": "k-1"})
    assert ok.status_code == 201


def test_bad_input_changes_nothing(browser, session, settings):
    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    before_audit, before = audit_count(session), _reports(session)
    for body, field in [(first_report(T0, deaths=-1), "deaths"), (first_report(T0, category="7"), "category"),
                        (first_report(T0, subtype="9.9"), "subtype"),
                        (first_report(T0 + timedelta(hours=1)), "occurred_at")]:
        answer = village.api("POST", "/api/incidents", json=body, headers={"Accept-Language": "zh-CN"})
        assert answer.status_code in (400, 422), answer.text
        assert field in answer.text
    outside = village.api("POST", "/api/incidents", json=first_report(T0, unit_id=unit_of(session, "jinghe")))
    assert outside.status_code == 404
    wrong = village.api("POST", "/api/incidents/attachments", files={"file": ("a.png", b"GIF89a" + b"0" * 40)})
    assert wrong.status_code == 415
    text = village.api("POST", "/api/incidents/attachments", files={"file": ("a.pdf", b"PK\x03\x04" + b"0" * 40)})
    assert text.status_code == 415
    big = village.api("POST", "/api/incidents/attachments",
                      files={"file": ("a.png", io.BytesIO(PNG + b"0" * int(settings.max_upload_mb * 1024 * 1024)))})
    assert big.status_code == 413
    assert audit_count(session) == before_audit and _reports(session) == before
    assert session.scalar(select(func.count()).select_from(Attachment).where(Attachment.filename == "a.png")) == 0


def test_photo_sign_forward_list_detail(browser, session):
    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    photo = village.api("POST", "/api/incidents/attachments", files={"file": ("slope.png", PNG)})
    assert photo.status_code == 201, photo.text
    made = village.api("POST", "/api/incidents", json=first_report(T0, deaths=3, attachment_ids=[photo.json()["id"]]))
    assert made.status_code == 201, made.text
    event_id, hop_id = made.json()["event_id"], made.json()["hop_id"]
    assert made.json()["suggested_level"] == 3
    again = village.api("POST", "/api/incidents", json=first_report(T0, attachment_ids=[photo.json()["id"]]))
    assert again.status_code == 400  # the photo belongs to the first report now
    assert village.api("POST", f"/api/incidents/hops/{hop_id}/sign").status_code == 403
    bole = browser("bole")
    answer = bole.api("GET", "/api/incidents/queue")
    queue = answer.json()
    assert answer.headers["X-Total-Count"] == str(len(queue))
    assert any(h["id"] == hop_id for h in queue)
    assert bole.api("POST", f"/api/incidents/hops/{hop_id}/sign").status_code == 200
    assert bole.api("POST", f"/api/incidents/hops/{hop_id}/sign").status_code == 409
    fwd = bole.api("POST", f"/api/incidents/hops/{hop_id}/forward", json={"comment": "已核实"})
    assert fwd.status_code == 200 and fwd.json()["forwarded_at"]
    zhou = browser("zhou")
    up = session.scalar(select(Hop).where(Hop.event_id == event_id, Hop.stage == "prefecture"))
    assert up is not None
    assert any(h["id"] == up.id for h in zhou.api("GET", "/api/incidents/queue").json())
    detail = zhou.api("GET", f"/api/incidents/{event_id}").json()
    assert detail["reports"][0]["attachment_ids"] == [photo.json()["id"]] and len(detail["hops"]) == 2
    listed = zhou.api("GET", "/api/incidents", params={"level": 3, "status": "open"})
    assert listed.status_code == 200 and [e["id"] for e in listed.json()] == [event_id]
    assert listed.headers["X-Total-Count"] == "1"
    assert browser("jinghe").api("GET", f"/api/incidents/{event_id}").status_code == 404
    assert zhou.api("POST", f"/api/incidents/hops/{up.id}/sign").status_code == 200
    assert zhou.api("POST", f"/api/incidents/hops/{up.id}/forward", json={"comment": "报自治区"}).status_code == 200
    doc = zhou.api("GET", f"/api/incidents/hops/{up.id}/document")
    assert doc.status_code == 200 and doc.content[:2] == b"PK"


def test_reports_on_a_closed_event_are_refused(browser, session):
    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    event_id = village.api("POST", "/api/incidents", json=first_report(T0)).json()["event_id"]
    final = village.api("POST", f"/api/incidents/{event_id}/reports", json={"kind": "final", "description": "终报"})
    assert final.status_code == 201
    session.expire_all()
    event = session.get_one(Event, event_id)
    assert event.status == "closed" and event.closed_at == T0 + timedelta(minutes=4)
    late = village.api("POST", f"/api/incidents/{event_id}/reports", json={"kind": "followup"},
                       headers={"Accept-Language": "zh-CN"})
    assert late.status_code == 409
    assert late.json()["detail"] == zh("This event is closed by its final report; no more reports are accepted.")


def _told(session, hop_id):
    from yingji.duty.models import DutyDispatch
    from yingji.incidents import service

    session.expire_all()
    return list(session.scalars(select(DutyDispatch).where(DutyDispatch.ref_id == hop_id,
                                                           DutyDispatch.kind == service.DISPATCH_KIND)))


def test_the_desk_is_told_after_the_commit_and_a_lost_kick_is_swept(browser, session, monkeypatch):
    from tests.incidents.helpers import notifications
    from yingji.incidents import tasks

    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    sent = village.api("POST", "/api/incidents", json=first_report(T0, title="甲村滑坡（派发）"),
                       headers={"Idempotency-Key": "told-1"})
    assert sent.status_code == 201, sent.text
    rows = _told(session, sent.json()["hop_id"])  # the job ran after the commit (the queue runs it at once here)
    assert rows and all(r.unit_id == unit_of(session, "bole") for r in rows)
    from yingji.core.models import User

    told = set(session.scalars(select(User.username).where(User.id.in_([r.user_id for r in rows]))))
    assert told and all(notifications(session, name, "甲村滑坡（派发）") == 1 for name in told)

    def lost() -> int:
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "dispatch_task", lost)
    again = village.api("POST", "/api/incidents", json=first_report(T0, title="乙村滑坡（派发）"),
                        headers={"Idempotency-Key": "told-2"})
    assert again.status_code == 201, again.text  # the report is stored whatever the queue does
    hop_id = again.json()["hop_id"]
    assert _told(session, hop_id) == []
    assert tasks.run_dispatch() >= 1  # the sweep (every minute) tells the desk
    assert _told(session, hop_id)
    assert tasks.run_dispatch() == 0 and len(_told(session, hop_id)) == len(rows)


def test_a_key_taken_by_a_racing_request_keeps_nothing_of_the_loser(session, monkeypatch):
    """Two requests with one key: the one that inserts the key second rolls its own work back and answers
    with the first one's answer (the pre-check cannot see a key not yet committed)."""
    from tests.incidents.helpers import principal
    from yingji.incidents import idempotency, service
    from yingji.incidents.schemas import EventCreate

    set_now(T0 + timedelta(minutes=4))
    village = principal(session, "village")
    data = EventCreate(**{**first_report(T0), "occurred_at": T0})

    def run() -> idempotency.Answer:
        done = service.create_event(session, village, data)
        return idempotency.Answer(201, {"event_id": done.event.id})

    first = idempotency.submit(session, village, "race-1", "same", run)
    session.commit()
    events = _events(session)
    seen = []
    real = idempotency._stored

    def blind(*args):
        seen.append(args)
        return None if len(seen) == 1 else real(*args)

    monkeypatch.setattr(idempotency, "_stored", blind)
    second = idempotency.submit(session, village, "race-1", "same", run)
    session.commit()
    assert second.replayed and second.body == first.body and len(seen) == 2
    assert _events(session) == events


def _events(session):
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_a_submission_is_committed_when_its_answer_is_known(database, session):
    """The answer's transaction is committed inside the submission (before the answer travels back through
    the server), so another connection sees the event as soon as the submission returns."""
    from tests.incidents.helpers import principal
    from yingji.incidents import idempotency, service
    from yingji.incidents.schemas import EventCreate

    set_now(T0 + timedelta(minutes=4))
    mine = database.sessionmaker()
    try:
        village = principal(mine, "village")
        data = EventCreate(**{**first_report(T0), "occurred_at": T0, "title": "committed at its answer"})
        for key in ("commit-1", None):
            answer = idempotency.submit(mine, village, key, f"hash-{key}", lambda: idempotency.Answer(
                201, {"event_id": service.create_event(mine, village, data).event.id}))
            assert not mine.in_transaction()
            session.expire_all()
            assert session.get(Event, answer.body["event_id"]) is not None
    finally:
        mine.close()


def test_submissions_of_one_process_take_turns_on_sqlite(database):
    """On SQLite a process works on one submission at a time, from its first read to its commit; on
    PostgreSQL submissions run side by side."""
    import threading
    import time

    from tests.incidents.helpers import principal
    from yingji.incidents import idempotency

    inside, most, lock = [0], [0], threading.Lock()

    def run() -> idempotency.Answer:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)
        with lock:
            inside[0] -= 1
        return idempotency.Answer(201, {})

    def one(n: int) -> None:
        s = database.sessionmaker()
        try:
            idempotency.submit(s, principal(s, "village"), f"turns-{n}", "same", run)
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if database.engine.dialect.name == "sqlite":
        assert most[0] == 1
    else:
        assert most[0] >= 2


def test_a_submission_waiting_for_another_writer_holds_up_no_other_request(browser, session, settings):
    """Another module's transaction holds the database's write lock: a report submitted through the API waits
    for it (in a thread, not on the event loop), the same client's other requests are answered meanwhile, and
    the report is filed once the lock is let go."""
    import threading
    import time

    from sqlalchemy import create_engine, text

    set_now(T0 + timedelta(minutes=4))
    village = browser("village")
    before = _reports(session)
    url = settings.database_url
    holder = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    answered: list[int] = []
    with holder.connect() as other:
        if holder.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.execute(text("LOCK TABLE incident_events IN EXCLUSIVE MODE"))
        submitting = threading.Thread(target=lambda: answered.append(village.api(
            "POST", "/api/incidents", json=first_report(T0), headers={"Idempotency-Key": "held-1"}).status_code))
        submitting.start()
        time.sleep(0.5)
        assert submitting.is_alive() and not answered  # waiting for the lock
        started = time.monotonic()
        assert village.get("/api/me").status_code == 200
        assert time.monotonic() - started < 1.0  # answered while the submission waits
        assert submitting.is_alive()
        other.rollback()
    submitting.join(timeout=15)
    holder.dispose()
    assert answered == [201] and _reports(session) == before + 1
