"""Prometheus metrics shared by every service in the process."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter(
    "tiketi_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "tiketi_http_request_duration_seconds",
    "HTTP request latency by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter(
    "tiketi_events_published_total", "Integration events relayed from outboxes.", ["event_type"]
)
EVENTS_CONSUMED = Counter(
    "tiketi_events_consumed_total",
    "Integration events handled by consumers.",
    ["consumer", "event_type", "outcome"],
)
RATE_LIMITED = Counter("tiketi_rate_limited_total", "Requests refused by a rate limit.", ["limit"])
SOCKET_CONNECTIONS = Gauge(
    "tiketi_socket_connections", "Socket.IO clients connected to this process."
)
SOCKET_MESSAGES = Counter(
    "tiketi_socket_messages_emitted_total",
    "Socket.IO messages emitted by this process (one per room or client addressed), by event.",
    ["event"],
)
SOCKET_BACKLOG = Gauge(
    "tiketi_socket_backlog", "Socket.IO messages waiting for Redis to reach other processes."
)
SOCKET_DROPPED = Counter(
    "tiketi_socket_dropped_total", "Socket.IO messages dropped because Redis was away too long."
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one request and record its latency."""
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
