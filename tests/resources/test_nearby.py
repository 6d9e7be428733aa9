"""Nearest resources: the grid-ring search returns exactly what measuring every row returns (random teams,
filters, limits and radii, ties, a dense cluster, points on cell edges, scope), and reads its candidates
from the covering index."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import inspect, text

from tests.conftest import unit_id
from tests.resources.helpers import as_user
from yingji.resources import nearby
from yingji.resources.common import distance_km
from yingji.resources.models import Shelter, Team

CAPS = ("earthquake", "traffic", "flood", "fire")


def _teams(session: Any, rng: random.Random, count: int, west: float, south: float, size: float) -> None:
    counties = [unit_id(session, code) for code in ("652701", "652722", "652723")]
    for n in range(count):
        caps = rng.sample(CAPS, rng.randint(1, 2))
        session.add(Team(unit_id=rng.choice(counties), name=f"随机队伍{n}", kind="volunteer",
                         capabilities="," + ",".join(sorted(caps)) + ",", members=rng.randint(1, 50),
                         readiness=rng.choice(("ready", "ready", "standby")),
                         lon=round(west + rng.random() * size, 4), lat=round(south + rng.random() * size / 2, 4)))
    session.flush()


def _agree(session: Any, principal: Any, kind: str, lon: float, lat: float, limit: int, radius: float,
           **filters: Any) -> None:
    fast = nearby.nearest(session, principal, kind, lon, lat, limit=limit, radius_km=radius, **filters)
    slow = [(km, i) for km, i in nearby.nearest_naive(session, principal, kind, lon, lat, limit=100000, **filters)
            if km <= radius][:limit]
    assert [r.id for r in fast] == [i for _km, i in slow], (kind, lon, lat, limit, radius, filters)
    for row, (km, _i) in zip(fast, slow, strict=True):
        assert row.distance_km == round(km, 2)
        assert abs(distance_km(lon, lat, row.lon, row.lat) - km) < 1e-9


def test_the_ring_search_agrees_with_measuring_everything(session: Any) -> None:
    rng = random.Random(7)
    _teams(session, rng, 600, 80.6, 44.4, 2.0)
    admin, county = as_user(session, "zhou"), as_user(session, "wenquan")
    for _ in range(40):
        lon, lat = rng.uniform(80.4, 82.8), rng.uniform(44.3, 45.5)
        limit = rng.choice((1, 3, 10, 25))
        radius = rng.choice((2.0, 8.0, 40.0, 300.0))
        filters: dict[str, Any] = rng.choice(({}, {"ready_only": True}, {"capability": rng.choice(CAPS)},
                                              {"capability": rng.choice(CAPS), "ready_only": True}))
        _agree(session, rng.choice((admin, county)), "team", lon, lat, limit, radius, **filters)


def test_ties_a_dense_cluster_and_cell_edges(session: Any) -> None:
    county = unit_id(session, "652723")
    for n in range(30):  # thirty teams on one spot: nearest first, then by id
        session.add(Team(unit_id=county, name=f"同址队伍{n}", kind="volunteer", capabilities=",earthquake,",
                         lon=81.05, lat=44.95))
    for lon, lat in ((80.9999, 44.9999), (81.0001, 45.0001), (80.9999, 45.0001), (81.0001, 44.9999)):
        session.add(Team(unit_id=county, name="格边队伍", kind="volunteer", capabilities=",earthquake,",
                         lon=lon, lat=lat))
    session.flush()
    principal = as_user(session, "zhou")
    for lon, lat in ((81.05, 44.95), (81.0, 45.0), (80.99999, 45.00001), (81.1, 44.9)):
        for limit in (1, 4, 10, 40):
            _agree(session, principal, "team", lon, lat, limit, 300.0, capability="earthquake")


def test_other_kinds_and_a_radius_too_wide_to_list_cells(session: Any) -> None:
    principal = as_user(session, "zhou")
    session.add(Shelter(unit_id=unit_id(session, "652722"), name="远处避难场所", kind="park", capacity=9000,
                        lon=79.0, lat=43.0))
    session.flush()
    for kind, filters in (("shelter", {"min_free": 1000}), ("shelter", {"open_only": True}), ("warehouse", {}),
                          ("equipment", {}), ("team", {"capability": "flood"})):
        for radius in (5.0, 50.0, 3000.0):
            _agree(session, principal, kind, 81.1, 44.95, 10, radius, **filters)


def test_candidates_come_from_the_covering_index(session: Any) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(session.connection()).get_indexes("res_team")}
    assert indexes["ix_res_team_near"] == ["cell", "readiness", "lon", "lat", "unit_id", "capabilities"]
    if session.get_bind().dialect.name == "sqlite":
        stmt = nearby._teams(capability="earthquake", ready_only=True).where(Team.cell.in_([1349811, 1349812]))
        compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "COVERING INDEX ix_res_team_near" in plan, plan
