"""The data model: subscribers, outages and their audit log, calls, voicemails, deliveries,
API tokens, notices and opt-outs, Alertmanager alerts."""

from app.models.admin_user import AdminUser, LoginThrottle
from app.models.alert import AlertRecord
from app.models.api_token import ApiToken, IdempotencyKey
from app.models.base import MAX_ID, MAX_PAGE, Base, utcnow
from app.models.call import Call, PrimaryFailure
from app.models.job_state import JobState
from app.models.notice import (
    OPEN_MESSAGE_STATES,
    Channel,
    MessageRow,
    MessageState,
    Notice,
    NoticeKind,
    NoticeMessage,
    NoticeRange,
    NoticeState,
    OptOut,
)
from app.models.outage import (
    ACTIVE_STATES,
    Outage,
    OutageEvent,
    OutageSource,
    OutageState,
    answers_at_once,
)
from app.models.subscriber import Subscriber
from app.models.voicemail import (
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
    "MAX_PAGE",
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
    "MessageRow",
    "MessageState",
    "Notice",
    "NoticeKind",
    "NoticeMessage",
    "NoticeRange",
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
