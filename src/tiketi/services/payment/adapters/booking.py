"""Booking over HTTP: the fan's reservation (with the fan's own token) and the internal confirm
(with this service's token). The transport is the network, or the process's own app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from tiketi.services.payment.domain.errors import BookingUnavailable

log = structlog.get_logger("tiketi.payment.booking")


@dataclass(frozen=True)
class ReservationInfo:
    """What payments needs of a reservation: whether it may be paid, and for how much."""

    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class ConfirmAnswer:
    """Booking's answer to a paid reservation: confirmed, or why not (then we refund)."""

    outcome: str
    confirmed: bool


class BookingClient:
    """Calls booking's reservation routes; every failure to get an answer is BookingUnavailable."""

    def __init__(
        self,
        *,
        base_url: str | None,
        token: Callable[[], str],
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.configured = base_url is not None
        self.timeout = timeout
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url or "http://booking.invalid",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def reservation(self, order_id: str, *, bearer: str) -> ReservationInfo | None:
        """The caller's reservation (None: unknown, or someone else's)."""
        data = await self._send("GET", f"/api/v1/reservations/{order_id}", bearer=bearer)
        if data is None:
            return None
        return ReservationInfo(id=data["id"], status=data["status"], amount=int(data["amount"]))

    async def confirm(
        self, order_id: str, *, payment_key: str, amount: int
    ) -> ConfirmAnswer | None:
        """Tell booking the reservation was paid (None: booking knows no such reservation)."""
        data = await self._send(
            "POST",
            f"/api/v1/reservations/{order_id}/confirm",
            bearer=self._token(),
            json={"payment_key": payment_key, "amount": amount},
        )
        if data is None:
            return None
        return ConfirmAnswer(outcome=str(data["outcome"]), confirmed=bool(data["confirmed"]))

    async def _send(
        self, method: str, path: str, *, bearer: str, json: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        if not self.configured:
            raise BookingUnavailable(
                "Booking is not in this process and TIKETI_PAYMENT_BOOKING_URL is not set."
            )
        try:
            async with asyncio.timeout(self.timeout * 1.5):
                response = await self._http.request(
                    method, path, json=json, headers={"Authorization": f"Bearer {bearer}"}
                )
        except (httpx.TransportError, TimeoutError) as exc:
            log.warning("booking_unreachable", path=path, error=type(exc).__name__)
            raise BookingUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("booking_refused", path=path, status=response.status_code)
            raise BookingUnavailable()
        body: dict[str, Any] = response.json()
        return body
