"""yingji's own alerts: GB/T 35965.1 identifiers and the colour level <-> CAP severity mapping.

Reference: ``../shared/domain/DEFAULTS.md`` §5 ("Identifier (GB/T 35965.1 annex)" and "CAP
severity mapping"): identifier ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`` (6-digit division code,
3-digit sector code, 3-digit sub-unit 000, 2-digit extension 00, Beijing time, sequence digit;
31 characters); red->Extreme, orange->Severe, yellow->Moderate, blue->Minor, the colour kept
as a CAP ``parameter`` too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")

# DEFAULTS.md §5: 一级 red, 二级 orange, 三级 yellow, 四级 blue.
COLOUR_TO_SEVERITY: dict[str, str] = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate", "blue": "Minor"}
SEVERITY_TO_COLOUR: dict[str, str] = {v: k for k, v in COLOUR_TO_SEVERITY.items()}
COLOUR_LEVEL: dict[str, str] = {"red": "一级", "orange": "二级", "yellow": "三级", "blue": "四级"}
# The CAP parameter that carries the colour (valueName).
COLOUR_PARAMETER = "colour"

IDENTIFIER_RE = re.compile(r"^\d{6}\d{3}\d{3}\d{2}_\d{14}_\d$")


def make_identifier(division: str, sector: str, when: datetime, sequence: int, unit: str = "000",
                    extension: str = "00") -> str:  # fmt: skip
    """``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`` with ``when`` converted to Beijing time (+08:00)."""
    if not re.fullmatch(r"\d{6}", division):
        raise ValueError(f"division code {division!r} must be 6 digits (GB/T 2260)")
    if not re.fullmatch(r"\d{3}", sector) or not re.fullmatch(r"\d{3}", unit) or not re.fullmatch(r"\d{2}", extension):
        raise ValueError("sector and sub-unit codes must be 3 digits, the extension 2 digits")
    if not 0 <= sequence <= 9:
        raise ValueError(f"sequence {sequence} must be a single digit 0-9")
    if when.tzinfo is None:
        raise ValueError("the time must carry a UTC offset")
    stamp = when.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")
    return f"{division}{sector}{unit}{extension}_{stamp}_{sequence}"


def severity_for_colour(colour: str) -> str:
    return COLOUR_TO_SEVERITY[colour.strip().lower()]


def colour_for_severity(severity: str) -> str | None:
    return SEVERITY_TO_COLOUR.get(severity)


def colour_parameter(colour: str) -> tuple[str, str]:
    """The ordered ``(valueName, value)`` pair to put in ``Info.parameters``."""
    severity_for_colour(colour)
    return COLOUR_PARAMETER, colour.strip().lower()


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(microsecond=0)
