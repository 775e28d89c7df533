import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SeatMap as SeatMapData } from "../api/types";
import { I18nProvider } from "../i18n/I18n";
import { applyChanges } from "../pages/SeatsPage";
import { SeatMap, type MapSeat } from "./SeatMap";
import { gradeColours, layoutSeats } from "./seatLayout";
import { MAX_ZOOM, nextSeat, rowEnd, zoomAt } from "./seatNav";

function seats(): MapSeat[] {
  const out: MapSeat[] = [];
  let id = 1;
  for (const section of ["A", "B"]) {
    for (const row of ["1", "2"]) {
      for (let n = 1; n <= 3; n++) {
        out.push({ id: id++, section, row, number: String(n), grade: section === "A" ? "VIP" : "R", price: section === "A" ? 100 : 50, status: "available" });
      }
    }
  }
  out[1].status = "sold";
  out[2].status = "held";
  return out;
}

const colours = gradeColours(["VIP", "R"]);

describe("layoutSeats", () => {
  it("places rows top to bottom and seats left to right, sections side by side", () => {
    const layout = layoutSeats(seats());
    const a11 = layout.positions.get(1)!;
    const a12 = layout.positions.get(2)!;
    const a21 = layout.positions.get(4)!;
    const b11 = layout.positions.get(7)!;
    expect(a12.x).toBeGreaterThan(a11.x);
    expect(a12.y).toBe(a11.y);
    expect(a21.y).toBeGreaterThan(a11.y);
    expect(b11.x).toBeGreaterThan(a12.x);
    expect(layout.sections.map((s) => s.name)).toEqual(["A", "B"]);
    expect(layout.positions.size).toBe(12);
  });
});

describe("SeatMap", () => {
  const renderMap = (onToggle = vi.fn(), selected = new Set<number>(), mine = new Set<number>()) =>
    render(
      <I18nProvider>
        <SeatMap seats={seats()} colours={colours} selected={selected} mine={mine} onToggle={onToggle} label="map" />
      </I18nProvider>,
    );

  it("draws every seat coloured by grade and status", () => {
    const { container } = renderMap();
    const circles = container.querySelectorAll("circle[data-seat-id]");
    expect(circles).toHaveLength(12);
    const byId = (id: number) => container.querySelector(`[data-seat-id="${id}"]`)!;
    expect(byId(1)).toHaveAttribute("fill", colours.VIP);
    expect(byId(7)).toHaveAttribute("fill", colours.R);
    expect(byId(2)).toHaveAttribute("data-status", "sold");
    expect(byId(3)).toHaveAttribute("data-status", "held");
    expect(byId(2).getAttribute("fill")).not.toBe(colours.VIP);
    expect(byId(2)).toHaveAttribute("aria-disabled", "true");
  });

  it("selects available seats by click and keyboard, never sold or held ones", () => {
    const onToggle = vi.fn();
    const { container } = renderMap(onToggle);
    fireEvent.click(container.querySelector('[data-seat-id="1"]')!);
    expect(onToggle).toHaveBeenLastCalledWith(expect.objectContaining({ id: 1 }));
    fireEvent.click(container.querySelector('[data-seat-id="2"]')!);
    fireEvent.click(container.querySelector('[data-seat-id="3"]')!);
    expect(onToggle).toHaveBeenCalledTimes(1);
    const seat = container.querySelector('[data-seat-id="4"]')!;
    fireEvent.keyDown(seat, { key: "Enter" });
    expect(onToggle).toHaveBeenLastCalledWith(expect.objectContaining({ id: 4 }));
  });

  it("marks the selection and the user's own hold", () => {
    const { container } = renderMap(vi.fn(), new Set([1]), new Set([3]));
    expect(container.querySelector('[data-seat-id="1"]')).toHaveAttribute("aria-checked", "true");
    expect(container.querySelector('[data-seat-id="3"]')).toHaveAttribute("data-status", "mine");
    expect(screen.getByRole("group", { name: "map" })).toBeInTheDocument();
  });
});

