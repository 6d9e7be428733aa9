"""Benchmark: the scoped unit list of the JSON API against an authenticated no-op, over real HTTP.

Builds a throw-away SQLite database (demo data + 10,000 villages and enterprises under the
townships of 博乐市), gives the county office user ``bole`` an API token, starts the real server
(``yingji serve --no-worker``) on a free loopback port and drives it with 8 keep-alive clients
(threads with one httpx.Client each) split over 2 load-generator *processes*, so the clients'
GIL is not the server's and not one process's either. Closed loop, fixed duration:

  baseline  GET /api/ping                            (token auth + request transaction, no work)
  measured  GET /api/units?per_page=50&page=<random>  (scope filter, count, offset page, schema)

Both are measured in the same run, in alternating rounds (default 3 x 5 s each after a warm-up),
and printed as DESIGN.md asks, e.g.

  RESULT name=scoped_list_rps value=... unit=req/s baseline=<ping rps> ratio=... target=>=0.4

The ``#`` lines beside them give the server's CPU time per request (from /proc, over the same
window) and the CPU other processes of the machine took meanwhile: on a shared machine that is
what makes two runs differ.

Usage:  .venv/bin/python bench/bench_api.py [--quick] [--duration S] [--rounds N] [--warmup S]
            [--concurrency N] [--client-procs N] [--units N] [--profile DIR] [--keep]

``--profile DIR`` adds, after the measured rounds, one unmeasured round per endpoint with py-spy
attached to the server (``--gil``: samples of the thread holding the GIL) and writes collapsed
stacks to DIR/ping.txt and DIR/units.txt (``pip install py-spy`` first; not a dependency).
Traffic goes to 127.0.0.1 only; the server and the temporary directory are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PER_PAGE = 50
LIST_TARGET_RATIO = 0.4
P99_TARGET_MS = 50.0


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- the load generator (runs in its own process) -------------------------------------------

def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Closed loop: ``concurrency`` threads, each with its own keep-alive connection, for ``duration`` s."""
    import httpx

    headers = {"Authorization": f"Bearer {spec['token']}", "Accept": "application/json"}
    concurrency = int(spec["concurrency"])
    duration = float(spec["duration"])
    pages = int(spec.get("pages") or 1)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[dict[int, int]] = [{} for _ in range(concurrency)]
    failures: list[str] = []
    ready = threading.Barrier(concurrency + 1)
    go = threading.Event()
    window: dict[str, float] = {}

    def target(rng: random.Random) -> str:
        if spec["endpoint"] == "ping":
            return "/api/ping"
        return f"/api/units?per_page={PER_PAGE}&page={rng.randint(1, pages)}"

    def worker(n: int) -> None:
        rng = random.Random(int(spec.get("seed", 0)) * 1000 + n)
        mine, counts = latencies[n], statuses[n]
        with httpx.Client(base_url=spec["url"], headers=headers, timeout=30.0,
                          limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
            try:
                client.get(target(rng)).raise_for_status()  # open the connection outside the window
            except Exception as exc:
                failures.append(f"warm-up: {exc!r}")
            ready.wait()
            go.wait()
            deadline = window["deadline"]
            while True:
                path = target(rng)
                t0 = time.perf_counter()
                try:
                    status = client.get(path).status_code
                except Exception as exc:  # counted, and the run is reported as failed
                    failures.append(f"{path}: {exc!r}")
                    status = -1
                t1 = time.perf_counter()
                mine.append((t1 - t0) * 1000.0)
                counts[status] = counts.get(status, 0) + 1
                if t1 >= deadline:
                    break

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    # Every load-generator process of a phase starts at the same moment: report ready, get the time.
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    start_at = float(sys.stdin.readline() or 0.0)
    late = time.time() - start_at
    if late < 0:
        time.sleep(-late)
    server_pid = int(spec.get("server_pid", 0))
    server0, busy0 = cpu_seconds(server_pid), machine_busy_seconds()
    cpu0, start = time.process_time(), time.perf_counter()
    window["deadline"] = start + duration
    go.set()
    for thread in threads:
        thread.join(timeout=duration + 60)
    end, cpu1 = time.perf_counter(), time.process_time()
    server1, busy1 = cpu_seconds(server_pid), machine_busy_seconds()
    merged = [x for chunk in latencies for x in chunk]
    status_total: dict[str, int] = {}
    for counts in statuses:
        for status, n in counts.items():
            status_total[str(status)] = status_total.get(str(status), 0) + n
    return {"latencies_ms": merged, "elapsed": end - start, "statuses": status_total,
            "failures": failures[:10], "client_cpu_s": cpu1 - cpu0, "late_s": max(late, 0.0),
            "server_cpu_s": server1 - server0, "machine_busy_s": busy1 - busy0}


def _load_generator_main() -> None:
    spec = json.loads(sys.argv[2])
    sys.stdout.write(json.dumps(run_load(spec)))


# --- the database ---------------------------------------------------------------------------

def build_database(var_dir: Path, n_units: int) -> str:
    """Fresh schema + demo data + ``n_units`` units under 博乐市's townships; returns bole's API token."""
    from sqlalchemy import func, insert, select

    from yingji import demo, migrate
    from yingji.core import accounts, auth, defaults
    from yingji.core.models import Unit, User
    from yingji.core.schemas import TokenCreate
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.settings import Settings

    settings = Settings()
    assert settings.var_dir == var_dir.resolve() and settings.is_sqlite, settings.database_url
    database = Database(settings)
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        system = system_principal("bench")
        defaults.load(session, system)
        demo.load(session, system)
    with database.unit_of_work() as session:
        county = session.scalars(select(Unit).where(Unit.code == "652701")).one()
        townships = list(session.scalars(
            select(Unit).where(Unit.parent_id == county.id, Unit.kind == "township", Unit.valid_to.is_(None))
            .order_by(Unit.code)))
        next_id = int(session.scalar(select(func.max(Unit.id))) or 0) + 1
        rows = []
        for i in range(n_units):
            township = townships[i % len(townships)]
            unit_id = next_id + i
            village = i % 2 == 0
            rows.append({
                "id": unit_id, "code": f"{township.code}-B{i:05d}",
                "name": f"{township.name}{'基准村' if village else '基准企业'}{i}",
                "name_en": f"Bench {'village' if village else 'enterprise'} {i}",
                "kind": "village" if village else "enterprise", "parent_id": township.id,
                "path": f"{township.path}{unit_id}/", "depth": township.depth + 1,
                "enterprise_size": None if village else ("small", "medium", "micro")[i % 3],
                "high_risk_industry": None if village else "other", "is_demo": True,
                "lon": 82.0 + (i % 100) / 1000, "lat": 44.8 + (i // 100) / 1000,
            })
        session.execute(insert(Unit), rows)
        user = session.scalars(select(User).where(User.username == "bole")).one()
        unit = session.get_one(Unit, user.unit_id)
        principal = auth.principal_for(user, unit, via="session", request_id="bench-setup")
        _, secret = accounts.create_token(session, principal, TokenCreate(name="bench"))
    database.engine.dispose()
    return secret


# --- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, log_path: Path, processes: int) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "yingji.cli", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
         "--processes", str(processes)],
        env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
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


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine spent busy (all CPUs), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live child processes (web processes), from /proc."""
    fields = _stat(pid)
    if fields is None:
        return float("nan")
    total = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(int(entry.name))) is not None and child[1] == str(pid):
            total += int(child[11]) + int(child[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- one phase ------------------------------------------------------------------------------

def phase(spec: dict[str, Any], server_pid: int, processes: int) -> dict[str, Any]:
    """Drive the server from ``processes`` load-generator processes (the clients split between them).

    They agree on a start moment, so their windows coincide; each measures the server's CPU time and
    the machine's busy time over its own window.
    """
    concurrency = int(spec["concurrency"])
    shares = [concurrency // processes + (1 if n < concurrency % processes else 0) for n in range(processes)]
    children = []
    for n, share in enumerate(s for s in shares if s):
        child_spec = {**spec, "concurrency": share, "seed": int(spec.get("seed", 0)) * 100 + n,
                      "server_pid": server_pid}
        children.append(subprocess.Popen([sys.executable, __file__, "--load-generator", json.dumps(child_spec)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    timeout = float(spec["duration"]) + 120
    try:
        for child in children:  # each says READY once its connections are open
            assert child.stdout is not None and child.stderr is not None
            if _readline(child.stdout, timeout=60).strip() != b"READY":
                raise RuntimeError(f"load generator failed to start: {child.stderr.read().decode()[-2000:]}")
        start_at = f"{time.time() + 0.1}\n".encode()
        for child in children:  # tell everyone the moment first, then wait for the results
            assert child.stdin is not None
            child.stdin.write(start_at)
            child.stdin.flush()
        outputs = [child.communicate(timeout=timeout) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=5)
    results = []
    for child, (out, err) in zip(children, outputs, strict=True):
        if child.returncode != 0:
            raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
        results.append(json.loads(out))
    first = results[0]
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    client_cpu = sum(r["client_cpu_s"] for r in results)
    return {
        "latencies_ms": [x for r in results for x in r["latencies_ms"]],
        "elapsed": max(r["elapsed"] for r in results), "statuses": statuses,
        "failures": [f for r in results for f in r["failures"]], "client_cpu_s": client_cpu,
        "late_s": max(r["late_s"] for r in results),
        "server_cpu_s": first["server_cpu_s"],
        # CPU that neither the server nor the load generators used in the window: other tenants.
        "other_cpu_s": first["machine_busy_s"] - first["server_cpu_s"] - client_cpu,
    }


def _readline(stream: Any, timeout: float) -> bytes:
    """One line from a child's pipe, or RuntimeError after ``timeout`` seconds."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise RuntimeError("a load generator did not get ready in time")
    return bytes(stream.readline())


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    elapsed = sum(r["elapsed"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    count = len(latencies)
    return {
        "count": count, "rps": count / elapsed if elapsed else 0.0,
        "p50": _percentile(latencies, 0.50), "p99": _percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
        "statuses": statuses, "failures": [f for r in results for f in r["failures"]][:10],
        "server_cpu_ms_per_req": 1000.0 * sum(r["server_cpu_s"] for r in results) / count if count else 0.0,
        "server_cpu_pct": 100.0 * sum(r["server_cpu_s"] for r in results) / elapsed if elapsed else 0.0,
        "client_cpu_pct": 100.0 * sum(r["client_cpu_s"] for r in results) / elapsed if elapsed else 0.0,
        "other_cpu_pct": max(0.0, 100.0 * sum(r["other_cpu_s"] for r in results) / elapsed) if elapsed else 0.0,
        "late_s": max((r["late_s"] for r in results), default=0.0),
    }


def profile_round(spec: dict[str, Any], server_pid: int, processes: int, out: Path) -> None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        say("# --profile: py-spy not found (pip install py-spy); skipped")
        return
    # --gil: only the thread holding the GIL is sampled; in a one-process server that is the bottleneck.
    recorder = subprocess.Popen([py_spy, "record", "--gil", "--nonblocking", "--threads", "--rate", "250",
                                 "--format", "raw",
                                 "-o", str(out), "-d", str(int(spec["duration"]) + 1), "-p", str(server_pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    try:
        phase(spec, server_pid, processes)
    finally:
        try:
            recorder.wait(timeout=spec["duration"] + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait(timeout=5)
    say(f"# profile of {spec['endpoint']} written to {out}")


# --- main -----------------------------------------------------------------------------------

def fmt(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run in under a minute")
    parser.add_argument("--duration", type=float, help="seconds per endpoint per round (default 5; quick 3)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per endpoint (default 3; quick 1)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds per endpoint first (default 3; quick 1)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="web processes of the server (yingji serve --processes; default: one per core)")
    parser.add_argument("--client-procs", type=int, default=2,
                        help="load-generator processes the clients are split between")
    parser.add_argument("--units", type=int, help="units added under 博乐市 (default 10000)")
    parser.add_argument("--profile", type=Path, help="directory for py-spy profiles of the server (extra rounds)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the server
    duration = args.duration or (3.0 if args.quick else 5.0)
    rounds = args.rounds or (1 if args.quick else 3)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    n_units = args.units if args.units is not None else 10_000
    procs = max(1, min(args.client_procs, args.concurrency))

    tmp = Path(tempfile.mkdtemp(prefix="yingji-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(YINGJI_VAR_DIR=str(tmp / "var"), YINGJI_QUEUE_URL="memory://", YINGJI_ENV="test",
               YINGJI_LANG="en", PYTHONUNBUFFERED="1")
    for key in [k for k in os.environ if k.startswith("YINGJI_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("YINGJI_")})
    server: subprocess.Popen[bytes] | None = None
    failed = False
    try:
        t0 = time.perf_counter()
        token = build_database(tmp / "var", n_units)
        say(f"# database: demo + {n_units} units in {time.perf_counter() - t0:.1f}s ({tmp / 'var'})")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(env, port, tmp / "server.log", args.processes)
        wait_healthy(url, server)

        import httpx

        check = httpx.get(f"{url}/api/units?per_page={PER_PAGE}", headers={"Authorization": f"Bearer {token}"},
                          timeout=30.0)
        check.raise_for_status()
        total = int(check.json()["total"])
        pages = max(1, math.ceil(total / PER_PAGE))
        say(f"# server pid {server.pid} on {url}; bole sees {total} units = {pages} pages of {PER_PAGE}; "
            f"{args.concurrency} clients in {procs} processes, {rounds} x {duration:g}s per endpoint, "
            f"{os.cpu_count()} CPUs")

        base = {"url": url, "token": token, "concurrency": args.concurrency, "pages": pages}
        for endpoint in ("ping", "units"):
            phase({**base, "endpoint": endpoint, "duration": warmup, "seed": 99}, server.pid, procs)
        results: dict[str, list[dict[str, Any]]] = {"ping": [], "units": []}
        for n in range(rounds):
            for endpoint in ("ping", "units"):
                results[endpoint].append(
                    phase({**base, "endpoint": endpoint, "duration": duration, "seed": n}, server.pid, procs))

        ping, units = summarize(results["ping"]), summarize(results["units"])
        for name, s in (("ping", ping), ("units", units)):
            say(f"# {name:5s}: {s['count']} requests, {s['rps']:.1f} req/s, p50 {s['p50']:.2f} ms, "
                f"p99 {s['p99']:.2f} ms, max {s['max']:.1f} ms, statuses {s['statuses']}, "
                f"server CPU {s['server_cpu_pct']:.0f}% ({s['server_cpu_ms_per_req']:.2f} ms/req), "
                f"client CPU {s['client_cpu_pct']:.0f}%, other processes {s['other_cpu_pct']:.0f}% "
                f"(of {100 * (os.cpu_count() or 1)}%)")
            if s["late_s"] > 0.5:
                say(f"#   warning: a load generator started {s['late_s']:.1f}s late (machine busy?)")
            for failure in s["failures"]:
                say(f"#   failure: {failure}")
            if set(s["statuses"]) != {"200"}:
                failed = True
        say(f"RESULT name=scoped_list_rps value={fmt(units['rps'])} unit=req/s baseline={fmt(ping['rps'])} "
            f"ratio={units['rps'] / ping['rps']:.3f} target=>={LIST_TARGET_RATIO}")
        say(f"RESULT name=scoped_list_p99_ms value={fmt(units['p99'])} unit=ms baseline={fmt(ping['p99'])} "
            f"ratio={units['p99'] / ping['p99']:.3f} target=<{P99_TARGET_MS:g}")
        say(f"RESULT name=scoped_list_p50_ms value={fmt(units['p50'])} unit=ms baseline={fmt(ping['p50'])} "
            f"ratio={units['p50'] / ping['p50']:.3f} target=none")
        say(f"RESULT name=scoped_list_server_cpu_ms value={fmt(units['server_cpu_ms_per_req'])} unit=ms/req "
            f"baseline={fmt(ping['server_cpu_ms_per_req'])} "
            f"ratio={units['server_cpu_ms_per_req'] / ping['server_cpu_ms_per_req']:.3f} target=none")

        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for endpoint in ("ping", "units"):
                profile_round({**base, "endpoint": endpoint, "duration": max(duration, 5.0), "seed": 7},
                              server.pid, procs, args.profile / f"{endpoint}.txt")
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
        _load_generator_main()
    else:
        sys.exit(main())
