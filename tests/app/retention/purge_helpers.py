"""What the `backline purge` tests share besides their fixtures: the subscriber's number."""

from __future__ import annotations

NUMBER = "+14155550100"
