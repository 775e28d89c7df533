import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../api/client";
import type { EventRead } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Countdown } from "../components/Countdown";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { TicketIcon } from "../components/TicketIcon";
import { useI18n } from "../i18n/I18n";
import { saleStateKey } from "./common";

export function useEvent(eventId: string | undefined) {
  return useQuery({
    queryKey: ["event", eventId],
    queryFn: ({ signal }) => api<EventRead>(`/api/v1/events/${eventId}`, { signal }),
    enabled: Boolean(eventId),
  });
}

export function EventPage() {
  const { eventId } = useParams();
  const { t, money, dateTime } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const event = useEvent(eventId);
  if (event.isPending) return <Loading />;
  if (event.error) return <ErrorBox error={event.error} onRetry={() => event.refetch()} />;
  const e = event.data;
  const bookable = e.status === "published" && (e.sale_state === "on_sale" || (e.sale_state === "upcoming" && e.queue.enabled));
  const target = e.queue.enabled ? `/events/${e.id}/queue` : `/events/${e.id}/seats`;
  const book = () => navigate(user ? target : `/login?next=${encodeURIComponent(target)}`);
  return (
    <article className="event">
      <div className="event-hero">
        {e.image_url ? (
          <img src={e.image_url} alt={t("event.poster", { title: e.title })} className="event-poster" />
        ) : (
          <div className="event-poster poster-empty" aria-hidden="true">
            <TicketIcon />
          </div>
        )}
        <div>
          <h1>{e.title}</h1>
          <p className="muted">
            {dateTime(e.starts_at)} – {dateTime(e.ends_at)}
          </p>
          <p>
            {e.venue.name} · {e.venue.address}
          </p>
          <p>
            <span className={`badge sale-${e.sale_state}`} data-testid="sale-state">
              {e.status === "canceled" ? t("event.canceled") : t(saleStateKey(e.sale_state))}
            </span>
          </p>
          {e.status === "published" && e.sale_state === "upcoming" && (
            <p>
              {t("event.opensIn")} <Countdown to={e.sale_opens_at} onDone={() => event.refetch()} />
            </p>
          )}
          {e.status === "published" && e.sale_state === "on_sale" && (
            <p>
              {t("event.closesIn")} <Countdown to={e.sale_closes_at} onDone={() => event.refetch()} />
            </p>
          )}
          <p className="muted">
            {t("event.saleWindow", { from: dateTime(e.sale_opens_at), to: dateTime(e.sale_closes_at) })} ·{" "}
            {t("event.limit", { n: e.max_tickets_per_user })}
            {e.queue.enabled && ` · ${t("event.queueOn")}`}
          </p>
          <button type="button" className="btn primary big" onClick={book} disabled={!bookable}>
            {t("event.book")}
          </button>
          {!user && (
            <p className="muted">
              <Link to={`/login?next=${encodeURIComponent(target)}`}>{t("event.loginFirst")}</Link>
            </p>
          )}
        </div>
      </div>
      {e.description && <p className="description">{e.description}</p>}
      <h2>{t("event.grades")}</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t("event.grade")}</th>
            <th scope="col">{t("event.price")}</th>
            <th scope="col">{t("event.available")}</th>
          </tr>
        </thead>
        <tbody>
          {e.grades.map((grade) => (
            <tr key={grade.code}>
              <td>{grade.name}</td>
              <td>{money(grade.price, e.currency)}</td>
              <td data-testid={`available-${grade.code}`}>
                {grade.available.toLocaleString()} / {grade.seat_count.toLocaleString()}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
