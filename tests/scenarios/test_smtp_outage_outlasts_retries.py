"""A voicemail left while the SMTP relay is down for longer than the old give-up horizon.

With the defaults, Backline used to fail a voicemail email for good at its 12th attempt (about
33 minutes). Now a delivery with only transient failures is `delayed`: the admin UI, the CLI
and the API say so, the sweeper tries it again whenever RETRY_CAP has passed, and it is sent
once the relay is back. The long outage is played by making the attempts (the job's retries)
one after another, and the sweeper is asked what is due RETRY_CAP from now: no sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.admin.accounts import set_admin
from app.core.config import DEFAULTS
from app.core.extensions import db
from app.core.mail import MailError
from app.models import Delivery, DeliveryState, utcnow
from app.security.tokens import create_token
from forwarding.attempts import RETRY_CAP
from forwarding.sweeper import sweep_deliveries
from forwarding.tasks import send_voicemail_email
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, browser, log_in
from tests.conftest import Invoke, TwilioHelper
from tests.helpers import mp3_attachment, wait_until
from tests.support.app_state import built_app
from tests.support.smtp import RelaySink

OLD_HORIZON = DEFAULTS["BACKLINE_MAX_DELIVERY_ATTEMPTS"]


def _delivery() -> Delivery | None:
    db.session.rollback()  # see what the job thread committed
    return db.session.scalars(select(Delivery)).one_or_none()


@pytest.fixture
def web(settings: dict[str, Any], relay: RelaySink) -> Iterator[Flask]:
    """The web process, its jobs in-process, mailing through `relay`."""
    with built_app({**settings, "REDIS_URL": None, "SMTP_URL": relay.url}) as made:
        yield made


def test_an_smtp_outage_past_the_old_horizon_leaves_the_voicemail_delayed_until_sent(
    app: Flask,
    web: Flask,
    client: FlaskClient,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    relay: RelaySink,
    cli: Invoke,
) -> None:
    subscriber(number="+14155550100")
    outage()
    relay.down()
    with web.app_context():
        TwilioHelper(web.test_client(), twilio.media).leave_voicemail("+14155550100", seconds=2)
        wait_until(lambda: (d := _delivery()) is not None and d.attempts >= 1, timeout=60)
        delivery_id = _delivery().id  # type: ignore[union-attr]
        for _ in range(OLD_HORIZON + 1):  # the rest of a 33-minute outage, and more
            with pytest.raises(MailError):
                send_voicemail_email(delivery_id)

    delivery = _delivery()
    assert delivery is not None and delivery.attempts > OLD_HORIZON
    assert delivery.state == DeliveryState.DELAYED
    _admins_see_it_delayed(app, client, cli, delivery_id)

    relay.up()
    with web.app_context():
        assert sweep_deliveries(now=utcnow() + RETRY_CAP - timedelta(seconds=30)) == 0
        assert sweep_deliveries(now=utcnow() + RETRY_CAP + timedelta(seconds=1)) == 1
    [message] = relay.wait_for(1)  # the voicemail, and no alert about a failure
    assert message["To"] == "office@acme.example" and mp3_attachment(message)
    wait_until(lambda: _delivery().state == DeliveryState.ACCEPTED)  # type: ignore[union-attr]


def _admins_see_it_delayed(app: Flask, client: FlaskClient, cli: Invoke, delivery_id: int) -> None:
    listing = cli("deliveries", "list")
    assert listing.exit_code == 0, listing.output
    assert listing.output.split("\t")[:2] == [str(delivery_id), "delayed"]
    assert cli("deliveries", "list", "--failed").output == ""

    _row, secret = create_token(db.session(), "noc")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    one = client.get(f"/api/v1/deliveries/{delivery_id}", headers=bearer)
    assert one.json["state"] == "delayed", one.text
    listed = client.get("/api/v1/deliveries?state=delayed", headers=bearer)
    assert [d["id"] for d in listed.json["items"]] == [delivery_id], listed.text

    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    admin = browser(app)
    assert log_in(admin).status_code == 302
    page = admin.get("/admin/deliveries").text
    assert 'class="badge state-delayed">delayed<' in page
    assert "badge state-failed" not in page
