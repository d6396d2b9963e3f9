"""Bearer-token authentication for every API route except the OpenAPI document."""

from __future__ import annotations

from flask import g, request

from app.api.errors import ApiError
from app.api.payload import body_limit
from app.core.extensions import db
from app.models import ApiToken
from app.security.auth_failures import count_failed_authentication
from app.security.tokens import BEARER_CHALLENGE, authenticate, bearer_token

PUBLIC_ENDPOINTS = {"api.openapi"}


def require_token() -> None:
    """Before each API request: bound the body, then demand a valid, unrevoked token."""
    request.max_content_length = body_limit()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    presented = bearer_token()
    token = authenticate(db.session(), presented) if presented else None
    if token is None:
        wait = count_failed_authentication()
        if wait:
            raise ApiError(
                429,
                "Too many requests with a missing or invalid API token from your address. "
                f"Try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        raise ApiError(
            401,
            "A valid API token is required: send `Authorization: Bearer <token>` "
            "(make one with `backline token create NAME`)."
            if presented is None
            else "The API token is not valid or has been revoked.",
            headers={
                "WWW-Authenticate": BEARER_CHALLENGE
                + ("" if presented is None else ', error="invalid_token"')
            },
        )
    g.api_token = token


def actor() -> str:
    """Who the audit log says made a change: `api:<token name>`."""
    token: ApiToken = g.api_token
    return f"api:{token.name}"


def current_token_id() -> int:
    token: ApiToken = g.api_token
    return token.id
