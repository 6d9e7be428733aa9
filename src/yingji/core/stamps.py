"""What a process keeps of tables that rarely change — the administrative tree, the incident rules and the
classification — so that a request does not read them again, yet sees every change at once, whichever
process made it.

Each watched table has a row in ``table_stamp`` whose stamp a trigger replaces in the transaction of every
change to the table (migration 0019): a random 64-bit number on SQLite, the next value of a sequence on
PostgreSQL, so that a stamp is never seen twice, not even one of a change rolled back. :func:`kept` reads the
stamp (one primary-key lookup) and answers from what this process built under that stamp, or builds it
again. A transaction that changed the table itself reads its own new stamp, so it never sees the kept value
of before its change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from yingji.core.models import TableStamp
from yingji.db import Prepared

T = TypeVar("T")

_STAMP = Prepared(select(TableStamp.stamp).where(TableStamp.name == bindparam("name")))
_kept: dict[tuple[str, str, str], tuple[int, Any]] = {}  # (database, table, part) -> (stamp, what was built)
_databases: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def _database(session: Session) -> str:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _databases.get(engine)
    if key is None:
        key = _databases[engine] = engine.url.render_as_string(hide_password=True)
    return key


def stamp(session: Session, table: str) -> int | None:
    """The table's stamp as this transaction sees it (None: a database without stamps)."""
    row = _STAMP.first(session, {"name": table})
    return None if row is None else row[0]


def kept(session: Session, table: str, build: Callable[[], T], part: str = "") -> T:
    """What ``build`` makes of the table, made once per stamp in this process.

    ``build`` must read only the watched table (its value is kept for as long as that table's stamp holds)
    and return a value nobody changes; a mutable value (a dict filled as units are asked for) may only grow
    with what was read from the same table. ``part`` names one of several things kept of one table."""
    current = stamp(session, table)
    if current is None:
        return build()
    key = (_database(session), table, part)
    found = _kept.get(key)
    if found is not None and found[0] == current:
        return found[1]  # type: ignore[no-any-return]
    value = build()
    _kept[key] = (current, value)  # one assignment: threads that built at once leave one of their equal values
    return value
