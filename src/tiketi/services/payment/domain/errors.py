"""The payment service's failures, each with a stable code (documented in docs/payments.md)."""

from __future__ import annotations

from tiketi.kernel.errors import BadRequest, Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    """No such reservation for this caller (others' orders are not revealed)."""

    code = "ORDER_NOT_FOUND"
    message = "No such order."


class PaymentNotFound(NotFound):
    """No payment for this order that the caller may see."""

    code = "PAYMENT_NOT_FOUND"
    message = "No payment for this order."


class AmountMismatch(BadRequest):
    """The amount is not the reservation's: nothing was charged."""

    code = "AMOUNT_MISMATCH"
    message = "The amount does not match the reservation; nothing was charged."


class ReservationNotPayable(Conflict):
    """The reservation was canceled or refunded (or paid with another payment)."""

    code = "RESERVATION_NOT_PAYABLE"
    message = "This reservation cannot be paid any more; nothing was charged."


class OrderAlreadyPaid(Conflict):
    """The order was paid with another payment."""

    code = "ORDER_ALREADY_PAID"
    message = "This order was already paid with another payment."


class PaymentRejected(DomainError):
    """TossPayments refused the payment (card rejected, limit, …): nothing was charged."""

    code = "PAYMENT_REJECTED"
    status = 402
    message = "The payment was refused; nothing was charged."


class PaymentSessionExpired(DomainError):
    """The payment window's session expired before the confirmation: start again."""

    code = "PAYMENT_SESSION_EXPIRED"
    status = 410
    message = "The payment session expired; nothing was charged. Please pay again."


class PaymentInvalid(BadRequest):
    """TossPayments refused the request itself (a mismatched key, order or amount)."""

    code = "PAYMENT_INVALID"
    message = "The payment provider refused this request; nothing was charged."


class PaymentProviderUnavailable(DomainError):
    """TossPayments did not answer (in time): the reservation stays payable until it expires."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"
    status = 503
    message = (
        "The payment provider is unavailable; try again shortly. If you were charged, the "
        "payment is settled automatically (confirmed or refunded)."
    )

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        kwargs.setdefault("headers", {"Retry-After": "2"})
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class BookingUnavailable(DomainError):
    """Booking did not answer: an approved payment is confirmed (or refunded) by the reconciler."""

    code = "BOOKING_UNAVAILABLE"
    status = 503
    message = (
        "The payment was approved but the reservation could not be confirmed yet; it will be "
        "confirmed or refunded automatically."
    )


class SeatsGoneRefunded(Conflict):
    """A late payment whose seats another fan bought meanwhile: the payment was refunded."""

    code = "SEATS_GONE_REFUNDED"
    message = "The hold expired and its seats were sold meanwhile; the payment was refunded."


class PaymentRefunded(Conflict):
    """The payment was refunded (the reservation could not take it, or was canceled)."""

    code = "PAYMENT_REFUNDED"
    message = "This payment was refunded."


class PaymentInProgress(Conflict):
    """Another confirmation of this order is running; ask again in a moment."""

    code = "PAYMENT_IN_PROGRESS"
    message = "This payment is being confirmed; try again in a moment."

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        kwargs.setdefault("headers", {"Retry-After": "1"})
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
