import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import type { EventPage, EventRead } from "../../api/types";
import { ErrorBox, Loading } from "../../components/ErrorBox";
import { useI18n } from "../../i18n/I18n";
import { saleStateKey } from "../common";

export default function OrganizerHome() {
  const { t, dateTime } = useI18n();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const events = useQuery({
    queryKey: ["events", "mine"],
    queryFn: ({ signal }) => api<EventPage>("/api/v1/events?mine=true&limit=100", { signal }),
  });
  const publish = async (id: string) => {
    setError(null);
    try {
      await api<EventRead>(`/api/v1/events/${id}/publish`, { method: "POST" });
      await queryClient.invalidateQueries({ queryKey: ["events"] });
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section>
      <h1>{t("org.title")}</h1>
      <p className="actions">
        <Link to="/organizer/venues/new" className="btn">
          {t("org.newVenue")}
        </Link>
        <Link to="/organizer/events/new" className="btn primary">
          {t("org.newEvent")}
        </Link>
      </p>
      <ErrorBox error={error} />
      {events.isPending && <Loading />}
      {events.error && <ErrorBox error={events.error} onRetry={() => events.refetch()} />}
      {events.data?.items.length === 0 && <p className="empty">{t("org.none")}</p>}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t("org.event")}</th>
            <th scope="col">{t("org.starts")}</th>
            <th scope="col">{t("org.status")}</th>
            <th scope="col">{t("org.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {events.data?.items.map((event) => (
            <tr key={event.id} data-testid="org-event">
              <td>
                <Link to={`/organizer/events/${event.id}`}>{event.title}</Link>
              </td>
              <td>{dateTime(event.starts_at)}</td>
              <td>
                <span className={`badge status-${event.status}`}>{t(`status.${event.status}` as "status.draft")}</span>{" "}
                {event.status === "published" && <span className={`badge sale-${event.sale_state}`}>{t(saleStateKey(event.sale_state))}</span>}
              </td>
              <td>
                <div className="row-actions">
                {event.status === "draft" && (
                  <>
                    <Link to={`/organizer/events/${event.id}/edit`} className="btn small">
                      {t("org.edit")}
                    </Link>
                    <button type="button" className="btn small primary" onClick={() => void publish(event.id)}>
                      {t("org.publish")}
                    </button>
                  </>
                )}
                {event.status !== "draft" && (
                  <Link to={`/organizer/events/${event.id}`} className="btn small">
                    {t("org.dashboard")}
                  </Link>
                )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
