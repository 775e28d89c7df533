import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api } from "../../api/client";
import type { EventRead, EventStats } from "../../api/types";
import { ErrorBox, Loading } from "../../components/ErrorBox";
import { useI18n } from "../../i18n/I18n";
import { useSocketEvent } from "../../realtime/hooks";
import { getSocket } from "../../realtime/socket";
import { saleStateKey } from "../common";

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export default function DashboardPage() {
  const { eventId = "" } = useParams();
  const { t, money, dateTime } = useI18n();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const event = useQuery({ queryKey: ["event", eventId], queryFn: () => api<EventRead>(`/api/v1/events/${eventId}`) });
  const published = event.data?.status !== undefined && event.data.status !== "draft";
  const stats = useQuery({
    queryKey: ["stats", eventId],
    queryFn: () => api<EventStats>(`/api/v1/stats/events/${eventId}`),
    enabled: published,
  });
  useSocketEvent<EventStats>("stats:updated", (body) => {
    if (body.event_id === eventId) queryClient.setQueryData(["stats", eventId], body);
  });
  // The organizer's pushes go to their own room; after a reconnection the figures are refetched.
  useEffect(() => {
    const socket = getSocket();
    const again = () => void queryClient.invalidateQueries({ queryKey: ["stats", eventId] });
    socket.io.on("reconnect", again);
    return () => {
      socket.io.off("reconnect", again);
    };
  }, [eventId, queryClient]);

  const act = async (path: string, question?: string) => {
    if (question && !window.confirm(question)) return;
    setError(null);
    try {
      const updated = await api<EventRead>(`/api/v1/events/${eventId}/${path}`, { method: "POST", body: path === "cancel" ? {} : undefined });
      queryClient.setQueryData(["event", eventId], updated);
      await queryClient.invalidateQueries({ queryKey: ["events"] });
    } catch (caught) {
      setError(caught);
    }
  };

  if (event.isPending) return <Loading />;
  if (event.error) return <ErrorBox error={event.error} onRetry={() => event.refetch()} />;
  const e = event.data;
  const s = stats.data;
  const sales = (s?.sales ?? []).map((m) => ({ ...m, label: new Date(m.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }));
  return (
    <section>
      <p>
        <Link to="/organizer">← {t("org.title")}</Link>
      </p>
      <h1>{e.title}</h1>
      <p className="muted">
        {dateTime(e.starts_at)} · {e.venue.name} ·{" "}
        <span className={`badge status-${e.status}`} data-testid="event-status">
          {t(`status.${e.status}` as "status.draft")}
        </span>{" "}
        {e.status === "published" && <span className={`badge sale-${e.sale_state}`}>{t(saleStateKey(e.sale_state))}</span>}
      </p>
      <p className="actions">
        {e.status === "draft" && (
          <>
            <Link to={`/organizer/events/${e.id}/edit`} className="btn">
              {t("org.edit")}
            </Link>
            <button type="button" className="btn primary" onClick={() => void act("publish")}>
              {t("org.publish")}
            </button>
          </>
        )}
        {e.status === "published" && (
          <>
            <Link to={`/events/${e.id}`} className="btn">
              {t("org.viewPublic")}
            </Link>
            <button type="button" className="btn danger" onClick={() => void act("cancel", t("org.confirmCancel"))}>
              {t("org.cancelEvent")}
            </button>
          </>
        )}
      </p>
      <ErrorBox error={error} />
      {!published && <p className="notice">{t("dash.draft")}</p>}
      {published && stats.isPending && <Loading />}
      {stats.error && <ErrorBox error={stats.error} onRetry={() => stats.refetch()} />}
      {s && (
        <>
          <dl className="figures">
            <Figure label={t("dash.sold")} value={s.seats.sold.toLocaleString()} testId="stat-sold" />
            <Figure label={t("dash.held")} value={s.seats.held.toLocaleString()} />
            <Figure label={t("dash.available")} value={s.seats.available.toLocaleString()} testId="stat-available" />
            <Figure label={t("dash.revenue")} value={money(s.revenue)} testId="stat-revenue" />
            <Figure label={t("dash.occupancy")} value={`${(s.occupancy * 100).toFixed(1)}%`} />
            <Figure label={t("dash.waiting")} value={s.queue.waiting.toLocaleString()} />
            <Figure label={t("dash.admitted")} value={s.queue.admitted_total.toLocaleString()} />
            <Figure label={t("dash.rate")} value={`${s.queue.admit_per_second.toFixed(1)}/s`} />
          </dl>
          <h2>{t("dash.perMinute")}</h2>
          <div className="chart">
            {sales.length === 0 ? (
              <p className="muted">{t("dash.noSales")}</p>
            ) : (
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={sales}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" />
                  <YAxis allowDecimals={false} />
                  <Tooltip formatter={(value: number, name: string) => (name === "revenue" ? money(value) : value)} />
                  <Bar dataKey="tickets" name={t("dash.tickets")} fill="#5b2bd9" />
                </BarChart>
              </ResponsiveContainer>
            )}
          </div>
          <h2>{t("dash.byGrade")}</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("event.grade")}</th>
                <th scope="col">{t("dash.sold")}</th>
                <th scope="col">{t("dash.held")}</th>
                <th scope="col">{t("dash.available")}</th>
                <th scope="col">{t("dash.occupancy")}</th>
              </tr>
            </thead>
            <tbody>
              {s.by_grade.map((g) => (
                <tr key={g.grade}>
                  <td>
                    {g.name} ({money(g.price)})
                  </td>
                  <td>{g.sold}</td>
                  <td>{g.held}</td>
                  <td>{g.available}</td>
                  <td>
                    <meter min={0} max={1} value={g.occupancy} /> {(g.occupancy * 100).toFixed(1)}%
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
