import { useEffect, useState } from "react";
import type { ReservationRead } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox } from "../components/ErrorBox";
import { useI18n } from "../i18n/I18n";
import { ANONYMOUS, tossError, tossWidgets, type TossWidgets } from "../lib/toss";

export const METHODS_ID = "toss-payment-methods";
export const AGREEMENT_ID = "toss-agreement";

interface Props {
  reservation: ReservationRead;
  orderName: string;
  clientKey: string;
  successUrl: string;
  failUrl: string;
}

/**
 * TossPayments' payment widget: its payment methods and terms drawn in the page, then
 * requestPayment, which ends at successUrl?paymentKey&orderId&amount (or failUrl?code&message).
 */
export function TossCheckout({ reservation, orderName, clientKey, successUrl, failUrl }: Props) {
  const { t, money } = useI18n();
  const { user } = useAuth();
  const [widgets, setWidgets] = useState<TossWidgets | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const customerKey = user?.id ?? ANONYMOUS;
  const { amount, currency } = reservation;

  useEffect(() => {
    let live = true;
    setWidgets(null);
    setError(null);
    const open = async () => {
      const ready = await tossWidgets(clientKey, customerKey);
      await ready.setAmount({ currency, value: amount });
      await Promise.all([
        ready.renderPaymentMethods({ selector: `#${METHODS_ID}`, variantKey: "DEFAULT" }),
        ready.renderAgreement({ selector: `#${AGREEMENT_ID}`, variantKey: "AGREEMENT" }),
      ]);
      if (live) setWidgets(ready);
    };
    open().catch((caught: unknown) => {
      if (live) setError(tossError(caught));
    });
    return () => {
      live = false;
    };
  }, [clientKey, customerKey, amount, currency, attempt]);

  const pay = async () => {
    if (!widgets) return;
    setBusy(true);
    setError(null);
    try {
      await widgets.requestPayment({
        orderId: reservation.id,
        orderName,
        successUrl,
        failUrl,
        customerEmail: user?.email,
        customerName: user?.name,
      });
    } catch (caught) {
      // The person closed the window (USER_CANCEL) or Toss refused: they may pay again.
      setError(tossError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="toss-checkout">
      <div id={METHODS_ID} />
      <div id={AGREEMENT_ID} />
      {!widgets && !error && (
        <p className="muted" role="status">
          {t("checkout.widgetLoading")}
        </p>
      )}
      <ErrorBox error={error} onRetry={widgets ? undefined : () => setAttempt((n) => n + 1)} />
      <button type="button" className="btn primary big" onClick={pay} disabled={!widgets || busy}>
        {t("checkout.pay", { amount: money(amount, currency) })}
      </button>
    </div>
  );
}
