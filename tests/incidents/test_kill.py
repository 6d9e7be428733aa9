"""The SIGKILL reliability script, in its short form: answered submissions survive, retries do not duplicate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kill_in_the_middle_of_a_burst_loses_and_duplicates_nothing() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "kill_test_incidents.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("OK")
    assert "came back unchanged" in run.stdout
