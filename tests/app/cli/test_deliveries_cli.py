"""`backline deliveries list|retry`, driven through the real CLI; resends land at the SMTP sink."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import select

from app.core.extensions import db, storage
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from tests.conftest import ACCOUNT_SID, Invoke, SmtpSink
from tests.helpers import wait_until

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400)


def voicemail(status: VoicemailStatus = VoicemailStatus.STORED) -> Voicemail:
    recording_sid = "RE" + secrets.token_hex(16)
    key = f"voicemails/test/{recording_sid}.mp3"
    storage().put(key, MP3, "audio/mpeg")
    row = Voicemail(
        recording_sid=recording_sid,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        caller_number="+14155550123",
        duration_ms=3000,
        status=status,
        mp3_key=key if status == VoicemailStatus.STORED else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def delivery(
    state: DeliveryState, address: str = "office@acme.example", of: Voicemail | None = None
) -> Delivery:
    """A delivery as a real attempt would have left it, in `state`."""
    parent = of or voicemail()
    row = Delivery(voicemail=parent, address=address, state=state)
    db.session.add(row)
    db.session.flush()
    if state != DeliveryState.PENDING:
        row.message_id = f"<voicemail.{parent.recording_sid}.{row.id}@provider.example>"
        row.provider, row.attempts = "smtp", 1
    if state in (DeliveryState.FAILED, DeliveryState.BOUNCED):
        row.last_error = f"recipient refused: {address}: 550 5.1.1 User unknown"
    db.session.commit()
    return row


def leading_ids(output: str) -> list[int]:
    lines = output.splitlines()
    matches = [re.match(r"(\d+)\t", line) for line in lines]
    assert all(matches), f"a line does not start with an id:\n{output}"
    return [int(m.group(1)) for m in matches if m]


def all_deliveries() -> list[Delivery]:
    db.session.rollback()  # see what the job runner committed
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_list_shows_one_delivery_a_line_failed_ones_first(cli: Invoke) -> None:
    accepted = delivery(DeliveryState.ACCEPTED)
    failed = delivery(DeliveryState.FAILED, "gone@acme.example")
    pending = delivery(DeliveryState.PENDING)
    bounced = delivery(DeliveryState.BOUNCED, "bounced@acme.example")

    everything = cli("deliveries", "list")
    only_failed = cli("deliveries", "list", "--failed")

    assert everything.exit_code == 0, everything.output
    ids = leading_ids(everything.stdout)
    assert sorted(ids[:2]) == sorted([failed.id, bounced.id])
    assert sorted(ids[2:]) == sorted([accepted.id, pending.id])
    line = next(x for x in everything.stdout.splitlines() if x.startswith(f"{failed.id}\t"))
    for part in ("failed", "gone@acme.example", f"voicemail={failed.voicemail_id}"):
        assert part in line
    assert "attempts=1" in line and "provider=smtp" in line and "550 5.1.1" in line
    assert only_failed.exit_code == 0, only_failed.output
    assert sorted(leading_ids(only_failed.stdout)) == sorted([failed.id, bounced.id])


def test_retry_is_a_new_delivery_with_a_new_message_id_and_one_email(
    cli: Invoke, smtp: SmtpSink
) -> None:
    old = delivery(DeliveryState.FAILED)
    before = (old.state, old.message_id, old.attempts, old.last_error)

    result = cli("deliveries", "retry", str(old.id))

    assert result.exit_code == 0, result.output
    [message] = smtp.wait_for(1)
    wait_until(lambda: all_deliveries()[-1].state == DeliveryState.ACCEPTED)
    kept, resend = all_deliveries()
    assert (kept.state, kept.message_id, kept.attempts, kept.last_error) == before
    assert resend.resend_of_id == old.id
    assert resend.address == old.address
    assert resend.message_id == message["Message-ID"]
    assert resend.message_id != old.message_id
    assert message["To"] == old.address


def test_retry_to_another_address(cli: Invoke, smtp: SmtpSink) -> None:
    old = delivery(DeliveryState.BOUNCED, "typo@acme.exmaple")

    result = cli("deliveries", "retry", str(old.id), "--to", "right@acme.example")

    assert result.exit_code == 0, result.output
    [message] = smtp.wait_for(1)
    assert message["To"] == "right@acme.example"
    assert all_deliveries()[-1].address == "right@acme.example"


def test_retry_all_failed_resends_each_once_even_when_run_twice(
    cli: Invoke, smtp: SmtpSink
) -> None:
    failed = delivery(DeliveryState.FAILED, "a@acme.example")
    bounced = delivery(DeliveryState.BOUNCED, "b@acme.example")
    delivery(DeliveryState.ACCEPTED, "c@acme.example")
    delivery(DeliveryState.FAILED, "d@acme.example", of=voicemail(VoicemailStatus.FAILED))

    first = cli("deliveries", "retry", "--all-failed")
    messages = smtp.wait_for(2)
    second = cli("deliveries", "retry", "--all-failed")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert sorted(str(m["To"]) for m in messages) == ["a@acme.example", "b@acme.example"]
    resends = [d for d in all_deliveries() if d.resend_of_id is not None]
    assert sorted(d.resend_of_id for d in resends) == sorted([failed.id, bounced.id])
    smtp.wait_for(2)


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        (("999",), 1, "no delivery 999"),
        ((), 2, "delivery ID or --all-failed"),
        (("1", "--all-failed"), 2, "delivery ID or --all-failed"),
        (("--all-failed", "--to", "x@acme.example"), 2, "--to goes with a single"),
        (("1", "--to", "not an address"), 2, "not an email address"),
    ],
)
def test_retry_usage_and_clear_errors(
    cli: Invoke, args: tuple[str, ...], code: int, phrase: str
) -> None:
    result = cli("deliveries", "retry", *args)

    assert result.exit_code == code, result.output
    assert phrase in result.stderr
    assert "Traceback" not in result.output


def test_a_delivery_still_in_flight_or_without_audio_is_not_resent(
    cli: Invoke, smtp: SmtpSink
) -> None:
    pending = delivery(DeliveryState.PENDING)
    no_audio = delivery(DeliveryState.FAILED, of=voicemail(VoicemailStatus.FAILED))

    in_flight = cli("deliveries", "retry", str(pending.id))
    nothing = cli("deliveries", "retry", str(no_audio.id))

    assert in_flight.exit_code == 1 and "still pending" in in_flight.stderr
    assert nothing.exit_code == 1 and "no stored audio" in nothing.stderr
    assert len(all_deliveries()) == 2
    assert smtp.messages == []
