from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from tests.channels.peers import Peer


@pytest.fixture()
def peer() -> Iterator[Peer]:
    p = Peer().start()
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _without_demo_channels(request: Any) -> None:
    """Channel tests count exactly who is reached: the demo recipients and endpoints are switched off first."""
    if "session" not in request.fixturenames or "demo" in request.node.name:
        return
    from yingji.channels.models import Endpoint, Recipient

    session = request.getfixturevalue("session")
    session.execute(update(Recipient).where(Recipient.is_demo.is_(True)).values(active=False))
    session.execute(update(Endpoint).where(Endpoint.is_demo.is_(True)).values(active=False))
    session.commit()
