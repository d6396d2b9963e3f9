"""Fuzzing Twilio's webhooks with hostile form fields, correctly signed and unsigned.

Signed requests reach the handlers, which must answer every one of them with a 2xx or a 4xx
that says what is wrong, never a 5xx or a traceback. The voice webhooks that answer a caller
answer valid TwiML whenever the call's SIDs are well formed, whatever else is in the request:
a caller is never dropped because of a field Backline does not like. Whatever a request wrote
must also fit PostgreSQL's columns (the fuzz runs on SQLite, which stores anything).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from app.twilio.signature import BODY_LIMIT
from tests.fuzz.checks import assert_no_server_error, assert_rows_fit_their_columns
from tests.fuzz.strategies import FIELD_NAMES, HOSTILE_TEXT
from tests.support.twilio import PUBLIC_URL, TwilioHelper
from tests.twiml import parse

NUMBER, BACKUP = "+14155550100", "+14155550199"
SCREENED = urlencode({"number": NUMBER, "language": "en"})
TWIML = "twiml"

# Every Twilio-signed webhook: its answer when the request is well formed, the query string
# Backline put in its action URL, and the fields without which it cannot answer.
WEBHOOKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "/ivr/voice": (TWIML, "", ("CallSid",)),
    "/ivr/fallback": (TWIML, "", ("CallSid",)),
    "/ivr/dial-result": (TWIML, "", ("CallSid",)),
    "/ivr/menu": (TWIML, "visit=0", ("CallSid",)),
    "/ivr/record": (TWIML, "", ("CallSid",)),
    "/ivr/after-record": (TWIML, "", ("CallSid",)),
    "/ivr/backup-result": (TWIML, "", ("CallSid",)),
    "/ivr/screen": (TWIML, SCREENED, ("CallSid",)),
    "/ivr/screen-result": (TWIML, SCREENED, ("CallSid", "ParentCallSid")),
    "/ivr/call-status": ("204", "", ("CallSid",)),
    "/voicemail/recording-status": ("204", "", ("CallSid", "RecordingSid", "AccountSid")),
    "/voicemail/transcription": ("204", "", ("RecordingSid",)),
    "/forwarding/sms-status": (
        "200",
        "",
        ("MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode"),
    ),
}
NOT_TWILIO = {"/forwarding/ses-events"}  # signed by Amazon SNS; fuzzed with the other endpoints


class RecordedJobs:
    """Stands in for the job queue: the fuzz is about the webhooks' answers and what they
    store and queue, and jobs left retrying a fuzzed recording would outlive the test."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(self, func: Any, args: tuple[Any, ...], spec: Any) -> None:
        self.enqueued.append((func.__name__, args))

    def wait_idle(self, timeout: float) -> bool:
        return True


@pytest.fixture
def calls(app: Flask, subscriber: Any, outage: Any, twilio: TwilioHelper) -> Iterator[Any]:
    """A subscriber with a backup number in an outage, and a queue that only records."""
    subscriber(number=NUMBER, name="Acme", backup_number=BACKUP)
    outage()
    app.extensions["backline.jobs"] = RecordedJobs()
    yield twilio


def well_formed() -> MultiDict[str, str]:
    """What Twilio sends to any of the webhooks above, every field well formed."""
    call = TwilioHelper.call_params(NUMBER)
    recording = "RE" + secrets.token_hex(16)
    return MultiDict(
        {
            **TwilioHelper.recording_params(call, recording),
            **call,
            "ParentCallSid": "CA" + secrets.token_hex(16),
            "Digits": "1",
            "DialCallStatus": "failed",
            "DialSipResponseCode": "503",
            "CallDuration": "42",
            "ErrorCode": "11200",
            "TranscriptionStatus": "completed",
            "TranscriptionText": "Please call me back.",
            "MessageSid": "SM" + secrets.token_hex(16),
            "MessageStatus": "undelivered",
        }
    )


@dataclass
class Tampering:
    """How one fuzzed request differs from a well-formed one."""

    changed: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    repeated: list[tuple[str, str]] = field(default_factory=list)
    query: str | None = None

    def apply(self, params: MultiDict[str, str]) -> MultiDict[str, str]:
        for name, value in self.changed.items():
            params[name] = value
        for name in self.removed:
            params.poplist(name)
        for name, value in self.repeated:
            params.add(name, value)
        return params

    def touches(self, names: tuple[str, ...]) -> bool:
        touched = set(self.changed) | set(self.removed) | {name for name, _ in self.repeated}
        return self.query is not None or bool(touched & set(names))


