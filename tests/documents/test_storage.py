"""LocalStorage (atomic, idempotent, content-addressed) and S3Storage against moto."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app.documents import storage as storage_mod
from app.documents.storage import (
    DEFAULT_DOCUMENT_DIR,
    DocumentNotStored,
    LocalStorage,
    S3Storage,
    Storage,
    storage_from_settings,
)

DATA = b"a claim document"
SHA = hashlib.sha256(DATA).hexdigest()
BUCKET = "hmb-documents"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_client(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "documents")
    return S3Storage(BUCKET, request.getfixturevalue("s3_client"))


def test_round_trip(store: Storage) -> None:
    assert isinstance(store, Storage)
    key = store.put(SHA, DATA, "application/pdf")
    assert key == f"documents/{SHA}"
    assert store.exists(key)
    assert store.get(key) == DATA
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting twice is fine
    with pytest.raises(DocumentNotStored):
        store.get(key)


def test_put_is_idempotent(store: Storage) -> None:
    assert store.put(SHA, DATA, "image/jpeg") == store.put(SHA, DATA, "image/jpeg")
    assert store.get(f"documents/{SHA}") == DATA


@pytest.mark.parametrize(
    ("sha", "data"),
    [
        pytest.param("0" * 64, DATA, id="hash-mismatch"),
        pytest.param(SHA.upper(), DATA, id="upper-case"),
        pytest.param("../" + SHA[3:], DATA, id="path"),
        pytest.param(SHA[:63], DATA, id="short"),
    ],
)
def test_put_refuses_a_wrong_hash(store: Storage, sha: str, data: bytes) -> None:
    with pytest.raises(ValueError):
        store.put(sha, data, "image/jpeg")


@pytest.mark.parametrize(
    "key",
    [
        "documents/../../etc/passwd",
        f"documents/{SHA}/..",
        SHA,
        f"/documents/{SHA}",
        f"other/{SHA}",
        f"documents/{SHA}\n",
    ],
)
def test_bad_keys_refused(store: Storage, key: str) -> None:
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(ValueError):
            call(key)


def test_local_layout_fans_out(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put(SHA, DATA, "image/jpeg")
    assert files_under(tmp_path) == [tmp_path / SHA[:2] / SHA[2:4] / SHA]


def test_local_idempotent_put_does_not_rewrite(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = store.put(SHA, DATA, "image/jpeg")
    path = store.path_for(key)
    os.utime(path, (1_000_000, 1_000_000))
    store.put(SHA, DATA, "image/jpeg")
    assert path.stat().st_mtime == 1_000_000
    assert files_under(tmp_path) == [path]


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_local_failure_mid_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store = LocalStorage(tmp_path)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, fd: int, mode: str) -> None:
                self.f = real_fdopen(fd, mode)

            def __enter__(self) -> HalfWriter:
                return self

            def __exit__(self, *exc: object) -> None:
                self.f.close()

            def write(self, data: bytes) -> int:
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(storage_mod.os, "fdopen", HalfWriter)
    else:
        monkeypatch.setattr(storage_mod.os, failing, boom)

    with pytest.raises(OSError):
        store.put(SHA, DATA, "image/jpeg")
    monkeypatch.undo()
    assert files_under(tmp_path) == []
    assert not store.exists(f"documents/{SHA}")
    # and a later attempt succeeds
    assert store.get(store.put(SHA, DATA, "image/jpeg")) == DATA


def test_s3_object_has_key_and_content_type(s3_client: Any) -> None:
    S3Storage(BUCKET, s3_client).put(SHA, DATA, "image/png")
    head = s3_client.head_object(Bucket=BUCKET, Key=f"documents/{SHA}")
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == len(DATA)


def test_settings_default_is_local() -> None:
    store = storage_from_settings({})
    assert isinstance(store, LocalStorage)
    assert store.root == DEFAULT_DOCUMENT_DIR.resolve()
    assert "static" not in store.root.parts


@pytest.mark.parametrize(
    "config_of",
    [
        lambda d: {"DOCUMENT_DIR": str(d)},
        lambda d: {"DOCUMENT_STORAGE": "local", "DOCUMENT_DIR": str(d)},
        lambda d: {"document_dir": str(d)},
        lambda d: SimpleNamespace(document_dir=str(d), s3_bucket=""),
    ],
)
def test_settings_local(tmp_path: Path, config_of: Any) -> None:
    store = storage_from_settings(config_of(tmp_path / "docs"))
    assert isinstance(store, LocalStorage)
    assert store.root == (tmp_path / "docs").resolve()


@pytest.mark.parametrize(
    "config",
    [
        {"S3_BUCKET": BUCKET, "S3_REGION": "us-east-1"},
        {"DOCUMENT_STORAGE": "s3", "S3_BUCKET": BUCKET},
        SimpleNamespace(s3_bucket=BUCKET, s3_region="us-east-1", s3_endpoint_url=""),
    ],
)
def test_settings_s3(s3_client: Any, config: Any) -> None:
    store = storage_from_settings(config)
    assert isinstance(store, S3Storage) and store.bucket == BUCKET
    key = store.put(SHA, DATA, "application/pdf")
    assert s3_client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == DATA


def test_settings_s3_endpoint(aws_env: None) -> None:
    store = storage_from_settings(
        {"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "https://oss.example.cn", "S3_REGION": "cn-x"}
    )
    assert isinstance(store, S3Storage)
    assert store.client.meta.endpoint_url == "https://oss.example.cn"
    assert store.client.meta.region_name == "cn-x"


@pytest.mark.parametrize(
    ("config_of", "message"),
    [
        (lambda d: {"DOCUMENT_STORAGE": "s3"}, "S3_BUCKET"),
        (lambda d: {"DOCUMENT_STORAGE": "ftp"}, "local or s3"),
        (
            lambda d: {"DOCUMENT_DIR": str(d / "static" / "docs"), "STATIC_DIR": str(d / "static")},
            "static",
        ),
        (lambda d: {"DOCUMENT_DIR": str(d / "static"), "STATIC_DIR": str(d / "static")}, "static"),
    ],
)
def test_settings_refused(tmp_path: Path, config_of: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        storage_from_settings(config_of(tmp_path))
