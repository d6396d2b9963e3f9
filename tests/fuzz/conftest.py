"""Hypothesis profiles for the fuzz tests.

- `fuzz` (the default): few examples, so the whole fuzz suite runs in well under a minute;
  random, so each run tries new inputs.
- `ci` (the default when CI is set): the same examples every run, so a red CI names a bug in
  the change rather than a newly drawn input.
- `thorough`: many more examples, for a session of bug hunting:
  `pytest tests/fuzz --hypothesis-profile=thorough`.

No example database is kept (it would litter the work tree, and CI starts from a clone);
a failure prints the `@reproduce_failure` blob to replay it.
"""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from app.core.extensions import db
from app.security.tokens import create_token
from tests.app.api.conftest import Api

COMMON = settings(
    deadline=None,  # a database write or a fresh app can take longer than 200 ms
    database=None,
    print_blob=True,
    # The `app` fixture is shared by a test's examples on purpose: rows they leave behind only
    # make later examples meet more data.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("fuzz", COMMON, max_examples=25)
settings.register_profile("ci", COMMON, max_examples=25, derandomize=True)
settings.register_profile("thorough", COMMON, max_examples=500)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "fuzz")


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    """The test client speaking to /api/v1 with a real API token."""
    _row, secret = create_token(db.session(), "fuzz")
    db.session.commit()
    return Api(client, secret)
