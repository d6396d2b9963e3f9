"""Overlapping outages driven through `backline outage`, and the notices they leave in the sink.

The usual cast: outage A covers region `us-west`, outage B covers everyone; a subscriber in
us-west is covered by both, one in us-east by B alone.
"""

from __future__ import annotations

from collections import defaultdict
from email.message import EmailMessage

from tests.conftest import Invoke, settle
from tests.support.smtp import SmtpSink

WEST = "+14155550101"
EAST = "+12125550102"
WEST_EMAIL = "west@acme.example"
EAST_EMAIL = "east@acme.example"
RESOLVED = "Resolved: your phone service is back (calls you received meanwhile)"
BACK_WORDS = ("working again", "restored", "service is back")


def start(cli: Invoke, *args: str) -> int:
    """Start an outage through the CLI and wait for its notices; return its id."""
    result = cli("outage", "start", *args)
    assert result.exit_code == 0, result.output
    assert settle(60)
    return int(result.stdout.splitlines()[0])


def run(cli: Invoke, *args: str) -> None:
    """Run `backline outage ARGS…` and wait for the notices it causes."""
    result = cli("outage", *args)
    assert result.exit_code == 0, result.output
    assert settle(60)


def by_address(smtp: SmtpSink) -> dict[str, list[EmailMessage]]:
    """The emails the sink holds, by recipient."""
    found: dict[str, list[EmailMessage]] = defaultdict(list)
    for message in smtp.messages:
        found[str(message["To"])].append(message)
    return dict(found)


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def says_back(message: EmailMessage) -> bool:
    """Whether an email tells its reader that their phone service is back, anywhere."""
    words = f"{message['Subject']}\n{plain(message)}\n{html(message)}".lower()
    return any(phrase in words for phrase in BACK_WORDS)
