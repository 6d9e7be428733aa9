"""Every benchmark in ``bench/`` still runs: each script, at a size that takes seconds, exits 0 and prints
its figures as DESIGN.md's ``RESULT`` lines. The figures themselves are not judged here (a benchmark is not a
timed test; ``bench/RESULTS.md`` holds the measured ones). A bench that stops running when the code under it
changes is found by ``make test`` instead of by the next person measuring, and so is one that leaves its
throw-away databases behind.

Marked ``bench``: the SQLite half of ``scripts/test.sh`` runs them (each builds its own databases), the
PostgreSQL half does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULT = re.compile(r"^RESULT name=(\S+) value=(-?[0-9.e+-]+) unit=(\S+) baseline=(-?[0-9.e+-]+) "
                    r"ratio=(-?[0-9.e+-]+|inf|nan) target=(\S+)$")

# script, the smallest arguments that still exercise every path, the figures it must print
BENCHES = [
    ("bench_api.py", ["--quick", "--units", "300", "--duration", "1", "--warmup", "0.5"],
     {"scoped_list_rps", "scoped_list_p99_ms", "scoped_list_p50_ms", "scoped_list_server_cpu_ms"}),
    ("bench_cap.py", ["--duration", "0.2", "--rounds", "1"], {"cap_parse_per_s"}),
    ("bench_compliance.py", ["--units", "2000", "--repeat", "1"], {"compliance_s"}),
    ("bench_duty.py", ["--desks", "10", "--repeat", "3"], {"roster_generate_s", "on_duty_now_ms"}),
    ("bench_fanout.py", ["--recipients", "20000", "--messages", "200"],
     {"fanout", "fanout_peak_mib", "delivery_msgs_per_s"}),
    ("bench_incidents.py", ["--events", "2000", "--duration", "1", "--rounds", "1", "--lists", "20"],
     {"reports_per_s", "list_p99_ms"}),
    ("bench_resources.py", ["--teams", "2000", "--movements", "10000", "--points", "30"],
     {"nearest_p99_ms", "stock_ms"}),
    ("bench_sensors.py", ["--batches", "5", "--batch-size", "100"], {"readings_per_s"}),
    ("bench_stats.py", ["--events", "5000", "--repeat", "1"], {"stats"}),
]


def test_every_bench_script_is_listed() -> None:
    assert sorted(p.name for p in (ROOT / "bench").glob("bench_*.py")) == sorted(b[0] for b in BENCHES)


@pytest.mark.bench
@pytest.mark.parametrize(("script", "args", "names"), BENCHES, ids=[b[0] for b in BENCHES])
def test_the_bench_runs_and_prints_its_figures(script: str, args: list[str], names: set[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["TMPDIR"] = str(tmp_path)  # where its throw-away databases go, and are gone from after
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    parsed = [RESULT.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    assert {m.group(1) for m in parsed if m} == names, output[-4000:]
    assert [p.name for p in tmp_path.iterdir()] == []
