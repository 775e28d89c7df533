// Where each seat goes on the SVG map: sections side by side (wrapping into bands), rows top
// to bottom, seats left to right, in the venue's layout order.
export interface LayoutSeat {
  id: number;
  section: string;
  row: string;
  number: string;
}

export interface SectionBox {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RowLabel {
  section: string;
  row: string;
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  sections: SectionBox[];
  rows: RowLabel[];
  positions: Map<number, { x: number; y: number }>;
}

export const PITCH = 22;
const GAP = 36;
const TITLE = 26;
const ROW_LABEL = 22;
const STAGE = 56;
const MAX_BAND_WIDTH = 1400;

/** Positions for every seat, the section boxes and row labels, and the map's size. */
export function layoutSeats(seats: LayoutSeat[]): Layout {
  const sections = new Map<string, Map<string, LayoutSeat[]>>();
  for (const seat of seats) {
    let rows = sections.get(seat.section);
    if (!rows) sections.set(seat.section, (rows = new Map()));
    let row = rows.get(seat.row);
    if (!row) rows.set(seat.row, (row = []));
    row.push(seat);
  }
  const positions = new Map<number, { x: number; y: number }>();
  const boxes: SectionBox[] = [];
  const labels: RowLabel[] = [];
  let x = GAP;
  let y = STAGE + GAP;
  let bandHeight = 0;
  let width = 0;
  for (const [name, rows] of sections) {
    const widest = Math.max(...Array.from(rows.values(), (row) => row.length));
    const boxWidth = ROW_LABEL + widest * PITCH + 8;
    const boxHeight = TITLE + rows.size * PITCH + 8;
    if (x > GAP && x + boxWidth > MAX_BAND_WIDTH) {
      x = GAP;
      y += bandHeight + GAP;
      bandHeight = 0;
    }
    boxes.push({ name, x, y, width: boxWidth, height: boxHeight });
    let r = 0;
    for (const [rowName, row] of rows) {
      const cy = y + TITLE + r * PITCH + PITCH / 2;
      labels.push({ section: name, row: rowName, x: x + ROW_LABEL / 2, y: cy });
      // Short rows are centred under the widest one, as in a hall.
      const offset = ((widest - row.length) * PITCH) / 2;
      row.forEach((seat, i) => {
        positions.set(seat.id, { x: x + ROW_LABEL + offset + i * PITCH + PITCH / 2, y: cy });
      });
      r += 1;
    }
    x += boxWidth + GAP;
    width = Math.max(width, x);
    bandHeight = Math.max(bandHeight, boxHeight);
  }
  return { width: Math.max(width, 320), height: y + bandHeight + GAP, sections: boxes, rows: labels, positions };
}

export const GRADE_COLOURS = ["#7c3aed", "#2563eb", "#059669", "#d97706", "#db2777", "#0891b2", "#65a30d", "#9333ea"];

/** A colour per grade, in the event's grade order. */
export function gradeColours(codes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  codes.forEach((code, i) => {
    out[code] = GRADE_COLOURS[i % GRADE_COLOURS.length];
  });
  return out;
}