describe("zoomAt", () => {
  it("keeps the map point under the anchor where it was", () => {
    const view = { zoom: 1, scrollLeft: 100, scrollTop: 40 };
    const anchor = { x: 300, y: 100 };
    const next = zoomAt(view, 2, anchor);
    expect(next.zoom).toBe(2);
    // Map point (400, 140) was under the anchor; at zoom 2 it is at 800-300, 280-100.
    expect(next).toEqual({ zoom: 2, scrollLeft: 500, scrollTop: 180 });
    const back = zoomAt(next, 1, anchor);
    expect(back).toEqual(view);
  });

  it("stays within its limits and never scrolls before the map's start", () => {
    expect(zoomAt({ zoom: 1, scrollLeft: 0, scrollTop: 0 }, 99, { x: 10, y: 10 }).zoom).toBe(MAX_ZOOM);
    const out = zoomAt({ zoom: 1, scrollLeft: 0, scrollTop: 0 }, 0.01, { x: 10, y: 10 });
    expect(out.zoom).toBe(0.4);
    expect(out.scrollLeft).toBe(0);
    // A venue wider than the screen may fit below the usual minimum.
    expect(zoomAt({ zoom: 1, scrollLeft: 0, scrollTop: 0 }, 0.01, { x: 0, y: 0 }, 0.25).zoom).toBe(0.25);
  });
});

describe("keyboard navigation", () => {
  // Seats 1-3: A row 1, 4-6: A row 2, 7-9: B row 1 (beside A), 10-12: B row 2.
  const layout = layoutSeats(seats());

  it("moves along a row, on into the section beside it, and stops at the map's edge", () => {
    expect(nextSeat(layout.positions, 1, "right")).toBe(2);
    expect(nextSeat(layout.positions, 3, "right")).toBe(7);
    expect(nextSeat(layout.positions, 7, "left")).toBe(3);
    expect(nextSeat(layout.positions, 1, "left")).toBeUndefined();
    expect(nextSeat(layout.positions, 12, "right")).toBeUndefined();
  });

  it("moves to the nearest seat of the row above or below", () => {
    expect(nextSeat(layout.positions, 2, "down")).toBe(5);
    expect(nextSeat(layout.positions, 5, "up")).toBe(2);
    expect(nextSeat(layout.positions, 8, "down")).toBe(11);
    expect(nextSeat(layout.positions, 2, "up")).toBeUndefined();
    expect(nextSeat(layout.positions, 99, "up")).toBeUndefined();
  });

  it("finds a row's ends within its section", () => {
    const all = seats();
    expect(rowEnd(all, all[1], false)).toBe(1);
    expect(rowEnd(all, all[1], true)).toBe(3);
    expect(rowEnd(all, all[7], true)).toBe(9);
  });
});

describe("SeatMap keyboard", () => {
  const renderMap = (onToggle = vi.fn()) =>
    render(
      <I18nProvider>
        <button type="button">before</button>
        <SeatMap seats={seats()} colours={colours} onToggle={onToggle} label="map" />
      </I18nProvider>,
    );
  const seat = (container: HTMLElement, id: number) => container.querySelector(`[data-seat-id="${id}"]`) as SVGElement;
  const stops = (container: HTMLElement) => container.querySelectorAll('circle[tabindex="0"]');

  it("is one Tab stop, and arrow keys carry the focus and the stop from seat to seat", () => {
    const onToggle = vi.fn();
    const { container } = renderMap(onToggle);
    expect(stops(container)).toHaveLength(1);
    expect(stops(container)[0]).toHaveAttribute("data-seat-id", "1");
    // Every other seat is out of the Tab order but can take focus.
    expect(container.querySelectorAll('circle[tabindex="-1"]')).toHaveLength(11);

    act(() => seat(container, 1).focus());
    fireEvent.keyDown(seat(container, 1), { key: "ArrowRight" });
    expect(document.activeElement).toBe(seat(container, 2));
    expect(stops(container)[0]).toBe(seat(container, 2));
    expect(stops(container)).toHaveLength(1);

    // Sold seat 2 is reachable (and announced) but cannot be selected.
    fireEvent.keyDown(seat(container, 2), { key: "Enter" });
    expect(onToggle).not.toHaveBeenCalled();

    fireEvent.keyDown(seat(container, 2), { key: "ArrowDown" });
    expect(document.activeElement).toBe(seat(container, 5));
    fireEvent.keyDown(seat(container, 5), { key: " " });
    expect(onToggle).toHaveBeenLastCalledWith(expect.objectContaining({ id: 5 }));

    fireEvent.keyDown(seat(container, 5), { key: "End" });
    expect(document.activeElement).toBe(seat(container, 6));
    fireEvent.keyDown(seat(container, 6), { key: "ArrowRight" });
    expect(document.activeElement).toBe(seat(container, 10));
    fireEvent.keyDown(seat(container, 10), { key: "Home", ctrlKey: true });
    expect(document.activeElement).toBe(seat(container, 1));
    expect(stops(container)[0]).toBe(seat(container, 1));
  });

  it("keeps the stop on the seat last clicked", () => {
    const { container } = renderMap();
    act(() => seat(container, 8).focus());
    expect(stops(container)[0]).toBe(seat(container, 8));
  });

  it("gives a preview no keyboard stops", () => {
    const { container } = render(
      <I18nProvider>
        <SeatMap seats={seats()} colours={colours} preview label="map" />
      </I18nProvider>,
    );
    expect(container.querySelectorAll("circle[tabindex]")).toHaveLength(0);
  });
});

