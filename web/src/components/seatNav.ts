// The seat map's view and keyboard arithmetic, kept apart from React so it is easy to test.
import type { LayoutSeat } from "./seatLayout";

export const MIN_ZOOM = 0.4;
export const MAX_ZOOM = 4;

export interface View {
  zoom: number;
  scrollLeft: number;
  scrollTop: number;
}

export interface Point {
  x: number;
  y: number;
}

/**
 * Zoom to `next` keeping the map point under `anchor` (a point of the scroll box, e.g. the
 * pointer or a pinch's midpoint) where it is: the scroll moves with the zoom. `min` lets a map
 * bigger than the screen fit even below MIN_ZOOM.
 */
export function zoomAt(view: View, next: number, anchor: Point, min = MIN_ZOOM): View {
  const zoom = Math.min(MAX_ZOOM, Math.max(Math.min(min, MIN_ZOOM), next));
  const mapX = (view.scrollLeft + anchor.x) / view.zoom;
  const mapY = (view.scrollTop + anchor.y) / view.zoom;
  return { zoom, scrollLeft: Math.max(0, mapX * zoom - anchor.x), scrollTop: Math.max(0, mapY * zoom - anchor.y) };
}

export type Direction = "left" | "right" | "up" | "down";

export const ARROWS: Record<string, Direction> = {
  ArrowLeft: "left",
  ArrowRight: "right",
  ArrowUp: "up",
  ArrowDown: "down",
};

// Seats of one row line share a y; anything within this is the same line.
const SAME_LINE = 0.5;

/**
 * The seat an arrow key moves to from `from`: left/right along the same line (on into the next
 * section beside it), up/down to the nearest seat of the nearest line above or below — nearness
 * across weighs double, so the next row of the same section wins over a far one's.
 */
export function nextSeat(positions: ReadonlyMap<number, Point>, from: number, direction: Direction): number | undefined {
  const at = positions.get(from);
  if (!at) return undefined;
  const across = direction === "left" || direction === "right";
  const sign = direction === "right" || direction === "down" ? 1 : -1;
  let best: number | undefined;
  let bestScore = Infinity;
  let bestAlong = Infinity;
  for (const [id, p] of positions) {
    const dx = p.x - at.x;
    const dy = p.y - at.y;
    const along = sign * (across ? dx : dy);
    if (along <= SAME_LINE) continue;
    if (across && Math.abs(dy) > SAME_LINE) continue;
    const score = across ? along : along + 2 * Math.abs(dx);
    if (score < bestScore || (score === bestScore && along < bestAlong)) {
      best = id;
      bestScore = score;
      bestAlong = along;
    }
  }
  return best;
}

/** The first or last seat of `from`'s row in its section (Home/End), in layout order. */
export function rowEnd(seats: readonly LayoutSeat[], from: LayoutSeat, last: boolean): number | undefined {
  const row = seats.filter((seat) => seat.section === from.section && seat.row === from.row);
  return (last ? row[row.length - 1] : row[0])?.id;
}
