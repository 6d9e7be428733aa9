"""Submissions with an ``Idempotency-Key``: a retry gets the stored answer, never a second record.

A stored key is answered at once. A new one is inserted with its answer at the end of the submission's own
transaction, with INSERT … ON CONFLICT DO NOTHING: a concurrent request with the same key waits on the
unique index until the first one commits (or rolls back); finding the key taken, it rolls its own work
back and answers with the stored answer. A key in the database always carries the answer that was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.scope import Principal
from yingji.db import Prepared
from yingji.errors import Conflict, UserError
from yingji.incidents.models import IdempotentSubmission

KEY_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


@dataclass
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def owner_of(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else f"name:{principal.name}"[:80]


def fingerprint(what: str, payload: Any) -> str:
    raw = json.dumps({"what": what, "payload": payload}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not KEY_RE.match(key):
        raise UserError("The Idempotency-Key must be 1–200 letters, digits or . _ : -", field="Idempotency-Key")
    return key


_TABLE = cast(Table, IdempotentSubmission.__table__)
_CLAIM_VALUES = ("owner", "key", "unit_id", "request_hash", "status_code", "body", "created_at")
# The key with its answer, unless the key is taken: one statement per dialect (their ON CONFLICT forms differ).
_CLAIMS = {dialect: Prepared(insert(_TABLE).values({k: bindparam(k, type_=_TABLE.c[k].type) for k in _CLAIM_VALUES})
                             .on_conflict_do_nothing(index_elements=["owner", "key"]).returning(_TABLE.c.id))
           for dialect, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))}


_STORED = Prepared(select(_TABLE.c.request_hash, _TABLE.c.status_code, _TABLE.c.body)
                   .where(_TABLE.c.owner == bindparam("owner"), _TABLE.c.key == bindparam("key")))


def _stored(session: Session, owner: str, key: str, request_hash: str) -> Answer | None:
    row = _STORED.first(session, {"owner": owner, "key": key})
    if row is None:
        return None
    stored_hash, status_code, body = row
    if stored_hash != request_hash:
        raise Conflict("This Idempotency-Key was already used for a different submission. "
                       "Use a new key for a new submission.")
    return Answer(status_code=status_code, body=dict(body), replayed=True)


def _committed(session: Session, answer: Answer) -> Answer:
    """The submission is committed as soon as its answer is known, before the answer travels back through
    the server: on SQLite the one writer (and the submissions' gate) is then held only for the submission's
    own work. Nothing after this point can change the answer; the request's own commit finds nothing left."""
    session.commit()
    return answer


SLOT_WAIT = 5.0  # seconds a submission waits for its process's slot before going on without it
_slot = threading.Lock()


@contextmanager
def _one_at_a_time(session: Session) -> Iterator[None]:
    """On SQLite a process works on one submission at a time, from its first read to its commit. The
    database takes one writer at a time anyway; a thread that holds it while other threads of its process
    run their reads waits for the interpreter lock between its statements, and every other writer waits
    with it (bench/RESULTS.md). PostgreSQL writes concurrently: no slot."""
    if session.get_bind().dialect.name != "sqlite" or "incident_gate" in session.info:
        yield  # PostgreSQL; or a submission run on the event loop, which holds the gate already
        return
    held = _slot.acquire(timeout=SLOT_WAIT)
    try:
        yield
    finally:
        if held:
            _slot.release()


def submit(session: Session, principal: Principal, key: str | None, request_hash: str,
           run: Callable[[], Answer]) -> Answer:
    """Run the submission once per (principal, key); later calls with the key get the stored answer.

    A retry is answered from the stored row without running anything. Otherwise the submission runs and
    its key is inserted last, with the answer, in the same transaction (so the write transaction is not
    opened before the submission's own reads are done). Two requests racing with one key meet on the
    unique index: the second waits for the first to commit, finds the key taken, drops its own work and
    answers with the first one's answer. The transaction is committed here, once the answer is known."""
    with _one_at_a_time(session):
        return _submit(session, principal, key, request_hash, run)


def _submit(session: Session, principal: Principal, key: str | None, request_hash: str,
            run: Callable[[], Answer]) -> Answer:
    if key is None:
        return _committed(session, run())
    key = check_key(key)
    owner = owner_of(principal)
    found = _stored(session, owner, key, request_hash)
    if found is not None:
        return found
    answer = run()
    claimed = _CLAIMS[session.get_bind().dialect.name].first(session, {
        "owner": owner, "key": key, "unit_id": principal.unit_id, "request_hash": request_hash,
        "status_code": answer.status_code, "body": answer.body, "created_at": clock.now()})
    if claimed is not None:
        return _committed(session, answer)
    session.rollback()  # the same key won a race: nothing of this run is kept
    found = _stored(session, owner, key, request_hash)
    if found is None:
        raise Conflict("A submission with this Idempotency-Key is still being processed. Try again shortly.")
    return found
