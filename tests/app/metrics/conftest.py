"""Fixtures for the tests of app.metrics.

- `token`: the secret of an API token named "prometheus", for scraping /metrics.
"""

from __future__ import annotations

import pytest
from flask import Flask

from app.core.extensions import db
from app.security.tokens import create_token


@pytest.fixture
def token(app: Flask) -> str:
    _, secret = create_token(db.session(), "prometheus")
    db.session.commit()
    return secret
