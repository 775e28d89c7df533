"""The sandbox's pages: the payment window (a stand-in for TossPayments' widget) and a receipt."""

from __future__ import annotations

from html import escape
from typing import Any

from tiketi.services.payment.domain.sandbox import SandboxOutcome

_LABELS = {
    SandboxOutcome.SUCCESS: "Approve",
    SandboxOutcome.REJECT: "Card rejected (REJECT_CARD_PAYMENT)",
    SandboxOutcome.PROVIDER_ERROR: "Provider error once, then approve (PROVIDER_ERROR)",
    SandboxOutcome.SLOW: "Slow: approve, answer after the client's timeout",
    SandboxOutcome.APPROVE_THEN_500: "Approve, then answer 500",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "fieldset{border:1px solid #ccc;border-radius:.5rem}button{margin:.5rem .5rem 0 0;"
    "padding:.6rem 1.2rem;font-size:1rem}.note{color:#666;font-size:.85rem}"
)


def widget_page(query: dict[str, str], prefix: str) -> str:
    """The page: the order, the outcome to play, Pay and Cancel."""
    order_id = query.get("orderId", "")
    amount = query.get("amount", "")
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(query.get(name, ""))}">'
        for name in ("orderId", "orderName", "amount", "successUrl", "failUrl")
    )
    options = "".join(
        f'<label><input type="radio" name="outcome" value="{outcome.value}"'
        f"{' checked' if outcome is SandboxOutcome.SUCCESS else ''}> {escape(label)}</label><br>"
        for outcome, label in _LABELS.items()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>TossPayments sandbox</title><style>{_STYLE}</style></head><body>"
        "<h1>TossPayments sandbox</h1>"
        f"<p>Order <code>{escape(order_id)}</code> — {escape(query.get('orderName', ''))}</p>"
        f"<p><strong>₩{escape(amount)}</strong></p>"
        f"<form method='post' action='{prefix}/widget'>{hidden}"
        f"<fieldset><legend>Outcome</legend>{options}</fieldset>"
        "<button name='action' value='pay' type='submit'>Pay</button>"
        "<button name='action' value='cancel' type='submit'>Cancel</button></form>"
        "<p class='note'>No real money moves: this is Tiketi's local stand-in for "
        "TossPayments, used when no TossPayments keys are configured.</p></body></html>"
    )


def receipt_page(payment: dict[str, Any]) -> str:
    """A payment's receipt."""
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(str(payment.get(name)))}</td></tr>"
        for name in ("orderId", "orderName", "paymentKey", "status", "totalAmount",
                     "balanceAmount", "approvedAt")
    )  # fmt: skip
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Receipt</title>"
        f"<style>{_STYLE}</style></head><body><h1>Receipt (sandbox)</h1>"
        f"<table>{rows}</table></body></html>"
    )
