"""Every domain changes a rule's number the one way (``core.defaults.change_rule``): an editor of rules
only, inside the rule's range (tested at both ends), with a source of at most 2,000 characters, one
audit entry per change, and nothing changed by a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import audit_count
from tests.incidents.helpers import principal
from yingji.channels import defaults as channels
from yingji.channels.models import ChannelRule
from yingji.core.defaults import MAX_SOURCE
from yingji.duty import defaults as duty
from yingji.duty.models import DutyRule
from yingji.errors import PermissionDenied, UserError
from yingji.incidents import defaults as incidents
from yingji.incidents.models import IncidentRule
from yingji.resources import defaults as resources
from yingji.resources.models import ResRule
from yingji.response import defaults as response
from yingji.response.models import ResponseRule
from yingji.risks import defaults as risks
from yingji.risks.models import RiskRule
from yingji.warnings import defaults as warnings
from yingji.warnings.models import WarningRule


@dataclass
class Case:
    name: str
    module: Any
    model: Any
    key: str
    by_id: bool
    minimum: int
    maximum: int


CASES = [
    Case("duty", duty, DutyRule, duty.SIGNON_LIMIT, True, 1, 100000),
    Case("incidents", incidents, IncidentRule, "limit.report.4", True, 1, 10**13),
    Case("channels", channels, ChannelRule, channels.SEGMENT_LENGTH, False, 1, 100000),
    Case("response", response, ResponseRule, response.EVALUATION_MONTHS, True, 1, 24),
    Case("risks", risks, RiskRule, risks.ESCALATE_GRACE, False, 0, 100000),
    Case("resources", resources, ResRule, resources.AGREEMENT_NOTICE, True, 1, 100000),
    Case("warnings", warnings, WarningRule, warnings.MAX_UPLOAD_BYTES, False, 1, 2**31 - 1),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_rule_changes_only_within_its_range_with_a_source(session: Any, case: Case) -> None:
    admin = principal(session, "admin")
    row = session.scalars(select(case.model).where(case.model.key == case.key)).one()
    ident = row.id if case.by_id else case.key

    def change(who: Any, value: int, source: str) -> None:
        case.module.update_rule(session, who, ident, value, source)
        session.flush()

    def stored() -> tuple[int, str]:
        session.flush()
        session.refresh(row)
        return row.value, row.source

    for value in (case.minimum, case.maximum):
        before = audit_count(session)
        change(admin, value, f"  测试：边界 {value}  ")
        assert stored() == (value, f"测试：边界 {value}") and audit_count(session) == before + 1
    change(admin, case.minimum, "x" * MAX_SOURCE)
    kept, before = stored(), audit_count(session)
    refusals = [(admin, case.minimum - 1, "测试", "This number is too small."),
                (admin, case.maximum + 1, "测试", "This number is too large."),
                (admin, case.minimum, "   ", "Say where the number comes from."),
                (admin, case.minimum, "x" * (MAX_SOURCE + 1), "The source is too long (at most %(n)s characters)."),
                (admin, case.minimum, "文件\x00第三条", "This text contains invisible control characters.")]
    for who, value, source, message in refusals:
        with pytest.raises(UserError) as refused:
            change(who, value, source)
        assert refused.value.message == message
        assert stored() == kept and audit_count(session) == before
    with pytest.raises(PermissionDenied):
        change(principal(session, "bole"), case.minimum, "测试")
    assert stored() == kept and audit_count(session) == before
