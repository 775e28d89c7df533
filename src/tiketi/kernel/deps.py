"""FastAPI dependencies every service uses: the runtime, the caller, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tiketi.kernel.errors import Forbidden, Unauthorized
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.tokens import Principal

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth.")


def get_runtime(request: Request) -> Runtime:
    """The process's shared resources."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 when the bearer token is missing or invalid."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer access token is required.")
    principal = await get_runtime(request).verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting admins and the named roles."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(f"This needs the role {' or '.join(roles) or 'admin'}.")
        return principal

    return check


def require_service() -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting other services (a service token) and admins: internal routes."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in ("service", "admin"):
            raise Forbidden("This is an internal endpoint for other services.")
        return principal

    return check


async def _runtime(request: Request) -> Runtime:
    # The same as get_runtime, as a coroutine: FastAPI runs a plain function dependency in its
    # thread pool, a thread hop on every request for one attribute read.
    return get_runtime(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
