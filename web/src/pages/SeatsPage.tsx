import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import { useNavigate, useParams } from "react-router";
import { api, ApiError, idempotencyKey } from "../api/client";
import type { HoldRead, ReservationRead, SeatMap as SeatMapData, SeatsChanged } from "../api/types";
import { Countdown } from "../components/Countdown";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { SeatLegend, SeatMap, type MapSeat } from "../components/SeatMap";
import { gradeColours } from "../components/seatLayout";
import { useI18n } from "../i18n/I18n";
import { loadAdmission, saveAdmission } from "../lib/admission";
import { loadHold, saveHold } from "../lib/hold";
import { useRoom, useSocketEvent } from "../realtime/hooks";
import { useEvent } from "./EventPage";

/** Apply a `seats:changed` to a snapshot; stale messages (older versions) change nothing. */
export function applyChanges(map: SeatMapData, message: SeatsChanged): SeatMapData {
  if (message.version <= map.version) return map;
  const changed = new Map(message.changes.map((change) => [change.id, change.status]));
  return {
    ...map,
    version: message.version,
    seats: map.seats.map((seat) => {
      const status = changed.get(seat.id);
      return status && status !== seat.status ? { ...seat, status } : seat;
    }),
  };
}

export function SeatsPage() {
  const { eventId = "" } = useParams();
  const { t, money } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const event = useEvent(eventId);
  const seatsKey = useMemo(() => ["seats", eventId], [eventId]);
  const seats = useQuery({
    queryKey: seatsKey,
    queryFn: ({ signal }) => api<SeatMapData>(`/api/v1/events/${eventId}/seats`, { signal }),
    staleTime: Infinity,
  });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [hold, setHold] = useState<HoldRead | null>(() => loadHold(eventId));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [grade, setGrade] = useState("");
  const [quantity, setQuantity] = useState(2);

  const queueOn = event.data?.queue.enabled ?? false;
  useEffect(() => {
    if (queueOn && !loadAdmission(eventId)) navigate(`/events/${eventId}/queue`, { replace: true });
  }, [queueOn, eventId, navigate]);

  const refetch = useCallback(() => void seats.refetch(), [seats]);
  const live = useRoom("join_event", eventId, refetch);
  useSocketEvent<SeatsChanged>("seats:changed", (message) => {
    if (message.event_id !== eventId) return;
    queryClient.setQueryData<SeatMapData>(seatsKey, (map) => (map ? applyChanges(map, message) : map));
  });

  const mine = useMemo(() => new Set(hold?.seats.map((seat) => seat.id) ?? []), [hold]);
  const colours = useMemo(() => gradeColours(event.data?.grades.map((g) => g.code) ?? []), [event.data]);
  const mapSeats: MapSeat[] = seats.data?.seats ?? [];
  const limit = event.data?.max_tickets_per_user ?? 4;

  // Someone else took a selected seat: it leaves the selection.
  useEffect(() => {
    if (!seats.data) return;
    const taken = seats.data.seats.filter((seat) => seat.status !== "available" && selected.has(seat.id));
    if (taken.length) setSelected((current) => new Set([...current].filter((id) => !taken.some((s) => s.id === id))));
  }, [seats.data, selected]);

  const toggle = useCallback(
    (seat: MapSeat) => {
      if (hold) return;
      setSelected((current) => {
        const next = new Set(current);
        if (next.has(seat.id)) next.delete(seat.id);
        else if (next.size < limit) next.add(seat.id);
        return next;
      });
    },
    [hold, limit],
  );

  const headers = () => {
    const admission = loadAdmission(eventId);
    const out: Record<string, string> = { "Idempotency-Key": idempotencyKey() };
    if (admission) out["X-Admission-Token"] = admission.token;
    return out;
  };

  const failed = (caught: unknown) => {
    setError(caught);
    if (caught instanceof ApiError && caught.code === "ADMISSION_REQUIRED") {
      saveAdmission(eventId, null);
      navigate(`/events/${eventId}/queue`);
    }
    if (caught instanceof ApiError && caught.code === "SEAT_UNAVAILABLE") refetch();
  };

  const takeHold = async (body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const created = await api<HoldRead>("/api/v1/holds", { method: "POST", body: { event_id: eventId, ...body }, headers: headers() });
      saveHold(eventId, created);
      setHold(created);
      setSelected(new Set());
    } catch (caught) {
      failed(caught);
    } finally {
      setBusy(false);
    }
  };

  const release = async () => {
    if (!hold) return;
    setBusy(true);
    try {
      await api(`/api/v1/holds/${hold.id}`, { method: "DELETE", headers: headers() });
    } catch (caught) {
      if (!(caught instanceof ApiError && caught.status === 404)) setError(caught);
    } finally {
      saveHold(eventId, null);
      setHold(null);
      setBusy(false);
    }
  };

  const reserve = async () => {
    if (!hold) return;
    setBusy(true);
    setError(null);
    try {
      const reservation = await api<ReservationRead>("/api/v1/reservations", { method: "POST", body: { hold_id: hold.id }, headers: headers() });
      saveHold(eventId, null);
      navigate(`/checkout/${reservation.id}`);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "HOLD_EXPIRED") {
        saveHold(eventId, null);
        setHold(null);
      }
      failed(caught);
      setBusy(false);
    }
  };

  const bestAvailable = (e: FormEvent) => {
    e.preventDefault();
    const code = grade || event.data?.grades[0]?.code;
    if (code) void takeHold({ grade: code, quantity });
  };

  if (event.isPending || seats.isPending) return <Loading />;
  if (event.error) return <ErrorBox error={event.error} onRetry={() => event.refetch()} />;
  if (seats.error) return <ErrorBox error={seats.error} onRetry={refetch} />;
  const e = event.data;
  const chosen = (seats.data?.seats ?? []).filter((seat) => selected.has(seat.id));
  const total = chosen.reduce((sum, seat) => sum + seat.price, 0);

  return (
    <section className="seats-page">
      <div className="seats-head">
        <h1>{e.title}</h1>
        <span className={live ? "live on" : "live"} data-testid="live">
          {live ? t("seats.live") : t("seats.offline")}
        </span>
      </div>
      <SeatLegend grades={e.grades} colours={colours} />
      <div className="seats-layout">
        <SeatMap seats={mapSeats} colours={colours} selected={selected} mine={mine} onToggle={toggle} label={t("seats.map")} />
        <aside className="basket" aria-live="polite">
          <ErrorBox error={error} />
          {hold ? (
            <div className="hold" data-testid="hold">
              <h2>{t("seats.yourHold")}</h2>
              <p>
                {t("seats.holdExpires")}{" "}
                <Countdown
                  to={hold.expires_at}
                  onDone={() => {
                    saveHold(eventId, null);
                    setHold(null);
                    setError(new Error(t("seats.holdExpired")));
                    refetch();
                  }}
                />
              </p>
              <ul>
                {hold.seats.map((seat) => (
                  <li key={seat.id}>
                    {t("seat.name", { section: seat.section, row: seat.row, number: seat.number })} · {seat.grade} · {money(seat.price)}
                  </li>
                ))}
              </ul>
              <p className="total">
                {t("seats.total")} <strong>{money(hold.amount)}</strong>
              </p>
              <button type="button" className="btn primary big" onClick={reserve} disabled={busy}>
                {t("seats.pay")}
              </button>
              <button type="button" className="btn ghost" onClick={release} disabled={busy}>
                {t("seats.release")}
              </button>
            </div>
          ) : (
            <>
              <h2>{t("seats.selected", { n: selected.size, limit })}</h2>
              <ul>
                {chosen.map((seat) => (
                  <li key={seat.id}>
                    {t("seat.name", { section: seat.section, row: seat.row, number: seat.number })} · {seat.grade} · {money(seat.price)}
                  </li>
                ))}
              </ul>
              {chosen.length > 0 && (
                <p className="total">
                  {t("seats.total")} <strong>{money(total)}</strong>
                </p>
              )}
              <button type="button" className="btn primary big" disabled={busy || selected.size === 0} onClick={() => void takeHold({ seat_ids: [...selected] })}>
                {t("seats.hold")}
              </button>
              <form className="best" onSubmit={bestAvailable}>
                <h3>{t("seats.best")}</h3>
                <label>
                  {t("event.grade")}
                  <select value={grade || e.grades[0]?.code} onChange={(ev) => setGrade(ev.target.value)}>
                    {e.grades.map((g) => (
                      <option key={g.code} value={g.code}>
                        {g.name} · {money(g.price)} ({g.available})
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  {t("seats.quantity")}
                  <input type="number" min={1} max={limit} value={quantity} onChange={(ev) => setQuantity(Math.max(1, Math.min(limit, Number(ev.target.value) || 1)))} />
                </label>
                <button type="submit" className="btn" disabled={busy}>
                  {t("seats.bestButton", { n: quantity })}
                </button>
              </form>
            </>
          )}
        </aside>
      </div>
    </section>
  );
}
