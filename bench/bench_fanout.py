"""Benchmark: fan-out of one alert to 1,000,000 synthetic recipients, and delivery through a local gateway.

Builds a throw-away SQLite database (migrations, a small tree, N recipients spread uniformly over the
prefecture's bounding box, an issued alert whose polygon covers its west half), then measures:

  fanout              seconds from "issue" to every delivery row queued and committed:
                      ``yingji.channels.delivery.fan_out`` (targeting in SQL, one INSERT … SELECT per channel,
                      the length check, the audit entry) in a fresh process
      baseline        the same number of rows of the delivery table's shape through the driver's executemany
                      into a plain table of the same database, rows prepared beforehand (the floor)
  fanout_peak_mib     peak resident memory of the process doing the fan-out (ru_maxrss), target < 1024
  delivery_msgs_per_s messages per second from queued to marked, 8 worker threads, through the local HTTP
                      SMS gateway of tests/channels/peers.py (claim, compose, POST, mark)
      baseline        plain HTTP POSTs of the same bodies to the same gateway from 8 threads, no database

and prints ``RESULT name=<figure> value=<number> unit=<unit> baseline=<number> ratio=<value/baseline>
target=<target>`` lines.

Usage:  .venv/bin/python bench/bench_fanout.py [--quick] [--recipients N] [--messages N] [--keep]
``--quick``: 100,000 recipients and 3,000 messages (well under a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the fan-out's child process works in its parent's directory (and makes none of its own to leave behind)
TMP = Path(os.environ.get("BENCH_FANOUT_DIR") or tempfile.mkdtemp(prefix="yingji-bench-fanout-"))
os.environ.setdefault("YINGJI_VAR_DIR", str(TMP / "var"))
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")

from sqlalchemy import func, select  # noqa: E402

from yingji import migrate, runtime  # noqa: E402
from yingji.core.scope import system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.settings import Settings  # noqa: E402

WORKERS = 8


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fmt(value: float) -> str:
    return f"{value:.4g}"


def settings(url: str) -> Settings:
    return Settings(database_url=url, var_dir=TMP / "var", env="test", secret_key="bench-secret-key-0123456789abcdef")


def build(database: Database, recipients: int) -> int:
    from tests.channels import synthetic

    with database.unit_of_work() as session:
        synthetic.sqlite_fast(session)
        villages = synthetic.tree(session, villages=300)
        synthetic.recipients(session, recipients, villages)
        return int(synthetic.alert(session, polygon=synthetic.HALF_POLYGON).id)


def fan_out_in_child(url: str, alert_id: int) -> dict[str, float]:
    """The fan-out in a fresh process, so its peak memory is its own."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_fanout import child_fan_out; "
            f"sys.stdout.write(json.dumps(child_fan_out({url!r}, {alert_id})) + chr(10))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "BENCH_FANOUT_DIR": str(TMP)})
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child_fan_out(url: str, alert_id: int) -> dict[str, float]:
    from yingji.channels import delivery
    from yingji.warnings.models import Alert

    database = Database(settings(url))
    began = time.perf_counter()
    with database.unit_of_work() as session:
        alert = session.get(Alert, alert_id)
        queued = delivery.fan_out(session, system_principal("bench"), alert)
        session.info.get("on_commit", {}).pop(delivery._kick_delivery, None)  # nothing to deliver to here
    seconds = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "queued": queued, "peak_mib": peak_mib}


def plain_insert(database: Database, count: int) -> float:
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_plain_delivery (id INTEGER PRIMARY KEY, alert_id INTEGER, "
                             "unit_id INTEGER, recipient_id INTEGER, endpoint_id INTEGER, channel VARCHAR(16), "
                             "language VARCHAR(8), status VARCHAR(16), attempts INTEGER, next_attempt_at DATETIME, "
                             "created_at DATETIME)")
    stamp = "2030-01-01 00:00:00.000000"
    rows = [(1, i % 300, i, None, "sms", "zh-CN", "queued", 0, stamp, stamp) for i in range(count)]
    began = time.perf_counter()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO bench_plain_delivery (alert_id, unit_id, recipient_id, endpoint_id, "
                             "channel, language, status, attempts, next_attempt_at, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return time.perf_counter() - began


def deliver(database: Database, peer: object, messages: int) -> float:
    from tests.channels import synthetic

    from yingji.channels import delivery

    with database.unit_of_work() as session:
        synthetic.configure_sms(session, peer.url("/sms"), peer.secret)  # type: ignore[attr-defined]
        channels = delivery.channel_instances(session)
    done = [0]
    lock = threading.Lock()

    def work(n: int) -> None:
        while True:
            with lock:
                if done[0] >= messages:
                    return
            handled = delivery.run_once(database, f"bench-{n}", channels)
            if not handled:
                return
            with lock:
                done[0] += handled

    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.perf_counter() - began)


def raw_posts(peer: object, messages: int) -> float:
    from yingji.channels.base import Config, Message
    from yingji.channels.sms import SmsChannel

    channel = SmsChannel(Config(url=peer.url("/sms"), secret=peer.secret))  # type: ignore[attr-defined]
    per = messages // WORKERS

    def work(n: int) -> None:
        for i in range(per):
            channel.send(Message(key=f"raw-{n}-{i}", address=f"137{n:02d}{i:06d}", subject="",
                                 text="暴雨橙色预警 预计未来6小时有大到暴雨。请注意防范。"))

    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * WORKERS / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--recipients", type=int, default=0)
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    recipients = args.recipients or (100_000 if args.quick else 1_000_000)
    messages = args.messages or (3_000 if args.quick else 20_000)
    url = f"sqlite:///{TMP / 'bench.db'}"
    try:
        database = Database(settings(url))
        runtime.set_database(database)
        migrate.upgrade(database.engine)
        began = time.perf_counter()
        alert_id = build(database, recipients)
        say(f"# built {recipients} recipients in {time.perf_counter() - began:.1f} s")
        result = fan_out_in_child(url, alert_id)
        from yingji.channels.models import Delivery

        with database.sessionmaker() as s:
            rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.alert_id == alert_id)) or 0
        say(f"# fan-out queued {int(result['queued'])} rows ({rows} in the table) for {recipients} recipients")
        baseline = plain_insert(database, rows)
        say(f"RESULT name=fanout value={fmt(result['seconds'])} unit=s baseline={fmt(baseline)} "
            f"ratio={fmt(result['seconds'] / baseline)} target=2")
        say(f"RESULT name=fanout_peak_mib value={fmt(result['peak_mib'])} unit=MiB baseline=1024 "
            f"ratio={fmt(result['peak_mib'] / 1024)} target=1")
        from tests.channels.peers import Peer

        peer = Peer(keep=False).start()
        try:
            rate = deliver(database, peer, messages)
            raw = raw_posts(peer, messages)
        finally:
            peer.stop()
        say(f"RESULT name=delivery_msgs_per_s value={fmt(rate)} unit=msg/s baseline={fmt(raw)} "
            f"ratio={fmt(rate / raw)} target=0.5")
        database.engine.dispose()
    finally:
        if args.keep:
            say(f"# kept {TMP}")
        else:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
