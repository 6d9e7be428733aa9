"""Delivery jobs: a kick after each fan-out, and a sweep every minute (retries, claims of dead workers,
subscription codes). Each batch is claimed with a compare-and-set, so any number of workers may run."""

from __future__ import annotations

from yingji import jobs, runtime
from yingji.jobs import periodic


def run_deliveries(limit: int = 1_000_000) -> int:
    from yingji.channels import delivery

    return delivery.run_until_idle(runtime.get_database(), jobs.WORKER_NAME, limit=limit)


def run_codes() -> int:
    from yingji.channels import recipients

    return recipients.send_codes(runtime.get_database())


@jobs.huey.task(name="channels.deliver")
def deliver_task() -> int:
    return run_deliveries()


@jobs.huey.task(name="channels.codes")
def codes_task() -> int:
    return run_codes()


@periodic("channels.sweep", minute="*")
def sweep_job() -> int:
    """Send what is due: retries after back-off, rows of a worker that died, confirmation codes."""
    return run_codes() + run_deliveries()
