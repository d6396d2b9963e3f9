"""Retention: erasing voicemails once they are old enough, or once their subscriber is deleted.

A purge removes every copy of a voicemail's audio and transcript (the stored objects with all
their versions, the recording and its transcriptions at Twilio, its emails in the Maildir outbox,
the transcript in the database), anonymises its caller, and only then stamps `purged_at`. The row
stays, for counts and the audit trail. Every deletion is idempotent, so a purge cut short (storage
or Twilio down) leaves the rest to the next run, which repeats nothing that is done.

- `erasure.py`: what deleting a subscriber does at once, in the same transaction.
- `anonymise.py`: erasing callers' numbers, names and transcripts from the database.
- `inflight.py`: work still under way on a voicemail, which a purge waits for or stops.
- `copies.py`, `outbox.py`: deleting the copies held outside the database.
- `purge.py`: a run over many voicemails, the periodic jobs and the erasure job; `report.py`:
  what a run did and what it left.
"""

from app.retention.erasure import request_erasure
from app.retention.purge import erase_voicemails, purge_expired, purge_voicemails_periodically
from app.retention.report import Outcome, PurgeIncomplete, PurgeReport

__all__ = [
    "Outcome",
    "PurgeIncomplete",
    "PurgeReport",
    "erase_voicemails",
    "purge_expired",
    "purge_voicemails_periodically",
    "request_erasure",
]
