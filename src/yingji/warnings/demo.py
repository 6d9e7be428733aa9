"""Demo data for early warnings: the people of the release chain and points for the demo villages.

* ``qixiang`` drafts for 州气象局 (department), ``warncentre`` reviews for the prefecture's
  warning-release centre, ``warncentre_jh`` for 精河县; ``leader`` (already a demo user) signs.
* Demo villages have no surveyed location: each gets a demo point inside its county's boundary
  (``geo/<county>.geojson``), spread by a Halton sequence, so that drawn areas can reach them. Only units
  marked ``is_demo`` without a point are touched.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import accounts
from yingji.core.models import Unit, User
from yingji.core.schemas import UserCreate
from yingji.core.scope import Principal
from yingji.warnings import defaults, targeting

DEMO_PASSWORD = "Yingji@2026"


def _user(session: Session, principal: Principal, unit: Unit, username: str, display: str, role: str) -> None:
    if session.scalar(select(User.id).where(User.username == username)) is None:
        accounts.create_user(session, principal, UserCreate(
            username=username, display_name=display, unit_id=unit.id, role=role,
            email=f"{username}@demo.yingji.invalid", password=DEMO_PASSWORD))


def _halton(index: int, base: int) -> float:
    result, f = 0.0, 1.0
    while index > 0:
        f /= base
        result += f * (index % base)
        index //= base
    return result


def demo_points(code: str, count: int) -> list[tuple[float, float]]:
    """``count`` (lon, lat) points inside the county boundary, deterministic."""
    rings = targeting.boundary(code)
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    points: list[tuple[float, float]] = []
    i = 1
    while len(points) < count and i < 100000:
        lon = west + (east - west) * _halton(i, 2)
        lat = south + (north - south) * _halton(i, 3)
        if targeting.in_boundary(lon, lat, code):
            points.append((round(lon, 5), round(lat, 5)))
        i += 1
    return points


def place_demo_villages(session: Session, counties: dict[str, Unit]) -> int:
    placed = 0
    for code, county in counties.items():
        if not (targeting.GEO_DIR / f"{code}.geojson").exists():
            continue
        low, high = county.path, county.path[:-1] + "0"
        villages = list(session.scalars(select(Unit).where(
            Unit.kind == "village", Unit.is_demo.is_(True), Unit.lon.is_(None), Unit.path >= low, Unit.path < high)
            .order_by(Unit.code)))
        for village, (lon, lat) in zip(villages, demo_points(code, len(villages)), strict=False):
            village.lon, village.lat = lon, lat
            placed += 1
    session.flush()
    return placed


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    met = session.scalar(select(Unit).where(Unit.name == "州气象局", Unit.parent_id == root.id))
    _user(session, principal, met or root, "qixiang", "州气象台预报员（演示）", "department")
    _user(session, principal, root, "warncentre", "州预警信息发布中心（演示）", "warning_centre")
    if "652722" in counties:
        _user(session, principal, counties["652722"], "warncentre_jh", "精河县预警信息发布中心（演示）",
              "warning_centre")
    place_demo_villages(session, counties)
    _demo_draft(session, root, counties)


def _demo_draft(session: Session, root: Unit, counties: dict[str, Unit]) -> None:
    """One gale warning of 州气象局 for 温泉县, submitted and waiting for the warning-release centre."""
    from datetime import timedelta

    from yingji import clock
    from yingji.core import auth
    from yingji.warnings import service
    from yingji.warnings.models import Alert
    from yingji.warnings.schemas import AlertDraft

    if "652723" not in counties or session.scalar(select(Alert.id).where(Alert.is_demo.is_(True))) is not None:
        return
    user = session.scalar(select(User).where(User.username == "qixiang"))
    unit = session.get(Unit, user.unit_id) if user else None
    if user is None or unit is None:
        return
    author = auth.principal_for(user, unit, via="demo", request_id="demo")
    now = clock.now().replace(second=0, microsecond=0)
    draft = AlertDraft.model_validate({
        "colour": "blue", "event": "大风", "effective_at": now, "expires_at": now + timedelta(hours=24),
        "infos": [{"language": "zh-CN", "headline": "温泉县大风蓝色预警（演示）",
                   "description": "预计未来24小时温泉县有6级以上大风，阵风8级。",
                   "instruction": "请加固围板、棚架等搭建物，减少户外活动。"},
                  {"language": "en", "headline": "Blue gale warning for Wenquan County (demo)"}],
        "areas": [{"kind": "unit", "unit_id": counties["652723"].id}]})
    alert = service.create_draft(session, author, draft)
    alert.is_demo = True
    service.submit(session, author, alert.id)
