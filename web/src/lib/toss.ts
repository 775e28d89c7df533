// TossPayments' payment widget (SDK v2 "standard"): the subset the checkout uses.
// https://docs.tosspayments.com/sdk/v2/js
import { ApiError } from "../api/client";
import { loadScript } from "./script";

export const TOSS_SDK = "https://js.tosspayments.com/v2/standard";
// TossPayments' customerKey for a buyer who is not a member of the shop.
export const ANONYMOUS = "ANONYMOUS";

export interface TossPaymentRequest {
  orderId: string;
  orderName: string;
  successUrl: string;
  failUrl: string;
  customerEmail?: string;
  customerName?: string;
}

export interface TossWidgets {
  setAmount(amount: { currency: string; value: number }): Promise<void>;
  renderPaymentMethods(options: { selector: string; variantKey?: string }): Promise<unknown>;
  renderAgreement(options: { selector: string; variantKey?: string }): Promise<unknown>;
  requestPayment(request: TossPaymentRequest): Promise<unknown>;
}

export type TossPaymentsFactory = (clientKey: string) => {
  widgets(options: { customerKey: string }): TossWidgets;
};

declare global {
  interface Window {
    TossPayments?: TossPaymentsFactory;
  }
}

/** The widget for this client key and buyer, once the SDK has loaded. */
export async function tossWidgets(clientKey: string, customerKey: string): Promise<TossWidgets> {
  if (!window.TossPayments) await loadScript(TOSS_SDK);
  if (!window.TossPayments) throw new Error("TossPayments SDK is missing");
  return window.TossPayments(clientKey).widgets({ customerKey });
}

/** TossPayments' error (`{code, message}`, e.g. USER_CANCEL) as the app shows errors. */
export function tossError(error: unknown): ApiError {
  const value = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof value.code === "string" ? value.code : "PAYMENT_WIDGET_ERROR";
  const message = typeof value.message === "string" ? value.message : String(error);
  return new ApiError(0, code, message);
}
