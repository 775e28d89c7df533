import { describe, expect, it } from "vitest";
import { checkDraft, newDraft, toBody } from "./eventDraft";
import { previewSeats, rowLabel, seatCount, toSections } from "./venueDraft";

describe("venue drafts", () => {
  it("labels rows A…Z, AA…", () => {
    expect([0, 1, 25, 26, 27].map(rowLabel)).toEqual(["A", "B", "Z", "AA", "AB"]);
  });

  it("turns sections into the API's layout and a preview", () => {
    const drafts = [{ name: "A", rows: 2, seatsPerRow: 3 }, { name: "B", rows: 1, seatsPerRow: 4 }];
    expect(toSections(drafts)).toEqual([
      { name: "A", rows: [{ label: "A", seats: 3 }, { label: "B", seats: 3 }] },
      { name: "B", rows: [{ label: "A", seats: 4 }] },
    ]);
    expect(seatCount(drafts)).toBe(10);
    expect(previewSeats(drafts)).toHaveLength(10);
  });
});

describe("event drafts", () => {
  const say = (key: string) => key;

  it("mirrors the catalog's rules", () => {
    const draft = { ...newDraft(new Date("2026-11-01T10:00:00")), title: "", venueId: "v" };
    draft.saleClosesAt = draft.startsAt.replace(/T\d\d/, "T23");
    draft.grades.push({ code: "R", name: "again", price: -1 });
    const problems = checkDraft(draft, ["A"], say);
    expect(problems.title).toBe("required");
    expect(problems.sale_closes_at).toBe("closesBeforeStarts");
    expect(problems["grades.2.code"]).toBe("duplicateGrade");
    expect(problems["grades.2.price"]).toBe("price");
    expect(problems["seat_grades.A"]).toBe("sectionGrade");
  });

  it("accepts a complete draft and sends times with an offset", () => {
    const draft = { ...newDraft(new Date("2026-11-01T10:00:00")), title: "Show", venueId: "v", seatGrades: { A: "R", B: "S" } };
    expect(checkDraft(draft, ["A", "B"], say)).toEqual({});
    const body = toBody(draft, ["A", "B"]);
    expect(body.starts_at).toMatch(/T19:00:00[+-]\d\d:\d\d$/);
    expect(body.seat_grades).toEqual({ A: "R", B: "S" });
    expect(body.queue).toEqual({ enabled: true, max_active: 1000, admit_per_second: 50 });
  });
});
