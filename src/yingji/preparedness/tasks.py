"""Periodic preparedness job: units at risk (or failing) under a compliance rule are told, once each."""

from __future__ import annotations

from yingji import runtime
from yingji.core.scope import system_principal
from yingji.jobs import periodic


def run_compliance_notices() -> int:
    from yingji.preparedness import service

    with runtime.get_database().unit_of_work() as session:
        return service.notify_at_risk(session, system_principal("preparedness.compliance"))


@periodic("preparedness.compliance", minute="20", hour="1")
def compliance_job() -> int:
    """Every night: each unit at risk or failing under a rule hears it once per rule, period and status."""
    return run_compliance_notices()
