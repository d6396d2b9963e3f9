"""Where voicemail audio is kept, behind one small interface chosen by STORAGE_URL."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.core.storage import ObjectNotFound, Storage, StorageError


class LocalStorage:
    """Files under one directory; written atomically, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"storage key {key!r} escapes the storage directory")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        except OSError as exc:
            raise StorageError(f"could not write {key}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"there is no stored object {key}") from exc
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        directory = self._path(prefix)
        if not directory.is_dir():
            return []
        root = self.root.resolve()
        return sorted(str(p.relative_to(root)) for p in directory.rglob("*") if p.is_file())

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc


def storage_from_url(url: str) -> Storage:
    """Build the backend STORAGE_URL names: `file:///path` or `s3://bucket/prefix`."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL {url!r} names no bucket; write s3://bucket/prefix")
        from voicemail.storage_s3 import S3Storage  # boto3 is imported only by those who use S3

        return S3Storage(parts.netloc, unquote(parts.path))
    raise ValueError(
        f"STORAGE_URL scheme {parts.scheme!r} is not supported (use file:///path or s3://bucket/prefix)"
    )
