"""Fetching a recording from Twilio without trusting anything the callback says.

The URL is built from TWILIO_API_URL, our AccountSid and the RecordingSid. Every redirect hop
is checked against BACKLINE_RECORDING_HOSTS, and the credentials are only ever sent to the
original host: Twilio hands media out through signed redirects that need no password.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from app.twilio.form import is_sid

MAX_REDIRECTS = 5
TIMEOUT = (5, 30)  # connect, read (seconds)
CHUNK = 64 * 1024


class DownloadError(RuntimeError):
    """The recording could not be fetched this time; worth retrying."""


class RecordingNotReady(DownloadError):
    """Twilio answered 404: right after `completed` the media may not be there yet."""


class RecordingRejected(RuntimeError):
    """The recording can never be fetched as asked (bad host, too big, not audio)."""


@dataclass(frozen=True)
class DownloadPolicy:
    allowed_hosts: tuple[str, ...]  # "host" (any port) or "host:port"
    max_bytes: int
    https_only: bool


def recording_url(api_url: str, account_sid: str, recording_sid: str) -> str:
    """The WAV media URL of a recording on the Twilio API (or a compatible one)."""
    if not is_sid(account_sid, "AC") or not is_sid(recording_sid, "RE"):
        raise RecordingRejected("AccountSid or RecordingSid is malformed")
    base = api_url.rstrip("/")
    return f"{base}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}.wav"


def parse_allowed_hosts(value: str) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in value.split(",") if h.strip())


def download_recording(url: str, auth: tuple[str, str], policy: DownloadPolicy) -> bytes:
    """Return the recording's bytes, following only redirects the policy allows."""
    origin = _origin(url)
    with requests.Session() as http:
        http.trust_env = False  # never route Twilio media through an ambient proxy
        for _hop in range(MAX_REDIRECTS + 1):
            _check_scheme(url, policy)
            response = _get(http, url, auth if _origin(url) == origin else None)
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    _check_redirect(url, policy)
                    continue
                return _read_body(response, policy)
    raise RecordingRejected(f"more than {MAX_REDIRECTS} redirects")


def _get(http: requests.Session, url: str, auth: tuple[str, str] | None) -> requests.Response:
    try:
        return http.get(url, auth=auth, allow_redirects=False, stream=True, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise DownloadError(
            f"could not reach {urlsplit(url).netloc}: {type(exc).__name__}"
        ) from exc


def _read_body(response: requests.Response, policy: DownloadPolicy) -> bytes:
    if response.status_code == 404:
        raise RecordingNotReady("Twilio has no media for this recording yet (404)")
    if response.status_code >= 500 or response.status_code == 429:
        raise DownloadError(f"media server answered {response.status_code}")
    if response.status_code != 200:
        raise RecordingRejected(f"media server answered {response.status_code}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not content_type.startswith("audio/"):
        raise RecordingRejected(f"media server sent {content_type or 'no content type'}, not audio")
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > policy.max_bytes:
        raise RecordingRejected(f"recording is {declared} bytes, above the {policy.max_bytes} cap")
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body.extend(chunk)
        if len(body) > policy.max_bytes:
            raise RecordingRejected(f"recording is larger than the {policy.max_bytes}-byte cap")
    return bytes(body)


def _check_scheme(url: str, policy: DownloadPolicy) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https") or (policy.https_only and scheme != "https"):
        raise RecordingRejected(f"refusing to fetch a recording over {scheme or 'no scheme'}")


def _check_redirect(url: str, policy: DownloadPolicy) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    with_port = f"{host}:{parts.port}" if parts.port else host
    if host not in policy.allowed_hosts and with_port not in policy.allowed_hosts:
        raise RecordingRejected(
            f"redirect to {with_port or 'nowhere'} is not in BACKLINE_RECORDING_HOSTS"
        )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port
