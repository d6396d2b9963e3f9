"""SMS providers behind one small interface: Twilio first, Amazon SNS second.

Each provider's `send(to, body)` returns the provider's id for the message, or raises one of two
errors that decide what happens next:

- `SmsRefused`: the recipient cannot have it (opted out, a landline, an invalid or unreachable
  number). Final: another provider would be refused too, or must not be asked.
- `SmsProviderError`: the provider itself failed (5xx, authentication, throttling, a full queue,
  no connection, our own sender misconfigured). The next provider is tried.

Twilio is used when its credentials and a sender (`TWILIO_MESSAGING_SERVICE_SID`, else
`SMS_FROM`) are set; in development against the local stand-in with no sender, SMS go to a text
outbox (`sms_outbox.py`). SNS is used when `SMS_FALLBACK_URL=sns://REGION`; boto3 honours AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app

from app.core.aws import quick_client
from app.core.config import ConfigError, uses_development_twilio
from app.core.urls import public_url
from app.twilio.rest import TwilioApiError, TwilioRest, twilio_rest

STATUS_PATH = "/forwarding/sms-status"

# Twilio error codes that refuse the recipient, not the request (REST answers and callbacks).
TWILIO_OPTED_OUT = 21610
TWILIO_RECIPIENT_ERRORS = {
    21211: "invalid number",
    21217: "invalid number",
    21610: "opted out",
    21612: "unreachable by SMS",
    21614: "not a mobile number",
    30003: "unreachable handset",
    30004: "blocked by the recipient",
    30005: "unknown handset",
    30006: "landline or unreachable carrier",
}
# SNS error codes that refuse this number or message; anything else is the provider's fault.
SNS_REFUSALS = {"InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid", "OptedOut"}


class SmsRefused(Exception):
    """The recipient cannot be sent this SMS, through any provider: final."""

    def __init__(self, reason: str, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.opted_out = opted_out  # the number said STOP: honour it on every provider


class SmsProviderError(Exception):
    """The provider failed (down, throttled, credentials, configuration): try the next one."""


class SmsSender(Protocol):
    name: str

    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; return the provider's message id."""


class TwilioSms:
    """Twilio's Messages API at TWILIO_API_URL, through a Messaging Service or one sender."""

    name = "twilio"

    def __init__(
        self, config: Mapping[str, Any], status_callback: str, sender: str | None = None
    ) -> None:
        self.config = config
        self.service_sid: str | None = config.get("TWILIO_MESSAGING_SERVICE_SID")
        self.sender = None if self.service_sid else sender
        self.status_callback = status_callback
        self._local = threading.local()  # one HTTP session (and its connections) per thread

    def send(self, to: str, body: str) -> str:
        try:
            sid = self._api().send_message(
                to,
                body,
                messaging_service_sid=self.service_sid,
                sender=self.sender,
                status_callback=self.status_callback,
            )
        except TwilioApiError as exc:
            raise twilio_error(exc) from exc
        if not sid:
            raise SmsProviderError("Twilio accepted the message but answered without its sid.")
        return sid

    def _api(self) -> TwilioRest:
        api: TwilioRest | None = getattr(self._local, "api", None)
        if api is None:
            api = self._local.api = twilio_rest(self.config)
        return api


def twilio_error(exc: TwilioApiError) -> SmsRefused | SmsProviderError:
    """What a Twilio REST failure means: a refused recipient (HTTP 400 and a recipient code)."""
    if exc.status == 400 and exc.code in TWILIO_RECIPIENT_ERRORS:
        reason = f"twilio {exc.code} ({TWILIO_RECIPIENT_ERRORS[exc.code]}): {exc}"
        return SmsRefused(reason, opted_out=exc.code == TWILIO_OPTED_OUT)
    return SmsProviderError(f"twilio {exc.code or exc.status or 'unreachable'}: {exc}")


