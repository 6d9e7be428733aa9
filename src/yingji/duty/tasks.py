"""Periodic duty jobs: gaps reported to desk heads, missing sign-ons alerted. Both idempotent."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.duty import service
from yingji.jobs import periodic


def run_gaps() -> int:
    with runtime.get_database().unit_of_work() as session:
        return service.notify_gaps(session, system_principal("duty.gaps"))


def run_signon_alerts() -> int:
    with runtime.get_database().unit_of_work() as session:
        return service.alert_missing_signons(session, system_principal("duty.signon"))


def run_scheduled_roll_calls() -> int:
    from yingji.duty import rollcall

    with runtime.get_database().unit_of_work() as session:
        return rollcall.fire_due(session, system_principal("duty.rollcalls"))


@periodic("duty.rollcalls", minute="*")
def roll_call_job() -> int:
    """Scheduled and unannounced roll calls are made when their time comes (each once)."""
    return run_scheduled_roll_calls()


@periodic("duty.gaps", minute="5", hour="*/6")
def gaps_job() -> int:
    """Shifts of the coming days without an officer or a leader: each desk head is told once per shift."""
    return run_gaps()


@periodic("duty.signon", minute="*")
def signon_job() -> int:
    """Officers not signed on within the limit: the leader on duty and the level above are alerted once."""
    return run_signon_alerts()


def run_dispatch_escalation() -> int:
    from yingji.duty import routing

    with runtime.get_database().unit_of_work() as session:
        return routing.escalate_due(session, system_principal("duty.dispatch"))


@periodic("duty.dispatch", minute="*")
def dispatch_job() -> int:
    """What reached a duty officer and is not acknowledged within the limit goes to the leader on duty (once)."""
    return run_dispatch_escalation()
