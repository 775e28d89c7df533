import { useCallback, useEffect, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { api, ApiError } from "../api/client";
import type { ChallengeRead, PlaceRead, QueueAdmitted, QueueProgress } from "../api/types";
import { Countdown } from "../components/Countdown";
import { ErrorBox, Loading } from "../components/ErrorBox";
import { useI18n } from "../i18n/I18n";
import { firstPosition, forgetQueue, loadAdmission, saveAdmission } from "../lib/admission";
import { formatDuration } from "../lib/time";
import { solveChallenge } from "../pow/solve";
import { useRoom, useSocketEvent } from "../realtime/hooks";
import { useEvent } from "./EventPage";

const POLL_MS = 3000;

/** Position and ETA from a `queue:progress` (the place's own numbers until one arrives). */
export function progressView(place: PlaceRead, progress: QueueProgress | null) {
  if (!progress || place.ticket_number === null || progress.serving_number < place.serving_number) {
    return { position: place.position, eta: place.eta_seconds };
  }
  const position = Math.max(0, place.ticket_number - progress.serving_number - 1);
  const eta = progress.eta_per_person ? Math.round(position * progress.eta_per_person) : place.eta_seconds;
  return { position, eta };
}

export function QueuePage() {
  const { eventId = "" } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const event = useEvent(eventId);
  const [place, setPlace] = useState<PlaceRead | null>(null);
  const [progress, setProgress] = useState<QueueProgress | null>(null);
  const [step, setStep] = useState<"start" | "pow" | "joining" | "waiting">("start");
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const started = useRef(false);

  const admitted = useCallback(
    (token: string, expiresAt: string) => {
      saveAdmission(eventId, { token, expiresAt });
      forgetQueue(eventId);
      navigate(`/events/${eventId}/seats`, { replace: true });
    },
    [eventId, navigate],
  );

  const show = useCallback(
    (next: PlaceRead) => {
      setPlace(next);
      setStep("waiting");
      if (next.status === "admitted" && next.admission_token && next.admission_expires_at) {
        admitted(next.admission_token, next.admission_expires_at);
      }
    },
    [admitted],
  );

  const join = useCallback(async () => {
    setStep("pow");
    const challenge = await api<ChallengeRead>(`/api/v1/queue/${eventId}/challenge`);
    let body = {};
    if (challenge.difficulty > 0) {
      const nonce = await solveChallenge(challenge.challenge, challenge.difficulty);
      body = { pow: { challenge: challenge.challenge, nonce } };
    }
    setStep("joining");
    show(await api<PlaceRead>(`/api/v1/queue/${eventId}/join`, { method: "POST", body }));
  }, [eventId, show]);

  // Where we stand: an admission kept from before, else our place (a reload keeps it), else join.
  const enter = useCallback(async () => {
    setError(null);
    const kept = loadAdmission(eventId);
    if (kept) {
      navigate(`/events/${eventId}/seats`, { replace: true });
      return;
    }
    try {
      show(await api<PlaceRead>(`/api/v1/queue/${eventId}/status`));
    } catch (caught) {
      if (caught instanceof ApiError && (caught.code === "NOT_IN_QUEUE" || caught.code === "QUEUE_RESET")) {
        if (caught.code === "QUEUE_RESET") setNotice(caught.message);
        try {
          await join();
        } catch (joinError) {
          setError(joinError);
        }
        return;
      }
      if (caught instanceof ApiError && caught.code === "QUEUE_DISABLED") {
        navigate(`/events/${eventId}/seats`, { replace: true });
        return;
      }
      setError(caught);
    }
  }, [eventId, join, navigate, show]);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void enter();
  }, [enter]);

  // Polling backs up the socket (a lost message, a proxy without WebSocket).
  useEffect(() => {
    if (step !== "waiting") return;
    const timer = setInterval(() => {
      api<PlaceRead>(`/api/v1/queue/${eventId}/status`).then(show, (caught) => {
        if (caught instanceof ApiError && caught.code === "QUEUE_RESET") void enter();
      });
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [step, eventId, show, enter]);

  useRoom("join_queue", eventId, () => void enter());
  useSocketEvent<QueueProgress>("queue:progress", (message) => {
    if (message.event_id !== eventId) return;
    setProgress(message);
    if (place?.ticket_number && message.serving_number >= place.ticket_number) void enter();
  });
  useSocketEvent<QueueAdmitted>("queue:admitted", (message) => {
    if (message.event_id === eventId) admitted(message.admission_token, message.expires_at);
  });

  const leave = async () => {
    await api(`/api/v1/queue/${eventId}`, { method: "DELETE" }).catch(() => undefined);
    forgetQueue(eventId);
    navigate(`/events/${eventId}`);
  };

  const view = place ? progressView(place, progress) : null;
  const first = place ? firstPosition(eventId, place.position) : null;
  const done = view?.position != null && first ? Math.min(1, Math.max(0, (first - view.position) / first)) : 0;

  return (
    <section className="narrow queue">
      <h1>{t("queue.title")}</h1>
      {event.data && <p className="muted">{event.data.title}</p>}
      {notice && <p className="notice">{notice}</p>}
      {error ? <ErrorBox error={error} onRetry={() => void enter()} /> : null}
      {!error && step === "start" && <Loading />}
      {!error && step === "pow" && (
        <p className="notice" role="status">
          <span className="spinner" aria-hidden="true" /> {t("queue.pow")}
        </p>
      )}
      {!error && step === "joining" && <Loading />}
      {place && step === "waiting" && (
        <div className="queue-card" aria-live="polite">
          {place.phase === "pre_queue" ? (
            <>
              <p className="big-number">{t("queue.preQueue")}</p>
              <p>
                {t("queue.opensIn")} <Countdown to={place.opens_at} onDone={() => void enter()} />
              </p>
              <p className="muted">{t("queue.fairDraw")}</p>
            </>
          ) : (
            <>
              <p className="label">{t("queue.position")}</p>
              <p className="big-number" data-testid="queue-position">
                {(view?.position ?? 0).toLocaleString()}
              </p>
              <div
                className="progress"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(done * 100)}
                aria-label={t("queue.progress")}
              >
                <div className="progress-fill" style={{ width: `${Math.round(done * 100)}%` }} />
              </div>
              <dl className="facts">
                <div>
                  <dt>{t("queue.ticket")}</dt>
                  <dd>{place.ticket_number?.toLocaleString() ?? "—"}</dd>
                </div>
                <div>
                  <dt>{t("queue.serving")}</dt>
                  <dd>{(progress?.serving_number ?? place.serving_number).toLocaleString()}</dd>
                </div>
                <div>
                  <dt>{t("queue.eta")}</dt>
                  <dd data-testid="queue-eta">{view?.eta != null ? formatDuration(view.eta, t("unit.day")) : "—"}</dd>
                </div>
              </dl>
              <p className="muted">{t("queue.keepOpen")}</p>
            </>
          )}
          <button type="button" className="btn ghost" onClick={leave}>
            {t("queue.leave")}
          </button>
        </div>
      )}
    </section>
  );
}