class SnsSms:
    """Amazon SNS in one region, sending Transactional SMS straight to a phone number."""

    name = "sns"

    def __init__(self, region: str) -> None:
        if not region:
            raise ConfigError("SMS_FALLBACK_URL=sns://REGION needs a region, like sns://eu-west-1")
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()

    def send(self, to: str, body: str) -> str:
        if self._call("check_if_phone_number_is_opted_out", phoneNumber=to).get("isOptedOut"):
            raise SmsRefused("sns: the number has opted out of SMS from this account", True)
        answer = self._call(
            "publish",
            PhoneNumber=to,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
            },
        )
        message_id = answer.get("MessageId")
        if not isinstance(message_id, str) or not message_id:
            raise SmsProviderError("SNS accepted the message but answered without a MessageId.")
        return message_id

    def opted_out_numbers(self) -> Iterator[str]:
        """Every number that has opted out of SMS from this AWS account, page by page."""
        token: str | None = None
        while True:
            page = self._call("list_phone_numbers_opted_out", nextToken=token)
            yield from page.get("phoneNumbers") or []
            token = page.get("nextToken")
            if not token:
                return

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        params = {k: v for k, v in params.items() if v is not None}
        try:
            answer: dict[str, Any] = getattr(self.client(), operation)(**params)
        except ClientError as exc:
            raise sns_error(exc) from exc
        except BotoCoreError as exc:  # no connection, timeouts, missing credentials
            raise SmsProviderError(f"sns {self.region}: {exc}") from exc
        return answer

    def client(self) -> Any:
        """The boto3 SNS client (thread-safe once created), with short timeouts."""
        with self._lock:
            if self._client is None:
                self._client = quick_client("sns", self.region)
            return self._client


def sns_error(exc: Any) -> SmsRefused | SmsProviderError:
    """What an SNS ClientError means: a refused number or message, else the provider's failure."""
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    text = f"sns {code}: {error.get('Message', '')}".strip()
    if code in SNS_REFUSALS:
        return SmsRefused(text, opted_out=code == "OptedOut")
    return SmsProviderError(text)  # throttling, 5xx, credentials, endpoint or account limits


def twilio_sender(config: Mapping[str, Any]) -> str | None:
    """The From number Twilio sends with when no Messaging Service is set, if any."""
    if config.get("SMS_FROM"):
        return str(config["SMS_FROM"])
    return None


def providers_from_config(config: Mapping[str, Any]) -> list[SmsSender]:
    """The SMS providers this configuration sets up, in the order they are tried.

    In development against the local Twilio stand-in with no sender set, SMS go to the text
    outbox `BACKLINE_SMS_OUTBOX` instead (set SMS_FROM to send them through the stand-in).
    """
    providers: list[SmsSender] = []
    sender = twilio_sender(config)
    if uses_development_twilio(config) and not (
        sender or config.get("TWILIO_MESSAGING_SERVICE_SID")
    ):
        from forwarding.sms_outbox import OutboxSms

        providers.append(OutboxSms(Path(config["BACKLINE_SMS_OUTBOX"])))
    has_twilio = config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")
    if has_twilio and (config.get("TWILIO_MESSAGING_SERVICE_SID") or sender):
        providers.append(TwilioSms(config, public_url(STATUS_PATH), sender))
    if config.get("SMS_FALLBACK_URL"):
        providers.append(sns_from_url(str(config["SMS_FALLBACK_URL"])))
    return providers


def sns_from_url(url: str) -> SnsSms:
    """The SNS provider for `sns://REGION`."""
    parts = urlsplit(url)
    if parts.scheme != "sns":
        raise ConfigError(f"SMS_FALLBACK_URL must be sns://REGION, not {url!r}.")
    return SnsSms(parts.netloc or parts.path.strip("/"))


def sms_providers() -> list[SmsSender]:
    """The current app's SMS providers in order (Twilio, then SNS); made once per app."""
    providers: list[SmsSender] | None = current_app.extensions.get("backline.sms_providers")
    if providers is None:
        providers = providers_from_config(current_app.config)
        current_app.extensions["backline.sms_providers"] = providers
    return providers
