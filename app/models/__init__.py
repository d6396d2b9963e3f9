"""The data model: subscribers, outages and their audit log, calls, voicemails, deliveries,
API tokens, notices and opt-outs, Alertmanager alerts."""

from .admin_user import AdminUser, LoginThrottle
from .alert import AlertRecord
from .api_token import ApiToken, IdempotencyKey
from .base import MAX_ID, Base, utcnow
from .call import Call, PrimaryFailure
from .job_state import JobState
from .notice import (
    OPEN_MESSAGE_STATES,
    Channel,
    MessageState,
    Notice,
    NoticeKind,
    NoticeMessage,
    NoticeState,
    OptOut,
)
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
    OWED_STATES,
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Voicemail,
    VoicemailStatus,
)

__all__ = [
    "ACTIVE_STATES",
    "MAX_ID",
    "OPEN_MESSAGE_STATES",
    "OWED_STATES",
    "AdminUser",
    "AlertRecord",
    "ApiToken",
    "AttemptOutcome",
    "Base",
    "Call",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "IdempotencyKey",
    "JobState",
    "LoginThrottle",
    "MessageState",
    "Notice",
    "NoticeKind",
    "NoticeMessage",
    "NoticeState",
    "OptOut",
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
