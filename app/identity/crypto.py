"""Personal data at rest: AES-256-GCM with key ids (rotation), HMAC blind indexes.

A ciphertext is the text `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`; the
column name is bound in as associated data, so a value copied into another column
does not decrypt. Lookups use a blind index: HMAC-SHA256 of the normalised value
with a separate key (equal values → equal index, nothing to decrypt).

Keys come from settings (PII_KEYS, PII_ACTIVE_KEY, PII_INDEX_KEY); in development
and tests they are derived from SECRET_KEY so that a restart can still read the data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class PiiKeyError(ValueError):
    """A key ring that cannot be used, or a ciphertext no key can open."""


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PiiKeyError("not base64") from exc


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active: str
    index_key: bytes

    @classmethod
    def from_settings(cls, pii_keys: str, active: str, index_key: str, secret: str) -> KeyRing:
        if not pii_keys:
            derived = hashlib.sha256(b"huiminbao-pii-dev-key|" + secret.encode()).digest()
            keys = {"dev1": derived}
        else:
            keys = {}
            for part in pii_keys.split(","):
                kid, _, b64 = part.strip().partition(":")
                key = _b64decode(b64.strip())
                if not kid or len(key) != 32:
                    raise PiiKeyError(f"PII_KEYS entry {kid!r} must be <id>:<base64 of 32 bytes>")
                keys[kid] = key
        active = active or list(keys)[-1]
        if active not in keys:
            raise PiiKeyError(f"PII_ACTIVE_KEY {active!r} is not in PII_KEYS")
        if index_key:
            idx = _b64decode(index_key)
            if len(idx) < 32:
                raise PiiKeyError("PII_INDEX_KEY must be at least 32 bytes")
        else:
            idx = hashlib.sha256(b"huiminbao-pii-dev-index|" + secret.encode()).digest()
        return cls(keys, active, idx)

    # --- encryption -----------------------------------------------------------

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.active]).encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}.{self.active}.{body}"

    def key_id(self, token: str) -> str:
        parts = token.split(".", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            raise PiiKeyError("not a ciphertext of this service")
        return parts[1]

    def decrypt(self, token: str, context: str) -> str:
        kid = self.key_id(token)
        key = self.keys.get(kid)
        if key is None:
            raise PiiKeyError(f"no key {kid!r} in the key ring")
        raw = _b64decode(token.split(".", 2)[2])
        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise PiiKeyError("ciphertext does not open (wrong key, column or tampered)") from exc
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        return self.key_id(token) != self.active

    # --- blind index -------------------------------------------------------------

    def blind_index(self, value: str, purpose: str) -> str:
        """Hex HMAC-SHA256 of `purpose` + the value (normalise the value first)."""
        mac = hmac.new(self.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()


_current: KeyRing | None = None


def configure(ring: KeyRing) -> None:
    """Set the process's key ring (create_app does this from settings)."""
    global _current
    _current = ring


def ring() -> KeyRing:
    if _current is None:
        raise PiiKeyError("the personal-data key ring is not configured")
    return _current


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def normalise_name(value: str) -> str:
    return " ".join(value.split())


def id_index(id_number: str) -> str:
    return ring().blind_index(normalise_id_number(id_number), "id_number")


def name_index(name: str) -> str:
    return ring().blind_index(normalise_name(name), "name")
