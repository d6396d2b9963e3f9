"""Mail backends behind one interface: a Maildir outbox, SMTP (SMTP_URL), or SES (`ses.py`)."""

from __future__ import annotations

import functools
import mailbox
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.policy import Policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from app.core.mail import Envelope, Mailer, MailError
from forwarding.smtp_answers import partly_refused, refusal, settled
from forwarding.smtp_pipeline import (
    Pipeline,
    can_pipeline,
    plain_addresses,
    send_pipelined,
)


class MaildirMailer:
    """Writes each message into a Maildir any mail client can open (the embedded default)."""

    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: Message, envelope: Envelope | None = None) -> str:
        try:
            key = mailbox.Maildir(self.path, create=True).add(message)
        except OSError as exc:
            raise MailError(f"could not write to the outbox: {exc}") from exc
        return f"stored as {key}"


@dataclass
class _Connection:
    client: smtplib.SMTP
    pid: int
    last_used: float
    sent: int = 0


class SmtpMailer:
    """Sends through an SMTP relay: `smtp://user:pass@host:port?starttls=true` or `smtps://`.

    Each thread keeps one connection open and reuses it for the next message, its commands
    pipelined where the relay offers it (forwarding/smtp_pipeline.py); `send_all` sends a run
    of messages at one round trip each. A connection idle
    for a moment is checked with NOOP first; one idle past IDLE_LIMIT_S, or used for
    MAX_MESSAGES_PER_CONNECTION messages, is replaced (relays time out idle clients and some
    cap the messages per connection).
    """

    IDLE_LIMIT_S = 60.0
    PROBE_AFTER_S = 1.0  # back-to-back messages skip the NOOP round trip
    MAX_MESSAGES_PER_CONNECTION = 100

    def __init__(self, url: str, timeout: float = 30.0, name: str = "smtp") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
        self.name = name
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.timeout = timeout
        self._local = threading.local()

    def send(self, message: Message, envelope: Envelope | None = None) -> str:
        try:
            connection = self._connection()
            if envelope is None:
                refused = connection.client.send_message(message)
            else:
                refused = _send_bytes(connection.client, envelope, _wire(message))
        except smtplib.SMTPRecipientsRefused as exc:
            raise refusal(exc.recipients) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # whatever state the session is in, the next message starts afresh
            raise self._failure(exc) from exc
        connection.last_used = time.monotonic()
        connection.sent += 1
        if refused:
            raise partly_refused(refused)
        return f"250 accepted by {self.host}:{self.port}"

    def send_all(self, items: Iterable[tuple[Message, Envelope]]) -> Iterator[MailError | None]:
        """Send each message in turn; yield what became of each, in order: None when the relay
        took it, else the MailError `send` would have raised.

        Where the relay offers PIPELINING each message costs one round trip (a message's
        content goes with the next one's envelope: forwarding/smtp_pipeline.py), and a message
        the relay refuses leaves the session open for the next. A connection that fails fails
        the messages it had in flight; the next message opens a new one. `items` is read one
        ahead: the next message is taken (a lazy caller composes it then) while the relay
        answers the last group written.
        """
        pipeline: Pipeline | None = None
        upcoming = iter(items)
        item = next(upcoming, None)
        while item is not None:
            message, envelope = item
            if pipeline is not None and not self._goes_on(pipeline, envelope):
                yield from self._finished(pipeline)
                pipeline = None
            if pipeline is None:
                pipeline = self._pipeline(envelope)
            if pipeline is None:
                yield self._sent_alone(message, envelope)
                item = next(upcoming, None)
                continue
            item = yield from self._sent(pipeline, envelope, _wire(message), upcoming)
        if pipeline is not None:
            yield from self._finished(pipeline)

    def _pipeline(self, envelope: Envelope) -> Pipeline | None:
        """A pipeline on this thread's connection, if the relay and the addresses allow one."""
        try:
            client = self._connection().client
            return (
                Pipeline(client)
                if can_pipeline(client, envelope.sender, envelope.recipients)
                else None
            )
        except (smtplib.SMTPException, OSError):
            self.close()
            return None  # `send` meets the failure again and reports it for this message

    def _goes_on(self, pipeline: Pipeline, envelope: Envelope) -> bool:
        connection = self._local.connection
        return (
            connection is not None
            and connection.client is pipeline.client
            and connection.sent < self.MAX_MESSAGES_PER_CONNECTION
            and plain_addresses(envelope.sender, envelope.recipients)
        )

    def _sent(
        self,
        pipeline: Pipeline,
        envelope: Envelope,
        data: bytes,
        upcoming: Iterator[tuple[Message, Envelope]],
    ) -> Generator[MailError | None, None, tuple[Message, Envelope] | None]:
        """Write one message's group, take the next item while the relay answers, then read
        the answers; returns that next item."""
        in_flight = len(pipeline.in_flight) + 1
        try:
            pipeline.write(None, envelope.sender, envelope.recipients, data)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            yield from [self._failure(exc)] * in_flight
            return next(upcoming, None)
        following = self._taken_meanwhile(upcoming)
        try:
            learnt = pipeline.read()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            yield from [self._failure(exc)] * in_flight
            return following
        self._local.connection.last_used = time.monotonic()
        self._local.connection.sent += 1
        yield from (settled(outcome, self._failure) for _, outcome in learnt)
        return following

    def _taken_meanwhile(
        self, upcoming: Iterator[tuple[Message, Envelope]]
    ) -> tuple[Message, Envelope] | None:
        try:
            return next(upcoming, None)
        except BaseException:
            # the answers to the group written are never read: nothing more on this session
            connection: _Connection | None = self._local.connection
            self._local.connection = None
            if connection is not None:
                connection.client.close()
            raise

    def _finished(self, pipeline: Pipeline) -> Iterator[MailError | None]:
        in_flight = len(pipeline.in_flight)
        try:
            learnt = pipeline.finish()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            yield from [self._failure(exc)] * in_flight
            return
        yield from (settled(outcome, self._failure) for _, outcome in learnt)

    def _sent_alone(self, message: Message, envelope: Envelope) -> MailError | None:
        try:
            self.send(message, envelope)
        except MailError as exc:
            return exc
        return None

    def _failure(self, exc: Exception) -> MailError:
        return MailError(f"SMTP {self.host}:{self.port}: {exc}")

    def close(self) -> None:
        """Close this thread's connection, if any (QUIT when the relay still listens)."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None or connection.pid != os.getpid():
            return  # never talk on a socket inherited from a parent process
        try:
            connection.client.quit()
        except (smtplib.SMTPException, OSError):
            connection.client.close()

    def _connection(self) -> _Connection:
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not self._still_good(connection):
            self.close()
            connection = None
        if connection is None:
            connection = _Connection(self._connect(), os.getpid(), time.monotonic())
            self._local.connection = connection
        return connection

    def _still_good(self, connection: _Connection) -> bool:
        if connection.pid != os.getpid():
            return False
        idle = time.monotonic() - connection.last_used
        if idle > self.IDLE_LIMIT_S or connection.sent >= self.MAX_MESSAGES_PER_CONNECTION:
            return False
        if idle < self.PROBE_AFTER_S:
            return True
        try:
            return connection.client.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.implicit_tls:
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError):
            client.close()
            raise
        return client


def _wire(message: Message) -> bytes:
    return message.as_bytes(policy=_with_crlf(message.policy))


@functools.lru_cache(maxsize=8)
def _with_crlf(policy: Policy) -> Policy:
    """The message's policy writing CRLF line ends, as SMTP carries them (made once)."""
    return policy.clone(linesep="\r\n")


def _send_bytes(client: smtplib.SMTP, envelope: Envelope, data: bytes) -> dict[str, Any]:
    """One message over the open session: pipelined where the relay offers it."""
    if can_pipeline(client, envelope.sender, envelope.recipients):
        return send_pipelined(client, envelope.sender, envelope.recipients, data)
    return client.sendmail(envelope.sender, envelope.recipients, data)


def mailer_from_settings(smtp_url: str | None, outbox: str) -> Mailer:
    """SMTP when SMTP_URL is set, else the Maildir outbox."""
    if smtp_url:
        return SmtpMailer(smtp_url)
    return MaildirMailer(Path(outbox))
