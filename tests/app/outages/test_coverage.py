"""What one outage's resolution may tell one subscriber when other outages overlap it.

Outages here are plain rows, never stored: the rule is a function of their times, scopes and
announcements. The scenarios in tests/scenarios/test_overlapping_outage*.py drive it end to end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models import Outage, OutageSource, OutageState
from app.outages.coverage import Coverage, Place

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEST = Place("+14155550101", "us-west", "basic")
EAST = Place("+12125550102", "us-east", "basic")


def _outage(
    id: int,
    start: int,
    end: int | None,
    regions: tuple[str, ...] = (),
    announced: bool = True,
) -> Outage:
    """Outage `id`, from minute `start` to minute `end` (None: still active)."""
    return Outage(
        id=id,
        source=OutageSource.ADMIN if announced else OutageSource.DETECTOR,
        state=OutageState.RESOLVED if end is not None else OutageState.INVESTIGATING,
        started_at=T0 + timedelta(minutes=start),
        resolved_at=T0 + timedelta(minutes=end) if end is not None else None,
        confirmed_at=T0 + timedelta(minutes=start) if announced else None,
        scope_regions=list(regions),
        scope_numbers=[],
        scope_plans=[],
    )


WIDE_ENDS = _outage(2, 10, 20)  # everyone, resolved at minute 20


@pytest.mark.parametrize(
    ("others", "place", "summarised", "still", "back"),
    [
        pytest.param([], WEST, (2,), (), True, id="alone: back, its own summary"),
        pytest.param(
            [_outage(1, 0, None, ("us-west",))], WEST, (), (1,), False, id="announced one holds"
        ),
        pytest.param(
            [_outage(1, 0, None, ("us-west",))], EAST, (2,), (), True, id="other region: back"
        ),
        pytest.param(
            [_outage(1, 0, None, ("us-west",), announced=False)],
            WEST,
            (),
            (),
            False,
            id="unconfirmed one holds: silent",
        ),
        pytest.param(
            [_outage(1, 0, 30, ("us-west",))], WEST, (), (), False, id="one ended later: silent"
        ),
        pytest.param(
            [_outage(1, 0, 15, ("us-west",))],
            WEST,
            (1, 2),
            (),
            True,
            id="one ended earlier: the whole stretch",
        ),
        pytest.param(
            [_outage(1, 0, 5, ("us-west",)), _outage(3, 3, 12, ("us-west",), announced=False)],
            WEST,
            (1, 2, 3),
            (),
            True,
            id="chained through another outage",
        ),
        pytest.param(
            [_outage(1, 0, 5, ("us-west",))], WEST, (2,), (), True, id="apart in time: its own"
        ),
        pytest.param(
            [_outage(4, 25, None, ("us-west",))],
            WEST,
            (2,),
            (4,),
            False,
            id="a new one since: summary, not back",
        ),
    ],
)
def test_a_resolution_tells_each_subscriber_only_what_is_true(
    others: list[Outage],
    place: Place,
    summarised: tuple[int, ...],
    still: tuple[int, ...],
    back: bool,
) -> None:
    standing = Coverage(WIDE_ENDS, others).standing(place)

    assert standing.summarised == summarised
    assert tuple(outage.id for outage in standing.still) == still
    assert standing.back is back
    assert standing.silent is (not summarised and not still)


def test_a_stretch_nobody_was_told_of_ends_silently() -> None:
    alarm = _outage(5, 0, 20, announced=False)
    assert Coverage(alarm, []).standing(WEST).silent


def test_an_unconfirmed_outage_carries_the_end_of_an_announced_stretch() -> None:
    alarm = _outage(5, 0, 30, ("us-west",), announced=False)
    standing = Coverage(alarm, [WIDE_ENDS]).standing(WEST)
    assert standing.summarised == (2, 5)
    assert standing.since == T0
    assert standing.back
