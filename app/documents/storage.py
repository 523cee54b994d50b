"""Where processed documents live: content-addressed by SHA-256, on a local disk or in S3.

Every backend returns the same key for the same content, `documents/<sha256>`, so a
stored key stays valid when a deployment moves from the local directory to S3.

Settings read by `storage_from_settings` (a mapping of environment names, or an
object with the same names in lower case):
    DOCUMENT_STORAGE  local | s3   (default: s3 when S3_BUCKET is set, else local)
    DOCUMENT_DIR      local root   (default: <repo>/instance/documents; never under static/)
    S3_BUCKET         bucket name
    S3_ENDPOINT_URL   S3-compatible endpoint (OSS, COS, MinIO); empty for AWS
    S3_REGION         region name
Credentials for S3 come from boto3's usual chain (AWS_ACCESS_KEY_ID ..., a role).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.settings import REPO_ROOT

KEY_PREFIX = "documents/"
DEFAULT_DOCUMENT_DIR = REPO_ROOT / "instance" / "documents"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DocumentNotStored(LookupError):
    """No stored object under this key."""


@runtime_checkable
class Storage(Protocol):
    def put(self, sha256: str, data: bytes, content_type: str) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


def key_for(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    return KEY_PREFIX + sha256


def _digest_of(key: str) -> str:
    """The SHA-256 in a key; refuses anything else (no path can be smuggled in)."""
    digest = key.removeprefix(KEY_PREFIX)
    if not key.startswith(KEY_PREFIX) or not _SHA256.fullmatch(digest):
        raise ValueError(f"not a document key: {key!r}")
    return digest


def _checked(sha256: str, data: bytes) -> str:
    key = key_for(sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("data does not match its sha256")
    return key


class LocalStorage:
    """Files named by SHA-256 under two fan-out levels: <root>/ab/cd/abcd...; atomic writes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        digest = _digest_of(key)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, sha256: str, data: bytes, content_type: str) -> str:
        key = _checked(sha256, data)
        path = self.path_for(key)
        if path.exists():  # same hash, same bytes: nothing to do
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError as exc:
            raise DocumentNotStored(key) from exc

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()


class S3Storage:
    """Objects `documents/<sha256>` in one bucket, through a boto3 S3 client."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, sha256: str, data: bytes, content_type: str) -> str:
        key = _checked(sha256, data)
        if not self.exists(key):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes:
        _digest_of(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey as exc:
            raise DocumentNotStored(key) from exc
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        _digest_of(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        _digest_of(key)
        self.client.delete_object(Bucket=self.bucket, Key=key)


def _setting(config: Mapping[str, Any] | object, name: str) -> str:
    if isinstance(config, Mapping):
        value = config.get(name, config.get(name.lower()))
    else:
        value = getattr(config, name.lower(), None)
    return str(value).strip() if value else ""


def storage_from_settings(config: Mapping[str, Any] | object, *, client: Any = None) -> Storage:
    """Local storage by default, S3 when DOCUMENT_STORAGE=s3 or an S3_BUCKET is configured."""
    kind = _setting(config, "DOCUMENT_STORAGE").lower()
    bucket = _setting(config, "S3_BUCKET")
    if not kind:
        kind = "s3" if bucket else "local"
    if kind == "s3":
        if not bucket:
            raise ValueError("DOCUMENT_STORAGE=s3 needs S3_BUCKET")
        if client is None:
            import boto3

            client = boto3.client(
                "s3",
                endpoint_url=_setting(config, "S3_ENDPOINT_URL") or None,
                region_name=_setting(config, "S3_REGION") or None,
            )
        return S3Storage(bucket, client)
    if kind != "local":
        raise ValueError(f"DOCUMENT_STORAGE must be local or s3, not {kind!r}")
    root = Path(_setting(config, "DOCUMENT_DIR") or DEFAULT_DOCUMENT_DIR).resolve()
    static = Path(_setting(config, "STATIC_DIR") or REPO_ROOT / "static").resolve()
    if root == static or static in root.parents:
        raise ValueError("DOCUMENT_DIR must not be inside the static directory")
    return LocalStorage(root)
