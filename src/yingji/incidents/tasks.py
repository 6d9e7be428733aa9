"""Periodic incident jobs: hops past their limit marked late (迟报) and events known from elsewhere with no
report inside the limit marked missed (漏报). Both idempotent: each mark is made once."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.incidents import flags
from yingji.jobs import periodic


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


@periodic("incidents.missed", minute="*")
def missed_job() -> int:
    """Events known from a tip, a department, the media or a query from above with no report in time."""
    return run_missed()
