import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import type { EventPage as EventList } from "../api/types";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { TicketIcon } from "../components/TicketIcon";
import { useI18n } from "../i18n/I18n";
import { lowestPrice, saleStateKey } from "./common";

export function EventsPage() {
  const { t, money, dateTime } = useI18n();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const events = useInfiniteQuery({
    queryKey: ["events", q],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => {
      const search = new URLSearchParams({ limit: "24" });
      if (q) search.set("q", q);
      if (pageParam) search.set("cursor", pageParam);
      return api<EventList>(`/api/v1/events?${search}`, { signal });
    },
    getNextPageParam: (last) => last.next_cursor,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section>
      <h1>{t("events.title")}</h1>
      <form className="search" role="search" onSubmit={submit}>
        <label htmlFor="q" className="sr-only">
          {t("events.search")}
        </label>
        <input id="q" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("events.searchPlaceholder")} />
        <button type="submit" className="btn">
          {t("events.search")}
        </button>
      </form>
      {events.isPending && <Loading />}
      {events.error && <ErrorBox error={events.error} onRetry={() => events.refetch()} />}
      {events.isSuccess && items.length === 0 && <p className="empty">{t("events.none")}</p>}
      <ul className="cards">
        {items.map((event) => {
          const from = lowestPrice(event);
          return (
            <li key={event.id} className="card">
              <Link to={`/events/${event.id}`} className="card-link">
                {event.image_url ? (
                  <img src={event.image_url} alt="" className="poster" loading="lazy" />
                ) : (
                  <div className="poster poster-empty" aria-hidden="true">
                    <TicketIcon />
                  </div>
                )}
                <div className="card-body">
                  <h2>{event.title}</h2>
                  <p className="muted">
                    {dateTime(event.starts_at)} · {event.venue.name}
                  </p>
                  <p>
                    <span className={`badge sale-${event.sale_state}`}>{t(saleStateKey(event.sale_state))}</span>
                    {from !== null && <span className="price"> {t("events.from", { price: money(from) })}</span>}
                  </p>
                </div>
              </Link>
            </li>
          );
        })}
      </ul>
      {events.hasNextPage && (
        <button type="button" className="btn" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
          {t("action.more")}
        </button>
      )}
    </section>
  );
}
