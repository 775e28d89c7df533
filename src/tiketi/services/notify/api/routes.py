"""Notify's admin endpoints: dead-lettered emails, and sending one again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from tiketi.kernel.deps import RuntimeDep
from tiketi.services.notify.api.deps import AdminDep, NotifyDeps
from tiketi.services.notify.api.schemas import EmailPage, EmailRead, ErrorRead
from tiketi.services.notify.service import admin

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")]
Cursor = Annotated[str | None, Query(max_length=32, description="next_cursor of the last page.")]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


class NotifyRoutes:
    """Endpoints bound to one notify module's collaborators."""

    def __init__(self, deps: NotifyDeps) -> None:
        self.deps = deps

    async def dead_letters(
        self, caller: AdminDep, runtime: RuntimeDep, limit: Limit = 20, cursor: Cursor = None
    ) -> EmailPage:
        """Emails that failed every attempt, newest first, with their last error."""
        items, next_cursor = await admin.list_dead_letters(
            notify=self.deps.notify(runtime), limit=limit, cursor=cursor
        )
        return EmailPage(items=[EmailRead.of(item) for item in items], next_cursor=next_cursor)

    async def retry(self, id: int, caller: AdminDep, runtime: RuntimeDep) -> EmailRead:
        """Send a dead-lettered email again, with a fresh set of attempts."""
        view = await admin.retry_dead_letter(notify=self.deps.notify(runtime), email_id=id)
        return EmailRead.of(view)


def build_router(deps: NotifyDeps) -> APIRouter:
    """The notify router bound to one module's collaborators."""
    routes = NotifyRoutes(deps)
    router = APIRouter(prefix="/api/v1/notifications", tags=["notify"])
    router.add_api_route(
        "/dead-letters", routes.dead_letters, methods=["GET"], response_model=EmailPage,
        responses=_errors(401, 403), summary="Dead-lettered emails (admin)",
    )  # fmt: skip
    router.add_api_route(
        "/dead-letters/{id}/retry", routes.retry, methods=["POST"], response_model=EmailRead,
        responses=_errors(401, 403, 404, 409), summary="Retry a dead-lettered email (admin)",
    )  # fmt: skip
    return router
