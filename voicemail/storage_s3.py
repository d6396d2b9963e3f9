"""Voicemail audio in S3: private objects, encrypted at rest, failing fast when S3 is sick.

boto3 reads the endpoint (`AWS_ENDPOINT_URL`), credentials and region from the environment as
usual. The bucket's own policy decides who else may read it; Backline never grants access.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.core.storage import ObjectNotFound, StorageError

# A sick S3 must fail the job within seconds (rq retries it later), never hold a worker.
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=10,
    retries={"total_max_attempts": 3, "mode": "standard"},
)
NOT_FOUND_CODES = ("404", "NoSuchKey", "NotFound")


class S3Storage:
    """Objects under one prefix of one bucket; each put is private and encrypted (SSE-S3)."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use so that building the app connects to nothing."""
        with self._lock:
            if self._client is None:
                self._client = boto3.session.Session().client("s3", config=CLIENT_CONFIG)
            return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        full = self._key(key)
        with self._errors("store", full):
            self.client.put_object(
                Bucket=self.bucket,
                Key=full,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption="AES256",
            )

    def get(self, key: str) -> bytes:
        full = self._key(key)
        with self._errors("read", full):
            body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
            data: bytes = body.read()
            return data

    def exists(self, key: str) -> bool:
        full = self._key(key)
        try:
            with self._errors("look up", full):
                self.client.head_object(Bucket=self.bucket, Key=full)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str) -> list[str]:
        folder = self._key(prefix).rstrip("/") + "/" if prefix.strip("/") else self.prefix
        keys: list[str] = []
        with self._errors("list", folder):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder
            )
            for page in pages:
                keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        """Delete the object and, in a versioned bucket, every older version and delete marker."""
        full = self._key(key)
        with self._errors("delete", full):
            for version_id in self._versions(full):
                self.client.delete_object(Bucket=self.bucket, Key=full, VersionId=version_id)

    def _versions(self, full: str) -> Iterator[str]:
        # An unversioned bucket lists its objects with the version id "null", which S3 accepts.
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=full
        )
        for page in pages:
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if entry["Key"] == full:
                    yield entry["VersionId"]

    def _key(self, key: str) -> str:
        parts = key.split("/")
        if key.startswith("/") or any(part in (".", "..") for part in parts):
            raise StorageError(f"storage key {key!r} must be a relative path without . or ..")
        return self.prefix + key

    @contextmanager
    def _errors(self, action: str, full: str) -> Iterator[None]:
        """Translate every boto3/botocore failure into StorageError with a sentence."""
        where = f"s3://{self.bucket}/{full}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in NOT_FOUND_CODES:
                raise ObjectNotFound(f"there is no stored object {where}") from exc
            message = error.get("Message") or code
            raise StorageError(f"S3 refused to {action} {where}: {code}: {message}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise StorageError(f"could not {action} {where}: {exc}") from exc
