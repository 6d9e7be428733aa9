"""Periodic risks jobs: overdue hidden hazards escalate, silent sensors raise an alarm. Both idempotent
(a timestamp per row: ``Finding.escalated_at``, ``Sensor.silent_since``)."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.jobs import periodic


def run_overdue() -> int:
    from yingji.risks import inspections

    with runtime.get_database().unit_of_work() as session:
        return inspections.escalate_overdue(session, system_principal("risks.overdue"))


def run_silent() -> int:
    from yingji.risks import sensors

    with runtime.get_database().unit_of_work() as session:
        return sensors.alarm_silent(session, system_principal("risks.silent"))


@periodic("risks.overdue", minute="*/5")
def overdue_job() -> int:
    """Hidden hazards still open after their deadline: the offices above and the duty desk are told once."""
    return run_overdue()


@periodic("risks.silent", minute="*")
def silent_job() -> int:
    """Sensors that have sent nothing for the silence limit: one alarm each to the duty desk."""
    return run_silent()
