// One fetch wrapper for the whole app: JSON in and out, the API's error body as ApiError,
// the access token, and one silent refresh (one in flight at a time: auth revokes a refresh
// token family that is spent twice) before the session is given up.
import { loadSession, saveSession, sessionFrom } from "./session";
import type { SessionRead } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Per-field messages of a 422 VALIDATION_ERROR (dotted field → message). */
  get fieldErrors(): Record<string, string> {
    if (this.code !== "VALIDATION_ERROR") return {};
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.details)) {
      if (typeof value === "string") out[key] = value;
    }
    return out;
  }
}

export const NETWORK_ERROR = "NETWORK_ERROR";

export interface RequestOptions {
  method?: string;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** Send the access token (default: when signed in). */
  auth?: boolean;
  signal?: AbortSignal;
}

let refreshing: Promise<boolean> | null = null;
let onSessionLost: (() => void) | null = null;

/** What to do when the session cannot be refreshed (the app sends the user to log in). */
export function setSessionLostHandler(handler: (() => void) | null): void {
  onSessionLost = handler;
}

/** Trade the refresh token for a new pair (one call in flight app-wide); false when refused. */
export async function refreshOnce(): Promise<boolean> {
  refreshing ??= (async () => {
    const session = loadSession();
    if (!session) return false;
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
      if (!response.ok) return false;
      saveSession(sessionFrom((await response.json()) as SessionRead));
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (body.error?.code) {
      return new ApiError(
        response.status,
        body.error.code,
        body.error.message ?? body.error.code,
        body.error.details ?? {},
      );
    }
  } catch {
    // not JSON: a proxy's page, fall through
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText || "Error");
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const session = loadSession();
  if (session && options.auth !== false) headers.Authorization = `Bearer ${session.accessToken}`;
  try {
    return await fetch(path, { method: options.method ?? "GET", headers, body, signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, NETWORK_ERROR, "The server cannot be reached.");
  }
}

/** The raw response of a successful call (for images); errors throw ApiError. */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  let response = await send(path, options);
  if (response.status === 401 && options.auth !== false && loadSession()) {
    if (await refreshOnce()) response = await send(path, options);
    if (response.status === 401) {
      saveSession(null);
      onSessionLost?.();
    }
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

/** Call the API; resolves to the JSON body (undefined for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A fresh Idempotency-Key for one attempt of a money or inventory change. */
export function idempotencyKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
