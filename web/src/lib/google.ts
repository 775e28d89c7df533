// Google Identity Services: the "Sign in with Google" button, which hands back an ID token
// (`credential`) that auth verifies at POST /api/v1/auth/google.
// https://developers.google.com/identity/gsi/web/reference/js-reference
import { loadScript } from "./script";

export const GOOGLE_GSI = "https://accounts.google.com/gsi/client";

export interface GoogleCredential {
  credential: string;
}

export interface GoogleIdentity {
  initialize(options: { client_id: string; callback: (response: GoogleCredential) => void }): void;
  renderButton(parent: HTMLElement, options: Record<string, string | number>): void;
}

declare global {
  interface Window {
    google?: { accounts: { id: GoogleIdentity } };
  }
}

/** Google's identity API, once its script has loaded. */
export async function googleIdentity(): Promise<GoogleIdentity> {
  if (!window.google?.accounts?.id) await loadScript(GOOGLE_GSI);
  const id = window.google?.accounts?.id;
  if (!id) throw new Error("Google Identity Services is missing");
  return id;
}
