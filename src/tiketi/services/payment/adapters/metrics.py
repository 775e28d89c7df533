"""The payment service's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CONFIRMS = Counter(
    "tiketi_payment_confirms_total",
    "Payment confirmations answered, by outcome (confirmed, replayed, rejected, refunded, …).",
    ["outcome"],
)
CONFIRM_LATENCY = Histogram(
    "tiketi_payment_confirm_seconds",
    "Time to answer a payment confirmation, end to end.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TOSS_LATENCY = Histogram(
    "tiketi_payment_toss_seconds",
    "Time of one call to TossPayments (or the sandbox), by operation and result.",
    ["operation", "result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REFUNDS = Counter(
    "tiketi_payment_refunds_total",
    "Payments cancelled in full at TossPayments, by reason.",
    ["reason"],
)
RECONCILER = Counter(
    "tiketi_payment_reconciler_actions_total",
    "What the reconciler did with a payment it settled or retried, by action.",
    ["action"],
)
WEBHOOKS = Counter(
    "tiketi_payment_webhooks_total", "TossPayments webhooks received, by type and result.",
    ["event_type", "result"],
)  # fmt: skip
