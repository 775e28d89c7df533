"""The payments endpoints: confirm, read, and TossPayments' webhooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.services.payment.api.deps import PaymentDeps
from tiketi.services.payment.api.schemas import (
    ConfirmRead,
    ErrorRead,
    PaymentConfirm,
    PaymentRead,
    WebhookAck,
)
from tiketi.services.payment.service import confirm, reads, webhooks

TransmissionId = Annotated[
    str | None,
    Header(
        alias="tosspayments-webhook-transmission-id",
        description="TossPayments' id of this delivery; repeats of one id are stored once.",
    ),
]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


def _bearer(request: Request) -> str:
    # Verified already (PrincipalDep); passed on so booking shows only the caller's reservation.
    return request.headers.get("authorization", "").partition(" ")[2].strip()


class PaymentRoutes:
    """Endpoints bound to one payment module's collaborators."""

    def __init__(self, deps: PaymentDeps) -> None:
        self.deps = deps

    async def confirm(
        self, body: PaymentConfirm, principal: PrincipalDep, runtime: RuntimeDep, request: Request
    ) -> ConfirmRead:
        """Confirm a TossPayments payment of one's reservation (idempotent on order_id)."""
        result = await confirm.confirm_payment(
            payments=self.deps.payments(runtime),
            user_id=principal.id,
            bearer=_bearer(request),
            order_id=body.order_id,
            payment_key=body.payment_key,
            amount=body.amount,
        )
        return ConfirmRead.of(result)

    async def get_payment(
        self, order_id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> PaymentRead:
        """The order's payment (its owner or an admin)."""
        view = await reads.get_payment(
            payments=self.deps.payments(runtime), principal=principal, order_id=order_id
        )
        return PaymentRead.of(view)

    async def webhook(
        self,
        runtime: RuntimeDep,
        body: Annotated[dict[str, Any], Body()],
        transmission_id: TransmissionId = None,
    ) -> WebhookAck:
        """TossPayments' webhook: stored once per transmission, acted on after asking Toss."""
        result = await webhooks.receive_webhook(
            payments=self.deps.payments(runtime), transmission_id=transmission_id, body=body
        )
        return WebhookAck(result=result)


def build_router(deps: PaymentDeps) -> APIRouter:
    """The payments router bound to one module's collaborators."""
    routes = PaymentRoutes(deps)
    router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
    router.add_api_route(
        "/confirm", routes.confirm, methods=["POST"], response_model=ConfirmRead,
        responses=_errors(400, 401, 402, 404, 409, 410, 422, 503), summary="Confirm a payment",
    )  # fmt: skip
    router.add_api_route(
        "/webhook", routes.webhook, methods=["POST"], response_model=WebhookAck,
        summary="TossPayments webhook",
    )  # fmt: skip
    router.add_api_route(
        "/{order_id}", routes.get_payment, methods=["GET"], response_model=PaymentRead,
        responses=_errors(401, 404), summary="A payment",
    )  # fmt: skip
    return router
