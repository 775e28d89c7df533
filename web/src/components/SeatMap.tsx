import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { FocusEvent, KeyboardEvent, MouseEvent, RefObject } from "react";
import type { SeatStatus } from "../api/types";
import { useI18n } from "../i18n/I18n";
import { layoutSeats, PITCH, type LayoutSeat } from "./seatLayout";
import { ARROWS, nextSeat, rowEnd, zoomAt, type Point } from "./seatNav";

export interface MapSeat extends LayoutSeat {
  grade?: string;
  price?: number;
  status?: SeatStatus;
}

interface Props {
  seats: MapSeat[];
  colours: Record<string, string>;
  selected?: ReadonlySet<number>;
  /** Seats of the user's own hold (drawn as theirs, not as someone else's). */
  mine?: ReadonlySet<number>;
  onToggle?: (seat: MapSeat) => void;
  /** A preview: no selection, no statuses. */
  preview?: boolean;
  label: string;
}

const HELD = "#cbd5e1";
const SOLD = "#475569";

interface SeatProps {
  id: number;
  x: number;
  y: number;
  fill: string;
  className: string;
  status: string;
  preview?: boolean;
  checked: boolean;
  disabled: boolean;
  label: string;
  title: string;
  tabIndex?: number;
}

// One seat; memoised, so moving the keyboard's stop or a live change redraws only the seats
// concerned, not a stadium's worth of circles.
const Seat = memo(function Seat({ id, x, y, fill, className, status, preview, checked, disabled, label, title, tabIndex }: SeatProps) {
  return (
    <circle
      cx={x}
      cy={y}
      r={PITCH / 2 - 2.5}
      fill={fill}
      className={className}
      data-seat-id={id}
      data-status={status}
      role={preview ? undefined : "checkbox"}
      aria-checked={preview ? undefined : checked}
      aria-disabled={preview ? undefined : disabled}
      aria-label={preview ? undefined : label}
      tabIndex={tabIndex}
    >
      <title>{title}</title>
    </circle>
  );
});

interface Pinch {
  distance: number;
  zoom: number;
  // The map point (unscaled) under the fingers' midpoint when the pinch began.
  mapX: number;
  mapY: number;
}

const touchPoint = (touches: TouchList, box: DOMRect) => {
  const [a, b] = [touches[0], touches[1]];
  return {
    distance: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY),
    x: (a.clientX + b.clientX) / 2 - box.left,
    y: (a.clientY + b.clientY) / 2 - box.top,
  };
};

/**
 * Zoom state with an anchor: a zoom keeps the map point under the pointer, the pinch's midpoint
 * or (buttons) the view's centre where it was. Ctrl+wheel and trackpad pinches zoom; a plain
 * wheel scrolls as usual; two fingers pinch and pan on a phone.
 */
