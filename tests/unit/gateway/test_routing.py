"""The routing table: every area of API.md goes to the service that owns it, and nothing else."""

from __future__ import annotations

import pytest

from tiketi.services.gateway.domain.routing import PREFIXES, SERVICES, route


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/auth/register", "auth"),
        ("/api/v1/auth/login", "auth"),
        ("/api/v1/auth/jwks", "auth"),
        ("/api/v1/auth/users/u1/role", "auth"),
        ("/api/v1/auth", "auth"),
        ("/api/v1/venues", "catalog"),
        ("/api/v1/venues/v1", "catalog"),
        ("/api/v1/events", "catalog"),
        ("/api/v1/events/", "catalog"),
        ("/api/v1/events/e1", "catalog"),
        ("/api/v1/events/e1/publish", "catalog"),
        ("/api/v1/events/e1/cancel", "catalog"),
        ("/api/v1/events/e1/image", "catalog"),
        ("/api/v1/events/seats", "catalog"),  # an event whose id is "seats", not a seat map
        ("/api/v1/events/e1/seatsx", "catalog"),
        ("/api/v1/events/e1/seats", "booking"),
        ("/api/v1/events/e1/seats/", "booking"),
        ("/api/v1/events/42/seats/changes", "booking"),
        ("/api/v1/queue/e1/join", "queue"),
        ("/api/v1/queue/e1/status", "queue"),
        ("/api/v1/queue/e1/challenge", "queue"),
        ("/api/v1/queue/e1", "queue"),
        ("/api/v1/holds", "booking"),
        ("/api/v1/holds/h1", "booking"),
        ("/api/v1/reservations", "booking"),
        ("/api/v1/reservations/r1/cancel", "booking"),
        ("/api/v1/reservations/r1/tickets", "booking"),
        ("/api/v1/tickets/t1/qr.png", "booking"),
        ("/api/v1/checkin", "booking"),
        ("/api/v1/payments/confirm", "payment"),
        ("/api/v1/payments/webhook", "payment"),
        ("/api/v1/payments/order-1", "payment"),
        ("/sandbox/toss/v1/payments", "payment"),
        ("/sandbox/toss/v1/payments/confirm", "payment"),
        ("/sandbox/toss/v1/payments/orders/o1", "payment"),
        ("/sandbox/toss/v1/payments/pk/cancel", "payment"),
        ("/api/v1/stats/events/e1", "stats"),
        ("/api/v1/stats/overview", "stats"),
        ("/api/v1/notifications", "notify"),
        ("/api/v1/notifications/n1", "notify"),
        ("/media/posters/e1/abc.png", "catalog"),
        ("/socket.io/", "booking"),
        ("/socket.io", "booking"),
    ],
)
def test_each_area_goes_to_its_owner(path: str, service: str) -> None:
    assert route(path) == service


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "api/v1/auth/login",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v2/auth/login",
        "/API/v1/auth/login",
        "/api/v1/authx",
        "/api/v1/auth-admin/x",
        "/api/v1/eventsx",
        "/api/v1/checkins",
        "/api/v1/ticket/t1",
        "/sandbox",
        "/sandbox/tossx/v1",
        "/socket.iox/",
        "/health",
        "/metrics",
        "/docs",
    ],
)
def test_anything_else_has_no_owner(path: str) -> None:
    assert route(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/../stats/overview",
        "/api/v1/auth/./me",
        "/api/v1/events/e1/seats/..",
        "/api/v1/holds/..",
        "/sandbox/toss/../../api/v1/auth/me",
    ],
)
def test_dot_segments_are_refused_rather_than_guessed(path: str) -> None:
    assert route(path) is None


def test_every_routed_service_is_a_known_one() -> None:
    assert {service for _, service in PREFIXES} <= set(SERVICES)


def test_no_prefix_shadows_another() -> None:
    prefixes = [prefix for prefix, _ in PREFIXES]
    for a in prefixes:
        for b in prefixes:
            assert a == b or not b.startswith(a + "/"), (a, b)
