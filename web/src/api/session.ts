// The signed-in session, kept in localStorage so a reload (or a new tab) stays signed in.
import type { SessionRead, User } from "./types";

const KEY = "tiketi.session";

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(session));
}

export function sessionFrom(read: SessionRead): Session {
  return { accessToken: read.access_token, refreshToken: read.refresh_token, user: read.user };
}

/** Call `listener` on every sign-in, refresh and sign-out; returns the unsubscribe. */
export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
