"""The reporting rules' data with their sources (../shared/domain/DEFAULTS.md §1–§3), loaded by ``yingji init``.

The classification, the grading thresholds, the time limits by level and by hop and the thresholds of
the signals are rows; an administrator may change a rule afterwards, and loading again never overwrites
a row that exists. Boundary rule of Chinese regulations: "N以上" includes N, so a threshold is the
smallest value that reaches its level.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core import stamps
from yingji.core.scope import Principal
from yingji.incidents.models import IncidentCategory, IncidentRule

LAW = "突发事件应对法 art. 2 [V]"
MASTER = "国家突发公共事件总体应急预案 §1.3 (2006; the 2025 plan keeps the four categories) [V]"
DECREE_493 = "生产安全事故报告和调查处理条例 (State Council Decree 493) art. 3 [V]"
ENV_PLAN = "国家突发环境事件应急预案 (2014) annex 1 [V]"
QUAKE_PLAN = "国家地震应急预案 (2012) [V]"
FOOD_PLAN = "国家突发公共卫生事件应急预案 (2006), food poisoning grading as copied by local rules [L]"
PLATFORM = "[C] platform default (DEFAULTS.md §3), common practice, unconfirmed: adjust to the local rules"

# (code, parent, name, name_en, grading)
_CATEGORIES: list[tuple[str, str | None, str, str, str]] = [
    ("1", None, "自然灾害", "Natural disaster", "work_safety"),
    ("1.1", "1", "水旱灾害", "Flood and drought", "work_safety"),
    ("1.2", "1", "气象灾害", "Meteorological disaster", "work_safety"),
    ("1.3", "1", "地震灾害", "Earthquake", "earthquake"),
    ("1.4", "1", "地质灾害", "Geological disaster", "work_safety"),
    ("1.4.1", "1.4", "崩塌", "Collapse", "work_safety"),
    ("1.4.2", "1.4", "滑坡", "Landslide", "work_safety"),
    ("1.4.3", "1.4", "泥石流", "Debris flow", "work_safety"),
    ("1.5", "1", "海洋灾害", "Marine disaster", "work_safety"),
    ("1.6", "1", "生物灾害", "Biological disaster", "work_safety"),
    ("1.7", "1", "森林草原火灾", "Forest and grassland fire", "work_safety"),
    ("2", None, "事故灾难", "Accident", "work_safety"),
    ("2.1", "2", "工矿商贸生产安全事故", "Work-safety accident", "work_safety"),
    ("2.2", "2", "交通运输事故", "Transport accident", "work_safety"),
    ("2.3", "2", "公共设施和设备事故", "Public facilities and equipment accident", "work_safety"),
    ("2.4", "2", "环境污染和生态破坏事件", "Environmental pollution and ecological damage", "environment"),
    ("2.5", "2", "核与辐射事故", "Nuclear and radiation accident", "work_safety"),
    ("3", None, "公共卫生事件", "Public health event", ""),
    ("3.1", "3", "传染病疫情", "Infectious disease", ""),
    ("3.2", "3", "群体性不明原因疾病", "Cluster of unexplained illness", ""),
    ("3.3", "3", "食品安全和职业危害", "Food safety and occupational hazard", "food"),
    ("3.4", "3", "动物疫情", "Animal epidemic", ""),
    ("4", None, "社会安全事件", "Social security event", ""),
    ("4.1", "4", "恐怖袭击事件", "Terrorist attack", ""),
    ("4.2", "4", "经济安全事件", "Economic security event", ""),
    ("4.3", "4", "涉外突发事件", "Foreign-related event", ""),
    ("4.4", "4", "群体性事件", "Mass incident", ""),
    ("4.5", "4", "民族宗教事件", "Ethnic or religious event", ""),
]
_LOCAL_PLANS = {"2.5", "4.5"}


def _category_rows() -> list[dict[str, Any]]:
    rows = []
    for code, parent, name, name_en, grading in _CATEGORIES:
        source = LAW if parent is None else MASTER
        if code in _LOCAL_PLANS:
            source = "Local plans add this subtype (DEFAULTS.md §1) [L]"
        if grading == "work_safety" and not code.startswith("2"):
            grading_note = "; graded by default with the work-safety thresholds [C]"
        else:
            grading_note = ""
        rows.append({"code": code, "parent_code": parent, "name": name, "name_en": name_en, "grading": grading,
                     "gbt35561_code": None, "source": source + grading_note})
    return rows


CATEGORIES = _category_rows()

# Hops: "report" — from the event to the first written report of the responsible unit (迟报 / 漏报);
# "county" — the county desk receives it and forwards it to the prefecture; "prefecture" — the
# prefecture receives it and forwards it toward the region.
HOPS = ("report", "county", "prefecture")
LEVELS = (1, 2, 3, 4)


def _limit_rows() -> list[dict[str, Any]]:
    rows = []
    for level in LEVELS:
        seconds = 3600 if level <= 3 else 7200
        rows.append({"key": f"limit.report.{level}", "kind": "limit", "hop": "report", "level": level,
                     "value": seconds, "unit": "s",
                     "source": f"{PLATFORM}: first report in writing within 60 min for level III and above "
                               "(by phone within 30 min), level IV within 2 h, of the event becoming known; "
                               "work-safety chain: unit → county within 1 h (Decree 493 art. 9 [V])"})
        for hop in ("county", "prefecture"):
            rows.append({"key": f"limit.{hop}.{level}", "kind": "limit", "hop": hop, "level": level,
                         "value": 7200, "unit": "s",
                         "source": "Each level forwards within 2 h of receipt: natural disasters [L], work "
                                   "safety (Decree 493 art. 10 [V]), public health 2 h per level [V]"})
    return rows


def _grade(applies_to: str, criterion: str, values: tuple[int | None, ...], source: str) -> list[dict[str, Any]]:
    rows = []
    for level, value in zip(LEVELS, values, strict=False):
        if value is None:
            continue
        rows.append({"key": f"grade.{applies_to}.{criterion}.{level}", "kind": "grade", "applies_to": applies_to,
                     "criterion": criterion, "level": level, "value": value,
                     "unit": "CNY" if criterion == "direct_loss" else "people", "source": source})
    return rows


def _grade_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    rows += _grade("work_safety", "deaths", (30, 10, 3), DECREE_493)
    rows += _grade("work_safety", "seriously_injured", (100, 50, 10), DECREE_493)
    rows += _grade("work_safety", "direct_loss", (100_000_000, 50_000_000, 10_000_000), DECREE_493)
    rows += _grade("environment", "deaths", (30, 10, 3), ENV_PLAN)
    rows += _grade("environment", "seriously_injured", (100, 50, 10), ENV_PLAN + " (poisoned or seriously injured)")
    rows += _grade("environment", "evacuated", (50_000, 10_000, 5_000), ENV_PLAN)
    rows += _grade("environment", "direct_loss", (100_000_000, 20_000_000, 5_000_000), ENV_PLAN)
    rows += _grade("earthquake", "dead_missing", (300, 50, 10), QUAKE_PLAN + " (dead including missing)")
    rows += _grade("food", "deaths", (None, 10, 1), FOOD_PLAN)
    rows += _grade("food", "injured", (None, None, 100, 30), FOOD_PLAN + " (people made ill)")
    return rows


FLAG_DEATHS = "flag.revised.deaths"
FLAG_INJURED = "flag.revised.injured"


def _flag_rows() -> list[dict[str, Any]]:
    return [
        {"key": "forward.county.max_level", "kind": "forward", "hop": "county", "value": 3, "unit": "level",
         "source": "Issue 3 / 博州政办发〔2017〕64号: events of level III (较大) or above must reach the prefecture"},
        {"key": "forward.prefecture.max_level", "kind": "forward", "hop": "prefecture", "value": 3, "unit": "level",
         "source": f"{PLATFORM}: events of level III (较大) or above are reported on to the autonomous region"},
        {"key": FLAG_DEATHS, "kind": "flag", "criterion": "deaths", "value": 3, "unit": "people",
         "source": f"{PLATFORM}: deaths revised upward by 3 or more after the first report (the width of the "
                   "level IV band of Decree 493) are a signal for review as concealed (瞒报)"},
        {"key": FLAG_INJURED, "kind": "flag", "criterion": "seriously_injured", "value": 10, "unit": "people",
         "source": f"{PLATFORM}: serious injuries revised upward by 10 or more after the first report (the "
                   "level IV band of Decree 493) are a signal for review as concealed (瞒报)"},
        {"key": "followup.per_day.1", "kind": "followup", "level": 1, "value": 2, "unit": "per day",
         "source": "Follow-ups: levels II and I at least two a day [V]"},
        {"key": "followup.per_day.2", "kind": "followup", "level": 2, "value": 2, "unit": "per day",
         "source": "Follow-ups: levels II and I at least two a day [V]"},
        {"key": "followup.per_day.3", "kind": "followup", "level": 3, "value": 1, "unit": "per day",
         "source": "Follow-ups: level III and lower at least one a day [V]"},
        {"key": "followup.per_day.4", "kind": "followup", "level": 4, "value": 1, "unit": "per day",
         "source": "Follow-ups: level III and lower at least one a day [V]"},
    ]


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        full = {"level": None, "hop": None, "criterion": None, "applies_to": None}
        full.update(row)
        out.append(full)
    return out


RULES = _complete(_limit_rows() + _grade_rows() + _flag_rows())


def load(session: Session, principal: Principal) -> int:
    """Insert the classification rows and the rules that are missing; returns how many were added."""
    added = core_defaults.load_missing(session, principal, IncidentCategory, "code", CATEGORIES, "incident_category")
    return added + core_defaults.load_missing(session, principal, IncidentRule, "key", RULES, "incident_rule")


class Rules:
    """The rules of one transaction, read once."""

    def __init__(self, rows: list[Any]) -> None:
        self.by_key = {r.key: r for r in rows}

    def value(self, key: str) -> int:
        return int(self.by_key[key].value)

    def limit(self, hop: str, level: int) -> int:
        return self.value(f"limit.{hop}.{level}")

    def grades(self, applies_to: str) -> list[IncidentRule]:
        return [r for r in self.by_key.values() if r.kind == "grade" and r.applies_to == applies_to]


_ALL_RULES = select(IncidentRule.__table__)
_ALL_CATEGORIES = select(IncidentCategory.__table__)


def rules(session: Session) -> Rules:
    """The rules, kept in the session until it ends and in the process while the table's stamp holds
    (:mod:`yingji.core.stamps`)."""
    cached = session.info.get("incident_rules")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = session.info["incident_rules"] = stamps.kept(session, "incident_rule", lambda: _read_rules(session))
    return found


def _read_rules(session: Session) -> Rules:
    # Plain rows, not ORM objects: read-only here, and building 48 tracked objects per report cost more than
    # the statement itself (bench/RESULTS.md).
    rows: list[Any] = list(session.execute(_ALL_RULES).all())
    have = {r.key for r in rows}
    rows += [IncidentRule(**r) for r in RULES if r["key"] not in have]  # a database `yingji init` has not filled
    return Rules(rows)


def categories(session: Session) -> dict[str, IncidentCategory]:
    """The classification, kept as the rules are (:func:`rules`). Nobody changes the dict returned."""
    cached = session.info.get("incident_categories")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = session.info["incident_categories"] = stamps.kept(session, "incident_category",
                                                              lambda: _read_categories(session))
    return found


def _read_categories(session: Session) -> dict[str, IncidentCategory]:
    rows: dict[str, Any] = {c.code: c for c in session.execute(_ALL_CATEGORIES)}  # plain rows
    for row in CATEGORIES:
        if row["code"] not in rows:
            rows[row["code"]] = IncidentCategory(**row)
    return rows


def forget(session: Session) -> None:
    session.info.pop("incident_rules", None)
    session.info.pop("incident_categories", None)


def update_rule(session: Session, principal: Principal, rule_id: int, new_value: int, source: str) -> IncidentRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    from yingji.core import roles
    from yingji.errors import NotFound

    principal.require(roles.EDIT_RULES)
    found = session.get(IncidentRule, rule_id)
    if found is None:
        raise NotFound("Not found, or not within your area.")
    core_defaults.change_rule(session, principal, found, "incident_rule", new_value, source, maximum=10**13)
    forget(session)
    return found
