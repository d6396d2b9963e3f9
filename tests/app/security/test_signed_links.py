"""Signed status and unsubscribe links: short payloads skip the compression attempt, long ones
keep it, and tokens made by itsdangerous' own serializer (links issued before) still read."""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer

from app.security.links import (
    MAX_SUBSCRIBERS_PER_LINK,
    STATUS_SALT,
    UNSUBSCRIBE_SALT,
    LinkInvalid,
    read_status_token,
    read_unsubscribe_token,
    status_url,
    unsubscribe_url,
)


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _plain(app: Flask, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(app.config["BACKLINE_SECRET_KEY"], salt=salt)


def test_a_short_link_is_what_itsdangerous_itself_signs(app: Flask) -> None:
    with app.app_context():
        token = _token(unsubscribe_url("email", "office@acme.example"))

        assert not token.startswith(".")  # "." marks a compressed payload
        assert token == _plain(app, UNSUBSCRIBE_SALT).dumps(["email", "office@acme.example"])
        assert read_unsubscribe_token(token) == ("email", "office@acme.example")


def test_a_long_status_link_is_still_compressed_and_reads_back(app: Flask) -> None:
    ids = list(range(1, MAX_SUBSCRIBERS_PER_LINK + 1))
    with app.app_context():
        token = _token(status_url(ids))

        assert token.startswith(".")
        assert read_status_token(token).subscriber_ids == tuple(ids)


def test_links_signed_before_still_read(app: Flask) -> None:
    ids = list(range(1000, 1000 + MAX_SUBSCRIBERS_PER_LINK))
    with app.app_context():
        older = _plain(app, STATUS_SALT).dumps({"ids": ids, "us": 1_765_000_000_000_000})

        assert read_status_token(older).subscriber_ids == tuple(ids)


def test_a_status_link_is_what_itsdangerous_itself_signs_and_other_salts_refuse_it(
    app: Flask,
) -> None:
    with app.app_context():
        token = _token(status_url([42, 7]))
        payload = _plain(app, STATUS_SALT).loads(token)

        assert token == _plain(app, STATUS_SALT).dumps(payload)
        assert payload["ids"] == [7, 42]
        with pytest.raises(LinkInvalid):
            read_unsubscribe_token(token)
