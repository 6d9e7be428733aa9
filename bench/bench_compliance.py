"""Benchmark: the compliance engine for the whole prefecture over 100,000 units and 500,000 plans and drills.

Builds a throw-away SQLite database (migrations + demo data), adds units under the demo townships
(villages, enterprises, schools, crowded places, departments) with one plan each and four drills
each (a fifth of the rows are plans, the rest drills), then measures in-process, as the prefecture
office, on 1 October:

  compliance_s   compliance.evaluate for every rule and every unit in the prefecture (statuses, values,
                 pace, the counts) and the first page of results built as the page shows it, median of
                 --repeat runs
      baseline   the raw grouped SQL counts the evaluation rests on (drills per unit in the year, plans
                 in force per unit, special-plan drills per plan, staff per unit, unfiled and overdue plans),
                 run directly through the driver in the same run, median

and prints each figure's median process time on a comment line (the machine is shared; wall time moves with
the load, CPU time much less), then, as DESIGN.md asks,

  RESULT name=<figure> value=<number> unit=<unit> baseline=<number> ratio=<value/baseline> target=<target>

Usage:  .venv/bin/python bench/bench_compliance.py [--quick] [--units N] [--repeat N] [--keep] [--url URL]
``--quick`` is 10,000 units with 50,000 plans and drills (well under a minute). On PostgreSQL:
``scripts/with-postgres.sh sh -c '.venv/bin/python bench/bench_compliance.py --quick --url "$YINGJI_TEST_PG_URL"'``.
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

TMP = Path(tempfile.mkdtemp(prefix="yingji-bench-compliance-"))
os.environ["YINGJI_VAR_DIR"] = str(TMP / "var")
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")

from sqlalchemy import bindparam, insert, select, text  # noqa: E402

from yingji import clock, demo, migrate  # noqa: E402
from yingji.core import defaults  # noqa: E402
from yingji.core.models import Unit  # noqa: E402
from yingji.core.scope import Principal, system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.preparedness import compliance  # noqa: E402
from yingji.preparedness import defaults as prep_defaults  # noqa: E402
from yingji.preparedness import service as _service  # noqa: E402,F401  (registers the measures)
from yingji.preparedness.models import PrepDrill, PrepPlan  # noqa: E402
from yingji.settings import Settings  # noqa: E402

YEAR = 2026
ON = date(YEAR, 10, 1)
NOW = datetime(YEAR, 12, 31, 4, 0, tzinfo=UTC)
KINDS = ("village", "village", "village", "enterprise", "school", "crowded_place", "department")
PLAN_TYPES = {"village": "grassroots", "enterprise": "unit", "school": "unit", "crowded_place": "unit",
              "department": "department"}

# The grouped counts the evaluation stands on, written by hand.
RAW = [
    "SELECT unit_id, count(*) FROM prep_drill WHERE scope = 'comprehensive' AND held_on >= :start "
    "AND held_on <= :until GROUP BY unit_id",
    "SELECT unit_id, count(*) FROM prep_plan WHERE status IN ('in_force', 'under_revision') GROUP BY unit_id",
    "SELECT p.unit_id, min(coalesce(n, 0)) FROM prep_plan p LEFT JOIN (SELECT dp.plan_id, count(*) AS n "
    "FROM prep_drill_plan dp JOIN prep_drill d ON d.id = dp.drill_id WHERE d.held_on >= :start AND d.held_on <= :until "
    "GROUP BY dp.plan_id) h ON h.plan_id = p.id WHERE p.plan_type = 'department' "
    "AND p.status IN ('in_force', 'under_revision') GROUP BY p.unit_id",
    "SELECT unit_id, count(*) FROM prep_plan WHERE status IN ('in_force', 'under_revision') "
    "AND coalesce(last_evaluated_on, issued_on) < :cutoff GROUP BY unit_id",
    "SELECT unit_id, count(*) FROM prep_plan p WHERE status IN ('in_force', 'under_revision') AND issued_on < :issue "
    "AND NOT EXISTS (SELECT 1 FROM prep_filing f WHERE f.plan_id = p.id AND f.state IN ('submitted', 'accepted')) "
    "GROUP BY unit_id",
    "SELECT unit_id, count(*) FROM person WHERE full_time_emergency GROUP BY unit_id",
    "SELECT id, kind, path FROM unit WHERE kind IN ('prefecture', 'county', 'township', 'village', 'department', "
    "'enterprise', 'school', 'crowded_place')",
]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fmt(value: float) -> str:
    return f"{value:.4g}"


def build(database: Database, units: int) -> tuple[int, int]:
    system = system_principal("bench")
    clock.set_clock(lambda: NOW)
    with database.unit_of_work() as s:
        defaults.load(s, system)
        prep_defaults.load(s, system)
        demo.load(s, system)
    rng = random.Random(7)
    with database.unit_of_work() as s:
        townships = list(s.scalars(select(Unit).where(Unit.kind == "township", Unit.valid_to.is_(None))))
        stamp = clock.now()
        rows = [{"code": f"P{i:06d}", "name": f"单位{i}", "kind": KINDS[i % len(KINDS)],
                 "parent_id": townships[i % len(townships)].id, "depth": 3, "path": "", "created_at": stamp,
                 "updated_at": stamp} for i in range(units)]
        for start in range(0, len(rows), 20000):
            s.execute(insert(Unit), rows[start:start + 20000])
        parents = {t.id: t.path for t in townships}
        new = s.execute(select(Unit.id, Unit.parent_id, Unit.kind).where(Unit.code.like("P%"))).all()
        table: Any = Unit.__table__
        s.execute(table.update().where(table.c.id == bindparam("uid")).values(path=bindparam("p")),
                  [{"uid": uid, "p": f"{parents[pid]}{uid}/"} for uid, pid, _k in new if pid is not None])
        plans = [{"unit_id": uid, "title": f"预案{uid}", "plan_type": PLAN_TYPES[kind], "event_types": ["all"],
                  "version": "1", "issued_on": date(YEAR - rng.randint(0, 4), 3, 1), "status": "in_force",
                  "note": "", "is_demo": False, "created_at": stamp, "updated_at": stamp}
                 for uid, _pid, kind in new]
        s.execute(insert(PrepPlan), plans)
        drills = [{"unit_id": uid, "title": "演练", "held_on": date(YEAR - (n == 3), rng.randint(1, 12), 15),
                   "scope": "comprehensive" if n % 2 == 0 else "special", "form": "tabletop", "participants": 20,
                   "scenario": "", "evaluation": "", "is_demo": False, "created_at": stamp, "updated_at": stamp}
                  for uid, _pid, _kind in new for n in range(4)]
        for start in range(0, len(drills), 50000):
            s.execute(insert(PrepDrill), drills[start:start + 50000])
        s.execute(text("INSERT INTO prep_drill_plan (drill_id, plan_id, unit_id) SELECT d.id, p.id, d.unit_id "
                       "FROM prep_drill d JOIN prep_plan p ON p.unit_id = d.unit_id WHERE d.scope = 'special' "
                       "AND p.plan_type = 'department' "
                       "AND d.unit_id IN (SELECT id FROM unit WHERE code LIKE 'P%')"))
    with database.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return len(plans), len(drills)


CPU: dict[str, float] = {}  # median process time of each figure, printed beside it (the machine is shared)


def median_s(func: Any, repeat: int, name: str = "") -> float:
    func()
    times, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        func()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    CPU[name] = statistics.median(cpu)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 units, well under a minute")
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--url", default="", help="an empty database to build in instead of a temporary SQLite file, "
                        "e.g. the PostgreSQL of scripts/with-postgres.sh ($YINGJI_TEST_PG_URL)")
    args = parser.parse_args()
    units = 10_000 if args.quick else args.units
    url = args.url or f"sqlite:///{TMP / 'bench.db'}"
    settings = Settings(database_url=url, var_dir=TMP / "var", env="development",
                        secret_key="bench-secret-key-not-for-production")
    database = Database(settings)
    try:
        migrate.upgrade(database.engine)
        plans, drills = build(database, units)
        say(f"# {units} units, {plans} plans and {drills} drills ({plans + drills} in all) on "
            f"{settings.database_url.split(':')[0]}")
        with database.sessionmaker() as s:
            root = s.scalars(select(Unit).where(Unit.code == "652700")).one()
            zhou = Principal(user_id=None, name="bench", unit_id=root.id, unit_path=root.path,
                             role="prefecture_office")
            found = compliance.evaluate(s, zhou, on=ON)
            say(f"# {len(found.results)} results: {found.counts()}")
            assert len(found.results) >= units, "every unit has at least one rule"
            seconds = median_s(lambda: compliance.evaluate(s, zhou, on=ON).results[:50], args.repeat, "engine")
            params = {"start": date(YEAR, 1, 1), "until": ON, "cutoff": date(YEAR - 3, 10, 1),
                      "issue": date(YEAR, 9, 3)}

            def raw() -> None:
                with database.engine.connect() as conn:
                    for sql in RAW:
                        conn.execute(text(sql), params).all()

            baseline = median_s(raw, args.repeat, "raw")
        say(f"# process time (this process's CPU, less sensitive to a shared machine): engine {fmt(CPU['engine'])} s, "
            f"raw counts {fmt(CPU['raw'])} s")
        say(f"RESULT name=compliance_s value={fmt(seconds)} unit=s baseline={fmt(baseline)} "
            f"ratio={fmt(seconds / baseline)} target=<2")
    finally:
        clock.set_clock(None)
        database.engine.dispose()
        if not args.keep:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
