"""What the notice templates are given for one message: the notice's fixed content, the numbers
it speaks of and, for resolve and report notices, what is true for each number now.

A resolve notice says "working again" only of numbers whose time in outage it ends; numbers that
another announced outage still covers are told which one, with its message and ETR, and get
their summary when that outage ends too (the rule is in app.coverage). Times are shown in the
recipient's timezone and words in their language (app.outages.notices.wording); outage messages
in their language when the outage has a translation, and a default subscriber message when it
has none at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from app.core.phone import display
from app.models import Channel, MessageRow, Notice, NoticeKind, Outage, OutageState
from app.outages.notices.facts import BatchFacts, Summary
from app.outages.notices.format import lasted, moment, reader_zone, short_list, when
from app.outages.notices.wording import DEFAULT_MESSAGE, notice_language, provider_name
from app.security.links import status_url, unsubscribe_url
from forwarding.voicemail_email import format_duration

EMAIL_NUMBERS_SHOWN = 50
# What differs from one reader of a notice to the next however alike they are: an email renders
# the rest once per variant and puts these in per message (app.outages.notices.render).
PERSONAL = frozenset(
    ("concerns", "status_url", "unsubscribe_url", "numbers", "sms_numbers", "back_sms")
)


def values_for(notice: Notice, message: MessageRow, facts: BatchFacts) -> dict[str, Any]:
    """Everything the templates may say in one message."""
    language = notice_language(message.language)
    zone = reader_zone(message.timezone)
    return {**notice_values(notice, language, zone), **reader_values(notice, message, facts)}


def notice_values(notice: Notice, language: str, zone: ZoneInfo) -> dict[str, Any]:
    """What a notice says to every reader of one language and time zone."""
    content = notice.content
    started = moment(content.get("started_at"), zone)
    resolved = moment(content.get("resolved_at"), zone)
    announced = content.get("announced", True)
    return {
        "kind": notice.kind,
        "language": language,
        "provider": provider_name(language),
        "named": bool(current_app.config.get("BACKLINE_PROVIDER_NAME")),
        "message": _translated(content, language) if announced else "",
        "etr": when(moment(content.get("etr"), zone), language),
        "started": when(started, language),
        "resolved": when(resolved, language),
        "lasted": lasted(started, resolved),
        "report": content.get("report"),
    }


def reader_values(notice: Notice, message: MessageRow, facts: BatchFacts) -> dict[str, Any]:
    """What a notice says to one address: its numbers, links, and what is true for them now."""
    language = notice_language(message.language)
    zone = reader_zone(message.timezone)
    shown = facts.audience(notice.kind, message.subscriber_ids)
    still = _still(facts, shown, language, zone)
    numbers = [display(n) for n in facts.numbers_of(shown)]
    values = {
        "numbers": numbers,
        "several": len(numbers) > 1,
        "concerns": short_list(numbers, language, EMAIL_NUMBERS_SHOWN),
        "sms_numbers": short_list(numbers, language),
        "summary": None,
        "all_back": True,
        "back_numbers": [],
        "still": still,
        "still_answering": any(not other["monitoring"] for other in still),
        "waiting": False,
        "status_url": status_url(message.subscriber_ids),
        "unsubscribe_url": unsubscribe_url(Channel.EMAIL.value, message.address),
    }
    if notice.kind == NoticeKind.RESOLVE:
        resolved = moment(notice.content.get("resolved_at"), zone)
        values.update(_resolution(facts, shown, zone, resolved, language))
    return values


def _resolution(
    facts: BatchFacts, shown: list[int], zone: ZoneInfo, resolved: datetime | None, language: str
) -> dict[str, Any]:
    """Which numbers are back, which wait, and the summary of the time in outage that ended."""
    standings = {i: facts.standing_of(i) for i in shown}
    back = [i for i in shown if standings[i].back]
    summarised = [i for i in shown if standings[i].summarised]
    starts = [s.since for i, s in standings.items() if s.summarised and s.since]
    since = min(starts).astimezone(zone) if starts else None
    all_back = bool(shown) and len(back) == len(shown)
    values: dict[str, Any] = {
        "all_back": all_back,
        # named only when some are not back (when all are, the words need not list them)
        "back_numbers": [] if all_back else [display(n) for n in facts.numbers_of(back)],
        "back_sms": short_list([display(n) for n in facts.numbers_of(back)], language),
        "waiting": len(summarised) < len(shown),
        "summary": (
            _summary_lines(facts.summary_of(summarised), zone, language) if summarised else None
        ),
    }
    if since is not None:
        values.update(started=when(since, language), lasted=lasted(since, resolved))
    return values


def _still(
    facts: BatchFacts, shown: list[int], language: str, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The announced outages that still cover some of these numbers, oldest first."""
    covered: dict[int, tuple[Outage, list[int]]] = {}
    for subscriber_id in shown:
        for outage in facts.standing_of(subscriber_id).still:
            covered.setdefault(outage.id, (outage, []))[1].append(subscriber_id)
    found = []
    for outage, ids in sorted(covered.values(), key=lambda pair: pair[0].started_at):
        numbers = [display(n) for n in facts.numbers_of(ids)]
        found.append(
            {
                "numbers": numbers,
                "sms_numbers": short_list(numbers, language),
                "started": when(outage.started_at.astimezone(zone), language),
                "message": _message(
                    outage.subscriber_message, outage.subscriber_messages, language
                ),
                "etr": when(outage.etr.astimezone(zone), language) if outage.etr else None,
                "monitoring": outage.state == OutageState.MONITORING,  # calls go through again
            }
        )
    return found


def _translated(content: Mapping[str, Any], language: str) -> str:
    """The outage's subscriber message in this language, else its own, else our default."""
    given = _message(
        content.get("subscriber_message"), content.get("subscriber_messages"), language
    )
    return given or DEFAULT_MESSAGE[language]


def _message(
    default: str | None, translations: Mapping[str, str] | None, language: str | None
) -> str:
    return str((translations or {}).get(language or "") or default or "")


def _summary_lines(
    summary: Summary, zone: ZoneInfo, language: str
) -> dict[str, list[dict[str, str | None]]]:
    return {
        "voicemails": [
            {
                "caller": display(line.caller),
                "at": when(line.at.astimezone(zone), language),
                "length": format_duration(line.duration_ms or 0),
            }
            for line in summary.voicemails
        ],
        "missed": [
            {"caller": display(line.caller), "at": when(line.at.astimezone(zone), language)}
            for line in summary.missed
        ],
    }
