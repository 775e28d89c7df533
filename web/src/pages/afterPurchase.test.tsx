// After a purchase the stored admission and queue place are given up; a CDN copy of the app
// reads its public settings from /config.json.
import { screen, waitFor } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { saveSession } from "../api/session";
import { clientConfig, loadClientConfig } from "../config";
import { firstPosition, loadAdmission, saveAdmission } from "../lib/admission";
import { renderApp } from "../test/render";
import { PaymentSuccessPage } from "./PaymentPages";

const user = { id: "9c1e4c1a-0000-4000-8000-000000000001", email: "fan@example.com", name: "Fan", role: "customer" as const };
const orderId = "7f0d7a52-0000-4000-8000-000000000002";

afterEach(() => {
  vi.unstubAllGlobals();
  delete window.__TIKETI__;
  localStorage.clear();
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("the payment success page", () => {
  it("forgets the event's admission token and queue place once the purchase is confirmed", async () => {
    saveSession({ accessToken: "a1", refreshToken: "r1", user });
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    saveAdmission("e1", { token: "adm-1", expiresAt });
    saveAdmission("e2", { token: "adm-2", expiresAt });
    firstPosition("e1", 42);
    vi.stubGlobal("fetch", async (url: string) => {
      if (url === "/api/v1/payments/confirm")
        return json({ order_id: orderId, payment_key: "pk", status: "DONE", method: "카드", amount: 55000, approved_at: null, reservation_status: "confirmed" });
      if (url === `/api/v1/reservations/${orderId}`) return json({ id: orderId, event_id: "e1", status: "confirmed" });
      return json([]);
    });
    renderApp(
      <Routes>
        <Route path="/payments/success" element={<PaymentSuccessPage />} />
      </Routes>,
      `/payments/success?paymentKey=pk&orderId=${orderId}&amount=55000`,
    );
    expect(await screen.findByText(/55,000/)).toBeInTheDocument();
    await waitFor(() => expect(loadAdmission("e1")).toBeNull());
    expect(localStorage.getItem("tiketi.queue.first.e1")).toBeNull();
    // Another event's admission is not this purchase's.
    expect(loadAdmission("e2")?.token).toBe("adm-2");
  });

  it("keeps the admission when the confirmation failed (the fan may pay again)", async () => {
    saveSession({ accessToken: "a1", refreshToken: "r1", user });
    saveAdmission("e1", { token: "adm-1", expiresAt: new Date(Date.now() + 600_000).toISOString() });
    const fetched: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      fetched.push(url);
      return json({ error: { code: "PAYMENT_REJECTED", message: "The card was refused." } }, 402);
    });
    renderApp(
      <Routes>
        <Route path="/payments/success" element={<PaymentSuccessPage />} />
      </Routes>,
      `/payments/success?paymentKey=pk&orderId=${orderId}&amount=55000`,
    );
    expect(await screen.findByText("The card was refused.")).toBeInTheDocument();
    expect(fetched).toEqual(["/api/v1/payments/confirm"]);
    expect(loadAdmission("e1")?.token).toBe("adm-1");
  });
});

describe("loadClientConfig", () => {
  it("reads /config.json when the page carries no injected settings", async () => {
    const fetcher = vi.fn(async () => json({ tossClientKey: "test_gck_cdn", googleClientId: "g.apps" }));
    await loadClientConfig(fetcher as unknown as typeof fetch);
    expect(fetcher).toHaveBeenCalledWith("/config.json", expect.objectContaining({ cache: "no-cache" }));
    expect(clientConfig()).toEqual({ tossClientKey: "test_gck_cdn", googleClientId: "g.apps" });
  });

  it("keeps injected settings and ignores a missing file, HTML or a failed fetch", async () => {
    window.__TIKETI__ = { tossClientKey: "test_gck_injected" };
    const unused = vi.fn();
    await loadClientConfig(unused as unknown as typeof fetch);
    expect(unused).not.toHaveBeenCalled();
    delete window.__TIKETI__;

    const answers: (() => Promise<Response>)[] = [
      async () => json({ error: "nope" }, 404),
      async () => new Response("<!doctype html><html></html>", { headers: { "Content-Type": "text/html" } }),
      async () => json(["not", "an", "object"]),
      async () => {
        throw new TypeError("Failed to fetch");
      },
    ];
    for (const answer of answers) {
      await loadClientConfig(answer as unknown as typeof fetch);
      expect(window.__TIKETI__).toBeUndefined();
      expect(clientConfig()).toEqual({});
    }
  });
});
