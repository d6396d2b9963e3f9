"""The data model: subscribers, outages and their audit log, calls, voicemails, deliveries,
API tokens."""

from .api_token import ApiToken, IdempotencyKey
from .base import Base, utcnow
from .call import Call, PrimaryFailure
from .job_state import JobState
from .outage import (
    ACTIVE_STATES,
    Outage,
    OutageEvent,
    OutageSource,
    OutageState,
    answers_at_once,
)
from .subscriber import Subscriber
from .voicemail import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Voicemail,
    VoicemailStatus,
)

__all__ = [
    "ACTIVE_STATES",
    "ApiToken",
    "AttemptOutcome",
    "Base",
    "Call",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "IdempotencyKey",
    "JobState",
    "Outage",
    "OutageEvent",
    "OutageSource",
    "OutageState",
    "PrimaryFailure",
    "Subscriber",
    "Voicemail",
    "VoicemailStatus",
    "answers_at_once",
    "utcnow",
]
