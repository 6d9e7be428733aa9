"""Names shown for audit actions and the kinds of record they touch (message ids, translated when shown).

Every ``audit.record`` call names an action and an entity type; the audit page and the home page show
them through these tables. ``tests/core/test_audit_labels.py`` checks that every literal used in the
code has a name here.
"""

from __future__ import annotations

from yingji.i18n import N_

ACTION_LABELS: dict[str, str] = {
    # records
    "create": N_("created"), "update": N_("changed"), "delete": N_("deleted"), "move": N_("moved"),
    "correct": N_("corrected"), "import": N_("imported"), "draft": N_("drafted"),
    # accounts and access
    "login": N_("signed in"), "logout": N_("signed out"), "login_failed": N_("failed sign-in"),
    "password": N_("password set"), "set_role": N_("role changed"), "enable": N_("enabled"),
    "disable": N_("disabled"), "token_use": N_("token used"), "token": N_("link issued"),
    "revoke": N_("revoked"), "notify": N_("notified"), "read": N_("read"),
    # duty
    "fill": N_("filled by rotation"), "sign_on": N_("signed on"), "alert": N_("alerted"), "fire": N_("roll call made"),
    "answer": N_("answered"), "carry": N_("carried over"), "acknowledge": N_("acknowledged"),
    "escalate": N_("escalated"), "dispatch": N_("dispatched"),
    # decisions
    "approve": N_("approved"), "reject": N_("refused"), "close": N_("closed"), "accept": N_("accepted"),
    "return": N_("returned"), "confirm": N_("confirmed"), "decide": N_("decided"), "propose": N_("proposed"),
    "submit": N_("submitted"), "verify": N_("verified"), "rectify": N_("rectified"), "flag": N_("flagged"),
    # incidents and tips
    "forward": N_("forwarded"), "receipt": N_("signed for"), "verified": N_("tip verified"),
    "merged": N_("tip merged"), "dismissed": N_("tip dismissed"), "reminder": N_("reminder sent"),
    "overdue": N_("overdue notice sent"), "publish": N_("published"), "query": N_("queried from above"),
    # warnings and channels
    "reviewed": N_("reviewed"), "reviewed_after": N_("reviewed after issue"),
    "review_objection_after": N_("objection after issue"), "returned": N_("returned"),
    "sign": N_("signed"), "sign_and_issue": N_("signed and issued"), "issued": N_("issued"),
    "superseded": N_("superseded"), "cancelled": N_("cancelled"), "fan_out": N_("sent to channels"),
    "pull": N_("fetched"), "ingest": N_("taken in"), "silent": N_("marked silent"),
    # resources
    "issue": N_("stock issued"), "transfer_in": N_("transferred in"), "transfer_out": N_("transferred out"),
    "write_off": N_("written off"), "request": N_("requested"), "allocate": N_("allocated"),
    "ship": N_("shipped"), "receive": N_("received"), "received": N_("received in full"), "note": N_("noted"),
    # risks
    "alarm": N_("alarm raised"),
    # oversight
    "finalise": N_("finalised"),
}

ENTITY_LABELS: dict[str, str] = {
    # platform
    "unit": N_("unit"), "person": N_("person"), "user": N_("user"), "api_token": N_("API token"),
    "attachment": N_("attachment"), "notification": N_("notification"), "staffing_quota": N_("staffing quota"),
    # duty
    "duty_desk": N_("duty desk"), "duty_member": N_("duty desk member"), "duty_shift": N_("shift"),
    "duty_shift_officer": N_("further officer on a shift"), "duty_swap": N_("duty swap"),
    "duty_rule": N_("duty rule"), "roll_call": N_("roll call"), "roll_call_target": N_("roll-call answer"),
    "feed_token": N_("calendar feed link"), "duty_handover": N_("handover"), "duty_log_entry": N_("duty log entry"),
    "duty_dispatch": N_("duty dispatch"),
    # incidents and response
    "incident_event": N_("event"), "incident_report": N_("incident report"), "incident_hop": N_("report hop"),
    "incident_flag": N_("review flag"), "incident_rule": N_("incident rule"),
    "incident_category": N_("event category"), "incident_query": N_("query from above"),
    "response_action": N_("response action"),
    "response_evaluation": N_("evaluation report"), "response_notice": N_("evaluation notice"),
    "response_opinion": N_("public opinion item"), "response_rule": N_("response rule"),
    "response_statement": N_("public statement"), "response_tip": N_("public tip"),
    # warnings and channels
    "warning_alert": N_("warning"), "warning_rule": N_("warning rule"),
    "warning_inbound_source": N_("warning source"), "channel_config": N_("channel settings"),
    "channel_delivery": N_("delivery"), "channel_endpoint": N_("channel endpoint"),
    "channel_recipient": N_("recipient"), "channel_rule": N_("channel rule"),
    "channel_subscription": N_("subscription"),
    # preparedness
    "prep_plan": N_("plan"), "prep_filing": N_("plan filing"), "prep_linkage": N_("linkage entry"),
    "prep_linkage_member": N_("linkage participant"), "prep_drill": N_("drill"),
    "prep_improvement": N_("improvement item"), "prep_training": N_("training session"),
    "prep_publicity": N_("publicity item"), "prep_expert": N_("expert"), "prep_site": N_("demonstration site"),
    "prep_site_item": N_("checklist item"), "prep_rule": N_("compliance rule"),
    # resources
    "res_team": N_("rescue team"), "res_agreement": N_("rescue agreement"), "res_supply_item": N_("catalogue item"),
    "res_warehouse": N_("warehouse"), "res_movement": N_("stock movement"), "res_min_level": N_("minimum stock level"),
    "res_dispatch": N_("supply dispatch"), "res_shelter": N_("shelter"), "res_equipment": N_("equipment"),
    "res_requisition": N_("requisition"), "res_service_purchase": N_("purchased service"),
    "res_team_insurance": N_("team insurance policy"),
    "res_donation": N_("donation"), "res_contract": N_("supplier contract"), "res_rule": N_("resources rule"),
    # risks
    "risks_hazard": N_("hazard source"), "risks_item": N_("risk item"), "risks_assessment": N_("risk assessment"),
    "risks_checklist": N_("inspection checklist"), "risks_outline": N_("inspection outline"),
    "risks_patrol": N_("inspection"), "risks_finding": N_("finding"), "risks_grid": N_("grid"),
    "risks_sensor": N_("sensor"), "risks_alarm": N_("sensor alarm"), "risks_rule": N_("risks rule"),
    # oversight
    "oversight_task": N_("task"), "oversight_milestone": N_("milestone"), "oversight_progress": N_("progress update"),
    "oversight_project": N_("planning project"), "oversight_budget_line": N_("budget line"),
    "oversight_spending": N_("spending"), "oversight_annual_report": N_("annual report"),
    "oversight_stat_form": N_("statistical form"), "oversight_indicator": N_("indicator"),
    "oversight_weight": N_("indicator weight"), "oversight_score": N_("score"),
    "oversight_assessment_year": N_("assessment year"), "oversight_trend_year": N_("finalised trend analysis"),
    "oversight_countermeasure": N_("countermeasure"), "oversight_rule": N_("oversight rule"),
}
