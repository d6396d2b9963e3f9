"""Fixtures for the tests of app.outages.

- `health`: a stand-in for the primary's health endpoint that the app's detector probes, with
  short thresholds and timeouts (tests/app/outages/detector_helpers.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.app.outages.detector_helpers import HealthServer, _detector_settings


@pytest.fixture
def health(app: Flask) -> Iterator[HealthServer]:
    """A health endpoint the app under test probes, with short thresholds and timeouts."""
    with HealthServer() as server:
        app.config.update(_detector_settings(server.url))
        yield server
