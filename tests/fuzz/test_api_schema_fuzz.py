"""Schema-based fuzzing of the REST API with schemathesis, in-process against the Flask app.

Every operation in /api/v1/openapi.json is called with data generated from its schemas (valid
and invalid), with a real bearer token, on each test's own app and database. Checks: never a
5xx; every status code, content type, header and body the API answers is one the document
declares for that operation.

The document is read once, at collection, from a throwaway app (schemathesis makes one test per
operation from it); serving it needs no database.
"""

from __future__ import annotations

import secrets
import tempfile

import pytest
import schemathesis
from flask import Flask
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from app import create_app
from app.core.extensions import db
from app.models import ApiToken
from app.security.tokens import hash_token
from tests.support.twilio import PUBLIC_URL

_document_app = create_app(
    {
        "BACKLINE_ENV": "test",
        "DATABASE_URL": "sqlite://",
        "REDIS_URL": None,  # serving the document needs neither a database nor Redis
        "BACKLINE_INSTANCE_PATH": tempfile.mkdtemp(prefix="backline-openapi-"),
        "BACKLINE_PUBLIC_URL": PUBLIC_URL,
    }
)
# Schemathesis sends the token itself, so that it also knows which requests go without it.
TOKEN = "schema-fuzz-" + secrets.token_urlsafe(24)
CONFIG = SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        # Query parameters the document does not name are ignored, as HTTP APIs do; the
        # example counts come from the Hypothesis profile (tests/fuzz/conftest.py).
        "generation": {"allow-extra-parameters": False},
        "checks": {
            # Data the schemas allow may still break a rule no JSON Schema can state (a phone
            # number that is not valid, an ETR in the past, a number already taken): those
            # are the documented 400, 409 and 422 answers with a sentence, not a failure.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409", "422"]},
            # A body over the limit is refused whatever it holds, with a documented 413.
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "404", "405", "409", "413", "415", "422"]
            },
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app, config=CONFIG)


@pytest.fixture
def token(app: Flask) -> None:
    """The API token schemathesis sends, stored as `backline token create` stores one."""
    db.session.add(ApiToken(name="schema-fuzz", token_hash=hash_token(TOKEN)))
    db.session.commit()


@pytest.mark.slow  # about 15 s for the 21 operations
@schema.parametrize()
def test_the_api_answers_as_its_document_says(case: Case, app: Flask, token: None) -> None:
    case.call_and_validate(app=app)