function useAnchoredZoom(scroller: RefObject<HTMLDivElement | null>, width: number) {
  const [zoom, setZoom] = useState(1);
  const [fit, setFit] = useState(1);
  const zoomRef = useRef(zoom);
  zoomRef.current = zoom;
  const fitRef = useRef(fit);
  fitRef.current = fit;
  // Where to scroll once the new size is in the DOM.
  const pending = useRef<{ left: number; top: number } | null>(null);

  // Start with the whole venue in view (a phone zooms in from there).
  useEffect(() => {
    const available = scroller.current?.clientWidth ?? 0;
    if (available > 0) {
      const scale = Math.min(1, available / width);
      setFit(scale);
      setZoom(scale);
    }
  }, [scroller, width]);

  useLayoutEffect(() => {
    const box = scroller.current;
    if (box && pending.current) {
      box.scrollLeft = pending.current.left;
      box.scrollTop = pending.current.top;
      pending.current = null;
    }
  }, [scroller, zoom]);

  const zoomAround = useCallback(
    (next: number, anchor?: Point, from?: { mapX: number; mapY: number }) => {
      const box = scroller.current;
      if (!box) return;
      const at = anchor ?? { x: box.clientWidth / 2, y: box.clientHeight / 2 };
      const current = zoomRef.current;
      // A pinch keeps the point it started on under the fingers, wherever they have moved.
      const view = from
        ? { zoom: current, scrollLeft: from.mapX * current - at.x, scrollTop: from.mapY * current - at.y }
        : { zoom: current, scrollLeft: box.scrollLeft, scrollTop: box.scrollTop };
      const result = zoomAt(view, next, at, fitRef.current);
      pending.current = { left: result.scrollLeft, top: result.scrollTop };
      zoomRef.current = result.zoom;
      setZoom(result.zoom);
      if (result.zoom === current) {
        // No re-render is coming: scroll now (a pinch that only pans).
        box.scrollLeft = result.scrollLeft;
        box.scrollTop = result.scrollTop;
        pending.current = null;
      }
    },
    [scroller],
  );

  useEffect(() => {
    const box = scroller.current;
    if (!box) return;
    let pinch: Pinch | null = null;
    // Native listeners: React's wheel and touch listeners are passive and cannot stop the page.
    const onWheel = (event: WheelEvent) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      const rect = box.getBoundingClientRect();
      zoomAround(zoomRef.current * Math.exp(-event.deltaY * 0.002), { x: event.clientX - rect.left, y: event.clientY - rect.top });
    };
    const onTouchStart = (event: TouchEvent) => {
      if (event.touches.length !== 2) return;
      const at = touchPoint(event.touches, box.getBoundingClientRect());
      const current = zoomRef.current;
      pinch = { distance: at.distance || 1, zoom: current, mapX: (box.scrollLeft + at.x) / current, mapY: (box.scrollTop + at.y) / current };
    };
    const onTouchMove = (event: TouchEvent) => {
      if (!pinch || event.touches.length !== 2) return;
      event.preventDefault();
      const at = touchPoint(event.touches, box.getBoundingClientRect());
      zoomAround(pinch.zoom * (at.distance / pinch.distance), at, pinch);
    };
    const onTouchEnd = (event: TouchEvent) => {
      if (event.touches.length < 2) pinch = null;
    };
    box.addEventListener("wheel", onWheel, { passive: false });
    box.addEventListener("touchstart", onTouchStart, { passive: true });
    box.addEventListener("touchmove", onTouchMove, { passive: false });
    box.addEventListener("touchend", onTouchEnd);
    box.addEventListener("touchcancel", onTouchEnd);
    return () => {
      box.removeEventListener("wheel", onWheel);
      box.removeEventListener("touchstart", onTouchStart);
      box.removeEventListener("touchmove", onTouchMove);
      box.removeEventListener("touchend", onTouchEnd);
      box.removeEventListener("touchcancel", onTouchEnd);
    };
  }, [scroller, zoomAround]);

  return { zoom, fit, zoomAround };
}

/**
 * The venue as an SVG: sections, rows, seats coloured by grade and status; zoomable.
 * For the keyboard the map is one Tab stop (a roving tabindex): arrow keys move between seats,
 * Home/End to a row's ends, Ctrl+Home/End to the map's; Enter or Space selects.
 */
