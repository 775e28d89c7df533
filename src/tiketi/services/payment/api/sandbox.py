"""The sandbox's HTTP face: TossPayments' paths, bodies and `{code, message}` errors under
/sandbox/toss, the widget stand-in, and a small payment page the web app opens like the widget."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tiketi.kernel.deps import RuntimeDep
from tiketi.kernel.routing import NO_FASTAPI_TELEMETRY, add_module_routes, install_route_index
from tiketi.services.payment.api.deps import SANDBOX_PREFIX, PaymentDeps
from tiketi.services.payment.api.widget import receipt_page, widget_page
from tiketi.services.payment.domain.sandbox import SandboxError, SandboxOutcome, invalid
from tiketi.services.payment.service import sandbox as use
from tiketi.services.payment.service.common import Sandbox

CANCELED_BY_USER = "사용자에 의해 결제가 취소되었습니다."
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=300)]
Authorization = Annotated[str | None, Header(alias="Authorization")]


def _secret(authorization: str | None) -> str | None:
    """The secret key of `Basic base64(secretKey + ":")`."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise invalid("요청 본문이 올바른 JSON이 아닙니다.") from None
    if not isinstance(body, dict):
        raise invalid("요청 본문은 JSON 객체여야 합니다.")
    return body


async def _answer(run: Callable[[], Awaitable[tuple[int, dict[str, Any]]]]) -> JSONResponse:
    try:
        status, body = await run()
    except SandboxError as error:
        return JSONResponse(error.body(), status_code=error.status)
    return JSONResponse(body, status_code=status)


def _safe_url(url: str | None, default: str) -> str:
    # Redirect targets are relative paths or http(s) URLs: never javascript: and the like.
    if not url:
        return default
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.startswith(("http://", "https://")):
        return url
    raise invalid("successUrl과 failUrl은 http(s) URL 또는 경로여야 합니다.")


def _with_query(url: str, **params: object) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


