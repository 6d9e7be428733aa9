"""Grids: polygons inside their village (outside, crossing and degenerate ones refused), patrols from the
phone with GPS points and photos by the village's information officer, coverage at the frequency boundary."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tests.conftest import unit_id
from tests.risks.helpers import PNG, SYSTEM, frozen, set_now
from yingji.core.models import Attachment
from yingji.risks import grids
from yingji.risks.models import AreaOutline, Grid, Patrol
from yingji.risks.schemas import GridCreate, PatrolCreate

V01 = "652701100-V01"


def _outline(session: Any) -> list[list[float]]:
    row = session.scalar(select(AreaOutline).where(AreaOutline.unit_id == unit_id(session, V01)))
    assert row is not None
    return row.polygon


def _grid_count(session: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Grid)) or 0)


def test_polygon_must_lie_inside_the_village(browser: Any, session: Any) -> None:
    bole = browser("bole")
    (x0, y0), (x1, _), (_, y2) = _outline(session)[0], _outline(session)[1], _outline(session)[2]
    village = unit_id(session, V01)
    before = _grid_count(session)
    inside = [[x0 + 0.001, y0 + 0.001], [x1 - 0.001, y0 + 0.001], [x1 - 0.001, y2 - 0.001]]
    poking_out = [[x0 + 0.001, y0 + 0.001], [x1 + 0.001, y0 + 0.001], [x1 - 0.001, y2 - 0.001]]
    crossing = [[x0 + 0.001, y0 + 0.001], [x1 - 0.001, y2 - 0.001], [x1 - 0.001, y0 + 0.001], [x0 + 0.001, y2 - 0.001]]
    flat = [[x0 + 0.001, y0 + 0.001], [x0 + 0.002, y0 + 0.002], [x0 + 0.003, y0 + 0.003]]
    for polygon, field in ((poking_out, "polygon"), (crossing, "polygon"), (flat, "polygon")):
        response = bole.api("POST", "/api/risks/grids", json={"unit_id": village, "name": "网格", "polygon": polygon})
        assert response.status_code == 400 and response.json()["field"] == field, response.text
    for bad in ([[200, 0], [0, 0], [0, 1]], [[1, 2]], [[1, 2, 3], [1, 2], [2, 2]]):
        assert bole.api("POST", "/api/risks/grids", json={"unit_id": village, "name": "网格",
                                                          "polygon": bad}).status_code == 422
    # a grid on the outline's edge is inside (the boundary belongs to the village)
    edge = [[x0, y0], [x1, y0], [x1, y2]]
    assert bole.api("POST", "/api/risks/grids", json={"unit_id": village, "name": "边界网格",
                                                      "polygon": edge}).status_code == 201
    ok = bole.api("POST", "/api/risks/grids", json={"unit_id": village, "name": "新网格", "polygon": inside})
    assert ok.status_code == 201, ok.text
    assert _grid_count(session) == before + 2
    # a township is not a village; an outline that would leave a grid outside is refused
    township = unit_id(session, "652701100")
    assert bole.api("POST", "/api/risks/grids", json={"unit_id": township, "name": "x",
                                                      "polygon": inside}).status_code == 400
    small = [[x0 + 0.005, y0 + 0.005], [x0 + 0.006, y0 + 0.005], [x0 + 0.006, y0 + 0.006]]
    assert bole.api("PUT", f"/api/risks/outlines/{village}", json={"polygon": small}).status_code == 400
    # 精河县's officer cannot place grids in 博乐市
    assert browser("jinghe").api("POST", "/api/risks/grids", json={"unit_id": village, "name": "x",
                                                                   "polygon": inside}).status_code == 404


def test_patrol_from_the_phone_with_track_and_photo(browser: Any, session: Any) -> None:
    frozen()
    village = browser("village")  # an information officer: reports, does not edit
    grid = session.scalar(select(Grid).where(Grid.unit_id == unit_id(session, V01)).order_by(Grid.id.desc()))
    assert grid is not None
    page = village.get(f"/risks/grids/{grid.id}")
    assert page.status_code == 200 and 'capture="environment"' in page.text
    track = json.dumps([[grid.polygon[0][0] + 0.001, grid.polygon[0][1] + 0.001],
                        [grid.polygon[0][0] + 0.002, grid.polygon[0][1] + 0.002]])
    response = village.post(f"/risks/grids/{grid.id}/patrols", follow_redirects=False,
                            data={"csrf_token": village.csrf, "track": track, "note": "正常"},
                            files={"photos": ("p.png", io.BytesIO(PNG), "image/png")})
    assert response.status_code == 303, response.text
    patrol = session.scalar(select(Patrol).where(Patrol.grid_id == grid.id).order_by(Patrol.id.desc()))
    assert patrol is not None and len(patrol.track) == 2 and patrol.note == "正常"
    photos = session.scalars(select(Attachment).where(Attachment.entity_type == "risks_patrol",
                                                      Attachment.entity_id == str(patrol.id))).all()
    assert len(photos) == 1 and photos[0].content_type == "image/png"
    # an information officer still cannot create grids
    assert village.api("POST", "/api/risks/grids", json={"unit_id": grid.unit_id, "name": "x",
                                                         "polygon": grid.polygon}).status_code == 403
    bad = village.api("POST", f"/api/risks/grids/{grid.id}/patrols", json={
        "started_at": "2026-01-02T10:00:00+08:00", "ended_at": "2026-01-02T09:00:00+08:00"})
    assert bad.status_code == 400 and bad.json()["field"] == "ended_at"


def test_coverage_at_the_frequency_boundary(session: Any) -> None:
    now = frozen()
    village = unit_id(session, V01)
    grid = grids.create_grid(session, SYSTEM, GridCreate(unit_id=village, name="测试网格", patrol_days=7,
                                                         polygon=[p for p in _outline(session)][:3]))
    assert grids.due_since(grid, now) is not None  # never patrolled
    grids.record_patrol(session, SYSTEM, grid.id, PatrolCreate(started_at=now - timedelta(hours=1), ended_at=now))
    set_now(now + timedelta(days=7) - timedelta(seconds=1))
    unpatrolled = {r.grid_id for r in grids.coverage(session, SYSTEM, only_unpatrolled=True)}
    assert grid.id not in unpatrolled
    set_now(now + timedelta(days=7))
    rows = {r.grid_id: r for r in grids.coverage(session, SYSTEM, only_unpatrolled=True)}
    assert rows[grid.id].due_since == now + timedelta(days=7)
