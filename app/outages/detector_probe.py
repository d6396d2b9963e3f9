"""The detector's two signals: a probe of PRIMARY_HEALTH_URL and the evidence of failed calls.

Evidence rows (`primary_failures`) are written by the call flow: a dial that failed with a SIP
5xx, 408 or no response ("dial"), and a request to the SIP trunk's Disaster Recovery URL
("trunk"). A number's Fallback URL is never evidence: Twilio requests it when Backline's own
Voice URL failed (app/fallback_requests.py). Rows of any other kind, such as the "fallback"
rows an earlier release wrote for every Fallback URL request, are not counted.
"""

from __future__ import annotations

import enum
from datetime import datetime

import requests
import structlog
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.models import Call, PrimaryFailure

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 2.0
EVIDENCE_KINDS = ("dial", "trunk")


class Health(enum.Enum):
    UP = "up"  # it answered: 2xx, 3xx or 4xx
    DOWN = "down"  # no connection, no answer in time, or a 5xx


def probe(url: str | None, timeout_s: float) -> Health | None:
    """GET the primary's health URL once; None when there is no URL or it cannot be used."""
    if not url:
        return None
    try:
        with requests.Session() as session:
            session.trust_env = False  # a proxy from the environment must not answer for it
            response = session.get(
                url,
                timeout=(min(CONNECT_TIMEOUT_S, timeout_s), timeout_s),
                allow_redirects=False,
                stream=True,  # the status line is the answer; never read a body
            )
            response.close()
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
    ) as exc:
        log.error("PRIMARY_HEALTH_URL cannot be probed; fix it", error=str(exc))
        return None
    except requests.RequestException as exc:
        log.warning("primary health probe failed", error=type(exc).__name__)
        return Health.DOWN
    if response.status_code >= 500:
        log.warning("primary health probe answered with an error", status=response.status_code)
        return Health.DOWN
    return Health.UP


def latest_evidence_id(session: Session) -> int:
    """The id of the newest evidence row (0 when there is none).

    Any kind: a row an earlier release wrote (during a rolling deploy) only delays the move to
    `monitoring`, and the primary key's index answers this at once however many rows there are.
    """
    return int(session.scalar(select(func.max(PrimaryFailure.id))) or 0)


def failures_since(session: Session, since: datetime) -> int:
    """How many failed calls counted as evidence after `since`.

    Calls, not rows: Twilio retrying a webhook, or anyone replaying a signed request (a
    signature carries no timestamp), must not turn one failed call into several. A call that
    was answered under an outage is explained by it: during a regional outage the calls of its
    subscribers reach the trunk's Disaster Recovery URL, and must not make the detector
    announce a second outage to everyone. Only failures no outage explains count.
    """
    explained = select(Call.id).where(
        Call.call_sid == PrimaryFailure.call_sid, Call.outage_id.is_not(None)
    )
    calls = func.count(func.distinct(PrimaryFailure.call_sid))
    query = select(calls).where(
        PrimaryFailure.at > since, PrimaryFailure.kind.in_(EVIDENCE_KINDS), ~exists(explained)
    )
    return int(session.scalar(query) or 0)
