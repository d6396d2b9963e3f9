"""Real SMTP servers for the tests (aiosmtpd): a sink that keeps what it accepts, and a relay
that can refuse, go down and come back, with TLS and login."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers import free_port, parse_email, wait_until


class SmtpSink:
    """An aiosmtpd handler keeping every message it accepts.

    It offers PIPELINING, as the relays Backline sends through do (aiosmtpd reads pipelined
    commands one line after another, but does not say so by itself); a test that wants a relay
    without it sets `pipelining = False`.
    """

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()
        self.pipelining = True

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [parse_email(raw) for raw in self.raw]

    def clear(self) -> None:
        with self.lock:
            self.raw.clear()
            self.recipients.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until `count` messages arrived; fail if more than `count` did."""
        wait_until(lambda: len(self.raw) >= count, timeout)
        messages = self.messages
        assert len(messages) == count, f"expected {count} emails, got {len(messages)}"
        return messages


class RelaySink(SmtpSink):
    """A second SMTP server that tests control: it counts connections, refuses chosen recipients
    with 550 (`refused`), refuses everyone as a relay that denies relaying (`refusing_all`),
    defers everyone with 451, refuses the sender (`refusing_sender`) or a message once sent
    (`refusing_content`), and goes `down()` and back `up()` on the same port.

    Optionally implicit TLS (`ssl_context`), STARTTLS (`tls_context`) and a required login.
    """

    def __init__(
        self,
        ssl_context: Any = None,
        tls_context: Any = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.port = free_port()
        self.refused: set[str] = set()
        self.refusing_all = False
        self.deferring = False
        self.refusing_sender = False  # 553 to MAIL FROM
        self.refusing_content = False  # 554 once the message has been sent
        self.logins: list[str] = []
        self._ssl_context, self._tls_context, self._login = ssl_context, tls_context, login
        self._clients: list[Any] = []  # one aiosmtpd SMTP object per connection that said hello
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self._ssl_context else "smtp"
        credentials = f"{self._login[0]}:{self._login[1]}@" if self._login else ""
        query = "?starttls=true" if self._tls_context else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}{query}"

    @property
    def connections(self) -> int:
        """How many SMTP sessions (connections that said EHLO or HELO) the relay has seen."""
        with self.lock:
            return len(self._clients)

    def up(self) -> None:
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self._tls_context is not None:
            options["tls_context"] = self._tls_context
        if self._login is not None:
            options.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, ssl_context=self._ssl_context, **options
        )
        self._controller.start()

    def down(self) -> None:
        """Stop listening and drop every open connection, as a relay that dies does."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _note(self, server: Any) -> None:
        with self.lock:
            if not any(seen is server for seen in self._clients):
                self._clients.append(server)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self._note(server)
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        self._note(server)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.refusing_all:
            return f"550 5.7.1 <{address}>: Relay access denied"
        if self.deferring:
            return "451 4.3.0 Temporary local problem, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refusing_sender:
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by you"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing_content:
            return "554 5.7.1 Message rejected: content policy"
        return await super().handle_DATA(server, session, envelope)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and self._login == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


class CountingSMTP(smtplib.SMTP):
    """smtplib's client, counting what every instance writes to its socket (one write per round
    trip it starts); tests read the count before and after."""

    writes = 0

    def send(self, s: Any) -> None:
        CountingSMTP.writes += 1
        super().send(s)
