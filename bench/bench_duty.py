"""Benchmark: duty rosters for 500 desks x 365 days, and "who is on duty now" over them.

Builds a throw-away SQLite database (migrations + demo data), adds 500 enterprise units under the
townships with a duty desk each (two officers and a leader per desk), then measures in-process:

  roster_generate_s  service.fill_rotation for every desk over 365 days (182,500 shifts with the
                     overlap and two-desks-at-once checks and one audit entry per desk), committed
      baseline       the same number of plain rows of the same shape through the driver's executemany
  on_duty_now_ms     service.on_duty_now as the prefecture office (every desk in scope), median
      baseline       a primary-key lookup of one shift, median

and prints, as DESIGN.md asks,

  RESULT name=<figure> value=<number> unit=<unit> baseline=<number> ratio=<value/baseline> target=<target>

Usage:  .venv/bin/python bench/bench_duty.py [--quick] [--desks N] [--days N] [--repeat N] [--keep]
``--quick`` is 100 desks x 365 days (well under a minute). The temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TMP = Path(tempfile.mkdtemp(prefix="yingji-bench-duty-"))
os.environ["YINGJI_VAR_DIR"] = str(TMP / "var")
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")

from sqlalchemy import insert, select  # noqa: E402

from yingji import clock, demo, migrate  # noqa: E402
from yingji.core import defaults  # noqa: E402
from yingji.core.models import Unit, User  # noqa: E402
from yingji.core.scope import Principal, system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.duty import defaults as duty_defaults  # noqa: E402
from yingji.duty import service  # noqa: E402
from yingji.duty.models import DutyDesk, DutyMember, DutyShift  # noqa: E402
from yingji.duty.schemas import FillRequest  # noqa: E402
from yingji.settings import Settings  # noqa: E402

START = date(2030, 1, 1)
NOW = datetime(2030, 7, 1, 19, 0, tzinfo=UTC)  # 03:00 in Beijing


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fmt(value: float) -> str:
    return f"{value:.4g}"


def build(database: Database, desks: int) -> None:
    system = system_principal("bench")
    with database.unit_of_work() as s:
        defaults.load(s, system)
        duty_defaults.load(s, system)
        demo.load(s, system)
    with database.unit_of_work() as s:
        townships = list(s.scalars(select(Unit).where(Unit.kind == "township", Unit.valid_to.is_(None))))
        now = clock.now()
        units = [{"code": f"B{i:05d}", "name": f"值班单位{i}", "kind": "enterprise", "parent_id": townships[i % len(
            townships)].id, "depth": 3, "path": "", "created_at": now, "updated_at": now} for i in range(desks)]
        s.execute(insert(Unit), units)
        rows = list(s.scalars(select(Unit).where(Unit.code.like("B%"))))
        parents = {t.id: t for t in townships}
        for unit in rows:
            unit.path = f"{parents[unit.parent_id or 0].path}{unit.id}/"
        s.flush()
        users = [{"username": f"b{u.id}-{n}", "display_name": f"值班员{u.id}-{n}", "unit_id": u.id,
                  "role": "enterprise", "password_hash": "x", "created_at": now, "updated_at": now,
                  "password_changed_at": now} for u in rows for n in range(3)]
        s.execute(insert(User), users)
        by_unit: dict[int, list[int]] = {}
        for user_id, unit_id in s.execute(select(User.id, User.unit_id).where(User.username.like("b%-%"))):
            by_unit.setdefault(unit_id, []).append(user_id)
        s.execute(insert(DutyDesk), [{"unit_id": u.id, "name": f"{u.name}值班室", "head_id": by_unit[u.id][0],
                                      "phone": "", "pattern": "24h", "day_start": 480, "night_start": 1200,
                                      "is_demo": False, "created_at": now, "updated_at": now} for u in rows])
        desk_of = dict(s.execute(select(DutyDesk.unit_id, DutyDesk.id)).all())
        s.execute(insert(DutyMember), [{"desk_id": desk_of[u], "unit_id": u, "user_id": uid,
                                        "role": "leader" if n == 2 else "officer", "created_at": now,
                                        "updated_at": now}
                                       for u, ids in by_unit.items() for n, uid in enumerate(sorted(ids))])


def generate(database: Database, days: int) -> tuple[float, int]:
    system = system_principal("bench")
    request = FillRequest(start=START, end=START + timedelta(days=days - 1))
    began = time.perf_counter()
    with database.unit_of_work() as s:
        desk_ids = list(s.scalars(select(DutyDesk.id).join(Unit, Unit.id == DutyDesk.unit_id)
                                  .where(Unit.code.like("B%")).order_by(DutyDesk.id)))
        created = sum(service.fill_rotation(s, system, d, request).created for d in desk_ids)
    return time.perf_counter() - began, created


def plain_insert(database: Database, count: int) -> float:
    """The floor: the same number of rows of the same shape through the driver's executemany."""
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_plain_shift (id INTEGER PRIMARY KEY, desk_id INTEGER, "
                             "unit_id INTEGER, kind VARCHAR(8), local_date DATE, starts_at DATETIME, "
                             "ends_at DATETIME, created_at DATETIME, updated_at DATETIME, officer_id INTEGER, "
                             "leader_id INTEGER)")
    stamp = "2030-01-01 00:00:00.000000"
    rows = [(i % 500, i % 500, "24h", "2030-01-01", stamp, stamp, stamp, stamp, i % 7, i % 5) for i in range(count)]
    began = time.perf_counter()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO bench_plain_shift (desk_id, unit_id, kind, local_date, starts_at, ends_at, "
                             "created_at, updated_at, officer_id, leader_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             rows)
    return time.perf_counter() - began


def median_ms(func: Any, repeat: int) -> float:
    for _ in range(5):
        func()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 desks, well under a minute")
    parser.add_argument("--desks", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    desks = 100 if args.quick else args.desks
    settings = Settings(database_url=f"sqlite:///{TMP / 'bench.db'}", var_dir=TMP / "var", env="development",
                        secret_key="bench-secret-key-not-for-production")
    database = Database(settings)
    try:
        migrate.upgrade(database.engine)
        build(database, desks)
        say(f"# {desks} desks x {args.days} days on {settings.database_url.split(':')[0]}")
        seconds, created = generate(database, args.days)
        baseline = plain_insert(database, created)
        say(f"# {created} shifts generated")
        say(f"RESULT name=roster_generate_s value={fmt(seconds)} unit=s baseline={fmt(baseline)} "
            f"ratio={fmt(seconds / baseline)} target=<2")
        clock.set_clock(lambda: NOW)
        with database.sessionmaker() as s:
            root = s.scalars(select(Unit).where(Unit.code == "652700")).one()
            zhou = Principal(user_id=None, name="bench", unit_id=root.id, unit_path=root.path,
                             role="prefecture_office")
            rows = service.on_duty_now(s, zhou)
            assert sum(1 for r in rows if r.officer) >= desks, "every generated desk has someone on duty"
            shift_id = s.scalar(select(DutyShift.id).order_by(DutyShift.id.desc()))

            def lookup() -> None:
                s.execute(select(DutyShift.id, DutyShift.officer_id).where(DutyShift.id == shift_id)).one()

            now_ms = median_ms(lambda: service.on_duty_now(s, zhou), args.repeat)
            pk_ms = median_ms(lookup, args.repeat)
        say(f"# on duty now: {len(rows)} desks in the prefecture's scope")
        say(f"RESULT name=on_duty_now_ms value={fmt(now_ms)} unit=ms baseline={fmt(pk_ms)} "
            f"ratio={fmt(now_ms / pk_ms)} target=<10")
    finally:
        database.engine.dispose()
        if not args.keep:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