export const SeatMap = memo(function SeatMap({ seats, colours, selected, mine, onToggle, preview, label }: Props) {
  const { t, money } = useI18n();
  const layout = useMemo(() => layoutSeats(seats), [seats]);
  const scroller = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const { zoom, fit, zoomAround } = useAnchoredZoom(scroller, layout.width);
  const byId = useMemo(() => new Map(seats.map((seat) => [seat.id, seat])), [seats]);
  const usable = (seat: MapSeat) => seat.status === "available" || (mine?.has(seat.id) ?? false);
  const [active, setActive] = useState<number | null>(null);
  // The one seat Tab reaches: the last one used, else the first free one, else the first.
  const stop = preview || !onToggle ? undefined : active !== null && byId.has(active) ? active : (seats.find(usable) ?? seats[0])?.id;

  const pick = (target: EventTarget) => {
    const id = (target as Element).getAttribute?.("data-seat-id");
    const seat = id ? byId.get(Number(id)) : undefined;
    if (seat && onToggle && usable(seat)) onToggle(seat);
  };
  const moveTo = (id: number | undefined) => {
    if (id === undefined) return;
    setActive(id);
    // Every seat has tabindex -1 at least, so it can take focus (and scrolls into view).
    svg.current?.querySelector<SVGElement>(`[data-seat-id="${id}"]`)?.focus();
  };
  const onClick = (event: MouseEvent<SVGSVGElement>) => pick(event.target);
  const onFocus = (event: FocusEvent<SVGSVGElement>) => {
    const id = event.target.getAttribute("data-seat-id");
    if (id) setActive(Number(id));
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const id = Number((event.target as Element).getAttribute?.("data-seat-id"));
    const seat = byId.get(id);
    if (!seat) return;
    const direction = ARROWS[event.key];
    if (event.key === "Enter" || event.key === " ") pick(event.target);
    else if (direction) moveTo(nextSeat(layout.positions, id, direction));
    else if (event.key === "Home" || event.key === "End") {
      const last = event.key === "End";
      moveTo(event.ctrlKey ? (last ? seats[seats.length - 1] : seats[0])?.id : rowEnd(seats, seat, last));
    } else return;
    event.preventDefault();
  };
  const statusText = (status: SeatStatus | undefined) => t(`seat.${status ?? "available"}`);

  return (
    <div className="seatmap">
      <div className="seatmap-tools" role="group" aria-label={t("seatmap.zoom")}>
        <button type="button" className="btn small" onClick={() => zoomAround(zoom / 1.25)} aria-label={t("seatmap.zoomOut")}>
          −
        </button>
        <span aria-live="polite">{Math.round(zoom * 100)}%</span>
        <button type="button" className="btn small" onClick={() => zoomAround(zoom * 1.25)} aria-label={t("seatmap.zoomIn")}>
          +
        </button>
        <button type="button" className="btn small" onClick={() => zoomAround(fit)}>
          {t("seatmap.reset")}
        </button>
      </div>
      <div className="seatmap-scroll" ref={scroller} data-testid="seatmap-scroll">
        <svg
          ref={svg}
          role="group"
          aria-label={label}
          aria-roledescription={preview ? undefined : t("seatmap.role")}
          aria-description={preview ? undefined : t("seatmap.keys")}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width * zoom}
          height={layout.height * zoom}
          onClick={preview ? undefined : onClick}
          onKeyDown={preview ? undefined : onKeyDown}
          onFocus={preview ? undefined : onFocus}
        >
          <rect x={layout.width / 2 - 160} y={12} width={320} height={30} rx={6} className="stage" />
          <text x={layout.width / 2} y={32} textAnchor="middle" className="stage-label">
            {t("seatmap.stage")}
          </text>
          {layout.sections.map((box) => (
            <g key={box.name}>
              <rect x={box.x} y={box.y} width={box.width} height={box.height} rx={8} className="section-box" />
              <text x={box.x + box.width / 2} y={box.y + 18} textAnchor="middle" className="section-label">
                {box.name}
              </text>
            </g>
          ))}
          {layout.rows.map((row) => (
            <text key={`${row.section}/${row.row}`} x={row.x} y={row.y + 4} textAnchor="middle" className="row-label">
              {row.row}
            </text>
          ))}
          {seats.map((seat) => {
            const at = layout.positions.get(seat.id);
            if (!at) return null;
            const isMine = mine?.has(seat.id) ?? false;
            const isSelected = selected?.has(seat.id) ?? false;
            const status = seat.status ?? "available";
            const colour = seat.grade ? (colours[seat.grade] ?? "#6b7280") : "#6b7280";
            const fill = isMine || status === "available" || preview ? colour : status === "sold" ? SOLD : HELD;
            const name = t("seat.name", { section: seat.section, row: seat.row, number: seat.number });
            const price = seat.price !== undefined ? ` ${money(seat.price)}` : "";
            return (
              <Seat
                key={seat.id}
                id={seat.id}
                x={at.x}
                y={at.y}
                fill={fill}
                className={`seat seat-${status}${isSelected ? " seat-selected" : ""}${isMine ? " seat-mine" : ""}`}
                status={isMine ? "mine" : status}
                preview={preview}
                checked={isSelected || isMine}
                disabled={preview ? false : !usable(seat)}
                label={`${name}${seat.grade ? ` ${seat.grade}` : ""}${price}, ${statusText(isMine ? "held" : status)}`}
                title={`${name}${seat.grade ? ` · ${seat.grade}` : ""}${price}`}
                tabIndex={stop === undefined ? undefined : seat.id === stop ? 0 : -1}
              />
            );
          })}
        </svg>
      </div>
    </div>
  );
});

export function SeatLegend({ grades, colours }: { grades: { code: string; name: string; price: number }[]; colours: Record<string, string> }) {
  const { t, money } = useI18n();
  return (
    <ul className="legend">
      {grades.map((grade) => (
        <li key={grade.code}>
          <span className="swatch" style={{ background: colours[grade.code] }} aria-hidden="true" />
          {grade.name} {money(grade.price)}
        </li>
      ))}
      <li>
        <span className="swatch" style={{ background: HELD }} aria-hidden="true" />
        {t("seat.held")}
      </li>
      <li>
        <span className="swatch" style={{ background: SOLD }} aria-hidden="true" />
        {t("seat.sold")}
      </li>
      <li>
        <span className="swatch swatch-selected" aria-hidden="true" />
        {t("seat.selected")}
      </li>
    </ul>
  );
}
