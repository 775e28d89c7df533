import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n/I18n";
import { formatDuration } from "../lib/time";
import { Countdown } from "./Countdown";

describe("formatDuration", () => {
  it("shows minutes and seconds, hours when needed, days in front", () => {
    expect(formatDuration(0)).toBe("00:00");
    expect(formatDuration(65)).toBe("01:05");
    expect(formatDuration(3 * 3600 + 5)).toBe("03:00:05");
    expect(formatDuration(2 * 86400 + 61, "일")).toBe("2일 00:01:01");
    expect(formatDuration(-5)).toBe("00:00");
  });
});

describe("Countdown", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-12-24T10:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("ticks down every second and calls onDone once at zero", () => {
    const done = vi.fn();
    render(
      <I18nProvider>
        <Countdown to="2026-12-24T10:00:03Z" onDone={done} />
      </I18nProvider>,
    );
    expect(screen.getByRole("timer")).toHaveTextContent("00:03");
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole("timer")).toHaveTextContent("00:02");
    expect(done).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByRole("timer")).toHaveTextContent("00:00");
    act(() => vi.advanceTimersByTime(3000));
    expect(done).toHaveBeenCalledTimes(1);
  });
});
