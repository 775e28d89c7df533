"""The waiting room's Prometheus metrics (stats and the organizer dashboard read them)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WAITING = Gauge("tiketi_queue_waiting", "Fans waiting in line, per event.", ["event_id"])
ACTIVE = Gauge(
    "tiketi_queue_active", "Admitted fans still shopping (the max_active budget), per event.",
    ["event_id"],
)  # fmt: skip
ADMITTED = Counter("tiketi_queue_admitted_total", "Fans admitted, per event.", ["event_id"])
RATE = Gauge(
    "tiketi_queue_admit_rate",
    "The admission rate the control loop allows now (fans/s), per event.",
    ["event_id"],
)
PACE = Gauge(
    "tiketi_queue_measured_rate", "Measured admissions per second (sliding window), per event.",
    ["event_id"],
)  # fmt: skip
JOINS = Counter(
    "tiketi_queue_joins_total",
    "Join requests by outcome (waiting, admitted, pre_queue, or the error code).",
    ["outcome"],
)
ENDED = Counter(
    "tiketi_queue_admissions_ended_total",
    "Admissions given back before they expired, by why (left, bought, hold_expired).",
    ["reason"],
)
