"""POST /api/v1/outages with `"dry_run": true`: whom the outage would reach, and what the first
of them would be told; nothing is created and nobody is told."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.outages.affected import affected_count
from app.outages.lifecycle import draft_outage
from app.outages.notices.preview import first_notice


def dry_run_json(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
    """The dry run's answer for these `start_outage` arguments."""
    draft = draft_outage(**arguments)
    preview = first_notice(session, draft)
    return {
        "dry_run": True,
        "affected": affected_count(session, draft),
        "first_notice": None
        if preview is None
        else {"to": preview.address, "subject": preview.subject, "text": preview.text},
    }
