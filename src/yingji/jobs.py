"""Background jobs on Huey: SQLite storage by default, Redis when YINGJI_QUEUE_URL names one.

Periodic tasks are registered through :func:`periodic`, so ``yingji jobs`` can list them.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from yingji.settings import get_settings

log = logging.getLogger(__name__)


def create_huey() -> Huey:
    settings = get_settings()
    url = settings.queue_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("yingji", url=url)
    if url.startswith("memory://"):
        return MemoryHuey("yingji")
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else str(settings.var_dir / "queue.db")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return SqliteHuey("yingji", filename=path)


huey = create_huey()


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    schedule: str
    func: Callable[..., Any]


PERIODIC: dict[str, PeriodicJob] = {}


def periodic(name: str, *, minute: str = "*", hour: str = "*", day: str = "*") -> Callable[..., Any]:
    """Register a periodic task (cron-like) under a stable name."""

    def wrap(func: Callable[..., Any]) -> Any:
        task = huey.periodic_task(crontab(minute=minute, hour=hour, day=day), name=name)(func)
        PERIODIC[name] = PeriodicJob(name=name, schedule=f"{minute} {hour} {day} * *", func=func)
        return task

    return wrap


WORKER_NAME = f"{socket.gethostname()}-{os.getpid()}"


def run_outbox_once(limit: int = 50) -> int:
    """Claim and deliver due outbox messages; each delivery is its own transaction."""
    from yingji import runtime
    from yingji.core import notify

    database = runtime.get_database()
    with database.unit_of_work() as session:
        ids = notify.claim(session, WORKER_NAME, limit=limit)
    for message_id in ids:
        with database.unit_of_work() as session:
            status = notify.deliver(session, database.settings, message_id)
        log.info("outbox message %s: %s", message_id, status)
    return len(ids)


@huey.task(name="outbox.deliver")
def deliver_outbox() -> int:
    return run_outbox_once()


@periodic("outbox.sweep", minute="*")
def sweep_outbox() -> int:
    """Retries and anything a lost trigger left behind."""
    return run_outbox_once()


@periodic("attachments.sweep", minute="40", hour="3")
def sweep_attachments() -> int:
    """Stored files no attachment refers to (a refused request's upload, a deleted attachment's blob)."""
    from yingji import runtime
    from yingji.core import attachments

    database = runtime.get_database()
    with database.unit_of_work() as session:
        return attachments.sweep_unreferenced(session, database.settings)


def start_consumer_thread(workers: int = 2) -> Any:
    """Run a Huey consumer inside this process (``yingji serve`` does unless told not to)."""
    import threading

    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                    check_worker_health=True)
    consumer._set_signal_handlers = lambda: None  # signals belong to the web server here
    thread = threading.Thread(target=consumer.run, name="yingji-worker", daemon=True)
    thread.start()
    return consumer


def _register_domain_tasks() -> None:
    """Import each domain's tasks module so its periodic jobs are registered with the queue."""
    from yingji import domains

    domains.parts("tasks")


_register_domain_tasks()
