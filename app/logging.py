"""Structured logging: JSON in production, readable lines elsewhere.

Request and job code binds `call_sid` / `recording_sid` with structlog's contextvars, so every
line carries them. Two processors stand guard: secrets are dropped by key name, and anything
that looks like a full phone number is cut to its last four digits.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEY_PARTS = ("password", "token", "secret", "auth", "authorization", "api_key")
_PHONE_LIKE = re.compile(r"(?<!\w)\+?\d[\d\-\s().]{6,}\d(?!\w)")


def _mask_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return f"…{digits[-4:]}" if len(digits) >= 7 else match.group()


def redact(value: Any) -> Any:
    """Cut phone-number-looking runs of digits in strings to their last four digits."""
    if isinstance(value, str):
        return _PHONE_LIKE.sub(_mask_number, value)
    return value


def _redact_processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    for key in list(event):
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            event[key] = "[redacted]"
        elif key not in ("timestamp", "call_sid", "recording_sid", "level"):
            event[key] = redact(event[key])
    return event


def configure_logging(json_output: bool, level: int = logging.INFO) -> None:
    """Set up structlog and route the standard library's logging through the same renderer."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_processor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
