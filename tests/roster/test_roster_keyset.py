"""The compact integer map behind duplicate detection."""

from __future__ import annotations

import random

import pytest

from app.roster.keyset import IntMap


def test_setdefault_behaves_like_a_dict_through_growth():
    rng = random.Random(4)
    table, oracle = IntMap(), {}
    keys = [rng.getrandbits(63) for _ in range(5000)] + list(range(3000)) + [2**63 - 1]
    for line, key in enumerate(keys * 2, start=1):
        assert table.setdefault(key, line) == oracle.get(key, 0)
        oracle.setdefault(key, line)
    assert len(table) == len(oracle)
    assert all(table.get(key) == value for key, value in oracle.items())
    assert table.get(2**62 + 12345) == 0
    assert table.nbytes <= 12 * 4 * len(oracle)  # 12 bytes a slot, at most half full + growth


@pytest.mark.parametrize(("key", "value"), [(-1, 1), (2**63, 1), (1, 0), (1, 2**32)])
def test_out_of_range(key, value):
    with pytest.raises(ValueError):
        IntMap().setdefault(key, value)
