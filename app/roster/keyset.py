"""A compact map of 63-bit integer keys to small integers, for "seen before?" checks.

Streaming a million-row roster must keep memory flat, yet a duplicate ID number
can sit anywhere in the file. A Python `set` of the 64-character blind indexes
would cost ~180 bytes per row; this open-addressing table stores each key in
8 bytes and its value (a line number) in 4, at most half full: ≤ 24 bytes per
distinct key (about 25 MB for a million), allocated in two flat arrays and
nothing per entry.
"""

from __future__ import annotations

from array import array
from typing import Final

_MIN_SLOTS: Final[int] = 1 << 10
_KEY_MASK: Final[int] = (1 << 63) - 1
_MAX_VALUE: Final[int] = (1 << 32) - 1
_GOLDEN: Final[int] = 0x9E3779B97F4A7C15  # Fibonacci hashing spreads clustered keys


class IntMap:
    """`setdefault(key, value)` for non-negative integer keys below 2**63 and values
    1..2**32-1 (0 means "absent"): returns the value stored for `key` before, or 0
    after storing `value`."""

    def __init__(self) -> None:
        self._bits = _MIN_SLOTS.bit_length() - 1
        self._keys = array("Q", bytes(8 * _MIN_SLOTS))
        self._values = array("I", bytes(4 * _MIN_SLOTS))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        return len(self._keys) * self._keys.itemsize + len(self._values) * self._values.itemsize

    def _slot(self, stored: int) -> int:
        return ((stored * _GOLDEN) & 0xFFFFFFFFFFFFFFFF) >> (64 - self._bits)

    def setdefault(self, key: int, value: int) -> int:
        if not 0 <= key <= _KEY_MASK:
            raise ValueError("IntMap keys are integers from 0 to 2**63 - 1")
        if not 0 < value <= _MAX_VALUE:
            raise ValueError("IntMap values are integers from 1 to 2**32 - 1")
        stored = key + 1  # 0 marks an empty slot
        keys = self._keys
        mask = len(keys) - 1
        slot = self._slot(stored)
        while True:
            current = keys[slot]
            if current == stored:
                return int(self._values[slot])
            if current == 0:
                keys[slot] = stored
                self._values[slot] = value
                self._count += 1
                if 2 * self._count > len(keys):
                    self._grow()
                return 0
            slot = (slot + 1) & mask

    def get(self, key: int) -> int:
        stored = key + 1
        keys = self._keys
        mask = len(keys) - 1
        slot = self._slot(stored)
        while True:
            current = keys[slot]
            if current == stored:
                return int(self._values[slot])
            if current == 0:
                return 0
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old_keys, old_values = self._keys, self._values
        self._bits += 1
        size = 1 << self._bits
        self._keys = array("Q", bytes(8 * size))
        self._values = array(old_values.typecode, bytes(4 * size))
        keys, values, mask = self._keys, self._values, size - 1
        for stored, value in zip(old_keys, old_values, strict=True):
            if stored:
                slot = self._slot(stored)
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = stored
                values[slot] = value
