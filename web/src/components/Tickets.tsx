import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, apiResponse } from "../api/client";
import type { TicketRead } from "../api/types";
import { useI18n } from "../i18n/I18n";
import { ErrorBox, Loading } from "./ErrorBox";

/** A ticket's QR code: the PNG needs the bearer token, so it is fetched and shown as a blob. */
function QrImage({ ticketId, alt }: { ticketId: string; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    let live = true;
    apiResponse(`/api/v1/tickets/${ticketId}/qr.png`, { headers: { Accept: "image/png" } })
      .then((response) => response.blob())
      .then((blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch((caught) => live && setError(caught));
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [ticketId]);
  if (error) return <ErrorBox error={error} />;
  return url ? <img src={url} alt={alt} className="qr" width={180} height={180} /> : <div className="qr qr-empty" aria-hidden="true" />;
}

/** The tickets of a confirmed reservation, each with its QR code and token. */
export function Tickets({ reservationId }: { reservationId: string }) {
  const { t } = useI18n();
  const tickets = useQuery({
    queryKey: ["tickets", reservationId],
    queryFn: ({ signal }) => api<TicketRead[]>(`/api/v1/reservations/${reservationId}/tickets`, { signal }),
  });
  if (tickets.isPending) return <Loading />;
  if (tickets.error) return <ErrorBox error={tickets.error} onRetry={() => tickets.refetch()} />;
  return (
    <ul className="tickets">
      {tickets.data.map((ticket) => {
        const name = t("seat.name", { section: ticket.seat.section, row: ticket.seat.row, number: ticket.seat.number });
        return (
          <li key={ticket.id} className="ticket" data-testid="ticket">
            <QrImage ticketId={ticket.id} alt={t("tickets.qr", { seat: name })} />
            <div>
              <p className="ticket-seat">{name}</p>
              <p className="muted">{ticket.seat.grade}</p>
              <details>
                <summary>{t("tickets.token")}</summary>
                <code className="token" data-testid="qr-token">
                  {ticket.qr_token}
                </code>
              </details>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
