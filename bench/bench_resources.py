"""Benchmark: "nearest 10 with filters" over 100,000 teams, and current stock over 1,000,000 ledger movements.

Builds a throw-away database (migrations, the prefecture and its four counties) — SQLite, or with ``--postgres``
a database on the PostgreSQL server of scripts/with-postgres.sh — then measures in-process:

  nearest_p99_ms  nearby.nearest(kind="team", capability=…, readiness ready) as the prefecture office from random
                  points of the prefecture: rings of 0.1° grid cells read from the covering index (cell, readiness,
                  place, owner, capabilities), the radius doubled until ten rows lie within it; 99th percentile
      baseline    nearby.nearest_naive: every row in scope fetched, measured and sorted; 99th percentile
  stock_ms        supplies.stock as the prefecture office: current stock per warehouse and item from the
                  balances the ledger maintains on each lot (plus the minimum levels); median
      baseline    the same figures summed over every movement of the ledger (GROUP BY warehouse, item); median

and prints, as DESIGN.md asks,

  RESULT name=<figure> value=<number> unit=<unit> baseline=<number> ratio=<value/baseline> target=<target>

Usage:  .venv/bin/python bench/bench_resources.py [--quick] [--teams N] [--movements N] [--points N] [--keep]
        scripts/with-postgres.sh .venv/bin/python bench/bench_resources.py --postgres [--quick]
``--quick`` is 20,000 teams and 100,000 movements (well under a minute). The temporary directory (and the
PostgreSQL database) is removed; on PostgreSQL the tables are vacuumed and analysed after loading, as
autovacuum would.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TMP = Path(tempfile.mkdtemp(prefix="yingji-bench-resources-"))
os.environ["YINGJI_VAR_DIR"] = str(TMP / "var")
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")

from sqlalchemy import create_engine, func, insert, select, text, update  # noqa: E402

from yingji import migrate  # noqa: E402
from yingji.core import service as core_service  # noqa: E402
from yingji.core.models import Unit  # noqa: E402
from yingji.core.schemas import UnitCreate  # noqa: E402
from yingji.core.scope import Principal, system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.resources import nearby, supplies  # noqa: E402
from yingji.resources.models import Lot, Movement, SupplyItem, Team, Warehouse, cell_of  # noqa: E402
from yingji.settings import Settings  # noqa: E402

WEST, EAST, SOUTH, NORTH = 79.9, 83.9, 43.6, 45.6  # around the prefecture
CAPS = ("earthquake", "traffic", "petrochemical", "flood", "fire", "collapse", "mountain", "medical")
WAREHOUSES, ITEMS, LOTS_PER_PAIR = 50, 20, 2
SEED = 20261129


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fmt(value: float) -> str:
    return f"{value:.4g}"


def timings_ms(func: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def build_units(database: Database) -> tuple[Principal, list[int]]:
    system = system_principal("bench")
    with database.unit_of_work() as s:
        root = core_service.create_root(s, system, {"code": "652700", "name": "博尔塔拉蒙古自治州",
                                                    "kind": "prefecture"})
        counties = [core_service.create_unit(s, system, UnitCreate(parent_id=root.id, code=code, name=name,
                                                                   kind="county")).id
                    for code, name in (("652701", "博乐市"), ("652702", "阿拉山口市"), ("652722", "精河县"),
                                       ("652723", "温泉县"))]
        office = Principal(user_id=None, name="bench", unit_id=root.id, unit_path=root.path, role="prefecture_office")
    return office, counties


def build_teams(database: Database, counties: list[int], count: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        caps = rng.sample(CAPS, rng.randint(1, 3))
        lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
        rows.append({"unit_id": rng.choice(counties), "name": f"队伍{n}", "kind": "comprehensive",
                     "capabilities": "," + ",".join(sorted(caps)) + ",", "members": rng.randint(5, 200),
                     "readiness": "ready" if rng.random() < 0.8 else "standby", "lon": lon, "lat": lat,
                     "cell": cell_of(lon, lat), "address": "", "roster": "", "equipment": "",
                     "contact_name": "", "contact_phone": "", "is_demo": False, "created_at": now, "updated_at": now})
    with database.unit_of_work() as s:
        for start in range(0, len(rows), 20000):
            s.execute(insert(Team), rows[start:start + 20000])


def build_ledger(database: Database, counties: list[int], movements: int, rng: random.Random) -> int:
    """Warehouses x items x lots, then ``movements`` receipts and issues spread over the lots (never negative);
    each lot's balance is written once at the end, as the ledger would have left it."""
    now = datetime.now(UTC)
    with database.unit_of_work() as s:
        root = s.scalar(select(Unit.id).where(Unit.code == "652700"))
        s.execute(insert(SupplyItem), [{"unit_id": root, "code": f"{n:07d}", "name": f"物资{n}", "category": "1",
                                        "sector": "other", "uom": "piece", "created_at": now, "updated_at": now}
                                       for n in range(ITEMS)])
        s.execute(insert(Warehouse), [{"unit_id": counties[n % 4], "name": f"仓库{n}", "kind": "government",
                                       "lon": 82.0, "lat": 44.9, "cell": cell_of(82.0, 44.9), "address": "",
                                       "manager": "", "phone": "", "is_demo": False, "created_at": now,
                                       "updated_at": now} for n in range(WAREHOUSES)])
        items = list(s.scalars(select(SupplyItem.id)))
        warehouses = list(s.execute(select(Warehouse.id, Warehouse.unit_id)))
        s.execute(insert(Lot), [{"unit_id": unit, "warehouse_id": wid, "item_id": item, "lot_no": f"L{k}",
                                 "quantity_milli": 0, "warned_state": "", "created_at": now, "updated_at": now}
                                for wid, unit in warehouses for item in items for k in range(LOTS_PER_PAIR)])
        lots = list(s.execute(select(Lot.id, Lot.unit_id, Lot.warehouse_id, Lot.item_id)))
    balance = {lot.id: 0 for lot in lots}
    batch: list[dict[str, Any]] = []
    for n in range(movements):
        lot = lots[rng.randrange(len(lots))]
        take = rng.random() < 0.45 and balance[lot.id] > 0
        delta = -rng.randint(1, balance[lot.id]) if take else rng.randint(1, 5000)
        balance[lot.id] += delta
        batch.append({"unit_id": lot.unit_id, "warehouse_id": lot.warehouse_id, "lot_id": lot.id,
                      "item_id": lot.item_id, "kind": "issue" if take else "receipt", "delta_milli": delta, "at": now,
                      "note": "", "actor_name": "bench"})
        if len(batch) == 50000 or n == movements - 1:
            with database.unit_of_work() as s:
                s.execute(insert(Movement), batch)
            batch = []
    with database.unit_of_work() as s:
        for lot_id, value in balance.items():
            s.execute(update(Lot).where(Lot.id == lot_id).values(quantity_milli=value))
    return len(lots)