class SandboxRoutes:
    """TossPayments' core API, played by the sandbox."""

    def __init__(self, deps: PaymentDeps) -> None:
        self.deps = deps

    def _sandbox(self, runtime: RuntimeDep) -> Sandbox:
        return self.deps.sandbox(runtime)

    async def open_window(self, request: Request, runtime: RuntimeDep) -> JSONResponse:
        """The widget stand-in: a payment window for an order, with a fault to play."""

        async def run() -> tuple[int, dict[str, Any]]:
            body = await _json(request)
            window = _window(body)
            success = _safe_url(body.get("successUrl"), "/payments/success")
            payment = await use.open_window(sandbox=self._sandbox(runtime), request=window)
            return 201, {
                **payment,
                "amount": payment["totalAmount"],
                "successUrl": _with_query(
                    success, paymentKey=payment["paymentKey"], orderId=window.order_id,
                    amount=window.amount,
                ),
            }  # fmt: skip

        return await _answer(run)

    async def confirm(
        self, request: Request, runtime: RuntimeDep, authorization: Authorization = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:  # fmt: skip
        """POST /v1/payments/confirm."""

        async def run() -> tuple[int, dict[str, Any]]:
            sandbox = self._sandbox(runtime)
            secret = use.check_secret(sandbox, _secret(authorization))
            return await use.confirm(
                sandbox=sandbox, secret=secret, body=await _json(request),
                idempotency_key=idempotency_key,
            )  # fmt: skip

        return await _answer(run)

    async def payment(
        self, payment_key: str, runtime: RuntimeDep, authorization: Authorization = None
    ) -> JSONResponse:
        """GET /v1/payments/{paymentKey}."""

        async def run() -> tuple[int, dict[str, Any]]:
            sandbox = self._sandbox(runtime)
            use.check_secret(sandbox, _secret(authorization))
            return 200, await use.payment(sandbox=sandbox, payment_key=payment_key)

        return await _answer(run)

    async def payment_by_order(
        self, order_id: str, runtime: RuntimeDep, authorization: Authorization = None
    ) -> JSONResponse:
        """GET /v1/payments/orders/{orderId}."""

        async def run() -> tuple[int, dict[str, Any]]:
            sandbox = self._sandbox(runtime)
            use.check_secret(sandbox, _secret(authorization))
            return 200, await use.payment_by_order(sandbox=sandbox, order_id=order_id)

        return await _answer(run)

    async def cancel(
        self, payment_key: str, request: Request, runtime: RuntimeDep,
        authorization: Authorization = None, idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:  # fmt: skip
        """POST /v1/payments/{paymentKey}/cancel."""

        async def run() -> tuple[int, dict[str, Any]]:
            sandbox = self._sandbox(runtime)
            secret = use.check_secret(sandbox, _secret(authorization))
            return await use.cancel(
                sandbox=sandbox, secret=secret, payment_key=payment_key,
                body=await _json(request), idempotency_key=idempotency_key,
            )  # fmt: skip

        return await _answer(run)

    async def widget(self, request: Request) -> HTMLResponse:
        """The payment page the web app opens like TossPayments' widget."""
        return HTMLResponse(widget_page(dict(request.query_params), SANDBOX_PREFIX))

    async def widget_submit(
        self,
        runtime: RuntimeDep,
        orderId: Annotated[str, Form()],
        amount: Annotated[int, Form()],
        orderName: Annotated[str, Form()] = "Tiketi",
        successUrl: Annotated[str, Form()] = "",
        failUrl: Annotated[str, Form()] = "",
        outcome: Annotated[str, Form()] = "success",
        action: Annotated[str, Form()] = "pay",
    ) -> Response:
        """The page's buttons: pay (→ successUrl with paymentKey) or give up (→ failUrl)."""
        try:
            success = _safe_url(successUrl, "/payments/success")
            fail = _safe_url(failUrl, "/payments/fail")
            if action != "pay":
                target = _with_query(
                    fail, code="PAY_PROCESS_CANCELED", message=CANCELED_BY_USER, orderId=orderId
                )
                return RedirectResponse(target, status_code=303)
            window = use.WindowRequest(
                order_id=orderId, order_name=orderName[:100], amount=amount, outcome=outcome
            )
            payment = await use.open_window(sandbox=self._sandbox(runtime), request=window)
        except SandboxError as error:
            target = _with_query(fail or "/payments/fail", code=error.code, message=error.message)
            return RedirectResponse(target, status_code=303)
        target = _with_query(
            success, paymentKey=payment["paymentKey"], orderId=orderId, amount=amount
        )
        return RedirectResponse(target, status_code=303)

    async def receipt(self, payment_key: str, runtime: RuntimeDep) -> Response:
        """A payment's receipt page."""
        try:
            payment = await use.payment(sandbox=self._sandbox(runtime), payment_key=payment_key)
        except SandboxError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return HTMLResponse(receipt_page(payment))


def _window(body: dict[str, Any]) -> use.WindowRequest:
    order_id, order_name, amount = body.get("orderId"), body.get("orderName"), body.get("amount")
    outcome, fail_times = (
        body.get("outcome", SandboxOutcome.SUCCESS.value),
        body.get("failTimes", 1),
    )
    if not isinstance(order_id, str) or not isinstance(order_name, str) or not order_name:
        raise invalid("orderId와 orderName은 필수입니다.")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise invalid("amount는 정수여야 합니다.")
    if (
        not isinstance(outcome, str)
        or isinstance(fail_times, bool)
        or not isinstance(fail_times, int)
    ):
        raise invalid("outcome은 문자열, failTimes는 정수입니다.")
    return use.WindowRequest(
        order_id=order_id, order_name=order_name[:100], amount=amount, outcome=outcome,
        fail_times=max(0, min(fail_times, 100)),
    )  # fmt: skip


def build_sandbox_router(deps: PaymentDeps) -> APIRouter:
    """The sandbox's router (mounted only when no TossPayments key is set)."""
    routes = SandboxRoutes(deps)
    router = APIRouter(prefix=SANDBOX_PREFIX, tags=["TossPayments sandbox"])
    add = router.add_api_route
    add("/v1/payments", routes.open_window, methods=["POST"], status_code=201,
        summary="Widget stand-in: open a payment window")  # fmt: skip
    add("/v1/payments/confirm", routes.confirm, methods=["POST"], summary="Confirm (approve)")
    add("/v1/payments/orders/{order_id}", routes.payment_by_order, methods=["GET"],
        summary="A payment by orderId")  # fmt: skip
    add("/v1/payments/{payment_key}", routes.payment, methods=["GET"], summary="A payment")
    add("/v1/payments/{payment_key}/cancel", routes.cancel, methods=["POST"], summary="Cancel")
    add("/widget", routes.widget, methods=["GET"], response_class=HTMLResponse,
        summary="The payment page", include_in_schema=False)  # fmt: skip
    add("/widget", routes.widget_submit, methods=["POST"], include_in_schema=False)
    add("/receipt/{payment_key}", routes.receipt, methods=["GET"], include_in_schema=False)
    return router


def build_sandbox_app(router: APIRouter) -> FastAPI:
    """The sandbox's routes as an ASGI app of their own: what this process's TossClient calls
    in-process (its `state.runtime` is set when the client is made)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, telemetry=NO_FASTAPI_TELEMETRY)
    add_module_routes(app, router)
    install_route_index(app)
    return app
