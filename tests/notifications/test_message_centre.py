"""The message centre service: posting (delivery only after the commit), unread counts,
marking read."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.db import after_commit, get_session
from app.core.errors import NotFound
from app.notifications import service
from app.notifications.channels import ChannelError, LoggingChannel
from app.notifications.models import Message
from app.rules.terms import Text

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TITLE = Text(zh="理赔已受理", en="Claim received")
BODY = Text(
    zh="您的理赔申请已受理，我们将尽快审核。", en="Your claim is received; we will review it soon."
)


def post(member_id: str, title: Text = TITLE, kind: str = "claim_status") -> Message:
    return service.post_message(
        get_session(), member_id=member_id, kind=kind, claim_id=None, title=title, body=BODY
    )


def stored(session, member_id: str) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).where(Message.member_id == member_id)))


# --- posting and delivery --------------------------------------------------------------------


def test_post_message_inserts_and_delivers_after_the_commit(
    session, make_member, recording, request_cycle, set_clock
):
    set_clock(T0)
    member = make_member(wechat_openid="o-abc")
    with request_cycle(status=200):
        row = post(member.id)
        assert row.id and row.created_at == T0 and row.read_at is None
        assert recording.sent == []  # nothing leaves before the commit
    (recipient, outgoing), *rest = recording.sent
    assert rest == []
    assert recipient.member_id == member.id
    assert dict(recipient.wechat_openids) == {"wxd0000000standin": "o-abc"}
    assert outgoing.id == row.id and outgoing.kind == "claim_status" and outgoing.claim_id is None
    assert outgoing.title == TITLE and outgoing.body == BODY and outgoing.created_at == T0
    (kept,) = stored(session, member.id)
    assert (kept.title_zh, kept.title_en, kept.body_zh, kept.body_en) == (
        TITLE.zh,
        TITLE.en,
        BODY.zh,
        BODY.en,
    )


@pytest.mark.parametrize("status", [400, 409, 422, 500])
def test_a_refused_request_stores_and_sends_nothing(
    session, make_member, recording, request_cycle, status
):
    member = make_member()
    with request_cycle(status=status):
        post(member.id)
    assert recording.sent == []
    assert stored(session, member.id) == []


def test_a_request_that_raises_sends_nothing(session, make_member, recording, request_cycle):
    member = make_member()
    with pytest.raises(RuntimeError), request_cycle():
        post(member.id)
        raise RuntimeError("boom")
    assert recording.sent == []
    assert stored(session, member.id) == []


@pytest.mark.parametrize(
    "failure", [ChannelError("wechat", "bizsend: HTTP 502"), RuntimeError("a bug")]
)
def test_a_failing_channel_never_fails_the_request(
    session, make_member, recording, request_cycle, caplog, failure
):
    member = make_member()
    recording.fail = failure
    others: list[str] = []
    with caplog.at_level(logging.WARNING, logger="app.notifications.service"), request_cycle():
        row = post(member.id)
        after_commit(lambda own: others.append("ran"))
    assert others == ["ran"]  # the request's other after-commit work still ran
    assert [m.id for m in stored(session, member.id)] == [row.id]
    assert f"notification {row.id} (claim_status) for member {member.id} not delivered" in (
        caplog.text
    )


def test_one_failure_does_not_stop_the_next_message(session, make_member, recording, request_cycle):
    member = make_member()

    class FailOnce:
        name = "flaky"
        calls = 0

        def send(self, recipient, message):
            self.calls += 1
            if self.calls == 1:
                raise ChannelError("flaky", "down")
            recording.sent.append((recipient, message))

    flaky = FailOnce()
    from flask import current_app

    with request_cycle():
        current_app.extensions["notify_channel"] = flaky
        post(member.id, Text(zh="一", en="one"))
        second = post(member.id, Text(zh="二", en="two"))
    assert flaky.calls == 2
    assert [m.id for _, m in recording.sent] == [second.id]


def test_a_misconfigured_channel_is_logged_not_raised(
    app, session, make_member, request_cycle, caplog
):
    import dataclasses

    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, notify_channel="sms")
    app.extensions.pop("notify_channel", None)
    member = make_member()
    try:
        with caplog.at_level(logging.WARNING), request_cycle():
            row = post(member.id)
    finally:
        app.extensions["settings"] = settings
        app.extensions.pop("notify_channel", None)
    assert [m.id for m in stored(session, member.id)] == [row.id]
    assert "not delivered" in caplog.text and "NOTIFY_CHANNEL" in caplog.text


def test_the_default_channel_is_the_logging_channel(app, make_member, request_cycle, caplog):
    app.extensions.pop("notify_channel", None)
    member = make_member()
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"), request_cycle():
        row = post(member.id)
    assert isinstance(app.extensions["notify_channel"], LoggingChannel)
    assert f"notification {row.id} kind=claim_status member={member.id}" in caplog.text
    app.extensions.pop("notify_channel", None)


# --- reading ---------------------------------------------------------------------------------


def test_unread_count_mark_read_and_mark_all(
    session, make_member, recording, request_cycle, set_clock
):
    set_clock(T0)
    member, other = make_member(), make_member()
    with request_cycle():
        first = post(member.id)
        set_clock(T0 + timedelta(minutes=1))
        second = post(member.id)
        third = post(member.id)
        theirs = post(other.id)
    assert service.unread_count(session, member.id) == 3

    set_clock(T0 + timedelta(hours=1))
    read = service.mark_read(session, member.id, second.id)
    assert read.read_at == T0 + timedelta(hours=1)
    set_clock(T0 + timedelta(hours=2))
    again = service.mark_read(session, member.id, second.id)  # idempotent: first time kept
    assert again.read_at == T0 + timedelta(hours=1)
    assert service.unread_count(session, member.id) == 2

    with pytest.raises(NotFound) as caught:
        service.mark_read(session, member.id, theirs.id)
    assert caught.value.http_status == 404

    assert service.mark_all_read(session, member.id) == 2
    assert service.unread_count(session, member.id) == 0
    assert service.mark_all_read(session, member.id) == 0
    assert service.unread_count(session, other.id) == 1  # someone else's stay unread
    session.expire_all()
    times = {m.id: m.read_at for m in stored(session, member.id)}
    assert times == {
        first.id: T0 + timedelta(hours=2),
        second.id: T0 + timedelta(hours=1),
        third.id: T0 + timedelta(hours=2),
    }


def test_list_is_newest_first_and_paginated(
    session, make_member, recording, request_cycle, set_clock
):
    member = make_member()
    ids = []
    with request_cycle():
        for i in range(5):
            set_clock(T0 + timedelta(minutes=i))
            ids.append(post(member.id, Text(zh=f"消息{i}", en=f"message {i}")).id)
    service.mark_read(session, member.id, ids[4])
    page1 = service.list_messages(session, member.id, page=1, per_page=2)
    page3 = service.list_messages(session, member.id, page=3, per_page=2)
    assert [m.id for m in page1.items] == [ids[4], ids[3]]
    assert [m.id for m in page3.items] == [ids[0]]
    assert (page1.total, page1.unread, page1.page, page1.per_page) == (5, 4, 1, 2)
    assert service.list_messages(session, member.id, page=4, per_page=2).items == []
