"""Periodic oversight jobs: task reminders and overdue escalation, annual-report reminders. Idempotent: each
notice is recorded once (oversight_notice), so running a job twice tells nobody twice."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.jobs import periodic


def run_tasks() -> dict[str, int]:
    from yingji.oversight import ledger

    with runtime.get_database().unit_of_work() as session:
        return ledger.remind_and_escalate(session, system_principal("oversight.tasks"))


def run_annual() -> dict[str, int]:
    from yingji.oversight import annual

    with runtime.get_database().unit_of_work() as session:
        return annual.remind(session, system_principal("oversight.annual"))


@periodic("oversight.tasks", minute="15", hour="*")
def tasks_job() -> dict[str, int]:
    """Owners told before a task's deadline; tasks left open past it reported to the unit above (once each)."""
    return run_tasks()


@periodic("oversight.annual", minute="30", hour="*")
def annual_job() -> dict[str, int]:
    """Counties and departments that have not filed their annual report: reminded, then told it is overdue."""
    return run_annual()
