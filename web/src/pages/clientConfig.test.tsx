// The server-injected client settings (window.__TIKETI__): TossPayments' widget at checkout and
// "Sign in with Google" at login when configured; the sandbox and the form alone when not.
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadSession, saveSession } from "../api/session";
import { clientConfig } from "../config";
import { GOOGLE_GSI, type GoogleCredential } from "../lib/google";
import { resetScripts } from "../lib/script";
import { TOSS_SDK, type TossPaymentRequest } from "../lib/toss";
import { renderApp } from "../test/render";
import { CheckoutPage } from "./CheckoutPage";
import { LoginPage } from "./LoginPage";

const user = { id: "9c1e4c1a-0000-4000-8000-000000000001", email: "fan@example.com", name: "Fan", role: "customer" as const };
const reservation = {
  id: "7f0d7a52-0000-4000-8000-000000000002",
  event_id: "e1",
  hold_id: "h1",
  status: "pending_payment",
  seats: [{ id: 1, section: "A", row: "1", number: "1", grade: "R", price: 55000 }],
  amount: 55000,
  currency: "KRW",
  expires_at: new Date(Date.now() + 600_000).toISOString(),
  created_at: new Date().toISOString(),
};
const session = {
  user,
  access_token: "a2",
  refresh_token: "r2",
  token_type: "bearer",
  expires_in: 900,
};

/** A fetch stand-in answering by path; every request is kept. */
function stubApi() {
  const calls: { url: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
    calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const answer = url.startsWith("/api/v1/reservations/")
      ? reservation
      : url.startsWith("/api/v1/events/")
        ? { id: "e1", title: "Spring concert" }
        : url === "/api/v1/auth/google"
          ? session
          : null;
    const status = answer ? 200 : 404;
    return new Response(JSON.stringify(answer ?? { error: { code: "NOT_FOUND", message: "No such resource." } }), { status });
  });
  return calls;
}

const scriptsFor = (src: string) => document.head.querySelectorAll(`script[src="${src}"]`);

/** Run the injected script tag as if the browser had loaded it (defining the SDK's global). */
function loaded(src: string, define: () => void) {
  const script = scriptsFor(src)[0];
  expect(script).toBeDefined();
  act(() => {
    define();
    script.dispatchEvent(new Event("load"));
  });
}

beforeEach(() => {
  resetScripts();
  stubApi();
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete window.__TIKETI__;
  delete window.TossPayments;
  delete window.google;
  document.head.querySelectorAll("script").forEach((script) => script.remove());
});

describe("clientConfig", () => {
  it("reads the injected values and treats missing, empty or odd ones as unset", () => {
    expect(clientConfig()).toEqual({ tossClientKey: undefined, googleClientId: undefined });
    window.__TIKETI__ = { tossClientKey: "test_gck_1", googleClientId: "" };
    expect(clientConfig()).toEqual({ tossClientKey: "test_gck_1", googleClientId: undefined });
    (window as { __TIKETI__?: unknown }).__TIKETI__ = "nonsense";
    expect(clientConfig()).toEqual({});
  });
});

