"""Translations (gettext through Babel): zh_CN is the default, en is complete.

Message ids are English; ``translations/zh_CN/LC_MESSAGES/messages.po`` carries the Chinese.
The active language lives in a context variable set per request, job or command.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh_CN", "en")
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
_current: ContextVar[str] = ContextVar("yingji_lang", default="zh_CN")


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    po_path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def set_language(lang: str | None) -> str:
    chosen = lang if lang in LANGUAGES else "zh_CN"
    _current.set(chosen)
    return chosen


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def pick_language(accept_language: str | None) -> str | None:
    """The first supported language in an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


def format_local(value: datetime | None, zone_name: str, with_seconds: bool = False) -> str:
    """A UTC time shown in the configured zone, e.g. ``2026-11-28 10:15``."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(zone_name))
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
