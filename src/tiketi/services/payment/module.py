"""The payment service as a module of the platform: router, sandbox, schema, refunds, reconciler."""

from __future__ import annotations

from pathlib import Path

from tiketi.kernel.module import ServiceModule, Worker
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings, refuse_default_secrets
from tiketi.kernel.streams import Subscription
from tiketi.services.payment.adapters.orm import SCHEMA
from tiketi.services.payment.api.deps import PaymentDeps
from tiketi.services.payment.api.routes import build_router
from tiketi.services.payment.api.sandbox import build_sandbox_app, build_sandbox_router
from tiketi.services.payment.service.reconciler import run_reconciler
from tiketi.services.payment.service.refunds import event_handlers
from tiketi.services.payment.settings import PaymentSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "payment"


def payment_subscription(deps: PaymentDeps) -> Subscription:
    """Payment's consumer group on booking's ReservationCanceled (refunds)."""
    return Subscription(group=GROUP, schema=SCHEMA, handlers=event_handlers(deps.current))


def _reconciler(deps: PaymentDeps) -> Worker:
    async def reconcile(runtime: Runtime) -> None:
        """Settle payments whose outcome is unknown: at start, then periodically."""
        await run_reconciler(deps.payments(runtime))

    return reconcile


def build(platform: PlatformSettings, settings: PaymentSettings | None = None) -> ServiceModule:
    """The payment module; production refuses to run on the sandbox (no TossPayments key)."""
    settings = settings or get_settings()
    refuse_default_secrets(platform, {"TIKETI_TOSS_SECRET_KEY": settings.toss_secret_key})
    deps = PaymentDeps(settings=settings)
    router = build_router(deps)
    if settings.sandbox:
        sandbox = build_sandbox_router(deps)
        router.routes.extend(sandbox.routes)  # one router per module (see kernel.routing)
        deps.sandbox_app = build_sandbox_app(sandbox)

    async def start(runtime: Runtime) -> None:
        deps.payments(runtime)

    async def stop(runtime: Runtime) -> None:
        await deps.payments(runtime).aclose()

    return ServiceModule(
        name="payment",
        router=router,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        outbox=True,
        startup=[start],
        shutdown=[stop],
        workers=[_reconciler(deps)],
        subscriptions=[payment_subscription(deps)],
        exports={"payment": lambda: deps},
        # The web app opens TossPayments' widget with the client key; on the sandbox (no secret
        # key) a client key would send the browser to a Toss this process does not confirm with.
        public_config={"tossClientKey": settings.toss_client_key}
        if settings.toss_client_key and not settings.sandbox
        else {},
    )
