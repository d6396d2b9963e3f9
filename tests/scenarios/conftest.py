"""Fixtures for the scenario tests.

- `api`: the test client speaking to /api/v1 (and the Alertmanager receiver) with a real token.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db
from app.security.tokens import create_token
from tests.app.api.conftest import Api


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    _row, secret = create_token(db.session(), "scenario-automation")
    db.session.commit()
    return Api(client, secret)
