"""The channels by name: a plain dict (adding a channel is one module and one line here)."""

from __future__ import annotations

from yingji.channels.base import Channel
from yingji.channels.dingtalk import DingtalkChannel
from yingji.channels.mail import MailChannel
from yingji.channels.sms import SmsChannel
from yingji.channels.webhook import WebhookChannel
from yingji.channels.wecom import WecomChannel
from yingji.i18n import N_

CHANNELS: dict[str, type[Channel]] = {
    cls.name: cls for cls in (MailChannel, SmsChannel, WecomChannel, DingtalkChannel, WebhookChannel)}
# Channels that reach a person (recipients) and those that reach a machine or a group (endpoints).
PERSON_CHANNELS = ("sms", "email")
ENDPOINT_CHANNELS = ("webhook", "wecom", "dingtalk")
# What people call each channel (message ids; translated where shown).
CHANNEL_LABELS = {"email": N_("mail"), "sms": N_("SMS"), "wecom": N_("WeCom"), "dingtalk": N_("DingTalk"),
                  "webhook": N_("webhook")}
