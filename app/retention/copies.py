"""Deleting a voicemail's copies outside the database: storage, Twilio, the Maildir outbox.

Each deletion is idempotent (a copy already gone is no error), so a purge cut short repeats
nothing that is done. A place that fails GIVE_UP_AFTER times in a row is not tried again in the
same run: a dead S3 or Twilio costs a few timeouts, not one per voicemail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from app.core.config import DEV_ACCOUNT_SID
from app.core.extensions import storage
from app.core.storage import StorageError
from app.models import Voicemail, utcnow
from app.retention.outbox import OutboxCopies
from app.twilio.form import same_sid
from app.twilio.rest import TwilioApiError, TwilioRest, twilio_rest

GIVE_UP_AFTER = 3


@dataclass
class Place:
    """One place copies live, and how the current run has fared with it."""

    name: str
    failures_in_a_row: int = 0
    last_error: str = ""

    def attempt(self, delete: Callable[[], None]) -> str | None:
        """Run one deletion here: None when it is done, else what went wrong."""
        if self.failures_in_a_row >= GIVE_UP_AFTER:
            return f"not tried, after {GIVE_UP_AFTER} failures in a row ({self.last_error})"
        try:
            delete()
        except (StorageError, TwilioApiError, OSError) as exc:
            self.failures_in_a_row += 1
            self.last_error = str(exc)
            return str(exc)
        self.failures_in_a_row = 0
        return None


def stored_keys(voicemail: Voicemail) -> list[str]:
    """Where the voicemail's audio is, or may be.

    A voicemail job stopped before it recorded its keys may still have written them, where
    `voicemail/tasks.py` always writes them.
    """
    keys = [key for key in (voicemail.original_key, voicemail.mp3_key) if key]
    if voicemail.original_key is None:
        base = f"voicemails/{voicemail.recorded_at:%Y/%m/%d}/{voicemail.recording_sid}"
        keys += [f"{base}.wav", f"{base}.mp3"]
    return keys


class CopyDeleter:
    """The places one purge run deletes copies from: `with CopyDeleter(config) as copies:`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.places = {name: Place(name) for name in ("storage", "Twilio", "outbox")}
        self.outbox = OutboxCopies(Path(config["BACKLINE_OUTBOX"]))
        self._api: TwilioRest | None = None

    def __enter__(self) -> CopyDeleter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._api is not None:
            self._api.close()

    def delete(self, voicemail: Voicemail) -> list[str]:
        """Delete every copy of the voicemail outside the database; return those left, and why."""
        steps: dict[str, Callable[[], None]] = {
            "storage": lambda: self._delete_stored(voicemail),
            "Twilio": lambda: self._delete_at_twilio(voicemail),
            "outbox": lambda: self.outbox.delete(voicemail.recording_sid),
        }
        left = []
        for name, step in steps.items():
            problem = self.places[name].attempt(step)
            if problem:
                left.append(f"{name}: {problem}")
        return left

    def _delete_stored(self, voicemail: Voicemail) -> None:
        for key in stored_keys(voicemail):
            storage().delete(key)  # every version and delete marker, in a versioned bucket

    def _delete_at_twilio(self, voicemail: Voicemail) -> None:
        if same_sid(voicemail.account_sid, DEV_ACCOUNT_SID):
            return  # made by `simulate-call` against the local stand-in: Twilio never had it
        api = self._twilio()
        if not same_sid(voicemail.account_sid, api.account_sid):
            raise TwilioApiError(
                f"the recording belongs to Twilio account …{voicemail.account_sid[-4:]}, not the "
                "configured one; delete it in that account"
            )
        if voicemail.transcription_status:  # Twilio keeps transcriptions apart from recordings
            for transcription_sid in api.recording_transcriptions(voicemail.recording_sid):
                _gone_if_missing(api.delete_transcription, transcription_sid)
        if voicemail.deleted_from_twilio_at is None:
            _gone_if_missing(api.delete_recording, voicemail.recording_sid)
            voicemail.deleted_from_twilio_at = utcnow()

    def _twilio(self) -> TwilioRest:
        if self._api is None:
            self._api = twilio_rest(self.config)
        return self._api


def _gone_if_missing(delete: Callable[[str], None], sid: str) -> None:
    """Delete one thing at Twilio; a 404 means it is gone already."""
    try:
        delete(sid)
    except TwilioApiError as exc:
        if exc.status != 404:
            raise