describe("SeatMap zoom", () => {
  // jsdom lays nothing out: give the scroll box a 400×300 view at the page's origin.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(400);
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(300);
  });
  afterEach(() => vi.restoreAllMocks());

  const renderMap = () => {
    const view = render(
      <I18nProvider>
        <SeatMap seats={seats()} colours={colours} onToggle={vi.fn()} label="map" />
      </I18nProvider>,
    );
    return { ...view, box: screen.getByTestId("seatmap-scroll"), svg: screen.getByRole("group", { name: "map" }) };
  };

  it("zooms a Ctrl+wheel (a trackpad pinch) around the pointer, not the top-left", () => {
    const { box, svg } = renderMap();
    expect(svg).toHaveAttribute("width", "320"); // the whole map fits at 100%
    box.scrollLeft = 20;
    box.scrollTop = 10;
    const wheel = new WheelEvent("wheel", { ctrlKey: true, deltaY: -200, clientX: 300, clientY: 100, cancelable: true, bubbles: true });
    act(() => {
      box.dispatchEvent(wheel);
    });
    expect(wheel.defaultPrevented).toBe(true);
    const zoom = Math.exp(0.4);
    expect(Number(svg.getAttribute("width"))).toBeCloseTo(320 * zoom);
    // The map point under the pointer, (320, 110), is still under it.
    expect(box.scrollLeft).toBeCloseTo(320 * zoom - 300);
    expect(box.scrollTop).toBeCloseTo(110 * zoom - 100);
  });

  it("leaves a plain wheel to scroll the page", () => {
    const { box, svg } = renderMap();
    const wheel = new WheelEvent("wheel", { deltaY: 100, cancelable: true, bubbles: true });
    act(() => {
      box.dispatchEvent(wheel);
    });
    expect(wheel.defaultPrevented).toBe(false);
    expect(svg).toHaveAttribute("width", "320");
  });

  it("zooms a pinch around the fingers' midpoint and pans with it", () => {
    const { box, svg } = renderMap();
    const touches = (...xs: number[]) => xs.map((clientX) => ({ clientX, clientY: 100 }));
    fireEvent.touchStart(box, { touches: touches(100, 200) });
    fireEvent.touchMove(box, { touches: touches(50, 250) });
    // Twice as far apart: twice the zoom, and map point (150, 100) stays at the midpoint.
    expect(svg).toHaveAttribute("width", "640");
    expect(box.scrollLeft).toBe(150);
    expect(box.scrollTop).toBe(100);
    // Same spread, midpoint 50px to the right: the map follows the fingers.
    fireEvent.touchMove(box, { touches: touches(100, 300) });
    expect(svg).toHaveAttribute("width", "640");
    expect(box.scrollLeft).toBe(100);
    fireEvent.touchEnd(box, { touches: touches(100) });
    fireEvent.touchMove(box, { touches: touches(0, 400) });
    expect(svg).toHaveAttribute("width", "640");
  });

  it("zooms the buttons around the view's centre", () => {
    const { box, svg } = renderMap();
    fireEvent.click(screen.getByRole("button", { name: /Zoom in|확대$/ }));
    expect(svg).toHaveAttribute("width", "400");
    expect(box.scrollLeft).toBe(200 * 1.25 - 200);
    expect(box.scrollTop).toBe(150 * 1.25 - 150);
  });
});

describe("applyChanges", () => {
  const map: SeatMapData = {
    event_id: "e",
    version: 5,
    seats: [
      { id: 1, section: "A", row: "1", number: "1", grade: "R", price: 1, status: "available" },
      { id: 2, section: "A", row: "1", number: "2", grade: "R", price: 1, status: "available" },
    ],
  };

  it("applies newer changes and moves the version", () => {
    const next = applyChanges(map, { event_id: "e", version: 7, changes: [{ id: 2, status: "held" }] });
    expect(next.version).toBe(7);
    expect(next.seats[1].status).toBe("held");
    expect(next.seats[0]).toBe(map.seats[0]);
  });

  it("ignores changes the snapshot already has", () => {
    expect(applyChanges(map, { event_id: "e", version: 5, changes: [{ id: 1, status: "sold" }] })).toBe(map);
  });
});
