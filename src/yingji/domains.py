"""The business domains and how each plugs into the platform.

A domain is a package ``yingji.<name>``. Every module below is optional; the platform imports
what exists, so adding a domain is one line in :data:`DOMAINS`:

- ``models``  — its tables (imported for the metadata and Alembic);
- ``api``     — ``router`` (under ``/api``, signed in), optionally ``feed_router`` (under ``/api``,
  reachable with a feed token or bearer token, no session) and ``public_router`` (no sign-in);
- ``views``   — ``router`` (pages, signed in), optionally ``public_router`` (public pages); when a
  domain has views, its entry in the navigation is live;
- ``tasks``   — periodic jobs, registered with the queue on import;
- ``defaults`` — ``load(session, principal)`` adds the domain's default rules that are missing;
- ``demo``    — ``load(session, principal, root, counties)`` adds the domain's demo rows.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

# In the order their demo data is loaded (later domains may use earlier ones' rows).
DOMAINS: tuple[str, ...] = ("duty", "incidents", "response", "warnings", "channels", "preparedness", "resources",
                            "risks", "oversight")


def has(domain: str, part: str) -> bool:
    try:
        return importlib.util.find_spec(f"yingji.{domain}.{part}") is not None
    except ModuleNotFoundError:
        return False


def parts(part: str) -> list[tuple[str, ModuleType]]:
    """Each domain's ``part`` module, for the domains that have one."""
    return [(domain, importlib.import_module(f"yingji.{domain}.{part}")) for domain in DOMAINS if has(domain, part)]


def load_defaults(session: Any, principal: Any) -> int:
    """The platform's default rules, then each domain's (``<domain>.defaults.load``); returns rows added.
    Idempotent: a rule that exists is never overwritten (``yingji init``, the demo, the tests)."""
    from yingji.core import defaults

    added = defaults.load(session, principal)
    for _name, module in parts("defaults"):
        if hasattr(module, "load"):
            added += module.load(session, principal)
    return added
