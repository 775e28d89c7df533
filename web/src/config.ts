// The platform's public client settings. The server writes them into index.html as
// window.__TIKETI__ (src/tiketi/web.py), so one build serves every deployment; the API has no
// endpoint for them. A CDN copy of the app gets them from /config.json next to index.html
// (written at deploy time, .github/workflows/deploy.yml). Absent (vitest, `npm run dev`): the
// sandbox, no Google button.
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

/**
 * Before the first render: when the page was not served by the platform (no injected
 * settings), read /config.json if the deployment put one next to index.html. Anything else
 * (404, the SPA's own index.html, a network error, a slow answer) leaves the defaults.
 */
export async function loadClientConfig(fetcher: typeof fetch = fetch, timeoutMs = 3000): Promise<void> {
  if (window.__TIKETI__ !== undefined) return;
  try {
    const response = await fetcher("/config.json", {
      cache: "no-cache",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok || !(response.headers.get("content-type") ?? "").includes("json")) return;
    const body: unknown = await response.json();
    if (body && typeof body === "object" && !Array.isArray(body)) window.__TIKETI__ = body as ClientConfig;
  } catch {
    // No settings file: the defaults.
  }
}
