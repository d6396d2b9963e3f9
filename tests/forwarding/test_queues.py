"""A large notice never holds up a voicemail: notice work has its own queue, served last."""

from __future__ import annotations

import importlib
import pkgutil
from types import FunctionType
from typing import Any

import pytest

from app.core.jobs import QUEUES
from app.outages.notices.fanout import fan_out_notice
from app.outages.notices.send import send_notice_emails
from app.outages.notices.sms_delivery import resend_sms_on_fallback
from forwarding.tasks import alert_admins, send_voicemail_email
from forwarding.voicemail_alerts import alert_voicemail_failed
from voicemail.tasks import process_voicemail


def queue_of(job: Any) -> str:
    return str(job.job_spec.queue)


@pytest.mark.parametrize("job", [fan_out_notice, send_notice_emails, resend_sms_on_fallback])
def test_notice_work_goes_on_the_notices_queue(job: Any) -> None:
    assert queue_of(job) == "notices"


@pytest.mark.parametrize(
    "job", [process_voicemail, send_voicemail_email, alert_admins, alert_voicemail_failed]
)
def test_voicemails_and_alerts_are_served_before_any_notice_batch(job: Any) -> None:
    assert QUEUES.index(queue_of(job)) < QUEUES.index("notices")


def every_job() -> list[Any]:
    found = []
    for package in ("app", "forwarding", "ivr", "voicemail"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations." in module.name or module.name.endswith("__main__"):
                continue
            members = vars(importlib.import_module(module.name)).values()
            functions = [member for member in members if isinstance(member, FunctionType)]
            found += [function for function in functions if hasattr(function, "job_spec")]
    return found


def test_every_job_is_on_a_queue_the_workers_serve() -> None:
    jobs = every_job()

    assert len(jobs) >= 10
    assert {queue_of(job) for job in jobs} <= set(QUEUES)
