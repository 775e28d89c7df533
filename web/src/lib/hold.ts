// The fan's current hold per event (sessionStorage: this tab's basket survives a reload).
import type { HoldRead } from "../api/types";

const key = (eventId: string) => `tiketi.hold.${eventId}`;

export function loadHold(eventId: string): HoldRead | null {
  try {
    const raw = sessionStorage.getItem(key(eventId));
    if (!raw) return null;
    const hold = JSON.parse(raw) as HoldRead;
    return new Date(hold.expires_at).getTime() > Date.now() ? hold : null;
  } catch {
    return null;
  }
}

export function saveHold(eventId: string, hold: HoldRead | null): void {
  if (hold) sessionStorage.setItem(key(eventId), JSON.stringify(hold));
  else sessionStorage.removeItem(key(eventId));
}
