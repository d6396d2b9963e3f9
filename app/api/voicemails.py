"""/api/v1/voicemails: list (by status, subscriber, time) and show one with its deliveries."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from app.api import bp
from app.api.deliveries import delivery_json
from app.api.errors import ApiError, Invalid
from app.api.fields import iso_time
from app.api.outage_json import iso
from app.api.payload import fetch, paginated, query_choice, query_int, query_text
from app.core.phone import display
from app.models import MAX_ID, Voicemail, VoicemailStatus
from app.security.listen_links import listen_url


def voicemail_json(voicemail: Voicemail, detail: bool = False) -> dict[str, Any]:
    """A voicemail as the API shows it; `detail` adds its deliveries and a listen link."""
    data: dict[str, Any] = {
        "id": voicemail.id,
        "status": voicemail.status,
        "subscriber_id": voicemail.subscriber_id,
        "outage_id": voicemail.outage_id,
        "call_sid": voicemail.call_sid,
        "recording_sid": voicemail.recording_sid,
        "caller": display(voicemail.caller_number),
        "caller_number": voicemail.caller_number,
        "caller_name": voicemail.caller_name,
        "duration_seconds": round(voicemail.duration_ms / 1000, 1)
        if voicemail.duration_ms
        else voicemail.reported_duration,
        "recorded_at": iso(voicemail.recorded_at),
        "processed_at": iso(voicemail.processed_at),
        "error": voicemail.error,
        "transcription": {
            "status": voicemail.transcription_status,
            "text": voicemail.transcription_text,
        },
    }
    if detail:
        audio = voicemail.status == VoicemailStatus.STORED and voicemail.mp3_key
        data["listen_url"] = listen_url(voicemail.id) if audio else None
        data["deliveries"] = [delivery_json(d) for d in voicemail.deliveries]
    return data


@bp.get("/voicemails")
def list_voicemails() -> Response:
    """Voicemails, newest first; filter by `status` (repeatable), `subscriber_id`, `since`."""
    query = select(Voicemail).order_by(Voicemail.recorded_at.desc(), Voicemail.id.desc())
    statuses = query_choice("status", [s.value for s in VoicemailStatus])
    if statuses:
        query = query.where(Voicemail.status.in_(statuses))
    subscriber_id = query_int("subscriber_id", None, 1, MAX_ID)
    if subscriber_id is not None:
        query = query.where(Voicemail.subscriber_id == subscriber_id)
    since = query_text("since")
    if since:
        if len(since) > 64:
            raise ApiError(400, "Query parameter since must be an ISO 8601 time.")
        try:
            moment = iso_time(since, "since")
        except Invalid as exc:
            raise ApiError(400, f"Query parameter {exc.message}.") from None
        query = query.where(Voicemail.recorded_at >= moment)
    return jsonify(paginated(query, voicemail_json))


@bp.get("/voicemails/<int:voicemail_id>")
def get_voicemail(voicemail_id: int) -> Response:
    return jsonify(voicemail_json(fetch(Voicemail, voicemail_id, "voicemail"), detail=True))
