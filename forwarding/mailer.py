"""Mail backends behind one interface: a Maildir outbox, or SMTP (SMTP_URL)."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class MailError(RuntimeError):
    """The mail backend did not accept a message; worth retrying."""


class PermanentMailError(MailError):
    """The relay refused the recipient for good (5xx): retrying will not help."""


class Mailer(Protocol):
    name: str

    def send(self, message: EmailMessage) -> str:
        """Hand the message over; return the backend's answer (kept on the delivery)."""
        ...


class MaildirMailer:
    """Writes each message into a Maildir any mail client can open (the embedded default)."""

    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> str:
        try:
            key = mailbox.Maildir(self.path, create=True).add(message)
        except OSError as exc:
            raise MailError(f"could not write to the outbox: {exc}") from exc
        return f"stored as {key}"


class SmtpMailer:
    """Sends through an SMTP relay: `smtp://user:pass@host:port?starttls=true` or `smtps://`."""

    name = "smtp"

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: EmailMessage) -> str:
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            error = PermanentMailError if all(c >= 500 for c in codes) else MailError
            raise error(f"recipient refused: {exc.recipients}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        if refused:
            raise PermanentMailError(f"recipient refused: {refused}")
        return f"250 accepted by {self.host}:{self.port}"


def mailer_from_settings(smtp_url: str | None, outbox: str) -> Mailer:
    """SMTP when SMTP_URL is set, else the Maildir outbox."""
    if smtp_url:
        return SmtpMailer(smtp_url)
    return MaildirMailer(Path(outbox))
