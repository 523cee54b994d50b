"""The logging channel (no personal data in the log) and the channel from the settings."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

import pytest

from app.notifications.channels import (
    ChannelConfigError,
    LoggingChannel,
    Outgoing,
    Recipient,
    WeChatSubscribeChannel,
    channel_from_settings,
    clip,
)
from app.rules.terms import Text
from app.standins import registry
from app.standins.wechat_messages import TEMPLATE_ID

NAME = "陈建国"
ID_NUMBER = "350203196803150112"
OPENID = "oXyZ0123456789abcdefghijklmn"


def message(**changes):
    base = Outgoing(
        id="01JMSG0000000000000000000A",
        member_id="01JMEMBER00000000000000000",
        kind="claim_status",
        claim_id="01JCLAIM000000000000000000",
        title=Text(zh="理赔已通过", en="Claim approved"),
        body=Text(
            zh=f"{NAME}（{ID_NUMBER}）的理赔已通过，赔付 1,234.00 元。",
            en=f"The claim for {NAME} ({ID_NUMBER}) is approved: ¥1,234.00.",
        ),
        created_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
    )
    return dataclasses.replace(base, **changes)


def test_logging_channel_logs_who_what_and_the_title_only(caplog):
    msg = message()
    with caplog.at_level(logging.DEBUG):
        LoggingChannel().send(Recipient(msg.member_id, {registry.WECHAT_APP_ID: OPENID}), msg)
    (record,) = caplog.records
    text = record.getMessage()
    assert record.levelno == logging.INFO
    assert msg.id in text and msg.member_id in text and "claim_status" in text
    assert msg.claim_id in text and "Claim approved" in text
    for secret in (NAME, ID_NUMBER, OPENID, "1,234.00", msg.body.zh, msg.body.en):
        assert secret not in caplog.text


def test_the_default_channel_is_logging(app):
    settings = app.extensions["settings"]
    assert settings.notify_channel == "logging"
    assert isinstance(channel_from_settings(settings), LoggingChannel)


def test_wechat_with_the_standins_uses_the_standin_app_and_template(app):
    settings = dataclasses.replace(app.extensions["settings"], notify_channel="wechat")
    channel = channel_from_settings(settings)
    assert isinstance(channel, WeChatSubscribeChannel)
    assert channel.app_id == registry.WECHAT_APP_ID
    assert channel.api_base == "http://standins.test/standins/wechat"
    assert channel.template_id == TEMPLATE_ID
    assert registry.WECHAT_APP_SECRET not in repr(channel)


def test_wechat_in_production_needs_the_app_and_the_template(app):
    base = dataclasses.replace(
        app.extensions["settings"], notify_channel="wechat", dev_standins=False
    )
    with pytest.raises(ChannelConfigError, match="WECHAT_APP_ID"):
        channel_from_settings(base)
    configured = dataclasses.replace(
        base,
        wechat_app_id="wx1234567890abcdef",
        wechat_app_secret="s" * 32,
        public_base_url="https://hmb.example.cn",
    )
    with pytest.raises(ChannelConfigError, match="WECHAT_SUBSCRIBE_TEMPLATE_ID"):
        channel_from_settings(configured)
    channel = channel_from_settings(
        dataclasses.replace(configured, wechat_subscribe_template_id="tmpl-1")
    )
    assert isinstance(channel, WeChatSubscribeChannel)
    assert (channel.app_id, channel.api_base, channel.template_id) == (
        "wx1234567890abcdef",
        "https://api.weixin.qq.com",
        "tmpl-1",
    )
    assert channel.page(message()) == "https://hmb.example.cn/#/claims/01JCLAIM000000000000000000"
    assert channel.page(message(claim_id=None)) == "https://hmb.example.cn/#/messages"


def test_an_unknown_channel_is_refused(app):
    settings = dataclasses.replace(app.extensions["settings"], notify_channel="pigeon")
    with pytest.raises(ChannelConfigError, match="NOTIFY_CHANNEL"):
        channel_from_settings(settings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("理赔已通过", "理赔已通过"),
        ("一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六七八九十"),
        ("一二三四五六七八九十一二三四五六七八九十一", "一二三四五六七八九十一二三四五六七八九…"),
        ("two\n lines\tand  spaces", "two lines and spaces"),
    ],
)
def test_thing_values_are_one_line_of_at_most_20_characters(value, expected):
    assert clip(value) == expected
    assert len(clip(value)) <= 20
