"""Personal data at rest: encryption, key ids, rotation."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import text

from app.identity import crypto, rotate
from tests.conftest import make_id_number


def test_ciphertext_is_bound_to_its_column():
    ring = crypto.ring()
    token = ring.encrypt("陈建国", "members.real_name")
    assert ring.decrypt(token, "members.real_name") == "陈建国"
    with pytest.raises(crypto.PiiKeyError):
        ring.decrypt(token, "members.id_number")


def test_tampered_ciphertext_does_not_open():
    ring = crypto.ring()
    token = ring.encrypt("x", "c")
    body = token.split(".", 2)[2]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.PiiKeyError):
        ring.decrypt(f"v1.{ring.active}.{flipped}", "c")


def test_key_ring_from_settings_rejects_bad_keys():
    with pytest.raises(crypto.PiiKeyError):
        crypto.KeyRing.from_settings("k1:short", "", "", "s")
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with pytest.raises(crypto.PiiKeyError):
        crypto.KeyRing.from_settings(f"k1:{key}", "k9", "", "s")


def test_rotate_reencrypts_under_the_active_key(app, session, roster_person):
    old_ring = crypto.ring()
    person = roster_person("陈建国", make_id_number("35020319680312101"))
    before = session.execute(
        text("SELECT id_number FROM roster_entries WHERE id = :id"), {"id": person.id}
    ).scalar_one()
    assert before.split(".")[1] == old_ring.active
    new_key = os.urandom(32)
    rotated_ring = crypto.KeyRing({**old_ring.keys, "k2": new_key}, "k2", old_ring.index_key)
    crypto.configure(rotated_ring)
    try:
        report = rotate.rotate(session, after_batch=session.flush)
        assert report.rotated >= 2  # name and ID number of this person
        after = session.execute(
            text("SELECT id_number FROM roster_entries WHERE id = :id"), {"id": person.id}
        ).scalar_one()
        assert after.split(".")[1] == "k2"
        session.expire_all()
        assert session.get(type(person), person.id).name == "陈建国"
        assert rotate.rotate(session, after_batch=session.flush).rotated == 0  # idempotent
    finally:
        crypto.configure(old_ring)
