import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import type { CheckInRead } from "../../api/types";
import { useI18n } from "../../i18n/I18n";

type Outcome = { kind: "ok"; ticket: CheckInRead } | { kind: "again"; message: string } | { kind: "bad"; message: string; code: string };

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type DetectorClass = new (options: { formats: string[] }) => Detector;

/** The gate: paste, type or scan a QR token; a big green or red answer. */
export default function CheckInPage() {
  const { t } = useI18n();
  const [token, setToken] = useState("");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const Detector = (globalThis as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

  const check = async (value: string) => {
    const qr = value.trim();
    if (!qr) return;
    setBusy(true);
    try {
      const ticket = await api<CheckInRead>("/api/v1/checkin", { method: "POST", body: { qr_token: qr } });
      setOutcome({ kind: "ok", ticket });
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "ALREADY_CHECKED_IN") setOutcome({ kind: "again", message: caught.message });
      else if (caught instanceof ApiError) setOutcome({ kind: "bad", message: caught.message, code: caught.code });
      else setOutcome({ kind: "bad", message: String(caught), code: "" });
    } finally {
      setBusy(false);
      setToken("");
      input.current?.focus();
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void check(token);
  };

  // Camera scanning where the browser has BarcodeDetector (Chrome on Android, for one).
  useEffect(() => {
    if (!scanning || !Detector) return;
    let stream: MediaStream | null = null;
    let stop = false;
    const detector = new Detector({ formats: ["qr_code"] });
    (async () => {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      if (!video.current) return;
      video.current.srcObject = stream;
      await video.current.play();
      while (!stop) {
        const codes = await detector.detect(video.current).catch(() => []);
        if (codes[0]?.rawValue) {
          setScanning(false);
          void check(codes[0].rawValue);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })().catch(() => setScanning(false));
    return () => {
      stop = true;
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [scanning]);

  return (
    <section className="narrow checkin">
      <h1>{t("checkin.title")}</h1>
      <form onSubmit={submit} className="form">
        <label>
          {t("checkin.token")}
          <input ref={input} name="qr_token" value={token} onChange={(e) => setToken(e.target.value)} autoFocus autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" className="btn primary big" disabled={busy || !token.trim()}>
          {t("checkin.check")}
        </button>
        {Detector && (
          <button type="button" className="btn" onClick={() => setScanning((s) => !s)}>
            {scanning ? t("checkin.stopCamera") : t("checkin.camera")}
          </button>
        )}
      </form>
      {scanning && <video ref={video} className="scanner" muted playsInline />}
      {outcome?.kind === "ok" && (
        <div className="verdict ok" role="status" data-testid="verdict" data-verdict="ok">
          <p className="verdict-word">✔ {t("checkin.ok")}</p>
          <p>{t("seat.name", { section: outcome.ticket.seat.section, row: outcome.ticket.seat.row, number: outcome.ticket.seat.number })} · {outcome.ticket.seat.grade}</p>
        </div>
      )}
      {outcome?.kind === "again" && (
        <div className="verdict again" role="alert" data-testid="verdict" data-verdict="already">
          <p className="verdict-word">✖ {t("checkin.already")}</p>
          <p>{outcome.message}</p>
        </div>
      )}
      {outcome?.kind === "bad" && (
        <div className="verdict bad" role="alert" data-testid="verdict" data-verdict="refused">
          <p className="verdict-word">✖ {t("checkin.refused")}</p>
          <p>{outcome.message}</p>
          <p className="error-code">{outcome.code}</p>
        </div>
      )}
    </section>
  );
}
