"""Small test helpers that are not fixtures: free ports, MP3 decoding, waiting, programs."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, NoReturn, TypeVar

import pytest

from voicemail.audio import ffmpeg_path

DECODE_RATE = 8000
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


REQUIRE_REAL_COMPONENTS = "BACKLINE_REQUIRE_REAL_COMPONENTS"


def require_program(name: str, package: str | None = None, also: tuple[str, ...] = ()) -> str:
    """The path of an installed program (or of one of its other names, `also`); without it the
    test is skipped, saying why.

    With BACKLINE_REQUIRE_REAL_COMPONENTS=1 (as CI sets it) a missing program fails the test
    instead: a real component that is silently skipped tests nothing.
    """
    for candidate in (name, *also):
        path = shutil.which(candidate)
        if path:
            return path
    missing_component(f"{name} is not installed (Debian package {package or name})")


def missing_component(reason: str) -> NoReturn:
    """Skip the test for a real component that is missing or broken, or fail it in CI."""
    if os.environ.get(REQUIRE_REAL_COMPONENTS) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_REAL_COMPONENTS}=1 requires it", pytrace=False)
    pytest.skip(reason)


def wait_until(
    condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.05
) -> object:
    """Poll until `condition()` is truthy; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def finishes_within(seconds: float, work: Callable[[], T], what: str) -> T:
    """Run `work` on a thread and return its result; fail the test if it is still running after
    `seconds` (the thread is left behind: what hangs here would hang forever)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="finishes-within", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"{what}: still waiting after {seconds:g} s", pytrace=False)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def parse_email(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mp3_attachment(message: EmailMessage) -> bytes:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "audio/mpeg"]
    assert len(parts) == 1, f"expected one MP3 attachment, found {len(parts)}"
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def mp3_duration(mp3: bytes) -> float:
    """Decode an MP3 with ffmpeg (fails loudly if it is not one) and return its length in seconds."""
    result = subprocess.run(
        [
            ffmpeg_path(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "mp3",
            "-i",
            "pipe:0",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(DECODE_RATE),
            "pipe:1",
        ],
        input=mp3,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return len(result.stdout) / 2 / DECODE_RATE


def make_certificate(host: str = "127.0.0.1", days: int = 30) -> tuple[bytes, bytes]:
    """A self-signed RSA certificate for `host` (an IP address or a name): (cert PEM, key PEM)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def settings_env(settings: dict[str, Any]) -> dict[str, str]:
    """The environment a Backline subprocess needs to run with the test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLINE_", "TWILIO_"))}
    env.update({k: str(v) for k, v in settings.items() if v is not None})
    env["FLASK_SKIP_DOTENV"] = "1"  # a stray .env above the temp dir must not configure it
    return env
