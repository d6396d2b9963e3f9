"""Every route in the URL map, every method: nothing protected answers without credentials.

Routes under /admin/ must send an anonymous visitor to the login page; routes under /api/v1/ and
/metrics must answer 401, with no token and with a bad one. Every other route must be on the
explicit list of public endpoints below, with what an anonymous request gets there, so a new
route that nobody classified fails this test.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

PROTECTED_PREFIXES = {"/admin/": "admin", "/api/v1/": "token", "/metrics": "token"}

# Public endpoints: why they are public, and the status an anonymous request gets there.
TWILIO_SIGNED = "signed by Twilio (403 unsigned)"
SIGNED_TOKEN = "a signed token in the URL (nothing without a valid one)"
PUBLIC: dict[str, tuple[str, int | tuple[int, ...]]] = {
    "static": ("static files (a missing one: 404)", 404),
    "front_door": ("a redirect to the admin UI, which asks for a login itself", 302),
    "health.healthz": ("liveness", 200),
    "health.readyz": ("readiness, for load balancers", 200),
    "api.openapi": ("the OpenAPI document", 200),
    "admin.login": ("the login page itself (an empty form: 400)", (200, 400)),
    "status_page.status": (SIGNED_TOKEN, 404),
    "status_page.renew": ("asks for a fresh status link; says the same whatever the token", 200),
    "status_page.confirm_unsubscribe": (SIGNED_TOKEN, 404),
    "status_page.unsubscribe": (SIGNED_TOKEN, 404),
    "voicemail.listen": (SIGNED_TOKEN, 404),
    "forwarding.ses_events": ("signed by Amazon SNS (403 with a forged signature)", 403),
    **{
        endpoint: (TWILIO_SIGNED, 403)
        for endpoint in (
            "ivr.voice",
            "ivr.fallback",
            "ivr.dial_result",
            "ivr.record",
            "ivr.after_record",
            "ivr.call_status",
            "ivr.menu",
            "ivr.backup_result",
            "ivr.screen",
            "ivr.screen_result",
            "voicemail.recording_status",
            "voicemail.transcription_callback",
            "notice_sms.sms_status",
        )
    },
}

# What an SNS notification with a forged signature looks like (no certificate is fetched: the
# URL is not on an Amazon host).
FORGED_SNS = {
    "Type": "Notification",
    "MessageId": "00000000-0000-0000-0000-000000000000",
    "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
    "Message": "{}",
    "Timestamp": "2024-01-01T00:00:00.000Z",
    "SignatureVersion": "1",
    "Signature": "Zm9yZ2Vk",
    "SigningCertURL": "https://attacker.example/cert.pem",
}
SAMPLE_VALUES = {"int": "1", "path": "no-such-file.txt", "default": "not-a-real-token"}
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def sample_path(rule: Rule) -> str:
    """The rule's path with a sample value for each argument, chosen by its converter."""
    return ARGUMENT.sub(
        lambda m: SAMPLE_VALUES.get(m["converter"] or "default", SAMPLE_VALUES["default"]),
        rule.rule,
    )


def protection(rule: Rule) -> str | None:
    if rule.endpoint in PUBLIC:
        return None
    for prefix, kind in PROTECTED_PREFIXES.items():
        if rule.rule.startswith(prefix):
            return kind
    return None


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token for this client's session, from the login page (anyone can load it), so
    that the CSRF check cannot hide a missing login check."""
    page = client.get("/admin/login").text
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, "the login page carries no CSRF token"
    return found[1]


def anonymous(
    client: FlaskClient, method: str, path: str, headers: dict[str, str] | None = None
) -> TestResponse:
    form = {"csrf_token": csrf_token(client)} if path.startswith("/admin/") else None
    return client.open(path, method=method, data=form, headers=headers or {})


def refusal_problem(kind: str, method: str, response: TestResponse) -> str | None:
    """What is wrong with this answer to an anonymous request, or None if it refuses properly."""
    if method == "OPTIONS" and response.status_code == 200 and not response.data:
        return None  # Flask's automatic answer: the allowed methods, nothing else
    if kind == "admin":
        location = urlsplit(response.headers.get("Location", ""))
        if response.status_code == 302 and location.path == "/admin/login":
            return None
        if response.status_code in (401, 403):
            return None
        return f"{response.status_code}, not a redirect to the login page"
    if response.status_code != 401:
        return f"{response.status_code}, not 401"
    return None


def all_rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


def test_every_route_is_either_protected_or_explicitly_public(app: Flask) -> None:
    unclassified = [
        f"{rule.endpoint} {rule.rule}"
        for rule in all_rules(app)
        if rule.endpoint not in PUBLIC and protection(rule) is None
    ]
    assert not unclassified, (
        "These routes are neither under a protected prefix nor on the public list of "
        f"{__name__}; protect them or add them to PUBLIC with a reason: {unclassified}"
    )
    endpoints = {rule.endpoint for rule in all_rules(app)}
    stale = sorted(set(PUBLIC) - endpoints)
    assert not stale, f"PUBLIC lists endpoints that no longer exist: {stale}"


@pytest.mark.parametrize(
    "credentials",
    [None, "Bearer not-a-real-token"],
    ids=["no credentials", "bad token"],
)
def test_no_protected_route_answers_without_credentials(
    app: Flask, credentials: str | None
) -> None:
    headers = {"Authorization": credentials} if credentials else {}
    problems = []
    checked = 0
    for rule in all_rules(app):
        kind = protection(rule)
        if kind is None:
            continue
        for method in sorted(rule.methods or ()):
            client = app.test_client()  # a fresh anonymous session for each request
            response = anonymous(client, method, sample_path(rule), headers)
            problem = refusal_problem(kind, method, response)
            if problem:
                problems.append(f"{method} {rule.rule} ({rule.endpoint}): {problem}")
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked > 50  # the walk really went through the map


def test_public_routes_answer_anonymous_requests_as_listed(app: Flask) -> None:
    problems = []
    for rule in all_rules(app):
        if rule.endpoint not in PUBLIC:
            continue
        reason, expected = PUBLIC[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            client = app.test_client()
            path = sample_path(rule)
            if rule.endpoint == "forwarding.ses_events":
                response = client.post(path, json=FORGED_SNS)
            else:
                response = client.open(path, method=method)
            if response.status_code not in (
                expected if isinstance(expected, tuple) else (expected,)
            ):
                problems.append(
                    f"{method} {rule.rule} ({reason}): {response.status_code}, not {expected}"
                )
    assert not problems, "\n".join(problems)
