"""Benchmark: the statistics tables (monthly, quarterly, annual) over 1,000,000 events.

Builds a throw-away SQLite database (migrations + demo data), inserts N events spread over one year in
the prefecture's townships and villages (and N/10 in the year before, for the year-over-year column), then
measures in-process, as the prefecture office (scoped: the unit join is part of the cost):

  stats          oversight.stats.table for the year, a quarter and a month (each reads the year's grouped
                 figures and the year before's, per Beijing month, scoped, folded into the category, level and
                 county tables and the month-by-month series), the slowest of the three medians, in seconds
      baseline   the raw SQL GROUP BY unit, category and level over the same year's rows (no scope, no months),
                 median, in seconds
  trends         oversight.trends.compute for the prefecture (the same read with the subtype, folded per county,
                 category, subtype and level, with the findings), median, printed as a comment

Both read events through the covering index ix_incident_events_stats (migration 0016), as the raw
GROUP BY does; the data is inserted with executemany in chunks of 50,000 rows.

and prints

  RESULT name=stats value=<s> unit=s baseline=<s> ratio=<value/baseline> target=<0.5

Usage:  .venv/bin/python bench/bench_stats.py [--quick] [--events N] [--repeat N] [--keep] [--reuse DIR]
``--quick`` is 100,000 events (well under a minute). The temporary directory is removed at the end.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TMP = Path(tempfile.mkdtemp(prefix="yingji-bench-stats-"))
os.environ["YINGJI_VAR_DIR"] = str(TMP / "var")
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")

from sqlalchemy import func, select, text  # noqa: E402

from yingji import clock, demo, migrate  # noqa: E402
from yingji.core import defaults  # noqa: E402
from yingji.core.models import Unit  # noqa: E402
from yingji.core.scope import Principal, system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.duty import defaults as duty_defaults  # noqa: E402
from yingji.incidents.models import Event  # noqa: E402
from yingji.oversight import stats, trends  # noqa: E402
from yingji.settings import Settings  # noqa: E402

YEAR = 2029


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fmt(value: float) -> str:
    return f"{value:.4g}"


def build(database: Database, events: int) -> None:
    system = system_principal("bench")
    with database.unit_of_work() as s:
        defaults.load(s, system)
        duty_defaults.load(s, system)
        demo.load(s, system)
    with database.unit_of_work() as s:
        places = list(s.scalars(select(Unit.id).where(Unit.kind.in_(("township", "village")))))
    rng = random.Random(1)
    table = Event.__table__
    now = clock.now()
    for year, count in ((YEAR, events), (YEAR - 1, events // 10)):
        start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=8)
        done = 0
        while done < count:
            chunk = min(50_000, count - done)
            rows = [{"unit_id": rng.choice(places), "title": "bench", "category": rng.choice("1234"),
                     "subtype": "1.1", "level": rng.choice((2, 3, 4, 4, 4)), "status": "closed",
                     "occurred_at": start + timedelta(seconds=rng.randrange(365 * 86400)), "known_from": "report",
                     "known_at": now, "report_count": 1, "deaths": rng.randrange(3), "injured": rng.randrange(4),
                     "missing": 0, "direct_loss": rng.randrange(100_000), "is_demo": True, "created_at": now,
                     "updated_at": now} for _ in range(chunk)]
            with database.unit_of_work() as s:
                s.execute(table.insert(), rows)
            done += chunk
    with database.engine.connect() as c:
        c.execute(text("ANALYZE"))


def median_s(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events, well under a minute")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--reuse", type=Path, help="measure on a database kept by an earlier --keep run")
    args = parser.parse_args()
    events = 100_000 if args.quick else args.events
    path = args.reuse / "bench.db" if args.reuse else TMP / "bench.db"
    settings = Settings(database_url=f"sqlite:///{path}", var_dir=TMP / "var", env="development",
                        secret_key="bench-secret-key-not-for-production")
    database = Database(settings)
    try:
        migrate.upgrade(database.engine)
        if args.reuse:
            with database.sessionmaker() as s:
                events = s.scalar(select(func.count()).select_from(Event).where(
                    Event.occurred_at >= datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=8))) or 0
        else:
            build(database, events)
        with database.sessionmaker() as s:
            root = s.scalars(select(Unit).where(Unit.code == "652700")).one()
            zhou = Principal(user_id=None, name="bench", unit_id=root.id, unit_path=root.path,
                             role="prefecture_office")
            total = s.scalar(select(func.count()).select_from(Event)) or 0
            say(f"# {total} events ({events} in {YEAR}) on {settings.database_url.split(':')[0]}")
            low = datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=8)
            high = datetime(YEAR + 1, 1, 1, tzinfo=UTC) - timedelta(hours=8)
            raw = (select(Event.unit_id, Event.category, Event.level, func.count(), func.sum(Event.deaths),
                          func.sum(Event.injured), func.sum(Event.missing), func.sum(Event.direct_loss))
                   .where(Event.occurred_at >= low, Event.occurred_at < high)
                   .group_by(Event.unit_id, Event.category, Event.level))
            # The same GROUP BY with its bounds written into the SQL (so that the planner sees the range), read
            # through the covering index, and as a plain table scan: with several indexes on the time column the
            # planner may walk one that is not covering and read every row from the table. The baseline is the
            # fastest of the four: the comparison is with the raw query at its best.
            stored = Event.__table__.c.occurred_at.type
            bounds = [stored.process_bind_param(v, s.bind.dialect) for v in (low, high)]

            def raw_sql(access: str) -> Any:
                return text("SELECT unit_id, category, level, count(*), sum(deaths), sum(injured), sum(missing), "
                            f"sum(direct_loss) FROM incident_events {access} WHERE occurred_at >= '{bounds[0]}' "
                            f"AND occurred_at < '{bounds[1]}' GROUP BY unit_id, category, level")

            expected = sorted(map(tuple, s.execute(raw).all()))
            raws = {"bound parameters": raw, "literal bounds": raw_sql(""),
                    "covering index": raw_sql("INDEXED BY ix_incident_events_stats"),
                    "table scan": raw_sql("NOT INDEXED")}
            timings = {}
            for name, stmt in raws.items():
                assert sorted(map(tuple, s.execute(stmt).all())) == expected, name
                timings[name] = median_s(lambda q=stmt: s.execute(q).all(), args.repeat)
            say("# raw GROUP BY: " + ", ".join(f"{fmt(v)} s ({k})" for k, v in timings.items()))
            baseline = min(timings.values())
            year = stats.table(s, zhou, year=YEAR, period="year", period_no=1)
            assert year.total.count == events, (year.total.count, events)
            raw_count = sum(int(r[3]) for r in s.execute(raw).all())
            assert raw_count == events
            figures = {}
            for period, number in (("year", 1), ("quarter", 3), ("month", 7)):
                figures[period] = median_s(lambda p=period, n=number: stats.table(s, zhou, year=YEAR, period=p,
                                                                                 period_no=n), args.repeat)
                say(f"# {period} table: {fmt(figures[period])} s")
            analysis = median_s(lambda: trends.compute(s, zhou, root, YEAR), args.repeat)
            say(f"# trend analysis (prefecture): {fmt(analysis)} s")
        value = max(figures.values())
        say(f"RESULT name=stats value={fmt(value)} unit=s baseline={fmt(baseline)} ratio={fmt(value / baseline)} "
            f"target=<0.5")
    finally:
        database.engine.dispose()
        if args.keep and not args.reuse:
            say(f"# kept {TMP}")
        else:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
