// The waiting room's admission token per event, kept in localStorage: a reload of the seat map
// (or the waiting room) keeps the place and the admission.
const key = (eventId: string) => `tiketi.admission.${eventId}`;

export interface Admission {
  token: string;
  expiresAt: string;
}

export function loadAdmission(eventId: string): Admission | null {
  try {
    const raw = localStorage.getItem(key(eventId));
    if (!raw) return null;
    const admission = JSON.parse(raw) as Admission;
    if (new Date(admission.expiresAt).getTime() <= Date.now()) {
      localStorage.removeItem(key(eventId));
      return null;
    }
    return admission;
  } catch {
    return null;
  }
}

export function saveAdmission(eventId: string, admission: Admission | null): void {
  if (admission) localStorage.setItem(key(eventId), JSON.stringify(admission));
  else localStorage.removeItem(key(eventId));
}

/** The first position seen in this room, for the progress bar (kept across reloads). */
export function firstPosition(eventId: string, position: number | null): number | null {
  const k = `tiketi.queue.first.${eventId}`;
  const saved = Number(localStorage.getItem(k));
  if (saved > 0) return saved;
  if (position !== null && position > 0) localStorage.setItem(k, String(position));
  return position;
}

export function forgetQueue(eventId: string): void {
  localStorage.removeItem(`tiketi.queue.first.${eventId}`);
}
