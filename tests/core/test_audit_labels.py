"""Every audit action and record kind the code writes has a name on the audit page."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.models import AuditEntry
from yingji.web.labels import ACTION_LABELS, ENTITY_LABELS

SRC = Path(__file__).resolve().parents[2] / "src" / "yingji"


def _literals() -> tuple[dict[str, str], dict[str, str]]:
    """The constant action= and entity_type= values of every audit.record call, with where they are."""
    actions: dict[str, str] = {}
    entities: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                continue
            for kw in node.keywords:
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    where = f"{path.relative_to(SRC)}:{node.lineno}"
                    if kw.arg == "action":
                        actions[kw.value.value] = where
                    elif kw.arg == "entity_type":
                        entities[kw.value.value] = where
    return actions, entities


def test_the_scan_sees_the_calls() -> None:
    actions, entities = _literals()
    assert {"create", "update", "login"} <= set(actions)
    assert {"unit", "user", "incident_report", "warning_alert"} <= set(entities)


def test_every_literal_action_and_kind_has_a_name() -> None:
    actions, entities = _literals()
    assert {a: w for a, w in actions.items() if a not in ACTION_LABELS} == {}
    assert {e: w for e, w in entities.items() if e not in ENTITY_LABELS} == {}


def test_everything_the_demo_data_wrote_has_a_name(session: Session) -> None:
    actions = set(session.scalars(select(AuditEntry.action).distinct()))
    entities = set(session.scalars(select(AuditEntry.entity_type).distinct()))
    assert len(entities) > 30  # the demo data touches every domain
    assert actions - set(ACTION_LABELS) == set()
    assert entities - set(ENTITY_LABELS) == set()

