"""TossPayments' core API over httpx: confirm, look up, cancel — with safe retries.

Basic auth is base64(secretKey + ":"). Confirm and cancel carry an Idempotency-Key, so repeating
them after a lost answer can never charge or refund twice; what is repeated is exactly what
is safe to repeat: PROVIDER_ERROR and other transient codes, 5xx answers, connection failures
and timeouts. The same client talks to the sandbox: only the base URL differs.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import structlog

from tiketi.services.payment.adapters import metrics
from tiketi.services.payment.domain.models import (
    TossErrorKind,
    TossFailure,
    TossPayment,
    TossUnreachable,
    classify_toss_error,
)

log = structlog.get_logger("tiketi.payment.toss")


def basic_auth(secret_key: str) -> str:
    """The Authorization header value TossPayments expects."""
    return "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()


class TossClient:
    """One process's client of TossPayments (or of the sandbox at another base URL)."""

    def __init__(
        self,
        *,
        base_url: str,
        secret_key: str,
        timeout: float,
        attempts: int = 3,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            headers={"Authorization": basic_auth(secret_key), "Content-Type": "application/json"},
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def confirm(
        self, *, payment_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> TossPayment:
        """Approve the payment; an already approved one is looked up and returned as it is."""
        body = {"paymentKey": payment_key, "orderId": order_id, "amount": amount}
        try:
            data = await self._call(
                "confirm", "POST", "/v1/payments/confirm", json=body, key=idempotency_key
            )
        except TossFailure as failure:
            if failure.kind is not TossErrorKind.ALREADY_PROCESSED:
                raise
            return await self.payment(payment_key)
        return TossPayment.from_json(data)

    async def payment(self, payment_key: str) -> TossPayment:
        """The payment with this key (TossFailure NOT_FOUND when there is none)."""
        data = await self._call("get", "GET", f"/v1/payments/{payment_key}")
        return TossPayment.from_json(data)

    async def payment_by_order(self, order_id: str) -> TossPayment | None:
        """The order's payment as TossPayments knows it, or None when it knows none."""
        try:
            data = await self._call("get_order", "GET", f"/v1/payments/orders/{order_id}")
        except TossFailure as failure:
            if failure.kind is TossErrorKind.NOT_FOUND:
                return None
            raise
        return TossPayment.from_json(data)

    async def cancel(
        self, *, payment_key: str, reason: str, idempotency_key: str, amount: int | None = None
    ) -> TossPayment:
        """Cancel (refund) the payment, in full unless `amount`; an already cancelled one is
        looked up and returned as it is."""
        body: dict[str, Any] = {"cancelReason": reason}
        if amount is not None:
            body["cancelAmount"] = amount
        try:
            data = await self._call(
                "cancel", "POST", f"/v1/payments/{payment_key}/cancel", json=body,
                key=idempotency_key,
            )  # fmt: skip
        except TossFailure as failure:
            if failure.kind is not TossErrorKind.ALREADY_CANCELED:
                raise
            return await self.payment(payment_key)
        return TossPayment.from_json(data)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        last = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            started = time.perf_counter()
            try:
                # asyncio.timeout too: an in-process transport ignores httpx's timeouts.
                async with asyncio.timeout(self.timeout * 1.5):
                    response = await self._http.request(method, path, json=json, headers=headers)
            except (httpx.TransportError, TimeoutError) as exc:
                last = type(exc).__name__
                self._observe(operation, "unreachable", started)
                log.warning(
                    "toss_unreachable", operation=operation, attempt=attempt + 1, error=last
                )
                continue
            if response.status_code < 400:
                self._observe(operation, "ok", started)
                data: dict[str, Any] = response.json()
                return data
            failure = self._failure(response)
            self._observe(operation, failure.kind.value, started)
            if failure.kind is not TossErrorKind.RETRYABLE:
                raise failure
            last = failure.code
            log.warning("toss_retryable", operation=operation, attempt=attempt + 1, code=last)
        raise TossUnreachable(f"TossPayments {operation}: {last} after {self.attempts} attempts")

    @staticmethod
    def _failure(response: httpx.Response) -> TossFailure:
        try:
            body = response.json()
            code = str(body.get("code") or "UNKNOWN")
            message = str(body.get("message") or "")
        except ValueError:
            code, message = "UNKNOWN", response.text[:200]
        kind = classify_toss_error(response.status_code, code)
        return TossFailure(kind, code, message, response.status_code)

    @staticmethod
    def _observe(operation: str, result: str, started: float) -> None:
        metrics.TOSS_LATENCY.labels(operation, result).observe(time.perf_counter() - started)
