"""Benchmark: first reports over HTTP, and the filtered event list over a million events.

Builds a throw-away SQLite database (demo data + ``--events`` events, default 1,000,000, written with
executemany), gives the village information officer and the 博乐市 office API tokens and starts the real
server (``yingji serve --no-worker``) on a free loopback port. Then, in the same run:

  reports   8 keep-alive clients (asyncio connections in 2 load-generator processes, requests written as bytes
            and answers read by a minimal HTTP/1.1 reader, so that the generator takes little of the 2 CPUs it
            shares with the server) POST /api/incidents — a new event with its first report, each with its own
            Idempotency-Key (event, report, hop at the county desk, audit; the duty dispatch with inbox and
            mail rows is a job after the commit) — in a closed loop for a fixed time; the server runs without
            a worker, so the dispatch job is then run here over every report filed and timed on its own;
  baseline  the same clients GET /api/ping (token auth + request transaction, no work), in alternating rounds;
  list      one client GET /api/incidents as the 博乐市 office with random filters (time range, unit, category,
            level, status, flags) and pages, against the same client's ping latency.

Prints, as DESIGN.md asks:

  RESULT name=reports_per_s value=... unit=req/s baseline=<ping req/s> ratio=... target=>=500
  RESULT name=list_p99_ms value=... unit=ms baseline=<ping p99> ratio=... target=<100

Usage:  .venv/bin/python bench/bench_incidents.py [--quick] [--events N] [--duration S] [--rounds N]
            [--concurrency N] [--processes N] [--lists N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_api import (  # noqa: E402  (the shared server and /proc helpers of the API bench)
    _percentile,
    _readline,
    cpu_seconds,
    fmt,
    free_port,
    machine_busy_seconds,
    start_server,
    stop_server,
    wait_healthy,
)

REPORTS_TARGET = 500.0
LIST_P99_TARGET_MS = 100.0
CHUNK = 50_000
INSERT = ("INSERT INTO incident_events (unit_id, title, category, subtype, level, suggested_level, status, "
          "occurred_at, lon, lat, known_at, first_report_at, flag_late, flag_missed, flag_review, created_at, "
          "updated_at, address, description, known_from, report_count, deaths, injured, missing, direct_loss, "
          "is_demo) VALUES "
          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 'report', 1, 0, 0, 0, 0, 1)")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- the load generator (its own process) ---------------------------------------------------------------

def _request(method: str, path: str, host: str, token: str, body: bytes = b"", key: str = "") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {token}", "Accept: application/json"]
    if key:
        head.append(f"Idempotency-Key: {key}")
    if method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _exchange(reader: Any, writer: Any, request: bytes) -> int:
    """One request on a keep-alive connection; the status of its answer (the body is read and dropped)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """The clients of one load-generator process: keep-alive connections on one asyncio loop, each sending
    its next request when the answer to the last one is in (a closed loop). Requests are written as bytes
    and answers read with a minimal HTTP/1.1 reader, so the generator takes little of the CPU the server
    shares with it."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(spec["url"])
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    token, concurrency, duration = spec["token"], int(spec["concurrency"]), float(spec["duration"])
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    occurred = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    ping = _request("GET", "/api/ping", f"{host}:{port}", token)

    def next_request(n: int) -> bytes:
        if spec["endpoint"] == "ping":
            return ping
        body = {"title": f"基准首报 {n}", "occurred_at": occurred, "category": "1", "subtype": "1.4.2",
                "description": "基准测试：村道边坡滑坡", "injured": n % 3, "reporter_phone": "13800000000"}
        return _request("POST", "/api/incidents", f"{host}:{port}", token,
                        json.dumps(body, ensure_ascii=False).encode(), key=f"bench-{uuid.uuid4().hex}")

    async def main() -> dict[str, Any]:
        connections = [await asyncio.open_connection(host, port) for _ in range(concurrency)]
        for reader, writer in connections:
            await _exchange(reader, writer, ping)
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        start_at = float(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline) or 0.0)
        if (wait := start_at - time.time()) > 0:
            await asyncio.sleep(wait)
        pid = int(spec["server_pid"])
        server0, busy0, cpu0 = cpu_seconds(pid), machine_busy_seconds(), time.process_time()
        start = time.perf_counter()
        deadline = start + duration

        async def client(n: int, reader: Any, writer: Any) -> None:
            i = 0
            while True:
                request = next_request(n * 1_000_000 + i)
                t0 = time.perf_counter()
                try:
                    status = str(await _exchange(reader, writer, request))
                except (OSError, ValueError, asyncio.IncompleteReadError):  # counted as a failure
                    status = "-1"
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                t1 = time.perf_counter()
                latencies.append((t1 - t0) * 1000.0)
                statuses[status] = statuses.get(status, 0) + 1
                i += 1
                if t1 >= deadline:
                    break

        await asyncio.gather(*(client(n, r, w) for n, (r, w) in enumerate(connections)))
        elapsed = time.perf_counter() - start
        result = {"latencies_ms": latencies, "elapsed": elapsed, "statuses": statuses,
                  "server_cpu_s": cpu_seconds(pid) - server0, "machine_busy_s": machine_busy_seconds() - busy0,
                  "client_cpu_s": time.process_time() - cpu0}
        for _reader, writer in connections:
            writer.close()
        return result

    return asyncio.run(main())


def phase(spec: dict[str, Any], procs: int) -> dict[str, Any]:
    concurrency = int(spec["concurrency"])
    shares = [concurrency // procs + (1 if n < concurrency % procs else 0) for n in range(procs)]
    children = [subprocess.Popen([sys.executable, __file__, "--load-generator", json.dumps({**spec, "concurrency": s})],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for s in shares if s]
    try:
        for child in children:
            assert child.stdout is not None and child.stderr is not None
            if _readline(child.stdout, timeout=60).strip() != b"READY":
                raise RuntimeError(f"load generator failed: {child.stderr.read().decode()[-2000:]}")
        start_at = f"{time.time() + 0.1}\n".encode()
        for child in children:
            assert child.stdin is not None
            child.stdin.write(start_at)
            child.stdin.flush()
        outputs = [child.communicate(timeout=float(spec["duration"]) + 120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=5)
    results = [json.loads(out) for out, _err in outputs]
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    client_cpu = sum(r["client_cpu_s"] for r in results)
    return {"latencies_ms": [x for r in results for x in r["latencies_ms"]],
            "elapsed": max(r["elapsed"] for r in results), "statuses": statuses,
            "server_cpu_s": results[0]["server_cpu_s"], "client_cpu_s": client_cpu,
            "other_cpu_s": results[0]["machine_busy_s"] - results[0]["server_cpu_s"] - client_cpu}


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    elapsed = sum(r["elapsed"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    count = len(latencies)
    return {"count": count, "rps": count / elapsed if elapsed else 0.0, "p50": _percentile(latencies, 0.5),
            "p99": _percentile(latencies, 0.99), "statuses": statuses,
            "server_cpu_ms": 1000.0 * sum(r["server_cpu_s"] for r in results) / count if count else 0.0,
            "other_cpu_pct": max(0.0, 100.0 * sum(r["other_cpu_s"] for r in results) / elapsed) if elapsed else 0.0}


# --- the database ----------------------------------------------------------------------------------------

def build_database(var_dir: Path, n_events: int) -> tuple[str, str, list[int]]:
    """Schema, rules, demo data and ``n_events`` events over the territorial units; tokens of village and bole,
    and the ids of 博乐市's townships (for the unit filter)."""
    from sqlalchemy import select

    from yingji import demo, migrate
    from yingji.core import accounts, auth, defaults
    from yingji.core.models import Unit, User
    from yingji.core.schemas import TokenCreate
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.duty import defaults as duty_defaults
    from yingji.settings import Settings

    settings = Settings()
    assert settings.var_dir == var_dir.resolve() and settings.is_sqlite, settings.database_url
    database = Database(settings)
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        system = system_principal("bench")
        defaults.load(session, system)
        duty_defaults.load(session, system)
        demo.load(session, system)
    tokens = []
    with database.unit_of_work() as session:
        for username in ("village", "bole"):
            user = session.scalars(select(User).where(User.username == username)).one()
            unit = session.get_one(Unit, user.unit_id)
            principal = auth.principal_for(user, unit, via="session", request_id="bench-setup")
            tokens.append(str(accounts.create_token(session, principal, TokenCreate(name="bench"))[1]))
        places = list(session.scalars(select(Unit.id).where(Unit.kind.in_(("township", "village")))))
        county = session.scalars(select(Unit).where(Unit.code == "652701")).one()
        townships = list(session.scalars(select(Unit.id).where(Unit.parent_id == county.id,
                                                               Unit.kind == "township")))
    rng = random.Random(7)
    now = datetime.now(UTC)
    span = 3 * 365 * 86400
    subtypes = ["1.1", "1.2", "1.3", "1.4.2", "1.7", "2.1", "2.2", "2.4", "3.1", "3.3", "4.4"]
    made = 0
    while made < n_events:
        rows = []
        for _ in range(min(CHUNK, n_events - made)):
            subtype = rng.choice(subtypes)
            at = now - timedelta(seconds=rng.randrange(span))
            level = rng.choices([1, 2, 3, 4, None], weights=[1, 5, 40, 900, 54])[0]
            when = at.strftime("%Y-%m-%d %H:%M:%S.%f")  # how the UTC column type stores it on SQLite
            rows.append((rng.choice(places), f"基准事件 {made}", subtype[0], subtype, level, level,
                         "open" if rng.random() < 0.05 else "closed", when, 81.5 + rng.random(),
                         44.5 + rng.random() * 0.8, when, when, rng.random() < 0.02, rng.random() < 0.002,
                         rng.random() < 0.005, when, when))
            made += 1
        with database.engine.begin() as conn:
            conn.exec_driver_sql(INSERT, rows)  # the driver's executemany
    with database.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    database.engine.dispose()
    return tokens[0], tokens[1], townships


