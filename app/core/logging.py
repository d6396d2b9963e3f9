"""Structured logging: JSON in production, readable lines elsewhere.

The readable lines are coloured on a terminal only: written to a file or a pipe (`make run >
backline.log`, a process manager's journal) they are plain text, tracebacks included.

Request and job code binds `call_sid` / `recording_sid` with structlog's contextvars, so every
line carries them. Two processors stand guard: secrets are dropped by key name, and anything
that looks like a full phone number is cut to its last four digits (a traceback included, in
JSON). Backline's own lines are rendered by structlog and written straight to standard error;
libraries' lines go through the standard library's logging to the same renderer.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEY_PARTS = ("password", "token", "secret", "auth", "authorization", "api_key")
_SECRET_KEY = re.compile("|".join(_SECRET_KEY_PARTS), re.IGNORECASE)
_NEVER_NUMBERS = frozenset({"timestamp", "call_sid", "recording_sid", "level"})
_PHONE_LIKE = re.compile(r"(?<!\w)\+?\d[\d\-\s().]{6,}\d(?!\w)")


def _mask_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return f"…{digits[-4:]}" if len(digits) >= 7 else match.group()


def redact(value: Any) -> Any:
    """Cut phone-number-looking runs of digits in strings to their last four digits."""
    if isinstance(value, str):
        return _PHONE_LIKE.sub(_mask_number, value)
    return value


@functools.lru_cache(maxsize=1024)
def _names_a_secret(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def _redact_processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    for key, value in event.items():  # values change, keys do not: safe while iterating
        if _names_a_secret(key):
            event[key] = "[redacted]"
        elif isinstance(value, str) and key not in _NEVER_NUMBERS:
            event[key] = redact(value)
    return event


# One encoder for every line: json.dumps given any option (structlog passes `default`) builds a
# new encoder per call, a tenth of logging a line. Values JSON cannot write are written as repr.
_ENCODER = json.JSONEncoder(default=repr)


def _json_line(event: Mapping[str, Any], **_options: Any) -> str:
    return _ENCODER.encode(event)


def _renderer(json_output: bool, stream: TextIO) -> Any:
    if json_output:
        return structlog.processors.JSONRenderer(serializer=_json_line)
    if stream.isatty():
        return structlog.dev.ConsoleRenderer(colors=True)
    # structlog's default traceback (rich's) writes colour codes whatever the stream is.
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


class _Lines:
    """Where structlog's own lines go: written whole to the stream logging was set up with.

    Backline's lines skip the standard library's logging (a LogRecord, the handler chain and a
    second pass through the processors cost more than rendering the line: a third of the
    `/ivr/voice` webhook's own CPU went there). They go to the stdlib handler's stream under its
    lock, so a line from a library never interleaves with one of Backline's.
    """

    def __init__(self, handler: logging.StreamHandler[TextIO]) -> None:
        self._handler = handler

    def msg(self, line: str) -> None:
        self._handler.acquire()
        try:
            self._handler.stream.write(line + "\n")
            self._handler.stream.flush()
        finally:
            self._handler.release()

    debug = info = warning = warn = error = err = critical = exception = fatal = log = msg


def configure_logging(json_output: bool, level: int = logging.INFO) -> None:
    """Set up structlog, and route the standard library's logging through the same renderer."""
    renderer = _renderer(json_output, sys.stderr)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # JSON carries a traceback as a string (redacted like any value); the console prints it.
    tracebacks = [structlog.processors.format_exc_info] if json_output else []
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _redact_processor],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    lines = _Lines(handler)
    structlog.configure(
        processors=[*shared, *tracebacks, _redact_processor, renderer],
        logger_factory=lambda *_names: lines,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
