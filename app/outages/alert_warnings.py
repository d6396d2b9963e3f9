"""The admins' email about Alertmanager alerts that were acknowledged and opened nothing.

An alert is a machine talking: answering it 4xx makes Alertmanager retry it for ever, and an
outage that reaches nobody would show the NOC an outage under way while nobody is told. So a
firing alert whose labels give no scope, a `number` that is not a phone number, or a scope that
matches no subscriber is acknowledged (200, outcome "ignored" with the reason) and opens nothing,
and the admins get one email per webhook delivery that brought such alerts, naming each alert,
its labels and why. A redelivered alert is already known, so it sends nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.extensions import db
from app.core.jobs import job
from app.models import AlertRecord
from forwarding.admin_email import admin_message, send_to_admins

log = structlog.get_logger(__name__)


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def warn_admins_of_ignored_alerts(alert_ids: list[int]) -> None:
    """Email ADMIN_EMAIL about these ignored alerts.

    At least once: a worker killed after sending repeats the email.
    """
    query = select(AlertRecord).where(AlertRecord.id.in_(alert_ids)).order_by(AlertRecord.id)
    records = db.session.scalars(query).all()
    admin = current_app.config.get("ADMIN_EMAIL")
    if not records:
        return
    if not admin:
        log.error("alerts ignored and ADMIN_EMAIL is unset; nobody told", alert_ids=alert_ids)
        return
    send_to_admins(compose_warning(records, admin, current_app.config["MAIL_FROM"]))
    log.info("admins told of ignored alerts", alert_ids=alert_ids)


def compose_warning(records: Sequence[AlertRecord], admin: str, mail_from: str) -> EmailMessage:
    """A plain-text email listing each ignored alert, its labels and why it opened nothing."""
    noun = "alert" if len(records) == 1 else "alerts"
    lines = [
        f"Alertmanager sent {len(records)} firing {noun} that opened no outage: nobody was",
        "told and no call is answered differently. Fix the alert rules' labels (region,",
        'number in international form, plan, or backline_scope="all" for every subscriber).',
        "",
    ]
    for record in records:
        labels = ", ".join(f'{key}="{value}"' for key, value in sorted(record.labels.items()))
        lines += [
            f"Alert:   {record.labels.get('alertname', '(no alertname)')}"
            f" (fingerprint {record.fingerprint}, firing since {record.starts_at:%Y-%m-%d %H:%M} UTC)",
            f"Labels:  {labels or '(none)'}",
            f"Why:     {record.ignored_reason}",
            "",
        ]
    return admin_message(
        f"Alertmanager: {len(records)} {noun} ignored, no outage opened",
        "\n".join(lines),
        f"ignored-alerts.{records[0].id}-{records[-1].id}.{len(records)}",
        admin,
        mail_from,
    )
