"""Posting webhooks to Backline exactly as Twilio would: form-encoded and signed."""

from __future__ import annotations

import requests
from twilio.request_validator import RequestValidator


class SignedClient:
    def __init__(self, auth_token: str, timeout: float = 15.0) -> None:
        self.validator = RequestValidator(auth_token)
        self.http = requests.Session()
        self.http.trust_env = False
        self.timeout = timeout

    def post(
        self, url: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> requests.Response:
        """POST `params` to `url` with a valid X-Twilio-Signature."""
        signature = self.validator.compute_signature(url, params)
        all_headers = {"X-Twilio-Signature": signature, **(headers or {})}
        return self.http.post(url, data=params, headers=all_headers, timeout=self.timeout)
