// The platform's public client settings. The server writes them into index.html as
// window.__TIKETI__ (src/tiketi/web.py), so one build serves every deployment; the API has no
// endpoint for them. Absent (vitest, `npm run dev`, a CDN copy): the sandbox, no Google button.
export interface ClientConfig {
  /** TossPayments' client key: checkout opens the real payment widget. */
  tossClientKey?: string;
  /** Google's OAuth client id: the login page offers "Sign in with Google". */
  googleClientId?: string;
}

declare global {
  interface Window {
    __TIKETI__?: ClientConfig;
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() ? value : undefined;

/** The injected settings, read when asked (non-string or empty values count as unset). */
export function clientConfig(): ClientConfig {
  const raw: unknown = window.__TIKETI__;
  if (!raw || typeof raw !== "object") return {};
  const values = raw as Record<string, unknown>;
  return { tossClientKey: text(values.tossClientKey), googleClientId: text(values.googleClientId) };
}
