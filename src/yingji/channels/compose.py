"""The text of a message, from the alert's info block in the recipient's language (zh-CN when missing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Short fixed words around the alert's own text, per recipient language (not the page language).
WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {"ack": "收到请点击确认：", "red": "红色预警", "orange": "橙色预警", "yellow": "黄色预警",
              "blue": "蓝色预警"},
    "en": {"ack": "Received? Confirm: ", "red": "Red warning", "orange": "Orange warning",
           "yellow": "Yellow warning", "blue": "Blue warning"},
}
# The longest "received" link a message may carry (base URL + /public/ack/ + token), for length checks.
ACK_LINK_ROOM = 120


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def words(language: str) -> dict[str, str]:
    return WORDS.get(language) or WORDS["zh-CN"]


def compose(alert: Any, language: str, ack_link: str = "") -> Text:
    """Subject and body for one recipient: headline, description, instruction, and the "received" link."""
    info = alert.info_for(language)
    used = (info.language if info else "zh-CN") or "zh-CN"
    w = words(used)
    headline = ((info.headline if info else "") or alert.event or "").strip()
    level = w.get(alert.colour or "", "")
    subject = f"[{level}] {headline}" if level and level not in headline else headline
    parts = [subject]
    if info is not None:
        parts += [info.description.strip(), info.instruction.strip()]
    if ack_link:
        parts.append(w["ack"] + ack_link)
    return Text(subject=subject, body="\n".join(p for p in parts if p))


def structured(alert: Any, language: str) -> dict[str, Any]:
    """The alert's fields for machine peers (webhook receivers: broadcast, displays, TV, radio)."""
    info = alert.info_for(language)

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {"alert": {
        "identifier": alert.identifier, "msg_type": alert.msg_type, "references": alert.references,
        "colour": alert.colour, "severity": alert.severity, "urgency": alert.urgency, "certainty": alert.certainty,
        "event": (info.event if info and info.event else alert.event), "headline": info.headline if info else "",
        "description": info.description if info else "", "instruction": info.instruction if info else "",
        "sent": iso(alert.sent_at), "effective": iso(alert.effective_at), "expires": iso(alert.expires_at),
        "sender": alert.sender}}