TAMPERINGS = st.builds(
    Tampering,
    changed=st.dictionaries(FIELD_NAMES, HOSTILE_TEXT, max_size=6),
    removed=st.lists(FIELD_NAMES, max_size=3),
    repeated=st.lists(st.tuples(FIELD_NAMES, HOSTILE_TEXT), max_size=2),
    query=st.none() | st.dictionaries(st.sampled_from(["visit", "number", "language"]),
                                      HOSTILE_TEXT, max_size=3).map(urlencode),
)  # fmt: skip


def test_every_twilio_webhook_is_fuzzed(app: Flask) -> None:
    served = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/ivr/", "/voicemail/", "/forwarding/"))
        and "POST" in (rule.methods or ())
    }
    assert served - NOT_TWILIO == set(WEBHOOKS)


@pytest.mark.parametrize("path", list(WEBHOOKS))
@given(tampering=TAMPERINGS)
def test_signed_hostile_requests_get_an_answer_never_an_error(
    calls: TwilioHelper, path: str, tampering: Tampering
) -> None:
    answer, query, required = WEBHOOKS[path]
    params = tampering.apply(well_formed())
    sent = query if tampering.query is None else tampering.query

    response = calls.post(path, params, query=sent)

    context = (path, sent, params)
    assert_no_server_error(response, context)
    assert response.status_code != 403, context  # the signature was right: the fuzz got in
    if not tampering.touches(required):
        assert response.status_code == (200 if answer == TWIML else int(answer)), context
    if response.status_code == 200 and answer == TWIML:
        parse(response)
    assert_rows_fit_their_columns()
    # Work is queued by row id only: nothing from the request (a RecordingUrl pointing
    # elsewhere, say) reaches the jobs that fetch and send. The one exception is the admins'
    # alert about a Fallback URL request, which fetches nothing: it gets a cause, the digits of
    # Twilio's ErrorCode, and ErrorUrl as one bounded printable line to quote.
    queued = calls.client.application.extensions["backline.jobs"].enqueued
    for job_name, args in queued:
        if job_name == "alert_fallback_not_counted":
            assert_quotable_alert(*args)
        else:
            assert all(type(arg) is int for arg in args), queued


def assert_quotable_alert(cause: str, error_code: str | None, error_url: str | None) -> None:
    assert cause in {"own-webhook", "unclassified"}, cause
    assert error_code is None or (error_code.isascii() and error_code.isdigit()), error_code
    assert error_url is None or (error_url.isprintable() and len(error_url) <= 500), error_url


@pytest.mark.parametrize("path", list(WEBHOOKS))
@given(tampering=TAMPERINGS, signature=st.sampled_from(["", "forged", "A" * 28 + "=", "\x00"]))
def test_unsigned_or_forged_hostile_requests_get_403(
    calls: TwilioHelper, path: str, tampering: Tampering, signature: str
) -> None:
    params = tampering.apply(well_formed())
    _answer, query, _required = WEBHOOKS[path]

    response = calls.post(path, params, query=query, signature=signature)

    assert response.status_code == 403, (path, params)
    assert_no_server_error(response)
    assert "signed by Twilio" in response.get_json()["error"]


@pytest.mark.parametrize("path", list(WEBHOOKS))
@pytest.mark.parametrize("length", ["declared", "chunked"])
def test_a_body_over_the_limit_is_413_with_a_sentence(
    twilio: TwilioHelper, path: str, length: str
) -> None:
    params = well_formed()
    params["TranscriptionText"] = "x" * BODY_LIMIT
    body = urlencode(list(params.items(multi=True))).encode()
    signature = twilio.validator.compute_signature(PUBLIC_URL + path, params)
    builder = EnvironBuilder(
        path=path,
        method="POST",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        content_length=len(body),
        headers=[("X-Twilio-Signature", signature)],
    )
    environ = builder.get_environ()
    if length == "chunked":  # the server de-chunked it and marked the stream's end
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True

    response = twilio.client.open(environ)

    assert response.status_code == 413, (path, response.status_code, response.text[:300])
    assert_no_server_error(response)
    assert "at most 1 MiB" in response.get_json()["error"]
