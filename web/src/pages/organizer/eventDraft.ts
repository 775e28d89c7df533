// The event form's model and the catalog's rules (domain/events.py), checked before sending.
import type { EventCreate, EventRead } from "../../api/types";
import { fromLocalInput, toLocalInput } from "../../lib/time";

export interface GradeDraft {
  code: string;
  name: string;
  price: number;
}

export interface EventDraft {
  title: string;
  description: string;
  venueId: string;
  startsAt: string; // datetime-local values
  endsAt: string;
  saleOpensAt: string;
  saleClosesAt: string;
  grades: GradeDraft[];
  seatGrades: Record<string, string>;
  maxTickets: number;
  queueEnabled: boolean;
  maxActive: number;
  admitPerSecond: number;
}

export function newDraft(now = new Date()): EventDraft {
  const starts = new Date(now.getTime() + 30 * 86400_000);
  starts.setHours(19, 0, 0, 0);
  return {
    title: "",
    description: "",
    venueId: "",
    startsAt: toLocalInput(starts),
    endsAt: toLocalInput(new Date(starts.getTime() + 3 * 3600_000)),
    saleOpensAt: toLocalInput(now),
    saleClosesAt: toLocalInput(new Date(starts.getTime() - 3600_000)),
    grades: [
      { code: "R", name: "R", price: 110000 },
      { code: "S", name: "S", price: 88000 },
    ],
    seatGrades: {},
    maxTickets: 4,
    queueEnabled: true,
    maxActive: 1000,
    admitPerSecond: 50,
  };
}

export function draftOf(event: EventRead): EventDraft {
  return {
    title: event.title,
    description: event.description,
    venueId: event.venue.id,
    startsAt: toLocalInput(event.starts_at),
    endsAt: toLocalInput(event.ends_at),
    saleOpensAt: toLocalInput(event.sale_opens_at),
    saleClosesAt: toLocalInput(event.sale_closes_at),
    grades: event.grades.map(({ code, name, price }) => ({ code, name, price })),
    seatGrades: { ...event.seat_grades },
    maxTickets: event.max_tickets_per_user,
    queueEnabled: event.queue.enabled,
    maxActive: event.queue.max_active,
    admitPerSecond: event.queue.admit_per_second,
  };
}

export type Problems = Record<string, string>;

/** The field → problem map (keys as the API's 422 details name them); empty when valid. */
export function checkDraft(draft: EventDraft, sections: string[], say: (key: string) => string): Problems {
  const problems: Problems = {};
  if (!draft.title.trim()) problems.title = say("required");
  if (!draft.venueId) problems.venue_id = say("required");
  const time = (value: string) => new Date(value).getTime();
  if (!(time(draft.endsAt) > time(draft.startsAt))) problems.ends_at = say("endsAfterStarts");
  if (!(time(draft.saleClosesAt) > time(draft.saleOpensAt))) problems.sale_closes_at = say("closesAfterOpens");
  else if (time(draft.saleClosesAt) > time(draft.startsAt)) problems.sale_closes_at = say("closesBeforeStarts");
  if (draft.grades.length === 0) problems.grades = say("needGrade");
  const seen = new Set<string>();
  draft.grades.forEach((grade, i) => {
    const code = grade.code.trim();
    if (!code) problems[`grades.${i}.code`] = say("required");
    else if (seen.has(code)) problems[`grades.${i}.code`] = say("duplicateGrade");
    seen.add(code);
    if (!grade.name.trim()) problems[`grades.${i}.name`] = say("required");
    if (!(grade.price >= 0)) problems[`grades.${i}.price`] = say("price");
  });
  for (const section of sections) {
    if (!draft.seatGrades[section] || !seen.has(draft.seatGrades[section])) problems[`seat_grades.${section}`] = say("sectionGrade");
  }
  const used = new Set(sections.map((s) => draft.seatGrades[s]));
  draft.grades.forEach((grade, i) => {
    if (grade.code.trim() && sections.length && !used.has(grade.code.trim()) && !problems[`grades.${i}.code`]) {
      problems[`grades.${i}.code`] = say("gradeUnused");
    }
  });
  if (!(draft.maxTickets >= 1 && draft.maxTickets <= 20)) problems.max_tickets_per_user = say("limit");
  if (!(draft.maxActive >= 1)) problems["queue.max_active"] = say("positive");
  if (!(draft.admitPerSecond > 0)) problems["queue.admit_per_second"] = say("positive");
  return problems;
}

export function toBody(draft: EventDraft, sections: string[]): EventCreate {
  return {
    title: draft.title.trim(),
    description: draft.description,
    venue_id: draft.venueId,
    starts_at: fromLocalInput(draft.startsAt),
    ends_at: fromLocalInput(draft.endsAt),
    sale_opens_at: fromLocalInput(draft.saleOpensAt),
    sale_closes_at: fromLocalInput(draft.saleClosesAt),
    grades: draft.grades.map((g) => ({ code: g.code.trim(), name: g.name.trim(), price: g.price })),
    seat_grades: Object.fromEntries(sections.map((s) => [s, draft.seatGrades[s]])),
    max_tickets_per_user: draft.maxTickets,
    queue: { enabled: draft.queueEnabled, max_active: draft.maxActive, admit_per_second: draft.admitPerSecond },
  };
}
