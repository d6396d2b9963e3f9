"""The dashboard's chart: calls and voicemails per minute, drawn as inline SVG by the template.

Every voicemail is a call too, so the two lines often have the same values: calls are drawn
first, wide and solid, and voicemails on top, thin, dashed and dotted, so both stay visible.

Counting happens in the database (one grouped query per series over an indexed time range), so
a busy outage costs a few hundred rows, not one per call. This module only does the arithmetic
that turns counts into coordinates; the template writes the SVG elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Call, Voicemail

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 24  # room for the axis labels
LABEL_EVERY_MIN = 30


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Chart:
    """Per-minute counts from `start` on, one value per minute for `minutes` minutes."""

    start: datetime
    minutes: int
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def peak(self) -> int:
        """The top of the y axis: the busiest minute of any series, at least 1."""
        return max([1, *(max(s.counts, default=0) for s in self.series)])

    def x(self, minute: int) -> float:
        span = max(1, self.minutes - 1)
        return round(LEFT + minute * (self.width - LEFT - RIGHT) / span, 1)

    def y(self, value: float) -> float:
        plot = self.height - TOP - BOTTOM
        return round(TOP + plot - value * plot / self.peak, 1)

    def points(self, series: Series) -> str:
        """The series as an SVG polyline's `points` attribute."""
        return " ".join(f"{self.x(i)},{self.y(v)}" for i, v in enumerate(series.counts))

    def markers(self, series: Series) -> list[tuple[float, float]]:
        """(x, y) of every minute the series counted something, for dots along its line."""
        return [(self.x(i), self.y(v)) for i, v in enumerate(series.counts) if v]

    def x_labels(self) -> list[tuple[float, str]]:
        """(x, "HH:MM") at every half hour of the range."""
        labels = []
        for minute in range(self.minutes):
            moment = self.start + timedelta(minutes=minute)
            if moment.minute % LABEL_EVERY_MIN == 0:
                labels.append((self.x(minute), moment.strftime("%H:%M")))
        return labels

    def y_ticks(self) -> list[tuple[float, int]]:
        """(y, value) for zero, the middle (when it is a whole number) and the peak."""
        values = sorted({0, self.peak // 2, self.peak}) if self.peak > 1 else [0, 1]
        return [(self.y(v), v) for v in values]

    @property
    def baseline(self) -> float:
        return self.y(0)

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return self.width - RIGHT


def activity_chart(session: Session, now: datetime, hours: int = 3) -> Chart:
    """Calls and voicemails per minute over the last `hours`, the current minute included."""
    minutes = hours * 60
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    calls = per_minute(session, Call.created_at, start, minutes)
    voicemails = per_minute(session, Voicemail.recorded_at, start, minutes)
    return Chart(
        start=start,
        minutes=minutes,
        series=[Series("Calls", "calls", calls), Series("Voicemails", "voicemails", voicemails)],
    )


def per_minute(
    session: Session, column: InstrumentedAttribute[datetime], start: datetime, minutes: int
) -> list[int]:
    """How many rows fall in each minute from `start` (aware UTC) on."""
    first = int(start.timestamp()) // 60
    counts = [0] * minutes
    for minute, count in _grouped(session, column, start):
        index = int(minute) - first
        if 0 <= index < minutes:
            counts[index] += int(count)
    return counts


def _grouped(
    session: Session, column: InstrumentedAttribute[datetime], start: datetime
) -> Sequence[Any]:
    """(minutes since the epoch, count) rows; counted by the database where it can."""
    bucket = _minute_bucket(session, column)
    if bucket is None:  # another database: bucket the (bounded) times here
        times = session.scalars(select(column).where(column >= start)).all()
        tally: dict[int, int] = {}
        for moment in times:
            key = int(moment.timestamp()) // 60
            tally[key] = tally.get(key, 0) + 1
        return list(tally.items())
    query = select(bucket, func.count()).where(column >= start).group_by(bucket)
    return session.execute(query).all()


def _minute_bucket(session: Session, column: InstrumentedAttribute[datetime]) -> Any:
    """An SQL expression for the minute (since the epoch) a UTC time falls in, or None."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # stored as naive UTC text
        return cast(func.strftime("%s", column), Integer) // 60
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 60), Integer)
    return None
