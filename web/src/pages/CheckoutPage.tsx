import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { api } from "../api/client";
import type { ReservationRead } from "../api/types";
import { Countdown } from "../components/Countdown";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { clientConfig } from "../config";
import { useI18n } from "../i18n/I18n";
import { useEvent } from "./EventPage";
import { TossCheckout } from "./TossCheckout";

export function useReservation(reservationId: string | undefined) {
  return useQuery({
    queryKey: ["reservation", reservationId],
    queryFn: ({ signal }) => api<ReservationRead>(`/api/v1/reservations/${reservationId}`, { signal }),
    enabled: Boolean(reservationId),
  });
}

/** Where the payment window returns: the success page confirms, the fail page explains. */
export function returnUrls(origin: string): { successUrl: string; failUrl: string } {
  return { successUrl: `${origin}/payments/success`, failUrl: `${origin}/payments/fail` };
}

/** TossPayments takes an order name of at most 100 characters. */
const orderNameOf = (title: string | undefined) => (title ?? "Tiketi").slice(0, 100);

/**
 * The sandbox payment window's address. With no TossPayments client key the platform's sandbox
 * plays the widget (docs/payments.md): it redirects to successUrl?paymentKey&orderId&amount.
 */
export function paymentWindowUrl(reservation: ReservationRead, orderName: string, origin: string): string {
  const query = new URLSearchParams({
    orderId: reservation.id,
    orderName: orderNameOf(orderName),
    amount: String(reservation.amount),
    ...returnUrls(origin),
  });
  return `/sandbox/toss/widget?${query}`;
}

export function CheckoutPage() {
  const { reservationId } = useParams();
  const { t, money } = useI18n();
  const reservation = useReservation(reservationId);
  const event = useEvent(reservation.data?.event_id);
  if (reservation.isPending) return <Loading />;
  if (reservation.error) return <ErrorBox error={reservation.error} onRetry={() => reservation.refetch()} />;
  const r = reservation.data;
  const payable = r.status === "pending_payment";
  // With TossPayments' client key (injected by the server) the real widget; else the sandbox.
  const tossClientKey = clientConfig().tossClientKey;
  const pay = () => {
    window.location.assign(paymentWindowUrl(r, orderNameOf(event.data?.title), window.location.origin));
  };
  return (
    <section className="narrow">
      <h1>{t("checkout.title")}</h1>
      {event.data && <p className="muted">{event.data.title}</p>}
      <ul className="lines">
        {r.seats.map((seat) => (
          <li key={seat.id}>
            <span>{t("seat.name", { section: seat.section, row: seat.row, number: seat.number })} · {seat.grade}</span>
            <span>{money(seat.price, r.currency)}</span>
          </li>
        ))}
      </ul>
      <p className="total">
        {t("seats.total")} <strong>{money(r.amount, r.currency)}</strong>
      </p>
      {payable ? (
        <>
          <p>
            {t("checkout.payWithin")} <Countdown to={r.expires_at} onDone={() => reservation.refetch()} />
          </p>
          {tossClientKey ? (
            <TossCheckout
              reservation={r}
              orderName={orderNameOf(event.data?.title)}
              clientKey={tossClientKey}
              {...returnUrls(window.location.origin)}
            />
          ) : (
            <>
              <button type="button" className="btn primary big" onClick={pay}>
                {t("checkout.pay", { amount: money(r.amount, r.currency) })}
              </button>
              <p className="muted">{t("checkout.sandbox")}</p>
            </>
          )}
        </>
      ) : (
        <p className="notice">{t(`reservation.${r.status}` as "reservation.confirmed")}</p>
      )}
    </section>
  );
}