def stock_naive(s: Any, principal: Principal) -> dict[tuple[int, int], int]:
    from yingji.core.scope import scoped

    stmt = scoped(select(Movement.warehouse_id, Movement.item_id, func.sum(Movement.delta_milli)), principal,
                  model=Movement).group_by(Movement.warehouse_id, Movement.item_id)
    return {(w, i): int(total) for w, i, total in s.execute(stmt)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 teams and 100,000 movements")
    parser.add_argument("--teams", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--postgres", action="store_true",
                        help="use the PostgreSQL server at $YINGJI_TEST_PG_URL (scripts/with-postgres.sh)")
    args = parser.parse_args()
    if args.quick:
        args.teams, args.movements, args.points = 20_000, 100_000, 100
    rng = random.Random(SEED)
    url, admin = f"sqlite:///{TMP / 'bench.db'}", None
    if args.postgres:
        server = os.environ["YINGJI_TEST_PG_URL"]
        admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS yingji_bench_resources"))
            conn.execute(text("CREATE DATABASE yingji_bench_resources"))
        url = server.rsplit("/", 1)[0] + "/yingji_bench_resources"
    settings = Settings(database_url=url, var_dir=TMP / "var", env="development",
                        secret_key="bench-secret-key-not-for-production")
    database = Database(settings)
    try:
        migrate.upgrade(database.engine)
        office, counties = build_units(database)
        build_teams(database, counties, args.teams, rng)
        lots = build_ledger(database, counties, args.movements, rng)
        if args.postgres:
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        say(f"# {args.teams} teams, {args.movements} movements over {lots} lots, on {database.engine.dialect.name}")
        points = [(rng.uniform(80.5, 83.2), rng.uniform(44.1, 45.3), rng.choice(CAPS)) for _ in range(args.points)]
        with database.sessionmaker() as s:
            for lon, lat, cap in points[:20]:  # the box search finds what measuring everything finds
                fast = [r.id for r in nearby.nearest(s, office, "team", lon, lat, limit=10, capability=cap,
                                                     ready_only=True)]
                slow = [i for _km, i in nearby.nearest_naive(s, office, "team", lon, lat, limit=10, capability=cap,
                                                             ready_only=True)]
                assert fast == slow, (lon, lat, cap)
            queue = iter(points * 2)

            def near() -> None:
                lon, lat, cap = next(queue)
                nearby.nearest(s, office, "team", lon, lat, limit=10, capability=cap, ready_only=True)

            slow_queue = iter(points)

            def naive() -> None:
                lon, lat, cap = next(slow_queue)
                nearby.nearest_naive(s, office, "team", lon, lat, limit=10, capability=cap, ready_only=True)

            near_ms = p99(timings_ms(near, args.points))
            naive_ms = p99(timings_ms(naive, max(20, args.points // 10)))
        say(f"RESULT name=nearest_p99_ms value={fmt(near_ms)} unit=ms baseline={fmt(naive_ms)} "
            f"ratio={fmt(near_ms / naive_ms)} target=<50")
        with database.sessionmaker() as s:
            kept = {(r.warehouse_id, r.item_id): r.milli for r in supplies.stock(s, office)}
            assert kept == stock_naive(s, office), "the maintained balances equal the sums of the movements"
            stock_ms = statistics.median(timings_ms(lambda: supplies.stock(s, office), 7))
            naive_stock_ms = statistics.median(timings_ms(lambda: stock_naive(s, office), 3))
        say(f"# current stock: {len(kept)} warehouse x item figures")
        say(f"RESULT name=stock_ms value={fmt(stock_ms)} unit=ms baseline={fmt(naive_stock_ms)} "
            f"ratio={fmt(stock_ms / naive_stock_ms)} target=<100")
    finally:
        database.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS yingji_bench_resources WITH (FORCE)"))
            admin.dispose()
        if not args.keep:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
