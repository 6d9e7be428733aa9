"""The target area: divisions, polygons and circles; what a person may not draw."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import zh
from tests.warnings.helpers import JINGHE_POLYGON, draft_data, principal, set_now, unit_id
from yingji.core.models import Unit
from yingji.warnings import service, targeting
from yingji.warnings.models import Alert

BOWTIE = [[82.6, 44.5], [83.0, 44.8], [83.0, 44.5], [82.6, 44.8], [82.6, 44.5]]
BEIJING_SQUARE = [[116.2, 39.8], [116.6, 39.8], [116.6, 40.1], [116.2, 40.1], [116.2, 39.8]]


def _count(session: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Alert)) or 0)


@pytest.mark.parametrize(("points", "message"), [
    (JINGHE_POLYGON[:-1], "The polygon is not closed: it needs at least three corners and must end where it starts."),
    ([[82.6, 44.5], [83.0, 44.8], [82.6, 44.5]], "The polygon is not closed: it needs at least three corners and "
                                                  "must end where it starts."),
    (BOWTIE, "The polygon crosses itself."),
    (BEIJING_SQUARE, "The area lies outside the prefecture."),
    ([[82.6, 44.5], [183.0, 44.5], [83.0, 44.8], [82.6, 44.5]],
     "A coordinate is outside the range of longitude and latitude."),
])
def test_bad_polygons_are_refused_with_a_reason(browser: Any, session: Any, points: Any, message: str) -> None:
    set_now()
    before = _count(session)
    body = draft_data(areas=[{"kind": "polygon", "points": points}]).model_dump(mode="json")
    response = browser("qixiang").api("POST", "/api/warnings/alerts", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == zh(message)
    assert _count(session) == before


def test_polygon_partly_inside_is_accepted() -> None:
    # From inside 精河县 (82.9, 44.6) out into the desert east of the prefecture's boundary.
    ring = targeting.check_polygon([[82.9, 44.6], [86.0, 44.6], [86.0, 45.0], [82.9, 45.0], [82.9, 44.6]])
    assert len(ring) == 5


def test_circles() -> None:
    assert targeting.check_circle(82.9, 44.6, targeting.MAX_CIRCLE_KM).radius_km == targeting.MAX_CIRCLE_KM
    with pytest.raises(targeting.BadArea):
        targeting.check_circle(82.9, 44.6, targeting.MAX_CIRCLE_KM + 0.001)
    with pytest.raises(targeting.BadArea):
        targeting.check_circle(82.9, 44.6, 0)
    with pytest.raises(targeting.BadArea):
        targeting.check_circle(116.4, 39.9, 20)  # Beijing
    # Centre just outside the boundary but reaching in.
    assert targeting.check_circle(84.3, 44.6, 120).radius_km == 120
    circle = targeting.Circle(82.9, 44.6, 10)
    assert circle.contains(82.9, 44.689) and not circle.contains(82.9, 44.691)  # 0.09° of latitude is 10.007 km


def test_polygon_point_count_limit() -> None:
    n = targeting.MAX_POLYGON_POINTS
    import math

    ring = [[82.9 + 0.3 * math.cos(2 * math.pi * i / (n - 1)), 44.6 + 0.2 * math.sin(2 * math.pi * i / (n - 1))]
            for i in range(n - 1)]
    ring.append(ring[0])
    assert len(targeting.check_polygon(ring)) == n
    longer = ring[:-1] + [[82.9, 44.6], [82.9, 44.6]]
    with pytest.raises(targeting.BadArea):
        targeting.check_polygon(longer[: n + 2])


def test_target_covers_villages_and_subtrees(session: Any) -> None:
    set_now()
    met = principal(session, "qixiang")
    jinghe = unit_id(session, "652722")
    alert = service.create_draft(session, met, draft_data(areas=[
        {"kind": "polygon", "points": JINGHE_POLYGON}, {"kind": "unit", "unit_id": unit_id(session, "652723")}]))
    target = targeting.target_of(session, alert)
    assert target.unit_ids == [unit_id(session, "652723")] and target.geocodes == ["652723"]
    assert len(target.shapes) == 1 and target.contains(82.9, 44.6) and not target.contains(81.0, 44.9)
    township = session.scalar(select(Unit).where(Unit.code == "652723100"))
    assert target.covers_unit(township)  # under 温泉县
    villages = list(session.scalars(select(Unit).where(Unit.kind == "village", Unit.path.startswith(
        session.get(Unit, jinghe).path))))
    inside = [v for v in villages if target.covers_unit(v)]
    for v in villages:
        assert target.covers_unit(v) == targeting.point_in_ring(v.lon, v.lat, target.shapes[0].ring)
    assert inside, "the demo places at least one 精河县 village under the polygon"
    assert {c.code for c in service.targeted_counties(session, alert)} == {"652722", "652723"}


def test_only_divisions_may_be_named(browser: Any, session: Any) -> None:
    set_now()
    enterprise = unit_id(session, "652701100-E01")
    body = draft_data(areas=[{"kind": "unit", "unit_id": enterprise}]).model_dump(mode="json")
    response = browser("qixiang").api("POST", "/api/warnings/alerts", json=body)
    assert response.status_code == 422


def test_an_area_is_required_before_review(browser: Any) -> None:
    set_now()
    client = browser("qixiang")
    body = draft_data(areas=[]).model_dump(mode="json")
    alert = client.api("POST", "/api/warnings/alerts", json=body).json()
    response = client.api("POST", f"/api/warnings/alerts/{alert['id']}/submit")
    assert response.status_code == 422 and alert["status"] == "draft"


def test_form_with_drawn_shapes_and_divisions(browser: Any, session: Any) -> None:
    set_now()
    import json

    client = browser("qixiang")
    township = unit_id(session, "652722101")
    response = client.form("/warnings", {
        "colour": "yellow", "event": "大风", "effective_at": "2026-07-15T10:00", "expires_at": "2026-07-15T20:00",
        "zh-CN_headline": "精河县大风黄色预警", "zh-CN_description": "阵风8级", "en_headline": "Gale warning",
        "shapes": json.dumps([{"kind": "polygon", "points": JINGHE_POLYGON},
                              {"kind": "circle", "lon": 82.9, "lat": 44.6, "radius_km": 15}]),
        "area_unit": [str(township)]})
    assert response.status_code == 303, response.text
    alert = session.get(Alert, int(response.headers["location"].rsplit("/", 1)[1]))
    assert sorted(a.kind for a in alert.areas) == ["circle", "polygon", "unit"]
    assert {i.language for i in alert.infos} == {"zh-CN", "en"}
    assert alert.effective_at.isoformat() == "2026-07-15T02:00:00+00:00"  # 10:00 Beijing
    # A bad drawing from the form is refused too, with nothing stored.
    before = _count(session)
    bad = client.form("/warnings", {"colour": "yellow", "event": "大风", "expires_at": "2026-07-15T20:00",
                                    "zh-CN_headline": "x", "shapes": json.dumps([{"kind": "polygon",
                                                                                  "points": BOWTIE}])})
    assert bad.status_code == 422 and _count(session) == before
    assert client.form("/warnings", {"colour": "yellow", "event": "x", "expires_at": "2026-07-15T20:00",
                                     "zh-CN_headline": "x", "shapes": "{not json"}).status_code == 422
