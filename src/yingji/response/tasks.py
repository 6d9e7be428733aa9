"""Periodic response jobs: evaluation reports reminded before their deadline and reported once overdue."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.jobs import periodic


def run_evaluation_notices() -> int:
    from yingji.response import evaluation

    with runtime.get_database().unit_of_work() as session:
        sent = evaluation.send_notices(session, system_principal("response.evaluations"))
        return sent.reminders + sent.overdue


@periodic("response.evaluations", minute="20", hour="*")
def evaluation_notices_job() -> int:
    """Evaluation reports of level III+ events: a reminder before the deadline, a notice once overdue (each once)."""
    return run_evaluation_notices()
