"""The oversight rules' numbers, the assessment indicators and the dimension weights, with their sources.

Loaded when missing (by the demo and on first use); an administrator may change them afterwards and
loading again never overwrites a row that exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core.scope import Principal
from yingji.i18n import N_
from yingji.oversight.models import OvIndicator, OvRule, OvWeight

POLICY = "博州政办发〔2017〕64号"

ANNUAL_DUE_MONTH = "annual_report_due_month"
ANNUAL_DUE_DAY = "annual_report_due_day"
ANNUAL_REMIND = "annual_report_remind_days"
TASK_REMIND = "task_remind_days"
TASK_ESCALATE = "task_escalate_days"
GRADE_EXCELLENT = "grade_excellent_points"
GRADE_PASS = "grade_pass_points"
TREND_PERCENT = "trend_min_change_percent"
TREND_EVENTS = "trend_min_change_events"
TREND_PEOPLE = "trend_min_change_people"
TREND_LOSS = "trend_min_change_loss_yuan"
TREND_RULES = (TREND_PERCENT, TREND_EVENTS, TREND_PEOPLE, TREND_LOSS)
_TREND = ("[C] platform default: DEFAULTS.md gives no threshold for a trend finding, so the platform picks one; "
          "a year-over-year change is a finding when it is at least {pct}% of last year's figure (or the figure "
          "was 0 last year) and its size is at least the minimum for that figure")

RULES = [
    {"key": ANNUAL_DUE_MONTH, "value": 1, "unit": "month",
     "source": f"{POLICY} 规范总结评估: 各县市人民政府、各有关部门在每年1月10日前向自治州人民政府报送上年度突发事件"
               "应对工作总结评估报告 (month of the deadline)"},
    {"key": ANNUAL_DUE_DAY, "value": 10, "unit": "day",
     "source": f"{POLICY}: 每年1月10日前. Read as 'by the end of 10 January' (Beijing time): 'N日前' in a "
               "government notice names the last day on which filing is still on time, so a report filed on "
               "10 January is on time and one filed on 11 January is late"},
    {"key": ANNUAL_REMIND, "value": 7, "unit": "d",
     "source": "[C] common practice: units that have not filed are reminded 7 days before the deadline"},
    {"key": TASK_REMIND, "value": 3, "unit": "d",
     "source": f"[C] common practice: the owner of an open task is reminded 3 days before its deadline "
               f"({POLICY} 狠抓任务落实: 及时跟踪督促)"},
    {"key": TASK_ESCALATE, "value": 1, "unit": "d",
     "source": f"[C] common practice: a task still open 1 day after its deadline is reported to the unit above "
               f"({POLICY}: 件件有着落、事事有回音)"},
    {"key": GRADE_EXCELLENT, "value": 90, "unit": "points",
     "source": "[L] local assessment rubrics (DEFAULTS.md §7): excellent at 90 points or more"},
    {"key": GRADE_PASS, "value": 60, "unit": "points",
     "source": "[L] local assessment rubrics (DEFAULTS.md §7): pass at 60 points or more, fail below 60"},
    {"key": TREND_PERCENT, "value": 20, "unit": "%",
     "source": _TREND.format(pct=20) + " (20% is the change statistical bulletins commonly single out as marked)"},
    {"key": TREND_EVENTS, "value": 3, "unit": "events",
     "source": _TREND.format(pct=20) + "; events: at least 3 more or fewer, so that 1 → 2 (+100%) is not a "
               "finding"},
    {"key": TREND_PEOPLE, "value": 2, "unit": "people",
     "source": _TREND.format(pct=20) + "; deaths, injured and missing: at least 2 people more or fewer"},
    {"key": TREND_LOSS, "value": 100000, "unit": "yuan",
     "source": _TREND.format(pct=20) + "; direct economic loss: at least 100,000 yuan (10万元) more or less"},
]

R54 = f"{POLICY} 加强绩效考核 (R5.4)"
DIMENSIONS = ("organization", "duty", "plans", "prevention", "incident", "teams", "funding")

INDICATORS = [
    {"code": "org.tasks", "dimension": "organization", "name": N_("Ledger tasks closed by their deadline"),
     "method": "tasks_on_time", "veto": False, "source": f"{R54}; {POLICY} 狠抓任务落实"},
    {"code": "org.agency", "dimension": "organization", "name": N_("Emergency agency and staffing in place"),
     "method": "manual", "veto": False, "source": f"{R54}: 机构建设"},
    {"code": "duty.rollcall", "dimension": "duty", "name": N_("Roll calls answered on time"),
     "method": "rollcall_on_time", "veto": False, "source": f"{R54}: 应急值守; R3.3 值班点名"},
    {"code": "plans.compliance", "dimension": "plans", "name": N_("Plan and drill rules met"),
     "method": "prep_compliance", "veto": False, "source": f"{R54}: 预案编制; R2.4 drill minimums"},
    {"code": "prev.rectification", "dimension": "prevention", "name": N_("Hazards rectified by their deadline"),
     "method": "rectified_on_time", "veto": False, "source": f"{R54}: 预防与应急准备; R2.2 隐患排查整改"},
    {"code": "prev.annual", "dimension": "prevention", "name": N_("Annual report filed on time"),
     "method": "annual_on_time", "veto": False, "source": f"{R54}; {POLICY}: 每年1月10日前报送"},
    {"code": "inc.reporting", "dimension": "incident", "name": N_("Events reported within the time limit"),
     "method": "reported_on_time", "veto": False, "source": f"{R54}: 突发事件处置; R3.1 迟报"},
    {"code": "inc.evaluation", "dimension": "incident", "name": N_("Evaluation reports delivered within one month"),
     "method": "evaluation_on_time", "veto": False, "source": f"{R54}; R3.6 1个月内形成报告"},
    {"code": "inc.mishandled", "dimension": "incident", "name": N_("A major problem handled badly (veto)"),
     "method": "manual", "veto": True,
     "source": f"{R54}: 突出重大应急问题处置不力的，直接取消年终评优资格"},
    {"code": "teams.building", "dimension": "teams", "name": N_("Rescue teams built and trained"),
     "method": "manual", "veto": False, "source": f"{R54}: 应急救援队伍建设"},
    {"code": "fund.execution", "dimension": "funding", "name": N_("Budget lines spent against planned"),
     "method": "budget_execution", "veto": False, "source": f"{R54}: 应急资金投入; R5.2"},
]

_WEIGHTS = {
    "county": (10, 15, 15, 20, 20, 10, 10),
    "department": (10, 15, 20, 20, 15, 10, 10),
    "township": (15, 15, 15, 20, 15, 10, 10),
}
WEIGHTS = [{"unit_kind": kind, "dimension": dim, "weight": w,
            "source": "[C] differentiated scoring (差异化评分, R5.4): default weights, to be set by the office"}
           for kind, ws in _WEIGHTS.items() for dim, w in zip(DIMENSIONS, ws, strict=True)]


def load(session: Session, principal: Principal) -> int:
    """Insert the default rules, indicators and weights that are missing; returns how many were added."""
    added = core_defaults.load_missing(session, principal, OvRule, "key", RULES, "oversight_rule")
    added += core_defaults.load_missing(session, principal, OvIndicator, "code", INDICATORS, "oversight_indicator")
    have = {(w.unit_kind, w.dimension) for w in session.scalars(select(OvWeight))}
    missing = [w for w in WEIGHTS if (w["unit_kind"], w["dimension"]) not in have]
    for row in missing:
        session.add(OvWeight(**row))
    session.flush()
    return added + len(missing)


def rule(session: Session, key: str) -> OvRule:
    found = session.scalar(select(OvRule).where(OvRule.key == key))
    if found is None:  # a database whose defaults are not loaded yet
        return OvRule(**next(r for r in RULES if r["key"] == key))
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)
