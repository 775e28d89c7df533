import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { PaymentConfirmRead } from "../api/types";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { Tickets } from "../components/Tickets";
import { useI18n } from "../i18n/I18n";
import { forgetQueue, saveAdmission } from "../lib/admission";
import { useReservation } from "./CheckoutPage";

/** The payment window's success return: confirm the payment, then show the tickets. */
export function PaymentSuccessPage() {
  const { t, money } = useI18n();
  const [params] = useSearchParams();
  const paymentKey = params.get("paymentKey") ?? "";
  const orderId = params.get("orderId") ?? "";
  const amount = Number(params.get("amount") ?? "0");
  const [result, setResult] = useState<PaymentConfirmRead | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sent = useRef(false);
  // Bought: the waiting room ended this admission, so its stored token and place are done.
  const reservation = useReservation(result ? orderId : undefined);
  const eventId = reservation.data?.event_id;
  useEffect(() => {
    if (!eventId) return;
    saveAdmission(eventId, null);
    forgetQueue(eventId);
  }, [eventId]);

  const confirm = () => {
    setError(null);
    // Confirming twice is idempotent on the server; this only saves a request.
    api<PaymentConfirmRead>("/api/v1/payments/confirm", {
      method: "POST",
      body: { payment_key: paymentKey, order_id: orderId, amount },
    }).then(setResult, setError);
  };
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    confirm();
  }, []);

  return (
    <section className="narrow">
      <h1>{t("payment.title")}</h1>
      {!result && !error && <Loading />}
      <ErrorBox error={error} onRetry={confirm} />
      {result && (
        <>
          <p className="success" role="status">
            {t("payment.done", { amount: money(result.amount) })}
          </p>
          <Tickets reservationId={orderId} />
          <p>
            <Link to="/me/tickets" className="btn">
              {t("nav.tickets")}
            </Link>
          </p>
        </>
      )}
    </section>
  );
}

/** The payment window's fail return (cancelled, or refused by the provider). */
export function PaymentFailPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const orderId = params.get("orderId");
  return (
    <section className="narrow">
      <h1>{t("payment.failed")}</h1>
      <div className="error-box" role="alert">
        <p className="error-message">{params.get("message") ?? t("error.unknown")}</p>
        <p className="error-code">{params.get("code")}</p>
      </div>
      {orderId && (
        <Link to={`/checkout/${orderId}`} className="btn primary">
          {t("payment.tryAgain")}
        </Link>
      )}
    </section>
  );
}
