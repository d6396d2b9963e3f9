"""Amazon SNS message signatures (SignatureVersion 1 and 2), checked before a message is believed.

In production the signing certificate, and any SubscribeURL, must be an https URL on
`sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`): nothing else is ever fetched.
BACKLINE_SNS_URL_PATTERN replaces that rule for tests (a local certificate server); it is
ignored when BACKLINE_ENV is production.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AWS_SNS_ORIGIN = r"https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
# The fields signed, in this order, per message type (AWS: "Verifying the signatures of
# Amazon SNS messages"). Subject is signed only when the notification has one.
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (*_CONFIRMATION_FIELDS, "Type"),
    "UnsubscribeConfirmation": (*_CONFIRMATION_FIELDS, "Type"),
}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
CERT_MAX_BYTES = 64 * 1024
CERT_CACHE_SIZE = 32
FETCH_TIMEOUT = (3, 5)  # seconds to connect, to read


class SnsMalformed(ValueError):
    """The message is not a well-formed SNS message (400)."""


class SnsRejected(ValueError):
    """The message is not provably from Amazon SNS (403)."""


class SnsUnavailable(RuntimeError):
    """The signing certificate could not be fetched just now (503: SNS delivers again)."""


def is_sns_url(url: object, pattern: str = AWS_SNS_ORIGIN) -> bool:
    """Whether `url`'s scheme and host (no credentials, no other port) match `pattern`."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    return re.fullmatch(pattern, f"{parts.scheme}://{parts.netloc}".lower()) is not None


def string_to_sign(message: dict[str, Any]) -> bytes:
    """The canonical text SNS signed: `Name\\nValue\\n` for each signed field, in order."""
    fields = SIGNED_FIELDS.get(message.get("Type"))  # type: ignore[arg-type]
    if fields is None:
        raise SnsMalformed(f"Type must be one of {', '.join(MESSAGE_TYPES)}.")
    lines: list[str] = []
    for name in fields:
        if name == "Subject" and "Subject" not in message:
            continue
        value = message.get(name)
        if not isinstance(value, str):
            raise SnsMalformed(f"The SNS message has no {name} (or it is not a string).")
        lines += [name, value]
    return ("\n".join(lines) + "\n").encode()


def verify(message: dict[str, Any], pattern: str = AWS_SNS_ORIGIN) -> None:
    """Raise SnsRejected unless the message carries a valid SNS signature."""
    version = message.get("SignatureVersion")
    algorithm = HASHES.get(version) if isinstance(version, str) else None
    if algorithm is None:
        raise SnsRejected("SignatureVersion must be 1 or 2.")
    cert_url = message.get("SigningCertURL")
    if not is_sns_url(cert_url, pattern):
        raise SnsRejected("The signing certificate is not on an Amazon SNS host.")
    encoded = message.get("Signature", "")
    if not isinstance(encoded, str):  # never str() a value an attacker may have nested deeply
        raise SnsRejected("The Signature is not base64.")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SnsRejected("The Signature is not base64.") from None
    signed = string_to_sign(message)
    try:
        signing_key(str(cert_url)).verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRejected("The SNS signature does not verify.") from None


_keys: OrderedDict[str, rsa.RSAPublicKey] = OrderedDict()
_keys_lock = threading.Lock()


def signing_key(url: str) -> rsa.RSAPublicKey:
    """The RSA key of the certificate at `url`, fetched once and cached."""
    with _keys_lock:
        if url in _keys:
            _keys.move_to_end(url)
            return _keys[url]
    key = _fetch_key(url)
    with _keys_lock:
        _keys[url] = key
        while len(_keys) > CERT_CACHE_SIZE:
            _keys.popitem(last=False)
    return key


def _fetch_key(url: str) -> rsa.RSAPublicKey:
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, allow_redirects=False, stream=True) as reply:
            status, body = reply.status_code, b""
            for chunk in reply.iter_content(8192):
                body += chunk
                if len(body) > CERT_MAX_BYTES:
                    break
    except requests.RequestException as exc:
        raise SnsUnavailable(f"The signing certificate could not be fetched: {exc}") from None
    if status != 200:
        raise SnsUnavailable(f"The signing certificate could not be fetched (HTTP {status}).")
    if len(body) > CERT_MAX_BYTES:
        raise SnsRejected("The signing certificate is implausibly large.")
    try:
        cert = x509.load_pem_x509_certificate(body)
    except ValueError:
        raise SnsRejected("The signing certificate is not a PEM certificate.") from None
    if cert.not_valid_after_utc < datetime.now(UTC):
        raise SnsRejected("The signing certificate has expired.")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsRejected("The signing certificate does not hold an RSA key.")
    return key
