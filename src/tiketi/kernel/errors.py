"""The error type with stable codes, and the handlers that give every failure the API.md body."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("tiketi.errors")


class DomainError(Exception):
    """A failure with a stable UPPER_SNAKE code, a status and a message for people."""

    code: str = "ERROR"
    status: int = 400
    message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.details: dict[str, Any] = dict(details or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequest(DomainError):
    """The request is malformed in a way validation cannot name per field."""

    code = "BAD_REQUEST"


class ValidationFailed(DomainError):
    """A rule about the input failed; details name the fields."""

    code = "VALIDATION_ERROR"
    status = 422
    message = "The request is not valid."


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    code = "UNAUTHORIZED"
    status = 401
    message = "Authentication is required."


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "FORBIDDEN"
    status = 403
    message = "You are not allowed to do this."


class NotFound(DomainError):
    """The resource does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"
    status = 404
    message = "Not found."


class Conflict(DomainError):
    """The request conflicts with the current state."""

    code = "CONFLICT"
    status = 409


class RateLimited(DomainError):
    """Too many requests; the client should wait Retry-After seconds."""

    code = "RATE_LIMITED"
    status = 429
    message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(
            message,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class DependencyUnavailable(DomainError):
    """PostgreSQL, Redis or another service did not answer."""

    code = "DEPENDENCY_UNAVAILABLE"
    status = 503
    message = "A service this request needs is unavailable; try again shortly."


class Busy(DomainError):
    """Contention did not clear within the bounded retries."""

    code = "BUSY"
    status = 503
    message = "The system is busy; try again."


HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    410: "GONE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

HTTP_MESSAGES: dict[int, str] = {
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
}

# Exceptions that mean a dependency went away rather than a bug in our code.
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    DisconnectionError,
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
    asyncio.TimeoutError,
    OSError,
)


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape of API.md."""
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response carrying the API.md error body."""
    return JSONResponse(
        error_body(code, message, details), status_code=status, headers=dict(headers or {})
    )


def _field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_details(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Per-field messages keyed by a dotted path (body fields without the `body.` prefix)."""
    details: dict[str, str] = {}
    for err in errors:
        field = _field_name(err.get("loc", ()))
        message = str(err.get("msg", "invalid value"))
        details.setdefault(field, message)
    return details


def is_dependency_error(exc: BaseException) -> bool:
    """True when the exception says PostgreSQL or Redis could not be reached."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or any(
            isinstance(cause, (OSError, ConnectionError))
            or "connection" in type(cause).__name__.lower()
            or _is_asyncpg_connection(cause)
            or str(getattr(cause, "sqlstate", "") or "").startswith(_UNREACHABLE_STATES)
            for cause in _driver_errors(exc.orig)
        )
    return isinstance(exc, DEPENDENCY_ERRORS)


# Connection exceptions (08…) and a server shutting down, starting up or restarting (57P0…).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")


def _driver_errors(orig: BaseException | None) -> list[BaseException]:
    """`orig` and what it wraps: SQLAlchemy's asyncpg adapter raises its own `Error` with the
    driver's exception (e.g. CannotConnectNowError while PostgreSQL restarts) as the cause."""
    found: list[BaseException] = []
    while orig is not None and len(found) < 5 and orig not in found:
        found.append(orig)
        orig = getattr(orig, "driver_exception", None) or orig.__cause__
    return found


def _is_asyncpg_connection(orig: BaseException | None) -> bool:
    name = type(orig).__name__ if orig is not None else ""
    return name in {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "AdminShutdownError",
        "ConnectionFailureError",
        "TooManyConnectionsError",
    }


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = dict(exc.headers)
    if exc.status == 401:
        # RFC 6750: tell the client which scheme the resource expects.
        headers.setdefault("WWW-Authenticate", "Bearer")
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else None
    generic = detail in (None, "Not Found", "Method Not Allowed")
    message = HTTP_MESSAGES.get(exc.status_code, detail or "Request failed.")
    return error_response(
        exc.status_code, code, message if generic else str(detail), headers=exc.headers
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(400, "MALFORMED_JSON", "The request body is not valid JSON.")
    return error_response(
        422, "VALIDATION_ERROR", "The request is not valid.", validation_details(errors)
    )


# Lock timeout, deadlock, serialization failure: contention that a retry clears.
_CONTENTION_STATES = {"55P03", "40P01", "40001"}


def is_contention_error(exc: BaseException) -> bool:
    """A database error that means "busy right now", not "broken"."""
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in _CONTENTION_STATES


def unexpected_error_response(exc: BaseException, path: str) -> JSONResponse:
    """503 when a dependency went away or is busy, else a bare 500; the trace is logged only."""
    if is_contention_error(exc):
        log.warning("contention", error=str(getattr(exc, "orig", exc)), path=path)
        return error_response(503, Busy.code, Busy.message, headers={"Retry-After": "1"})
    if is_dependency_error(exc):
        log.warning("dependency_unavailable", error=type(exc).__name__, path=path)
        return error_response(503, DependencyUnavailable.code, DependencyUnavailable.message)
    log.error("unhandled_error", path=path, exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to the API.md error body; never leak a stack trace."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
