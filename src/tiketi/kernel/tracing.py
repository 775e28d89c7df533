"""OpenTelemetry tracing, switched on by OTEL_EXPORTER_OTLP_ENDPOINT."""

from __future__ import annotations

from fastapi import FastAPI

from tiketi.kernel.settings import PlatformSettings

_provider_set = False


def setup_tracing(app: FastAPI, settings: PlatformSettings) -> bool:
    """Export spans over OTLP/HTTP when an endpoint is configured; a no-op otherwise."""
    global _provider_set
    if not settings.otel_endpoint:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if not _provider_set:
        provider = TracerProvider(
            resource=Resource.create({"service.name": settings.otel_service_name})
        )
        endpoint = settings.otel_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
        _provider_set = True
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics")
    return True
