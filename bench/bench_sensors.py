"""Benchmark: sensor readings ingested in batches over HTTP, with threshold checks, by 4 devices at once.

Builds a throw-away SQLite database (migrations + demo data), registers 4 gas sensors with thresholds on the
demo plant and gives each a device token, starts the real server (``yingji serve --no-worker``) on a free
loopback port, and has 4 concurrent device threads POST batches to ``/api/risks/readings`` (each request:
token check, JSON validation, order/range/duplicate checks, one executemany, the threshold walk, the audit
entry; a few batches cross a threshold and raise an alarm to the duty desk). Then, in the same run, the
same number of rows of the same shape go into the same table through the driver's executemany (the
baseline: what storing the rows costs with no checks, no HTTP, no JSON).

  RESULT name=readings_per_s   value=<readings/s over HTTP>  baseline=<raw rows/s>  target=>=20000

Usage:  .venv/bin/python bench/bench_sensors.py [--quick] [--batches N] [--batch-size N] [--processes N]
One server process by default: the readings of all devices go into one SQLite file, and a second process
only adds contention for its write lock.
``--quick`` is 4 devices x 10 batches x 1000 readings. Traffic stays on 127.0.0.1; the server and the
temporary directory are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yingji-bench-sensors-"))
os.environ["YINGJI_VAR_DIR"] = str(TMP / "var")
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "development")
DEVICES = 4
TARGET = 20000.0


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def build() -> tuple[list[str], list[int], int]:
    """Schema, demo data, 4 sensors with tokens for the HTTP run and 4 without for the raw run."""
    from sqlalchemy import select

    from yingji import demo, migrate
    from yingji.core import defaults
    from yingji.core.models import Unit
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.risks import sensors
    from yingji.risks.schemas import SensorCreate
    from yingji.settings import Settings

    database = Database(Settings())
    migrate.upgrade(database.engine)
    system = system_principal("bench")
    with database.unit_of_work() as session:
        defaults.load(session, system)
        demo.load(session, system)
    tokens, raw_ids = [], []
    with database.unit_of_work() as session:
        plant = session.scalars(select(Unit).where(Unit.code == "652700-Z02-E01")).one()
        for n in range(2 * DEVICES):
            sensor = sensors.create(session, system, SensorCreate(
                unit_id=plant.id, name=f"基准探测器{n}", kind="gas", yellow=20, orange=25, red=50))
            if n < DEVICES:
                tokens.append(sensors.issue_token(session, system, sensor.id)[1])
            else:
                raw_ids.append(sensor.id)
        unit_id = plant.id
    database.engine.dispose()
    return tokens, raw_ids, unit_id


def values(device: int, batch: int, size: int) -> list[float]:
    """Mostly quiet readings; every tenth batch of each device climbs into orange and falls back."""
    rows = [round(2.0 + ((i * 7 + device) % 50) / 10, 2) for i in range(size)]
    if batch % 10 == 5:
        rows[size // 2] = 27.5
    return rows


def timestamps(start: datetime, batch: int, size: int) -> list[str]:
    return [(start + timedelta(milliseconds=10 * (batch * size + i))).isoformat() for i in range(size)]


def run_http(url: str, tokens: list[str], batches: int, size: int, start: datetime) -> tuple[float, int, list[str]]:
    import httpx

    bodies = [[{"readings": [{"at": at, "value": v} for at, v in zip(timestamps(start, b, size),
                                                                      values(d, b, size), strict=True)]}
               for b in range(batches)] for d in range(len(tokens))]
    errors: list[str] = []
    stored = [0] * len(tokens)
    barrier = threading.Barrier(len(tokens) + 1)

    def device(d: int) -> None:
        with httpx.Client(base_url=url, timeout=60.0,
                          headers={"Authorization": f"Bearer {tokens[d]}"}) as client:
            barrier.wait()
            for body in bodies[d]:
                response = client.post("/api/risks/readings", json=body)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                stored[d] += response.json()["stored"]

    threads = [threading.Thread(target=device, args=(d,)) for d in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, sum(stored), errors


def run_raw(raw_ids: list[int], unit_id: int, batches: int, size: int, start: datetime) -> float:
    """The same rows through SQLAlchemy Core executemany, one transaction per batch, one device after another."""
    from sqlalchemy import insert

    from yingji.db import Database
    from yingji.risks.models import SensorReading
    from yingji.settings import Settings

    database = Database(Settings())
    rows = [[[{"sensor_id": sensor_id, "unit_id": unit_id,
               "at": start + timedelta(milliseconds=10 * (b * size + i)), "value": v}
              for i, v in enumerate(values(d, b, size))] for b in range(batches)]
            for d, sensor_id in enumerate(raw_ids)]
    began = time.perf_counter()
    for device_rows in rows:
        for batch in device_rows:
            with database.engine.begin() as conn:
                conn.execute(insert(SensorReading), batch)
    elapsed = time.perf_counter() - began
    database.engine.dispose()
    return elapsed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, processes: int) -> subprocess.Popen[bytes]:
    log = (TMP / "server.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "yingji.cli", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
         "--processes", str(processes)], env=dict(os.environ), cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy in time")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batches", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    batches = args.batches or (10 if args.quick else 40)
    size = args.batch_size or (1000 if args.quick else 2000)
    try:
        tokens, raw_ids, unit_id = build()
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=12)
        port = free_port()
        server = start_server(port, args.processes)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, server)
            http_s, stored, errors = run_http(url, tokens, batches, size, start)
        finally:
            stop_server(server)
        if errors:
            say(f"# errors: {errors[:3]}")
            return 1
        raw_s = run_raw(raw_ids, unit_id, batches, size, start)
        total = DEVICES * batches * size
        assert stored == total, (stored, total)
        rate, baseline = total / http_s, total / raw_s
        say(f"# {DEVICES} devices x {batches} batches x {size} readings = {total} readings")
        say(f"# HTTP ingestion with checks: {http_s:.2f} s ({args.processes} server processes); "
            f"raw executemany of the same rows: {raw_s:.2f} s")
        say(f"RESULT name=readings_per_s value={rate:.0f} unit=readings/s baseline={baseline:.0f} "
            f"ratio={rate / baseline:.3f} target=>={TARGET:.0f}")
        return 0
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