describe("checkout", () => {
  const renderCheckout = () => {
    saveSession({ accessToken: "a1", refreshToken: "r1", user });
    return renderApp(
      <Routes>
        <Route path="/checkout/:reservationId" element={<CheckoutPage />} />
      </Routes>,
      `/checkout/${reservation.id}`,
    );
  };

  it("without a client key, offers the sandbox and loads no TossPayments script", async () => {
    const { container } = renderCheckout();
    expect(await screen.findByText(/TossPayments|토스페이먼츠/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /55,000/ })).toBeEnabled();
    expect(scriptsFor(TOSS_SDK)).toHaveLength(0);
    expect(container.querySelector("#toss-payment-methods")).toBeNull();
  });

  it("with a client key, draws TossPayments' widget and pays through requestPayment", async () => {
    window.__TIKETI__ = { tossClientKey: "test_gck_public" };
    const requestPayment = vi.fn(async (_: TossPaymentRequest) => undefined);
    const widgets = {
      setAmount: vi.fn(async () => undefined),
      renderPaymentMethods: vi.fn(async () => undefined),
      renderAgreement: vi.fn(async () => undefined),
      requestPayment,
    };
    const factory = vi.fn(() => ({ widgets: vi.fn(() => widgets) }));
    const { container } = renderCheckout();
    await waitFor(() => expect(scriptsFor(TOSS_SDK)).toHaveLength(1));
    const pay = screen.getByRole("button", { name: /55,000/ });
    expect(pay).toBeDisabled(); // until the widget is drawn
    loaded(TOSS_SDK, () => {
      window.TossPayments = factory;
    });
    await waitFor(() => expect(pay).toBeEnabled());
    expect(factory).toHaveBeenCalledWith("test_gck_public");
    expect(factory.mock.results[0].value.widgets).toHaveBeenCalledWith({ customerKey: user.id });
    expect(widgets.setAmount).toHaveBeenCalledWith({ currency: "KRW", value: 55000 });
    expect(widgets.renderPaymentMethods).toHaveBeenCalledWith(expect.objectContaining({ selector: "#toss-payment-methods" }));
    expect(container.querySelector("#toss-payment-methods")).not.toBeNull();
    expect(container.querySelector("#toss-agreement")).not.toBeNull();

    fireEvent.click(pay);
    await waitFor(() => expect(requestPayment).toHaveBeenCalledTimes(1));
    expect(requestPayment).toHaveBeenCalledWith(
      expect.objectContaining({
        orderId: reservation.id,
        orderName: "Spring concert",
        successUrl: `${window.location.origin}/payments/success`,
        failUrl: `${window.location.origin}/payments/fail`,
        customerEmail: user.email,
      }),
    );
  });

  it("shows TossPayments' own message when the payment window is closed", async () => {
    window.__TIKETI__ = { tossClientKey: "test_gck_public" };
    window.TossPayments = () => ({
      widgets: () => ({
        setAmount: async () => undefined,
        renderPaymentMethods: async () => undefined,
        renderAgreement: async () => undefined,
        requestPayment: async () => {
          throw { code: "USER_CANCEL", message: "취소되었습니다." };
        },
      }),
    });
    renderCheckout();
    const pay = await screen.findByRole("button", { name: /55,000/ });
    await waitFor(() => expect(pay).toBeEnabled());
    fireEvent.click(pay);
    expect(await screen.findByRole("alert")).toHaveTextContent("취소되었습니다.");
    expect(screen.getByRole("alert")).toHaveTextContent("USER_CANCEL");
    expect(pay).toBeEnabled();
  });
});

describe("login", () => {
  function Where() {
    const location = useLocation();
    return <p data-testid="where">{location.pathname}</p>;
  }
  const renderLogin = () =>
    renderApp(
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Where />} />
      </Routes>,
      "/login?next=/me/tickets",
    );

  it("without a Google client id, has no Google button and loads no Google script", () => {
    renderLogin();
    expect(screen.getByRole("textbox", { name: /email|이메일/i })).toBeInTheDocument();
    expect(screen.queryByRole("group", { name: /Google/ })).toBeNull();
    expect(scriptsFor(GOOGLE_GSI)).toHaveLength(0);
  });

  it("with a Google client id, shows Google's button and signs in with its credential", async () => {
    window.__TIKETI__ = { googleClientId: "web.apps.googleusercontent.com" };
    const initialize = vi.fn();
    const renderButton = vi.fn((parent: HTMLElement) => {
      parent.textContent = "Sign in with Google";
    });
    const calls = stubApi();
    renderLogin();
    expect(screen.getByRole("group", { name: /Google/ })).toBeInTheDocument();
    await waitFor(() => expect(scriptsFor(GOOGLE_GSI)).toHaveLength(1));
    loaded(GOOGLE_GSI, () => {
      window.google = { accounts: { id: { initialize, renderButton } } };
    });
    await waitFor(() => expect(renderButton).toHaveBeenCalled());
    expect(screen.getByTestId("google-button")).toHaveTextContent("Sign in with Google");
    expect(initialize).toHaveBeenCalledWith(expect.objectContaining({ client_id: "web.apps.googleusercontent.com" }));

    // Google calls back with the ID token once the person picks an account.
    const callback = initialize.mock.calls[0][0].callback as (response: GoogleCredential) => void;
    act(() => callback({ credential: "google-id-token" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/me/tickets"));
    expect(calls).toContainEqual({ url: "/api/v1/auth/google", body: { id_token: "google-id-token" } });
    expect(loadSession()?.user.id).toBe(user.id);
  });
});
