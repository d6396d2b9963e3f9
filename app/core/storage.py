"""What every storage backend for voicemail audio offers (local files, S3), and its errors."""

from __future__ import annotations

from typing import Protocol


class StorageError(RuntimeError):
    """The storage backend could not keep or return an object."""


class ObjectNotFound(StorageError):
    """There is no object under that key (never stored, or deleted)."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Keys in the folder `prefix` (and below it), sorted."""
        ...

    def delete(self, key: str) -> None:
        """Remove every copy of the object; a missing one is not an error."""
        ...
