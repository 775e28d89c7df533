import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import type { ReservationPage, ReservationRead } from "../api/types";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { Tickets } from "../components/Tickets";
import { useI18n } from "../i18n/I18n";
import { useEvent } from "./EventPage";

function ReservationCard({ reservation }: { reservation: ReservationRead }) {
  const { t, money, dateTime } = useI18n();
  const event = useEvent(reservation.event_id);
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const cancel = async () => {
    const paid = reservation.status === "confirmed";
    if (!window.confirm(paid ? t("tickets.confirmRefund") : t("tickets.confirmCancel"))) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/reservations/${reservation.id}/cancel`, { method: "POST" });
      await queryClient.invalidateQueries({ queryKey: ["reservations"] });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const cancellable = reservation.status === "confirmed" || reservation.status === "pending_payment";
  return (
    <li className="reservation" data-testid="reservation" data-status={reservation.status}>
      <div className="reservation-head">
        <div>
          <h2>{event.data?.title ?? "…"}</h2>
          <p className="muted">
            {event.data && dateTime(event.data.starts_at)} · {money(reservation.amount, reservation.currency)}
          </p>
        </div>
        <span className={`badge res-${reservation.status}`}>{t(`reservation.${reservation.status}` as "reservation.confirmed")}</span>
      </div>
      {reservation.status === "confirmed" && <Tickets reservationId={reservation.id} />}
      {reservation.status === "pending_payment" && (
        <Link to={`/checkout/${reservation.id}`} className="btn primary">
          {t("tickets.payNow")}
        </Link>
      )}
      <ErrorBox error={error} />
      {cancellable && (
        <button type="button" className="btn danger" onClick={cancel} disabled={busy}>
          {reservation.status === "confirmed" ? t("tickets.cancelRefund") : t("tickets.cancel")}
        </button>
      )}
    </li>
  );
}

export function MyTicketsPage() {
  const { t } = useI18n();
  const reservations = useQuery({
    queryKey: ["reservations"],
    queryFn: ({ signal }) => api<ReservationPage>("/api/v1/reservations?limit=50", { signal }),
    // A refund lands a moment after the cancel (payment's consumer): look again while one is due.
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === "canceled" && r.confirmed_at) ? 3000 : false),
  });
  return (
    <section>
      <h1>{t("tickets.title")}</h1>
      {reservations.isPending && <Loading />}
      {reservations.error && <ErrorBox error={reservations.error} onRetry={() => reservations.refetch()} />}
      {reservations.data?.items.length === 0 && <p className="empty">{t("tickets.none")}</p>}
      <ul className="reservations">
        {reservations.data?.items.map((reservation) => <ReservationCard key={reservation.id} reservation={reservation} />)}
      </ul>
    </section>
  );
}
