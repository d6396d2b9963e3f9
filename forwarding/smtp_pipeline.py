"""One message over SMTP with its commands pipelined (RFC 2920), where the relay offers it.

smtplib's `sendmail` waits for the answer to MAIL FROM, then to each RCPT TO, then to DATA,
before it sends the message: four round trips a message. A relay that advertises PIPELINING
(Postfix, Exim, the big providers' submission servers) takes MAIL, every RCPT and DATA in one
write and answers them in order, so a message costs two round trips: the envelope, then the
content. For a notice sent to thousands of addresses over one connection, the waits between
those round trips were most of a worker's time, and parsing each address again (smtplib quotes
them with `email.utils.parseaddr`) a tenth of its CPU.

What the relay answers is handled as `sendmail` handles it, with the same exceptions, so
callers see no difference: a refused sender raises SMTPSenderRefused, every recipient refused
SMTPRecipientsRefused (with each refusal), a refused DATA or message SMTPDataError, and a
partial refusal is returned. After a refusal the session is reset (RSET) for the next message.
A relay that opens the message although it had refused the sender or every recipient
(RFC 2920 asks it to refuse DATA then) is never sent anything more: the connection is closed,
so no empty or unaddressed message can be delivered.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

ACCEPTED = (250, 251)
START_INPUT = 354


def can_pipeline(client: smtplib.SMTP, sender: str, recipients: Sequence[str]) -> bool:
    """Whether this message can go pipelined: the relay offers it and the addresses are plain
    ASCII (anything else goes through `sendmail`, which knows SMTPUTF8)."""
    client.ehlo_or_helo_if_needed()
    return client.has_extn("pipelining") and all(
        _plain(address) for address in (sender, *recipients)
    )


def send_pipelined(
    client: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes
) -> dict[str, tuple[int, bytes]]:
    """Send `data` (CRLF line ends) from `sender` to `recipients`; the refused ones, if some."""
    commands = [f"MAIL FROM:<{sender}>", *(f"RCPT TO:<{r}>" for r in recipients), "DATA"]
    client.send("".join(f"{command}\r\n" for command in commands))
    mail = client.getreply()
    answers = {recipient: client.getreply() for recipient in recipients}
    opened = client.getreply()
    refused = {r: answer for r, answer in answers.items() if answer[0] not in ACCEPTED}
    nobody = mail[0] not in ACCEPTED or len(refused) == len(recipients)
    if opened[0] == START_INPUT and nobody:
        client.close()
        raise smtplib.SMTPDataError(opened[0], b"the relay opened a message it had refused")
    if mail[0] not in ACCEPTED:
        client.rset()
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if nobody:
        client.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    if opened[0] != START_INPUT:
        client.rset()
        raise smtplib.SMTPDataError(*opened)
    client.send(_content(data))
    code, reply = client.getreply()
    if code not in ACCEPTED:
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _content(data: bytes) -> bytes:
    """The message as DATA carries it: lines starting with a dot doubled, then the lone dot."""
    # bytes.replace, not a MULTILINE regex: a tenth of the time on a notice-sized message
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def _plain(address: str) -> bool:
    return address.isascii() and not any(c in address for c in "\r\n<> ")
