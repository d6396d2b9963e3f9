"""Copies of voicemails in the Maildir outbox (BACKLINE_OUTBOX), found by their Message-ID.

Every email about a voicemail carries its RecordingSid in its Message-ID: the voicemail email
(`<voicemail.RE….DELIVERY@domain>`, `forwarding/voicemail_email.py`), with the MP3 attached, and
the admins' alert about one that could not be processed (`<voicemail-alert.RE…@domain>`), with
the caller's number. The outbox is read once per purge run, headers only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

MESSAGE_ID = re.compile(r"<voicemail(?:-alert)?\.(RE[0-9a-fA-F]{32})[.@]")
FOLDERS = ("new", "cur", "tmp")  # tmp: a message a crash left half-delivered is a copy too
HEADER_LIMIT = 64 * 1024  # bytes read from each message; the headers come first


class OutboxCopies:
    """The voicemail emails in one Maildir, by RecordingSid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index: dict[str, list[Path]] | None = None

    def delete(self, recording_sid: str) -> None:
        """Delete every email of this recording in the outbox; OSError if one cannot be."""
        for message in self._messages().get(recording_sid, []):
            message.unlink(missing_ok=True)
        self._messages().pop(recording_sid, None)

    def _messages(self) -> dict[str, list[Path]]:
        if self._index is None:
            self._index = self._scan()
        return self._index

    def _scan(self) -> dict[str, list[Path]]:
        index: dict[str, list[Path]] = defaultdict(list)
        for folder in FOLDERS:
            directory = self.path / folder
            if not directory.is_dir():
                continue
            for message in directory.iterdir():
                recording_sid = _recording_of(message)
                if recording_sid:
                    index[recording_sid].append(message)
        return index


def _recording_of(message: Path) -> str | None:
    """The RecordingSid a message's Message-ID names, or None (not a voicemail email, or gone)."""
    try:
        with message.open("rb") as stream:
            head = stream.read(HEADER_LIMIT)
    except (FileNotFoundError, IsADirectoryError):
        return None
    headers = BytesHeaderParser(policy=compat32).parsebytes(head)
    found = MESSAGE_ID.search(" ".join(str(headers.get("Message-ID", "")).split()))
    return found[1] if found else None