def drain_dispatch() -> tuple[int, float]:
    """Run the dispatch job (duty dispatch rows, inbox and mail rows for the desk) over every report the
    reports phase filed: the work the report's own transaction no longer does, timed on its own."""
    from yingji.incidents import tasks

    t0 = time.perf_counter()
    told = tasks.run_dispatch()
    return told, time.perf_counter() - t0


# --- the list ----------------------------------------------------------------------------------------------

def list_params(rng: random.Random, townships: list[int]) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    params: dict[str, Any] = {"page": rng.randint(1, 3), "per_page": 50}
    for name, chance, value in (
            ("status", 0.3, lambda: rng.choice(["open", "closed"])), ("level", 0.3, lambda: rng.randint(1, 4)),
            ("category", 0.3, lambda: str(rng.randint(1, 4))), ("flag", 0.2, lambda: rng.choice(["late", "missed",
                                                                                              "review"])),
            ("unit_id", 0.3, lambda: rng.choice(townships))):
        if rng.random() < chance:
            params[name] = value()
    if rng.random() < 0.4:
        start = today - timedelta(days=rng.randint(30, 900))
        params["occurred_from"] = start.isoformat() + "T00:00:00+08:00"
        params["occurred_to"] = (start + timedelta(days=rng.choice([1, 7, 30, 365]))).isoformat() + "T00:00:00+08:00"
    return params


