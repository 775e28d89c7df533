"""The /api/v1/auth endpoints: HTTP in and out, the use cases do the work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tiketi.kernel.deps import PrincipalDep, RuntimeDep, require_role
from tiketi.kernel.tokens import Principal
from tiketi.services.auth import service
from tiketi.services.auth.api.deps import AuthDeps, check_login_limits, unit_of_work
from tiketi.services.auth.api.schemas import (
    Credentials,
    ErrorRead,
    GoogleSignIn,
    JwksRead,
    ProfileRead,
    RefreshTokenBody,
    RoleUpdate,
    SessionRead,
    UserCreate,
    UserRead,
)
from tiketi.services.auth.service import SignedIn

PREFIX = "/api/v1/auth"
AdminDep = Annotated[Principal, Depends(require_role("admin"))]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


def _session(signed_in: SignedIn) -> SessionRead:
    return SessionRead(
        user=UserRead.model_validate(signed_in.user),
        access_token=signed_in.access_token,
        refresh_token=signed_in.refresh_token,
        expires_in=signed_in.expires_in,
    )


class AuthRoutes:
    """Endpoints bound to one auth module's collaborators."""

    def __init__(self, deps: AuthDeps) -> None:
        self.deps = deps

    async def register(self, body: UserCreate, runtime: RuntimeDep) -> SessionRead:
        """Create a customer account and sign it in."""
        signed_in = await service.register(
            uow=unit_of_work(runtime),
            hasher=self.deps.hasher,
            policy=self.deps.policy,
            email=body.email,
            password=body.password,
            name=body.name,
        )
        return _session(signed_in)

    async def login(self, body: Credentials, request: Request, runtime: RuntimeDep) -> SessionRead:
        """Sign in with email and password."""
        await check_login_limits(request, self.deps.settings, body.email)
        signed_in = await service.login(
            uow=unit_of_work(runtime),
            hasher=self.deps.hasher,
            policy=self.deps.policy,
            email=body.email,
            password=body.password,
        )
        return _session(signed_in)

    async def refresh(self, body: RefreshTokenBody, runtime: RuntimeDep) -> SessionRead:
        """Spend a refresh token for a new pair."""
        signed_in = await service.refresh(
            uow=unit_of_work(runtime), policy=self.deps.policy, refresh_token=body.refresh_token
        )
        return _session(signed_in)

    async def logout(self, body: RefreshTokenBody, runtime: RuntimeDep) -> Response:
        """Sign out every session the refresh token's sign-in started."""
        await service.logout(uow=unit_of_work(runtime), refresh_token=body.refresh_token)
        return Response(status_code=204)

    async def google(
        self, body: GoogleSignIn, request: Request, runtime: RuntimeDep
    ) -> SessionRead:
        """Sign in (or up) with a Google ID token."""
        verifier = self.deps.google_verifier()
        await check_login_limits(request, self.deps.settings, None)
        identity = await verifier.verify(body.id_token)
        signed_in = await service.google_sign_in(
            uow=unit_of_work(runtime), policy=self.deps.policy, identity=identity
        )
        return _session(signed_in)

    async def me(self, principal: PrincipalDep, runtime: RuntimeDep) -> ProfileRead:
        """The caller's account."""
        user = await service.get_user(uow=unit_of_work(runtime), user_id=principal.id)
        return ProfileRead.model_validate(user)

    async def jwks(self, response: Response) -> JwksRead:
        """The public keys that verify access tokens."""
        # Short enough that a new key reaches every verifier soon after a rotation.
        response.headers["Cache-Control"] = "public, max-age=300"
        return JwksRead.model_validate(self.deps.policy.keys.jwks())

    async def set_role(
        self, id: str, body: RoleUpdate, admin: AdminDep, runtime: RuntimeDep
    ) -> UserRead:
        """Give a user a role (admins only)."""
        user = await service.change_role(
            uow=unit_of_work(runtime), actor_id=admin.id, user_id=id, role=body.role
        )
        return UserRead.model_validate(user)


# path, endpoint name, method, status, summary, documented error statuses.
_ROUTES: tuple[tuple[str, str, str, int, str, tuple[int, ...]], ...] = (
    ("/register", "register", "POST", 201, "Create an account", (409, 422)),
    ("/login", "login", "POST", 200, "Sign in with email and password", (401, 422, 429)),
    ("/refresh", "refresh", "POST", 200, "Rotate a refresh token for a new pair", (401, 422)),
    ("/logout", "logout", "POST", 204, "Revoke a refresh token's family", (422,)),
    (
        "/google",
        "google",
        "POST",
        200,
        "Sign in with a Google ID token",
        (401, 403, 409, 422, 429, 503),
    ),
    ("/me", "me", "GET", 200, "The caller's account", (401, 404)),
    ("/jwks", "jwks", "GET", 200, "Public keys that verify access tokens", ()),
    (
        "/users/{id}/role",
        "set_role",
        "PUT",
        200,
        "Change a user's role (admin)",
        (401, 403, 404, 409, 422),
    ),
)


def build_router(deps: AuthDeps) -> APIRouter:
    """The auth router, bound to the module's collaborators."""
    routes = AuthRoutes(deps)
    router = APIRouter(prefix=PREFIX, tags=["auth"])
    for path, name, method, status, summary, errors in _ROUTES:
        endpoint = getattr(routes, name)
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            status_code=status,
            # 204 has no body; the others declare theirs through the return annotation.
            response_class=Response if status == 204 else JSONResponse,
            summary=summary,
            responses=_errors(*errors),
            operation_id=f"auth_{name}",
        )
    return router
