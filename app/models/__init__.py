"""The data model: subscribers, outages and their audit log, calls, voicemails, deliveries."""

from .base import Base, utcnow
from .call import Call
from .outage import ACTIVE_STATES, Outage, OutageEvent, OutageSource, OutageState
from .subscriber import Subscriber
from .voicemail import Delivery, DeliveryState, Voicemail, VoicemailStatus

__all__ = [
    "ACTIVE_STATES",
    "Base",
    "Call",
    "Delivery",
    "DeliveryState",
    "Outage",
    "OutageEvent",
    "OutageSource",
    "OutageState",
    "Subscriber",
    "Voicemail",
    "VoicemailStatus",
    "utcnow",
]
