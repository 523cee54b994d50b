"""Alipay's RSA2 signatures (SHA256withRSA, PKCS#1 v1.5), for login and payments alike.

Requests: the signing string is every parameter except `sign`, sorted by key, empty
values skipped, joined as unencoded `k=v&k=v`; `sign` is its base64 signature with the
app's private key. Asynchronous notifications (payments) leave out `sign_type` too:
pass `exclude=("sign", "sign_type")`.

Responses: Alipay signs the RAW JSON TEXT of the `<method>_response` (or
`error_response`) value exactly as it appears in the body. `split_response` finds that
text without re-serializing anything, so `\\/` escapes, key order and spacing survive.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REQUEST_EXCLUDE = ("sign",)
NOTIFY_EXCLUDE = ("sign", "sign_type")


def signing_string(params: Mapping[str, Any], *, exclude: Collection[str] = REQUEST_EXCLUDE) -> str:
    """`k=v&k=v` over the parameters sorted by key; `sign` (and `exclude`) and empty values
    left out; nothing URL-encoded."""
    parts = []
    for key in sorted(params):
        value = params[key]
        if key in exclude or value is None or value == "":
            continue
        parts.append(f"{key}={value}")
    return "&".join(parts)


def sign_text(content: str, private_key_pem: str) -> str:
    """base64(SHA256withRSA(content as UTF-8))."""
    key = load_private_key(private_key_pem)
    signature = key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def sign_params(params: Mapping[str, Any], private_key_pem: str) -> str:
    """The `sign` value for a request's parameters."""
    return sign_text(signing_string(params), private_key_pem)


def verify(content: str, sign_b64: str, public_key_pem: str) -> bool:
    """True when `sign_b64` is a valid RSA2 signature of `content` by the key's owner."""
    if not sign_b64:
        return False
    try:
        signature = base64.b64decode(sign_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = load_public_key(public_key_pem)
    try:
        key.verify(signature, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_params(
    params: Mapping[str, Any],
    public_key_pem: str,
    *,
    exclude: Collection[str] = REQUEST_EXCLUDE,
) -> bool:
    """Verify the `sign` parameter over the other parameters (requests, notifications)."""
    sign = params.get("sign")
    if not isinstance(sign, str):
        return False
    return verify(signing_string(params, exclude=exclude), sign, public_key_pem)


# --- keys ------------------------------------------------------------------------------


def _pem_bytes(text: str, label: str) -> bytes:
    """PEM text as is; a bare base64 body (how Alipay's console shows keys) wrapped."""
    text = text.strip()
    if "-----BEGIN" in text:
        return text.encode("ascii")
    body = "".join(text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])).encode(
        "ascii"
    )


@functools.lru_cache(maxsize=16)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PKCS#8 or PKCS#1 PEM (or a bare PKCS#8 base64 body)."""
    key = serialization.load_pem_private_key(_pem_bytes(pem, "PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@functools.lru_cache(maxsize=16)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from SubjectPublicKeyInfo PEM (or its bare base64 body)."""
    key = serialization.load_pem_public_key(_pem_bytes(pem, "PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def private_key_pem(text: str) -> str:
    """Normalise private key text to PKCS#8 PEM (raises ValueError when it is no RSA key)."""
    key = load_private_key(text)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(text: str) -> str:
    """Normalise public key text to SubjectPublicKeyInfo PEM (raises ValueError if not RSA)."""
    key = load_public_key(text)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


# --- signed responses -------------------------------------------------------------------


@dataclass(frozen=True)
class SignedResponse:
    """One top-level member of a gateway response, with the raw text Alipay signed."""

    key: str  # "alipay_system_oauth_token_response", "error_response", ...
    value: Any  # the parsed value
    content: str  # its raw JSON text, exactly as in the body
    sign: str | None  # the top-level "sign", if any


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def top_level_members(text: str) -> dict[str, tuple[Any, str]]:
    """The members of a JSON object: {key: (parsed value, raw value text)}.

    Raises ValueError when `text` is not exactly one JSON object.
    """
    decoder = json.JSONDecoder()
    members: dict[str, tuple[Any, str]] = {}
    pos = _skip_ws(text, 0)
    if not text.startswith("{", pos):
        raise ValueError("not a JSON object")
    pos = _skip_ws(text, pos + 1)
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            key, pos = decoder.raw_decode(text, pos)
            if not isinstance(key, str):
                raise ValueError("object key is not a string")
            pos = _skip_ws(text, pos)
            if not text.startswith(":", pos):
                raise ValueError("expected ':'")
            start = _skip_ws(text, pos + 1)
            value, end = decoder.raw_decode(text, start)
            members[key] = (value, text[start:end])
            pos = _skip_ws(text, end)
            if text.startswith(",", pos):
                pos = _skip_ws(text, pos + 1)
                continue
            if text.startswith("}", pos):
                pos += 1
                break
            raise ValueError("expected ',' or '}'")
    if _skip_ws(text, pos) != len(text):
        raise ValueError("trailing data after the JSON object")
    return members


def split_response(text: str, response_key: str) -> SignedResponse | None:
    """The `response_key` member (else `error_response`) of a gateway response body.

    None when neither is present; ValueError when the body is not a JSON object.
    """
    members = top_level_members(text)
    sign_member = members.get("sign")
    sign = sign_member[0] if sign_member and isinstance(sign_member[0], str) else None
    for key in (response_key, "error_response"):
        if key in members:
            value, content = members[key]
            return SignedResponse(key=key, value=value, content=content, sign=sign)
    return None


def signed_body(response_key: str, value: Mapping[str, Any], private_key_pem: str) -> str:
    """A gateway response body as Alipay writes it: the value's compact JSON, then `sign`
    over exactly that text (used by the stand-in; handy in tests)."""
    content = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    sign = sign_text(content, private_key_pem)
    return f'{{"{response_key}":{content},"sign":"{sign}"}}'
