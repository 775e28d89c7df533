"""Booking, as the payment service calls it: the fan's reservation and the internal confirm.

Split, over HTTP: the fan's reservation with the fan's own token, the confirm with this
service's token (BookingClient). In one process, booking's exported ReservationDesk called
directly (InProcessBooking): the same answers without HTTP and the middleware stack."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
import structlog

from tiketi.contracts.reservations import ReservationDesk
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


class BookingPort(Protocol):
    """What payments asks of booking; every failure to get an answer is BookingUnavailable."""

    async def reservation(
        self, order_id: str, *, user_id: str, bearer: str
    ) -> ReservationInfo | None:
        """The user's reservation (None: unknown, or someone else's)."""
        ...

    async def confirm(
        self, order_id: str, *, payment_key: str, amount: int
    ) -> ConfirmAnswer | None:
        """Tell booking the reservation was paid (None: booking knows no such reservation)."""
        ...

    async def aclose(self) -> None:
        """Let go of what the client holds."""
        ...


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

    async def reservation(
        self, order_id: str, *, user_id: str, bearer: str
    ) -> ReservationInfo | None:
        """The caller's reservation (None: unknown, or someone else's): booking reads the
        user from `bearer`, the fan's own token."""
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


T = TypeVar("T")


class InProcessBooking:
    """Booking's ReservationDesk in this process, with BookingClient's failure semantics: a
    call that fails or outlasts the timeout is BookingUnavailable. Each call runs in a task of
    its own, as a network peer would: a caller that gives up does not cut booking's
    transaction short (kernel/inprocess.py does the same for HTTP in one process)."""

    def __init__(self, desk: ReservationDesk, *, timeout: float) -> None:
        self.timeout = timeout
        self._desk = desk
        self._running: set[asyncio.Task[Any]] = set()

    async def aclose(self) -> None:
        """Nothing to close: booking's calls finish on their own."""

    async def reservation(
        self, order_id: str, *, user_id: str, bearer: str
    ) -> ReservationInfo | None:
        """The user's reservation (None: unknown, or someone else's)."""
        found = await self._call("reservation", lambda: self._desk.reservation(
            order_id, user_id=user_id))  # fmt: skip
        if found is None:
            return None
        return ReservationInfo(id=found.id, status=found.status, amount=found.amount)

    async def confirm(
        self, order_id: str, *, payment_key: str, amount: int
    ) -> ConfirmAnswer | None:
        """Tell booking the reservation was paid (None: booking knows no such reservation)."""
        answer = await self._call("confirm", lambda: self._desk.confirm(
            order_id, payment_key=payment_key, amount=amount))  # fmt: skip
        if answer is None:
            return None
        return ConfirmAnswer(outcome=answer.outcome, confirmed=answer.confirmed)

    async def _call(self, operation: str, work: Callable[[], Awaitable[T]]) -> T:
        task = asyncio.ensure_future(work())
        self._running.add(task)
        task.add_done_callback(self._done)
        try:
            async with asyncio.timeout(self.timeout * 1.5):
                return await asyncio.shield(task)
        except TimeoutError as exc:
            log.warning("booking_unreachable", operation=operation, error="TimeoutError")
            raise BookingUnavailable() from exc
        except Exception as exc:  # what HTTP would have answered with a 4xx/5xx
            log.warning("booking_refused", operation=operation, error=type(exc).__name__)
            raise BookingUnavailable() from exc

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # seen: a caller that gave up was told BookingUnavailable
