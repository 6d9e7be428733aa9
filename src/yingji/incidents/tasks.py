"""Incident jobs: the desks told of the reports that reached them (kicked after each commit, swept every
minute); hops past their limit marked late (迟报) and events known from elsewhere with no report inside the
limit marked missed (漏报). All idempotent: each hop is told once, each mark is made once."""

from __future__ import annotations

from yingji import jobs, runtime
from yingji.core.scope import system_principal
from yingji.incidents import flags, service
from yingji.jobs import periodic


def run_dispatch(batch: int = 200) -> int:
    """Tell every desk not told yet, a batch per transaction; returns the hops dispatched."""
    total = 0
    database = runtime.get_database()
    while True:
        with database.unit_of_work() as session:
            total += service.dispatch_pending(session, system_principal("incidents.dispatch"), limit=batch)
            more = service.dispatch_waiting(session)
        if not more:
            return total


def run_late() -> int:
    with runtime.get_database().unit_of_work() as session:
        return flags.mark_late_due(session, system_principal("incidents.late"))


def run_missed() -> int:
    with runtime.get_database().unit_of_work() as session:
        return flags.mark_missed_due(session, system_principal("incidents.missed"))


@periodic("incidents.late", minute="*")
def late_job() -> int:
    """Reports that a desk has not signed for or forwarded within the limit: marked late, the desk told once."""
    return run_late()


def run_followups() -> int:
    with runtime.get_database().unit_of_work() as session:
        return flags.mark_followups_due(session, system_principal("incidents.followups"))


@periodic("incidents.followups", minute="*")
def followups_job() -> int:
    """Ongoing events with no follow-up (续报) within the interval their level asks: marked late, the desk told."""
    return run_followups()


@periodic("incidents.missed", minute="*")
def missed_job() -> int:
    """Events known from a tip, a department, the media or a query from above with no report in time."""
    return run_missed()


@jobs.huey.task(name="incidents.dispatch")
def dispatch_task() -> int:
    """Kicked after a commit that made hops: their desks' duty officers are told now."""
    return run_dispatch()


@periodic("incidents.dispatch_sweep", minute="*")
def dispatch_sweep_job() -> int:
    """Hops whose kick was lost (a queue that was down, a worker that died): their desks are told."""
    return run_dispatch()
