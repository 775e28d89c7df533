// Names for the generated OpenAPI types (src/api/schema.d.ts, `npm run gen:api`).
import type { components } from "./schema";

type S = components["schemas"];

export type User = S["UserRead"];
export type Profile = S["ProfileRead"];
export type SessionRead = S["SessionRead"];
export type EventRead = S["EventRead"];
export type EventSummary = S["EventSummary"];
export type EventPage = S["EventPage"];
export type EventCreate = S["EventCreate"];
export type GradeRead = S["tiketi__services__catalog__api__schemas__GradeRead"];
export type VenueCreate = S["VenueCreate"];
export type VenueRead = S["VenueRead"];
export type VenuePage = S["VenuePage"];
export type SectionCreate = S["SectionCreate"];
export type SeatMap = S["SeatMapRead"];
export type SeatMapSeat = S["SeatMapSeat"];
export type HoldRead = S["HoldRead"];
export type ReservationRead = S["ReservationRead"];
export type ReservationPage = S["ReservationPage"];
export type TicketRead = S["TicketRead"];
export type CheckInRead = S["CheckInRead"];
export type PlaceRead = S["PlaceRead"];
export type ChallengeRead = S["ChallengeRead"];
export type PaymentConfirmRead = S["tiketi__services__payment__api__schemas__ConfirmRead"];
export type EventStats = S["EventStatsRead"];
export type ImageRead = S["ImageRead"];

export type SeatStatus = "available" | "held" | "sold";
export type Role = "customer" | "organizer" | "staff" | "admin";

/** `seats:changed` from the booking service's Socket.IO room. */
export interface SeatsChanged {
  event_id: string;
  version: number;
  changes: { id: number; status: SeatStatus }[];
}

/** `queue:progress` to the waiting room's Socket.IO room. */
export interface QueueProgress {
  event_id: string;
  serving_number: number;
  eta_per_person?: number | null;
}

/** `queue:admitted` to the admitted fan. */
export interface QueueAdmitted {
  event_id: string;
  admission_token: string;
  expires_at: string;
}