def measure_lists(url: str, token: str, townships: list[int],
                  n: int) -> tuple[list[float], list[float], dict[str, int]]:
    import httpx

    rng = random.Random(11)
    lists, pings, statuses = [], [], {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60.0) as client:
        for _ in range(10):
            client.get("/api/incidents", params=list_params(rng, townships))
        for _ in range(n):
            t0 = time.perf_counter()
            status = client.get("/api/incidents", params=list_params(rng, townships)).status_code
            lists.append((time.perf_counter() - t0) * 1000.0)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            t0 = time.perf_counter()
            client.get("/api/ping")
            pings.append((time.perf_counter() - t0) * 1000.0)
    return sorted(lists), sorted(pings), statuses


# --- main ----------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (100,000 events, short rounds)")
    parser.add_argument("--events", type=int, help="events in the database (default 1,000,000; quick 100,000)")
    parser.add_argument("--duration", type=float, help="seconds per round and endpoint (default 5; quick 3)")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 3; quick 1)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="web processes of the server")
    parser.add_argument("--lists", type=int, help="list requests measured (default 1000; quick 200)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    n_events = args.events if args.events is not None else (100_000 if args.quick else 1_000_000)
    duration = args.duration or (3.0 if args.quick else 5.0)
    rounds = args.rounds or (1 if args.quick else 3)
    n_lists = args.lists or (200 if args.quick else 1000)
    tmp = Path(tempfile.mkdtemp(prefix="yingji-bench-incidents-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(YINGJI_VAR_DIR=str(tmp / "var"), YINGJI_QUEUE_URL="memory://", YINGJI_ENV="test",
               YINGJI_LANG="en", PYTHONUNBUFFERED="1")
    for key in [k for k in os.environ if k.startswith("YINGJI_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("YINGJI_")})
    server = None
    failed = False
    try:
        t0 = time.perf_counter()
        village, bole, townships = build_database(tmp / "var", n_events)
        say(f"# database: demo + {n_events} events (executemany) in {time.perf_counter() - t0:.1f}s")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(env, port, tmp / "server.log", args.processes)
        wait_healthy(url, server)
        procs = max(1, min(args.client_procs, args.concurrency))
        base = {"url": url, "token": village, "concurrency": args.concurrency, "server_pid": server.pid}
        say(f"# server pid {server.pid} ({args.processes} processes); {args.concurrency} clients in {procs} "
            f"processes; {rounds} x {duration:g}s per endpoint; {os.cpu_count()} CPUs")
        for endpoint in ("ping", "reports"):
            phase({**base, "endpoint": endpoint, "duration": 1.0}, procs)
        results: dict[str, list[dict[str, Any]]] = {"ping": [], "reports": []}
        for _ in range(rounds):
            for endpoint in ("ping", "reports"):
                results[endpoint].append(phase({**base, "endpoint": endpoint, "duration": duration}, procs))
        ping, reports = summarize(results["ping"]), summarize(results["reports"])
        for name, s in (("ping", ping), ("reports", reports)):
            say(f"# {name:7s}: {s['count']} requests, {s['rps']:.1f} req/s, p50 {s['p50']:.2f} ms, "
                f"p99 {s['p99']:.2f} ms, statuses {s['statuses']}, server CPU {s['server_cpu_ms']:.2f} ms/req, "
                f"other processes {s['other_cpu_pct']:.0f}%")
        failed = failed or set(ping["statuses"]) != {"200"} or set(reports["statuses"]) != {"201"}
        say(f"RESULT name=reports_per_s value={fmt(reports['rps'])} unit=req/s baseline={fmt(ping['rps'])} "
            f"ratio={reports['rps'] / ping['rps']:.3f} target=>={REPORTS_TARGET:g}")
        told, seconds = drain_dispatch()
        say(f"# dispatch: the job after the commits told the county desk of {told} reports in {seconds:.1f}s "
            f"({told / seconds if seconds else 0.0:.0f}/s; the server runs without a worker here)")
        lists, pings, statuses = measure_lists(url, bole, townships, n_lists)
        say(f"# list   : {len(lists)} requests as 博乐市 with random filters, p50 {_percentile(lists, 0.5):.2f} ms, "
            f"p99 {_percentile(lists, 0.99):.2f} ms, max {lists[-1]:.1f} ms, statuses {statuses}")
        failed = failed or set(statuses) != {"200"}
        p99, ping99 = _percentile(lists, 0.99), _percentile(pings, 0.99)
        say(f"RESULT name=list_p99_ms value={fmt(p99)} unit=ms baseline={fmt(ping99)} ratio={p99 / ping99:.3f} "
            f"target=<{LIST_P99_TARGET_MS:g}")
    except Exception as exc:
        failed = True
        say(f"# bench failed: {exc!r}")
        log = tmp / "server.log"
        if log.exists():
            say("# server log (tail):\n" + log.read_text(errors="replace")[-3000:])
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            say(f"# kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load-generator":
        sys.stdout.write(json.dumps(run_load(json.loads(sys.argv[2]))))
    else:
        sys.exit(main())
