"""Scraping /metrics with a bearer token, and reading the samples out of the answer."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import TestResponse

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient, secret: str | None, **headers: str) -> TestResponse:
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return client.get("/metrics", headers=headers)


def samples(response: TestResponse) -> Samples:
    assert response.status_code == 200, response.text
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))
