import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, NETWORK_ERROR, setSessionLostHandler } from "./client";
import { loadSession, saveSession } from "./session";
import { fakeFetch } from "../test/render";

const user = { id: "u1", email: "fan@example.com", name: "Fan", role: "customer" as const };

afterEach(() => {
  vi.unstubAllGlobals();
  setSessionLostHandler(null);
});

describe("api", () => {
  it("turns the API's error body into an ApiError with its message and details", async () => {
    const fetch = fakeFetch([[422, { error: { code: "VALIDATION_ERROR", message: "The request is not valid.", details: { email: "bad email" } } }]]);
    vi.stubGlobal("fetch", fetch.fn);
    const error = (await api("/api/v1/auth/register", { method: "POST", body: {} }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.message).toBe("The request is not valid.");
    expect(error.fieldErrors).toEqual({ email: "bad email" });
  });

  it("reports an unreachable server as NETWORK_ERROR", async () => {
    vi.stubGlobal("fetch", fakeFetch([]).fn);
    await expect(api("/api/v1/events")).rejects.toMatchObject({ code: NETWORK_ERROR, status: 0 });
  });

  it("refreshes an expired session once, for concurrent calls too, and retries", async () => {
    saveSession({ accessToken: "old", refreshToken: "r1", user });
    const calls: string[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
      const auth = (init.headers as Record<string, string> | undefined)?.Authorization ?? "";
      calls.push(`${url} ${auth}`);
      if (url === "/api/v1/auth/refresh") {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return new Response(JSON.stringify({ user, access_token: "new", refresh_token: "r2", token_type: "bearer", expires_in: 900 }), { status: 200 });
      }
      if (auth === "Bearer old") return new Response(JSON.stringify({ error: { code: "TOKEN_EXPIRED", message: "expired" } }), { status: 401 });
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    });
    const [a, b] = await Promise.all([api("/api/v1/auth/me"), api("/api/v1/reservations")]);
    expect(a).toEqual({ ok: true });
    expect(b).toEqual({ ok: true });
    expect(calls.filter((c) => c.startsWith("/api/v1/auth/refresh"))).toHaveLength(1);
    expect(loadSession()?.refreshToken).toBe("r2");
  });

  it("gives the session up when the refresh is refused", async () => {
    saveSession({ accessToken: "old", refreshToken: "spent", user });
    const lost = vi.fn();
    setSessionLostHandler(lost);
    vi.stubGlobal(
      "fetch",
      fakeFetch([
        [401, { error: { code: "TOKEN_EXPIRED", message: "expired" } }],
        [401, { error: { code: "TOKEN_REUSED", message: "reused" } }],
      ]).fn,
    );
    await expect(api("/api/v1/auth/me")).rejects.toMatchObject({ status: 401 });
    expect(loadSession()).toBeNull();
    expect(lost).toHaveBeenCalledTimes(1);
  });
});
