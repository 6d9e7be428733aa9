"""The ``yingji`` command: init · demo · serve · worker · user · backup · restore · jobs."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.warnings.cap_cli import app as cap_app

app = typer.Typer(help="yingji 应急 — emergency-management platform", no_args_is_help=True)
user_app = typer.Typer(help="Manage users: add, passwd, role.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(cap_app, name="cap")


PASSWORD_OPTION = typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)


def _say(text: str) -> None:
    typer.echo(text)


@app.command()
def init() -> None:
    """Create or upgrade the database schema and load the default rules."""
    from yingji import domains, migrate

    database = runtime.get_database()
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        added = domains.load_defaults(session, system_principal("yingji init"))
    _say(f"database ready ({database.settings.database_url.split('@')[-1]}); {added} default rules added")


@app.command()
def demo() -> None:
    """Load the Bortala demo data (idempotent) and print the demo sign-ins."""
    from yingji import demo as demo_data

    init()
    with runtime.get_database().unit_of_work() as session:
        counts = demo_data.load(session, system_principal("yingji demo"))
    _say(f"demo data: {counts['units']} units, {counts['users']} users")
    _say(f"demo sign-ins (password {demo_data.DEMO_PASSWORD}): " + ", ".join(demo_data.DEMO_LOGINS))


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port")] = 8000,
          worker: Annotated[bool, typer.Option(help="also run a job worker in this process")] = True,
          processes: Annotated[int, typer.Option(help="web processes sharing the port")] = 1) -> None:
    """Serve the web application (and, unless --no-worker, the background jobs)."""
    from yingji import server
    from yingji.demo import DEMO_LOGINS, DEMO_PASSWORD

    if runtime.settings().env == "development":
        _say(f"demo sign-ins (password {DEMO_PASSWORD}): " + ", ".join(DEMO_LOGINS))
    _say(f"yingji serving on http://{host}:{port} ({processes} process{'es' if processes > 1 else ''})")
    server.serve(host, port, processes=max(processes, 1), with_worker=worker)


@app.command()
def worker(threads: Annotated[int, typer.Option(help="worker threads")] = 2) -> None:
    """Run a job worker (scale out by running more of these)."""
    from yingji import jobs

    runtime.get_database()
    consumer = jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=True)
    consumer.run()


@app.command("jobs")
def list_jobs() -> None:
    """List the periodic jobs."""
    from yingji import jobs

    for job in jobs.PERIODIC.values():
        _say(f"{job.name}\t{job.schedule}")


def _unit_by_code(session: object, code: str) -> int:
    from yingji.core.models import Unit

    unit_id = session.scalar(select(Unit.id).where(Unit.code == code))  # type: ignore[attr-defined]
    if unit_id is None:
        raise typer.BadParameter(f"no unit with code {code}")
    return int(unit_id)


def _user_id(session: object, username: str) -> int:
    from yingji.core.models import User

    user_id = session.scalar(select(User.id).where(User.username == username))  # type: ignore[attr-defined]
    if user_id is None:
        raise typer.BadParameter(f"no user named {username}")
    return int(user_id)


def _run(action: object) -> None:
    from yingji.errors import UserError

    try:
        action()  # type: ignore[operator]
    except UserError as exc:
        typer.echo(f"error: {exc.text()}", err=True)
        raise typer.Exit(2) from exc


@user_app.command("add")
def user_add(username: str, unit_code: str, role: str,
             display_name: Annotated[str, typer.Option("--name")] = "",
             email: Annotated[str, typer.Option()] = "",
             password: Annotated[str, PASSWORD_OPTION] = "") -> None:
    """Add a user in the unit with UNIT_CODE."""
    from yingji.core import accounts
    from yingji.core.schemas import UserCreate

    def action() -> None:
        with runtime.get_database().unit_of_work() as session:
            data = UserCreate(username=username, display_name=display_name or username, role=role, email=email,
                              unit_id=_unit_by_code(session, unit_code), password=password)
            accounts.create_user(session, system_principal("yingji user add"), data)
        _say(f"user {username} added")

    _run(action)


@user_app.command("passwd")
def user_passwd(username: str,
                password: Annotated[str, PASSWORD_OPTION]) -> None:
    """Set a user's password."""
    from yingji.core import accounts

    def action() -> None:
        with runtime.get_database().unit_of_work() as session:
            accounts.reset_password(session, system_principal("yingji user passwd"), _user_id(session, username),
                                    password)
        _say(f"password of {username} changed")

    _run(action)


@user_app.command("role")
def user_role(username: str, role: str) -> None:
    """Give a user another role."""
    from yingji.core import accounts

    def action() -> None:
        with runtime.get_database().unit_of_work() as session:
            accounts.set_role(session, system_principal("yingji user role"), _user_id(session, username), role)
        _say(f"{username} is now {role}")

    _run(action)


@app.command()
def backup(target: Annotated[Path, typer.Argument(help="file to write")]) -> None:
    """Back up the database: SQLite online backup, or pg_dump (custom format) for PostgreSQL."""
    settings = runtime.settings()
    if settings.is_sqlite:
        source = sqlite3.connect(make_url(settings.database_url).database or "")
        dest = sqlite3.connect(str(target))
        with dest:
            source.backup(dest)
        dest.close()
        source.close()
    else:
        _pg_tool("pg_dump", "--format=custom", "--no-owner", f"--file={target}")
    _say(f"backup written to {target}")


@app.command()
def restore(source: Annotated[Path, typer.Argument(help="backup file to restore")],
            yes: Annotated[bool, typer.Option("--yes", help="replace the current database")] = False) -> None:
    """Replace the database with a backup made by ``yingji backup``."""
    if not source.is_file():
        raise typer.BadParameter(f"{source} does not exist")
    if not yes:
        typer.confirm("This replaces the current database. Continue?", abort=True)
    settings = runtime.settings()
    runtime.get_database().engine.dispose()
    if settings.is_sqlite:
        src = sqlite3.connect(str(source))
        dest = sqlite3.connect(make_url(settings.database_url).database or "")
        with dest:
            src.backup(dest)
        dest.close()
        src.close()
    else:
        _pg_tool("pg_restore", "--clean", "--if-exists", "--no-owner", str(source), dbname_flag="--dbname")
    _say(f"restored from {source}")


def _pg_tool(tool: str, *args: str, dbname_flag: str = "--dbname") -> None:
    url = make_url(settings_url := runtime.settings().database_url)
    del settings_url
    env = dict(os.environ, PGPASSWORD=url.password or "")
    conn = [f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}", f"--username={url.username or ''}",
            f"{dbname_flag}={url.database}"]
    binary = shutil.which(tool) or next((str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))),
                                        None)
    if binary is None:
        typer.echo(f"error: {tool} not found", err=True)
        raise typer.Exit(2)
    result = subprocess.run([binary, *conn, *args], env=env, check=False)
    if result.returncode != 0:
        raise typer.Exit(result.returncode)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
