"""Benchmark: CAP import (safe parse + XSD + CAP rules + model) against plain lxml XSD validation.

Files: every sample that ``../shared/corpus/cap/samples/manifest.tsv`` marks ``expected_xsd12=valid``
(CAP 1.2 alerts valid against the official schema), read into memory once. In process, alternating
rounds of a fixed duration:

  baseline  lxml: ``etree.fromstring`` (parser with resolve_entities=False, no_network=True) +
            ``XMLSchema.validate`` against the shipped CAP-v1.2.xsd
  measured  ``yingji.warnings.cap.parse``: size/encoding/DOCTYPE checks, the same lxml parse, the same
            XSD validation (compiled once), then the quick reader (CAP rules beyond the schema, every
            value into the model). The quick reader is the compiled module's (``warnings/cap/_native.c``,
            built by ``make install``): it reads the values from the libxml2 tree, scans polygons (the
            41,009 points of one file: 82,018 doubles, range-checked) and circles, and makes the model
            when nothing is left to check; the (lat, lon) tuples are made when a polygon is first used

and prints, as DESIGN.md asks,

  RESULT name=cap_parse_per_s value=<alerts/s> unit=alerts/s baseline=<lxml alerts/s> ratio=... target=>=0.5

(issue 4: "target at least half the baseline's files/s"). The ``#`` lines give per-file rates and
where a pass over the files spends its time (best of several timed passes, milliseconds): lxml's
parse + validate, and yingji's safe load (checks + the same parse), XSD validation of the loaded
tree, and the quick reader (``reader``; ``python`` is the same reader where the compiled module is not
built), for the large polygon file and for the other files.

Usage:  .venv/bin/python bench/bench_cap.py [--quick] [--duration S] [--rounds N]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yingji.warnings.cap import CAP12_NS, fast, parse, schema  # noqa: E402
from yingji.warnings.cap.fast import read_valid  # noqa: E402
from yingji.warnings.cap.reader import fast_numbers  # noqa: E402
from yingji.warnings.cap.xmlsafe import load  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "cap" / "samples"
TARGET_RATIO = 0.5


def load_files() -> list[bytes]:
    with (CORPUS / "manifest.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["expected_xsd12"] == "valid"]
    return [(CORPUS / r["file"]).read_bytes() for r in rows]


def lxml_validate(files: list[bytes]) -> None:
    xsd = schema("1.2")
    for data in files:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        if not xsd.validate(etree.fromstring(data, parser)):
            raise SystemExit("baseline: a valid sample failed lxml validation")


def cap_parse(files: list[bytes]) -> None:
    for data in files:
        parse(data)


def run_for(fn: Callable[[list[bytes]], None], files: list[bytes], seconds: float) -> tuple[int, float]:
    """Whole passes over ``files`` for at least ``seconds``: (alerts processed, elapsed)."""
    done = 0
    start = time.perf_counter()
    while True:
        fn(files)
        done += len(files)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done, elapsed


def best(fn: Callable[[], object]) -> float:
    """Milliseconds per call: the best of 5 timed runs."""
    timer = timeit.Timer(fn)
    number = max(1, timer.autorange()[0] // 5)
    return min(timer.repeat(repeat=5, number=number)) / number * 1e3


def budget(files: list[bytes]) -> dict[str, float]:
    """Milliseconds per pass over ``files``: lxml parse+validate | yingji load, XSD, reader, all of parse(), and
    the reader without the compiled module."""
    xsd = schema("1.2")
    roots = [load(data) for data in files]
    parts = {
        "lxml": best(lambda: lxml_validate(files)),
        "load": best(lambda: [load(data) for data in files]),
        "xsd": best(lambda: [xsd.validate(root) for root in roots]),
        "reader": best(lambda: [read_valid(root) for root in roots]),
        "parse": best(lambda: cap_parse(files)),
    }
    with fast.python_alone():
        parts["python"] = best(lambda: [read_valid(root) for root in roots])
    return parts


def shown(parts: dict[str, float]) -> str:
    return " ".join(f"{name}={ms:.3f}" for name, ms in parts.items())


def polygon_scan(large: list[bytes]) -> dict[str, float]:
    """The large file's polygon, in ms: its numbers read to doubles and range-checked by the compiled scanner, and
    by the Python reader alone (orjson, then ``min``/``max``)."""
    root = load(large[0])
    text = next(el.text for el in root.iter(f"{{{CAP12_NS}}}polygon"))
    compiled = best(lambda: fast_numbers(text))
    with fast.python_alone():
        numbers = fast_numbers(text)
        python = best(lambda: fast_numbers(text))
    return {"numbers": len(numbers or ()), "compiled": compiled, "python": python}


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds of 2 s each (well under a minute)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per side per round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    duration = 2.0 if args.quick else args.duration
    files = load_files()
    cap_parse(files)  # warm-up: schema compiled, caches filled
    lxml_validate(files)
    totals = {"lxml": [0, 0.0], "cap": [0, 0.0]}
    for _ in range(args.rounds):
        for name, fn in (("lxml", lxml_validate), ("cap", cap_parse)):
            n, t = run_for(fn, files, duration)
            totals[name][0] += n
            totals[name][1] += t
    small = [f for f in files if len(f) < 500_000]  # all but the 880 KB polygon (41,009 points)
    n_small_lxml, t_small_lxml = run_for(lxml_validate, small, duration)
    n_small_cap, t_small_cap = run_for(cap_parse, small, duration)
    base = totals["lxml"][0] / totals["lxml"][1]
    value = totals["cap"][0] / totals["cap"][1]
    size = sum(len(f) for f in files)
    emit(f"# files={len(files)} bytes={size} rounds={args.rounds} duration={duration}s per side per round")
    emit(f"# lxml parse+validate: {base:.1f} alerts/s; yingji parse: {value:.1f} alerts/s")
    small_base, small_cap = n_small_lxml / t_small_lxml, n_small_cap / t_small_cap
    emit(
        f"# without the 880 KB polygon file ({len(small)} files): lxml {small_base:.1f} alerts/s, "
        f"yingji {small_cap:.1f} alerts/s, ratio {small_cap / small_base:.3f}"
    )
    large = [f for f in files if len(f) >= 500_000]
    parts_small, parts_large = budget(small), budget(large)
    emit(f"# ms per pass, the {len(small)} files: {shown(parts_small)}")
    emit(f"# ms per pass, the {len(large)} large polygon file: {shown(parts_large)}")
    # At the target yingji may take twice lxml's time per pass. Its safe load and XSD validation are the
    # baseline's own work; what is left of twice the baseline is all the readers may take, for every file.
    room = sum(2 * p["lxml"] - p["load"] - p["xsd"] for p in (parts_small, parts_large))
    scan = polygon_scan(large)
    emit(
        f"# at the target the readers of all {len(files)} files may take {room:.3f} ms per pass; the large polygon's "
        f"{scan['numbers']} numbers take {scan['compiled']:.3f} ms to read to doubles and range-check in the "
        f"compiled scanner ({scan['python']:.3f} ms in Python alone)"
    )
    emit(
        f"RESULT name=cap_parse_per_s value={value:.1f} unit=alerts/s baseline={base:.1f} "
        f"ratio={value / base:.3f} target=>={TARGET_RATIO}"
    )


if __name__ == "__main__":
    main()
