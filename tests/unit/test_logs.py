"""No password or token ever reaches a log line."""

from __future__ import annotations

import json
import subprocess
import sys

from tiketi.kernel.logs import redact

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_secret_keys_are_redacted() -> None:
    event = redact(
        None,
        "info",
        {"event": "login", "password": "hunter2hunter2", "refresh_token": "abc", "email": "a@b"},
    )
    assert event["password"] == "[redacted]"
    assert event["refresh_token"] == "[redacted]"
    assert event["email"] == "a@b"


def test_tokens_inside_strings_are_redacted() -> None:
    event = redact(None, "info", {"event": "x", "header": f"Bearer {JWT}", "note": f"t={JWT}"})
    assert JWT not in event["header"] and JWT not in event["note"]


def test_configured_logging_writes_one_redacted_json_line_per_event() -> None:
    # A process of its own: logging is configured once per process.
    script = f"""
import logging, structlog
from tiketi.kernel.logs import configure_logging
configure_logging(level="INFO", json=True)
structlog.contextvars.bind_contextvars(request_id="r-1")
structlog.get_logger("tiketi.http").info("request", status=201, header="Bearer {JWT}")
structlog.get_logger("tiketi.http").debug("hidden at INFO")
logging.getLogger("uvicorn.error").warning("from the standard library %s", "{JWT}")
try:
    1 / 0
except ZeroDivisionError:
    structlog.get_logger("tiketi.app").exception("boom", password="hunter2")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["event"] for line in lines] == [
        "request",
        "from the standard library [jwt]",
        "boom",
    ]
    request, stdlib, boom = lines
    assert request["logger"] == "tiketi.http" and request["level"] == "info"
    assert request["request_id"] == "r-1" and request["status"] == 201
    assert request["header"] == "Bearer [redacted]" and "timestamp" in request
    assert stdlib["logger"] == "uvicorn.error" and stdlib["level"] == "warning"
    assert stdlib["request_id"] == "r-1"
    assert boom["password"] == "[redacted]" and "ZeroDivisionError" in boom["exception"]
    assert JWT not in done.stdout
