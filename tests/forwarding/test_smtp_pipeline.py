"""SMTP with pipelined commands (RFC 2920): two round trips a message, answers as sendmail's.

Failure modes: a refused recipient among others (returned, the rest delivered); every recipient
refused, a refused sender, a refused message (the same exceptions as smtplib's sendmail, and the
session reset, so the next message goes on the same connection); a relay that opens the message
although it refused every recipient (the connection is closed, nothing is sent into it); lines
starting with a dot and a body without a final line end (delivered intact); a relay without
PIPELINING and a non-ASCII address (smtplib's sendmail carries them).
"""

from __future__ import annotations

import re
import smtplib
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from app.core.mail import Envelope, MailError, PermanentMailError
from forwarding.mailer import SmtpMailer
from forwarding.smtp_pipeline import _content, can_pipeline, send_pipelined
from tests.support.smtp import CountingSMTP, RelaySink

SENDER = "notices@backline.example"


def _data(body: str = "Your service is down.\r\n", to: str = "office@acme.example") -> bytes:
    head = f"From: {SENDER}\r\nTo: {to}\r\nSubject: Outage\r\n\r\n"
    return (head + body).encode()


@pytest.fixture
def client(relay: RelaySink) -> Iterator[CountingSMTP]:
    connection = CountingSMTP("127.0.0.1", relay.port, timeout=10)
    yield connection
    connection.close()


def _pipelined(client: smtplib.SMTP, to: list[str], data: bytes) -> dict[str, Any]:
    assert can_pipeline(client, SENDER, to)
    return send_pipelined(client, SENDER, to, data)


def test_a_message_costs_two_writes_and_arrives_whole(
    client: CountingSMTP, relay: RelaySink
) -> None:
    body = "Line one.\r\n.A line starting with a dot.\r\n..and two.\r\nNo final line end"
    client.ehlo()
    before = client.writes

    assert _pipelined(client, ["office@acme.example"], _data(body)) == {}

    assert client.writes - before == 2
    (message,) = relay.wait_for(1)
    assert relay.recipients == [["office@acme.example"]]
    assert message.get_payload() == body + "\r\n"


def test_a_refused_recipient_is_returned_and_the_others_get_the_message(
    client: CountingSMTP, relay: RelaySink
) -> None:
    relay.refused.add("gone@acme.example")

    refused = _pipelined(client, ["gone@acme.example", "office@acme.example"], _data())

    assert list(refused) == ["gone@acme.example"] and refused["gone@acme.example"][0] == 550
    relay.wait_for(1)
    assert relay.recipients == [["office@acme.example"]]


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        ("refusing_all", smtplib.SMTPRecipientsRefused),
        ("refusing_sender", smtplib.SMTPSenderRefused),
        ("refusing_content", smtplib.SMTPDataError),
    ],
)
def test_refusals_raise_as_sendmail_does_and_the_session_goes_on(
    client: CountingSMTP, relay: RelaySink, refusal: str, error: type[Exception]
) -> None:
    setattr(relay, refusal, True)
    with pytest.raises(error):
        _pipelined(client, ["office@acme.example"], _data())
    setattr(relay, refusal, False)

    assert _pipelined(client, ["office@acme.example"], _data()) == {}

    relay.wait_for(1)
    assert relay.connections == 1


def test_a_relay_without_pipelining_or_a_non_ascii_address_goes_through_sendmail(
    client: CountingSMTP, relay: RelaySink
) -> None:
    relay.pipelining = False
    assert not can_pipeline(client, SENDER, ["office@acme.example"])
    relay.pipelining = True
    other = smtplib.SMTP("127.0.0.1", relay.port, timeout=10)
    try:
        assert can_pipeline(other, SENDER, ["office@acme.example"])
        assert not can_pipeline(other, SENDER, ["bür@acme.example"])
        assert not can_pipeline(other, SENDER, ["a@b.example>\r\nRCPT TO:<c@d.example"])
    finally:
        other.close()


def test_the_mailer_sends_pipelined_and_maps_refusals(relay: RelaySink) -> None:
    mailer = SmtpMailer(relay.url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "office@acme.example", "Outage"
    message.set_content("Your service is down.")
    relay.refused.add("gone@acme.example")
    try:
        mailer.send(message, Envelope(SENDER, ["office@acme.example"]))
        with pytest.raises(PermanentMailError, match=re.escape("gone@acme.example: 550")):
            mailer.send(message, Envelope(SENDER, ["gone@acme.example"]))
        relay.deferring = True
        with pytest.raises(MailError, match="451"):
            mailer.send(message, Envelope(SENDER, ["later@acme.example"]))
        relay.deferring = False
        mailer.send(message, Envelope(SENDER, ["office@acme.example"]))
    finally:
        mailer.close()

    relay.wait_for(2)
    assert relay.connections == 1


class _OverEagerRelay:
    """A relay that refuses every recipient yet opens the message (RFC 2920 says it must not);
    it keeps whatever is sent after its 354."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.after_opening = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 relay.example ESMTP\r\n")
            for line in lines:
                command = line[:4].upper()
                if command == b"EHLO":
                    connection.sendall(b"250-relay.example\r\n250 PIPELINING\r\n")
                elif command == b"MAIL":
                    connection.sendall(b"250 OK\r\n")
                elif command == b"RCPT":
                    connection.sendall(b"550 5.1.1 User unknown\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 Go ahead\r\n")
                    self.after_opening = lines.read()  # until the client hangs up
                    return


def test_a_relay_that_opens_a_refused_message_gets_nothing_and_the_connection_closes() -> None:
    relay = _OverEagerRelay()
    client = smtplib.SMTP("127.0.0.1", relay.port, timeout=10)

    with pytest.raises(smtplib.SMTPDataError):
        _pipelined(client, ["gone@acme.example"], _data())

    relay.thread.join(timeout=10)
    assert not relay.thread.is_alive()
    assert relay.after_opening == b""
    assert client.sock is None
    relay.listener.close()


def test_dot_stuffing_doubles_every_leading_dot_the_first_line_included() -> None:
    data = b".first\r\nmiddle.\r\n.second\r\n..third"

    assert _content(data) == b"..first\r\nmiddle.\r\n..second\r\n...third\r\n.\r\n"
