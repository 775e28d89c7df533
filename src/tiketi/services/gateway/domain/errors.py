"""Why a request could not be forwarded, each with the API.md code a client sees."""

from __future__ import annotations

from tiketi.kernel.errors import DomainError, NotFound


class NoRoute(NotFound):
    """No service owns this path."""

    message = "No such resource."

    def __init__(self, path: str) -> None:
        super().__init__(details={"path": path})


class ServiceNotConfigured(DomainError):
    """The owning service has no URL in this gateway's settings."""

    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, service: str) -> None:
        super().__init__(
            f"The {service} service is not available through this gateway.",
            details={"service": service},
        )


class UpstreamUnavailable(DomainError):
    """The owning service refused the connection, could not be resolved or broke the exchange."""

    code = "BAD_GATEWAY"
    status = 502

    def __init__(self, service: str) -> None:
        super().__init__(
            f"The {service} service did not answer; try again shortly.",
            details={"service": service},
        )


class UpstreamTimeout(DomainError):
    """The owning service did not answer within the gateway's timeout."""

    code = "GATEWAY_TIMEOUT"
    status = 504

    def __init__(self, service: str) -> None:
        super().__init__(
            f"The {service} service took too long to answer.", details={"service": service}
        )


class GatewayBusy(DomainError):
    """Every upstream connection is in use and none freed up in time."""

    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, service: str) -> None:
        super().__init__(
            "The gateway is busy; try again shortly.",
            details={"service": service},
            headers={"Retry-After": "1"},
        )
