"""Structured JSON logs (structlog) with the request id bound per request."""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values never reach a log line, whatever the caller passed.
_SECRET_KEYS = re.compile(
    r"pass(word)?|token|secret|authorization|cookie|id_token|refresh|api[_-]?key|private",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9\-_.=]+", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return _SECRET_KEYS.search(key) is not None


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop secrets from a log event: by key name, and bearer tokens or JWTs inside strings."""
    for key, value in list(event.items()):
        if key != "event" and _secret_key(key):
            event[key] = "[redacted]"
        # The patterns only where they could match: every access log line passes here.
        elif isinstance(value, str) and ("eyJ" in value or "bearer" in value.lower()):
            event[key] = _JWT.sub("[jwt]", _BEARER.sub(r"\1[redacted]", value))
    return event


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's own line writer (one write per line), knowing the logger's name."""

    def __init__(self, name: str, file: Any) -> None:
        super().__init__(file)
        self.name = name


def _add_logger_name(
    logger: Any, _: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event["logger"] = getattr(logger, "name", "")
    return event


def configure_logging(*, level: str = "INFO", json: bool = True) -> None:
    """One JSON line per event on stdout: structlog's loggers write directly (the cheap path:
    every request logs a line), the standard library's (uvicorn, libraries) through a formatter
    running the same processors."""
    threshold = logging.getLevelName(level.upper())
    if not isinstance(threshold, int):
        raise ValueError(f"unknown log level {level!r}")
    common: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    stamp: list[Any] = [structlog.processors.TimeStamper(fmt="iso", utc=True), redact]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    # The console renderer prints exceptions itself (and warns if they come pre-formatted).
    exceptions: list[Any] = [structlog.processors.format_exc_info] if json else []
    structlog.configure(
        processors=[*common, _add_logger_name, *stamp, *exceptions, renderer],
        logger_factory=lambda *args: _NamedWriteLogger(str(args[0]) if args else "", sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*common, structlog.stdlib.add_logger_name, *stamp],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exceptions,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(threshold)
    # uvicorn's access log repeats what our request log says, without the request id.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    # pgserver narrates every pg_ctl call at INFO; its warnings and errors still show.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
