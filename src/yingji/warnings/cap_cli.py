"""``yingji cap``: validate and convert CAP files with the same code paths as the application.

``validate FILE...`` prints ``FILE: OK`` or ``FILE: <element path>: <reason>`` per file (Atom/RSS
feeds and EDXL-DE distributions: OK when every embedded alert imports; linked alerts are not
fetched) and exits 1 when any file fails.

``convert FILE`` writes yingji's CAP 1.2 export to standard output. The file may be a CAP 1.2,
1.1 or 1.0 alert, or a feed/EDXL-DE distribution: then its *first embedded* alert is converted
(linked-only feeds fail with a message; nothing is fetched). Warnings go to standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from .cap import DEFAULT_MAX_BYTES, CapError, ParseResult, extract_alerts, to_xml
from .cap.model import Problem

app = typer.Typer(help="CAP 1.2 alerts: validate and convert files.", no_args_is_help=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CapError([Problem("/", f"cannot read the file: {exc.strerror or exc}")]) from None


MAX_BYTES = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", help="refuse larger files before parsing")


def _check(path: Path, max_bytes: int) -> tuple[list[ParseResult], Problem | None]:
    """Imported alerts of a file and its first problem (None when it passes)."""
    try:
        items = extract_alerts(_read(path), max_bytes)
    except CapError as exc:
        return [], exc.problems[0]
    for item in items:
        if item.error is not None:
            return [], item.error.problems[0]
    return [i.result for i in items if i.result is not None], None


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="CAP alerts, Atom/RSS feeds or EDXL-DE files"),
    max_bytes: int = MAX_BYTES,
) -> None:
    """Print one line per file, OK or the element and the reason; exit 1 if any file fails."""
    failed = 0
    for path in files:
        _, problem = _check(path, max_bytes)
        if problem is None:
            typer.echo(f"{path}: OK")
        else:
            failed += 1
            typer.echo(f"{path}: {problem}")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def convert(
    file: Path = typer.Argument(..., help="a CAP 1.2/1.1/1.0 alert, or a feed/EDXL-DE file"),
    max_bytes: int = MAX_BYTES,
) -> None:
    """Import FILE and write its CAP 1.2 export (the first embedded alert of a feed) to stdout."""
    results, problem = _check(file, max_bytes)
    if problem is not None:
        typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(code=1)
    if not results:
        typer.echo(f"{file}: no embedded CAP alert (linked alerts are not fetched)", err=True)
        raise typer.Exit(code=1)
    for warning in results[0].warnings:
        typer.echo(f"{file}: warning: {warning}", err=True)
    sys.stdout.buffer.write(to_xml(results[0].alert))
    sys.stdout.buffer.flush()
