"""The ETR as callers hear it: relative, rounded, per language, never in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.etr import spoken_etr

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "language", "expected"),
    [
        (timedelta(minutes=3), "en", "Service should be back in a few minutes."),
        (timedelta(minutes=22), "en", "Service should be back in about 20 minutes."),
        (timedelta(minutes=70), "en", "Service should be back in about one hour."),
        (timedelta(hours=2, minutes=10), "en", "Service should be back in about 2 hours."),
        (timedelta(hours=26), "en", "Service should be back in about one day."),
        (timedelta(days=3), "en", "Service should be back in about 3 days."),
        (timedelta(hours=2), "es", "El servicio debería volver en aproximadamente 2 horas."),
        (timedelta(minutes=45), "fr", "Le service devrait être rétabli dans environ 45 minutes."),
    ],
)
def test_an_etr_ahead_is_spoken_relative_to_now(
    ahead: timedelta, language: str, expected: str
) -> None:
    assert spoken_etr(NOW + ahead, NOW, language) == expected


@pytest.mark.parametrize("etr", [None, NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=2)])
def test_no_etr_or_a_past_one_is_not_spoken(etr: datetime | None) -> None:
    assert spoken_etr(etr, NOW, "en") is None
