// The venue editor's model: sections of N rows × M seats, turned into the API's layout.
import type { SectionCreate } from "../../api/types";
import type { MapSeat } from "../../components/SeatMap";

export interface SectionDraft {
  name: string;
  rows: number;
  seatsPerRow: number;
}

/** Row labels A…Z, then AA, AB… */
export function rowLabel(index: number): string {
  let label = "";
  let n = index;
  do {
    label = String.fromCharCode(65 + (n % 26)) + label;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return label;
}

export function toSections(drafts: SectionDraft[]): SectionCreate[] {
  return drafts.map((draft) => ({
    name: draft.name.trim(),
    rows: Array.from({ length: draft.rows }, (_, i) => ({ label: rowLabel(i), seats: draft.seatsPerRow })),
  }));
}

/** Seats for the preview map (made-up ids; the API assigns the real ones). */
export function previewSeats(drafts: SectionDraft[]): MapSeat[] {
  const seats: MapSeat[] = [];
  let id = 1;
  for (const draft of drafts) {
    for (let r = 0; r < draft.rows; r++) {
      for (let s = 1; s <= draft.seatsPerRow; s++) {
        seats.push({ id: id++, section: draft.name || "?", row: rowLabel(r), number: String(s), grade: draft.name });
      }
    }
  }
  return seats;
}

export function seatCount(drafts: SectionDraft[]): number {
  return drafts.reduce((sum, draft) => sum + draft.rows * draft.seatsPerRow, 0);
}
