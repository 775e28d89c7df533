"""Booking's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HOLD_ATTEMPTS = Counter(
    "tiketi_booking_holds_attempted_total", "Hold requests, by how seats were chosen.", ["mode"]
)
HOLD_SUCCEEDED = Counter("tiketi_booking_holds_succeeded_total", "Holds made.", ["mode"])
HOLD_FAILED = Counter(
    "tiketi_booking_holds_failed_total", "Hold requests refused, by error code.", ["reason"]
)
HOLD_LATENCY = Histogram(
    "tiketi_booking_hold_seconds",
    "Time to decide a hold request.",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
SEATS = Gauge(
    "tiketi_booking_seats",
    "Seats per event by status (at the last snapshot).",
    ["event_id", "status"],
)
RELEASED = Counter(
    "tiketi_booking_seats_released_total", "Seats given back to sale, by reason.", ["reason"]
)
