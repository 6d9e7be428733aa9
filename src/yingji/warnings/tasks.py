"""Periodic warning jobs: pull the configured CAP/Atom sources that are due (each source's own interval)."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.jobs import periodic
from yingji.warnings import inbound


def run_pulls() -> int:
    """Pull every due source; returns how many drafts were made."""
    with runtime.get_database().unit_of_work() as session:
        return inbound.pull_due(session, system_principal("warnings.pull"))


@periodic("warnings.pull", minute="*")
def pull_job() -> int:
    """Configured CAP/Atom sources are fetched when their interval has passed; what they carry becomes drafts."""
    return run_pulls()
