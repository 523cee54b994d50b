"""Staff credentials: scrypt password hashes and TOTP (RFC 6238) codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOTP_STEP_S = 30
TOTP_DIGITS = 6


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt_b64),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# A hash to check against when the user does not exist, so timing does not tell.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**TOTP_DIGITS
    return f"{code:0{TOTP_DIGITS}d}"


def totp_step(unix_seconds: float) -> int:
    return int(unix_seconds // TOTP_STEP_S)


def match_totp(secret: str, code: str, unix_seconds: float, window: int = 1) -> int | None:
    """The time step the code belongs to (±window steps), or None."""
    if not (code.isdigit() and len(code) == TOTP_DIGITS):
        return None
    now_step = totp_step(unix_seconds)
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(totp_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str, issuer: str = "Huimin Bao") -> str:
    label = quote(f"{issuer}:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits=6&period=30"
