"""Notify's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter

EMAILS = Counter(
    "tiketi_notify_emails_total",
    "Emails settled by the sender, by kind and outcome (sent, failed, dead, skipped).",
    ["kind", "outcome"],
)
