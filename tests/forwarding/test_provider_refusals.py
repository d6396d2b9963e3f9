"""A 5xx is the recipient's problem, unless the provider is giving it to everyone.

Failure modes: one address refused (final, alerted); a few refused with nothing accepted in
between, but fewer than BACKLINE_MAIL_PROVIDER_REFUSALS (final); many refused with acceptances
in between (each final); a relay refusing every recipient ("relay access denied": held, the
fallback takes them, one admin alert); the same without a fallback (held until the relay accepts
again, then all sent).

The send jobs are called directly; with REDIS_URL unset in these apps, the jobs they queue
(held deliveries sent again, alerts) run on this process's job thread with these settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.extensions import jobs
from app.models import AttemptOutcome, DeliveryState
from forwarding.tasks import ProviderRefusing, send_voicemail_email
from tests.conftest import ADMIN_EMAIL
from tests.forwarding.conftest import Configure
from tests.forwarding.delivery_helpers import attempts, new_delivery, stored
from tests.helpers import wait_until
from tests.support.smtp import RelaySink

REFUSALS = 3  # BACKLINE_MAIL_PROVIDER_REFUSALS in these tests


@pytest.fixture
def second() -> Iterator[RelaySink]:
    """The fallback relay (MAIL_FALLBACK_URL)."""
    sink = RelaySink()
    sink.up()
    yield sink
    sink.down()


def _voicemails(relay: RelaySink) -> list[str]:
    """Addresses of the voicemail emails the relay accepted (admin alerts left out)."""
    return [m["To"] for m in relay.messages if m["To"] != ADMIN_EMAIL]


def _alerts(relay: RelaySink) -> list[str]:
    return [m["Subject"] for m in relay.messages if m["To"] == ADMIN_EMAIL]


def _state(delivery_id: int) -> str:
    return stored(delivery_id).state


def test_fewer_refused_recipients_than_the_threshold_stay_failed(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url, BACKLINE_MAIL_PROVIDER_REFUSALS=REFUSALS, REDIS_URL=None)
    gone = [f"gone{n}@acme.example" for n in range(REFUSALS - 1)]
    relay.refused.update(gone)
    ids = [new_delivery(address) for address in gone]

    for delivery_id in ids:
        send_voicemail_email(delivery_id)  # final: no exception, no retry

    jobs.wait_idle(10)
    assert [_state(i) for i in ids] == [DeliveryState.FAILED] * len(ids)
    assert all(attempts(i) == [("smtp", AttemptOutcome.PERMANENT)] for i in ids)
    wait_until(lambda: len(_alerts(relay)) == len(ids))
    assert not any("refusing every recipient" in subject for subject in _alerts(relay))


def test_refusals_with_acceptances_in_between_never_add_up(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url, BACKLINE_MAIL_PROVIDER_REFUSALS=REFUSALS, REDIS_URL=None)
    refused = []
    for n in range(REFUSALS * 2):
        relay.refused.add(f"gone{n}@acme.example")
        refused.append(new_delivery(f"gone{n}@acme.example"))
        send_voicemail_email(refused[-1])
        send_voicemail_email(new_delivery(f"fine{n}@acme.example"))

    jobs.wait_idle(10)
    assert {_state(i) for i in refused} == {DeliveryState.FAILED}
    assert len(_voicemails(relay)) == REFUSALS * 2


def test_a_relay_refusing_everyone_is_left_for_the_fallback_and_the_admins_hear_once(
    configure: Configure, relay: RelaySink, second: RelaySink
) -> None:
    configure(
        SMTP_URL=relay.url,
        MAIL_FALLBACK_URL=second.url,
        BACKLINE_MAIL_PROVIDER_REFUSALS=REFUSALS,
        REDIS_URL=None,
    )
    relay.refusing_all = True
    ids = [new_delivery(f"person{n}@acme.example") for n in range(REFUSALS)]

    for delivery_id in ids[:-1]:
        send_voicemail_email(delivery_id)  # each looks like one bad address, so far
    assert [_state(i) for i in ids[:-1]] == [DeliveryState.FAILED] * (REFUSALS - 1)
    with pytest.raises(ProviderRefusing):
        send_voicemail_email(ids[-1])  # the last straw: the relay's problem, not theirs
    assert _state(ids[-1]) == DeliveryState.DELAYED
    send_voicemail_email(ids[-1])  # its job's retry: the fallback carries it
    later = new_delivery("later@acme.example")
    send_voicemail_email(later)  # no attempt on the relay while it refuses everyone

    jobs.wait_idle(20)
    wait_until(lambda: len(_voicemails(second)) == REFUSALS + 1)
    assert sorted(_voicemails(second)) == sorted(
        [f"person{n}@acme.example" for n in range(REFUSALS)] + ["later@acme.example"]
    )
    assert {_state(i) for i in [*ids, later]} == {DeliveryState.ACCEPTED}
    assert attempts(ids[0]) == [
        ("smtp", AttemptOutcome.REFUSED_ALL),
        ("smtp-fallback", AttemptOutcome.ACCEPTED),
    ]
    assert attempts(later) == [("smtp-fallback", AttemptOutcome.ACCEPTED)]
    wait_until(lambda: _alerts(second) != [])
    [alert] = _alerts(second)
    assert "smtp is refusing every recipient" in alert and "Relay access denied" in alert
    assert relay.messages == []


def test_without_a_fallback_the_refusals_wait_until_the_relay_accepts_again(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url, BACKLINE_MAIL_PROVIDER_REFUSALS=REFUSALS, REDIS_URL=None)
    relay.refusing_all = True
    ids = [new_delivery(f"person{n}@acme.example") for n in range(REFUSALS)]
    for delivery_id in ids[:-1]:
        send_voicemail_email(delivery_id)
    with pytest.raises(ProviderRefusing):
        send_voicemail_email(ids[-1])
    jobs.wait_idle(20)  # the held ones were tried again at once, and refused again
    assert {_state(i) for i in ids} == {DeliveryState.DELAYED}
    assert all(o == AttemptOutcome.REFUSED_ALL for i in ids for _p, o in attempts(i))

    relay.refusing_all = False  # the relay's configuration is fixed
    send_voicemail_email(ids[0])  # the next try (a job retry, the sweeper) is accepted ...

    wait_until(lambda: len(_voicemails(relay)) == REFUSALS)  # ... and the rest go at once
    jobs.wait_idle(20)
    assert sorted(_voicemails(relay)) == [f"person{n}@acme.example" for n in range(REFUSALS)]
    assert {_state(i) for i in ids} == {DeliveryState.ACCEPTED}


def test_a_single_refusal_stays_final_while_the_relay_takes_everyone_else(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url, BACKLINE_MAIL_PROVIDER_REFUSALS=REFUSALS, REDIS_URL=None)
    relay.refused.add("gone@acme.example")
    gone = new_delivery("gone@acme.example")
    send_voicemail_email(gone)
    for n in range(REFUSALS):
        send_voicemail_email(new_delivery(f"person{n}@acme.example"))

    send_voicemail_email(gone)  # a job left in the queue changes nothing

    jobs.wait_idle(10)
    assert _state(gone) == DeliveryState.FAILED
    assert attempts(gone) == [("smtp", AttemptOutcome.PERMANENT)]
    wait_until(lambda: len(_alerts(relay)) == 1)
    assert "gone@acme.example" in _alerts(relay)[0]
