"""The preparedness rules' numbers with their sources (../shared/domain/DEFAULTS.md §4, §8; R2.4, R4.7).

Loaded into ``prep_rule`` (by the demo, and by whoever calls :func:`load`); an administrator may change a
row afterwards, and loading again never overwrites a row that exists. Until the table holds a row, the
engine uses these defaults as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core import defaults as core_defaults
from yingji.core.scope import Principal
from yingji.errors import NotFound, UserError
from yingji.i18n import N_
from yingji.preparedness.models import PrepRule

POLICY = "博州政办发〔2017〕64号"
GRASSROOTS = "village"
SCHOOL_KINDS = "school,kindergarten,college"
FILING_OWNERS = ("county,zone,township,village,department,enterprise,school,kindergarten,college,hospital,"
                 "crowded_place")  # the prefecture files with the region, outside the tree
ALL_PLAN_OWNERS = ("prefecture,county,zone,township,village,department,enterprise,school,kindergarten,college,"
                   "hospital,crowded_place")

RULES: list[dict[str, Any]] = [
    {"code": "drills_government", "label": N_("Comprehensive drills of the prefecture and county governments"),
     "unit_kinds": "prefecture,county", "measure": "comprehensive_drills", "period": "year",
     "comparison": "at_least", "threshold": 2, "param": None,
     "source": f"{POLICY} R2.4: 州、县市政府每年至少组织2次综合演练 (prefecture and county governments: at least 2 "
               "comprehensive drills a year)"},
    {"code": "drills_township", "label": N_("Comprehensive drills of townships, streets and grassroots organizations"),
     "unit_kinds": f"township,{GRASSROOTS}", "measure": "comprehensive_drills", "period": "year",
     "comparison": "at_least", "threshold": 1, "param": None,
     "source": f"{POLICY} R2.4: 乡镇（街道）、基层组织每年至少1次综合演练 (townships/streets and grassroots "
               "organizations: at least 1 comprehensive drill a year)"},
    {"code": "drills_enterprise", "label": N_("Comprehensive drills of enterprises, schools and crowded places"),
     "unit_kinds": f"enterprise,{SCHOOL_KINDS},crowded_place", "measure": "comprehensive_drills",
     "period": "year", "comparison": "at_least", "threshold": 2, "param": None,
     "source": f"{POLICY} R2.4: 企业、学校、人员密集场所每年至少2次综合演练 (enterprises, schools, crowded places: at "
               "least 2 comprehensive drills a year)"},
    {"code": "drills_special_plan", "label": N_("Drills of every special plan"), "unit_kinds": ALL_PLAN_OWNERS,
     "measure": "special_plan_drills", "period": "year", "comparison": "at_least", "threshold": 1, "param": None,
     "source": f"{POLICY} R2.4: 每个专项预案每年至少演练1次 (every special plan: at least 1 drill a year; stricter "
               "than the national floor of once in 3 years)"},
    {"code": "drills_department_plan", "label": N_("Drills of every department plan"), "unit_kinds": ALL_PLAN_OWNERS,
     "measure": "department_plan_drills", "period": "year", "comparison": "at_least", "threshold": 1,
     "param": None,
     "source": f"{POLICY} R2.4: 每个部门预案每年至少演练1次 (every department plan: at least 1 drill a year)"},
    {"code": "plan_coverage", "label": N_("A plan in force (横向到边、纵向到底)"), "unit_kinds": ALL_PLAN_OWNERS,
     "measure": "plans_in_force", "period": "standing", "comparison": "at_least", "threshold": 1, "param": None,
     "source": f"{POLICY} R2.4: 预案覆盖社区、村、企业、学校、生命线、重点行业和重大活动，横向到边、纵向到底 "
               "(plans cover every community, village, enterprise, school, lifeline, key industry and major event)"},
    {"code": "plan_evaluation", "label": N_("Plans evaluated within the interval (years)"),
     "unit_kinds": "prefecture,county,department", "measure": "plans_overdue", "period": "standing",
     "comparison": "at_most", "threshold": 0, "param": 3,
     "source": "[C] common practice (DEFAULTS.md §4): plans of county level and above are evaluated every 3 years"},
    {"code": "plan_filing", "label": N_("Plans filed (备案) within the limit (working days after issue)"),
     "unit_kinds": FILING_OWNERS, "measure": "plans_unfiled", "period": "standing", "comparison": "at_most",
     "threshold": 0, "param": 20,
     "source": "2024年《突发事件应急预案管理办法》第二十六条: 预案印发后20个工作日内备案 "
               "(filed within 20 working days of issue; public holidays are not deducted)"},
    {"code": "site_growth", "label": N_("Growth of demonstration sites per county, per cent a year"),
     "unit_kinds": "county",
     "measure": "site_growth_pct", "period": "year", "comparison": "at_least", "threshold": 15, "param": None,
     "source": f"{POLICY} R4.7: 基层应急管理示范点每年增长15% (demonstration sites grow 15% a year)"},
]


def load(session: Session, principal: Principal) -> int:
    """Insert the default rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, PrepRule, "code", RULES, "prep_rule")


def get_rule(session: Session, rule_id: int) -> PrepRule:
    found = session.get(PrepRule, rule_id)
    if found is None:
        raise NotFound("Not found, or not within your area.")
    return found


def update_rule(session: Session, principal: Principal, rule_id: int, *, threshold: float, param: int | None,
                source: str, active: bool) -> PrepRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    found = get_rule(session, rule_id)
    if threshold < 0:
        raise UserError("This number is too small.", field="threshold")
    if found.param is not None and (param is None or param < 1):
        raise UserError("This number is too small.", field="param")
    if not source.strip():
        raise UserError("Say where the number comes from.", field="source")
    before = audit.snapshot(found)
    found.threshold, found.source, found.active = threshold, source.strip(), active
    if found.param is not None:
        found.param = param
    session.flush()
    audit.record(session, principal, action="update", entity_type="prep_rule", entity_id=found.id,
                 unit_id=None, before=before, after=audit.snapshot(found))
    return found


def rows(session: Session) -> list[PrepRule]:
    found = list(session.scalars(select(PrepRule).order_by(PrepRule.id)))
    return found or [PrepRule(**row, active=True) for row in RULES]
