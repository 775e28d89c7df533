import type { EventRead, EventSummary } from "../api/types";
import type { Key } from "../i18n/dict";

export function saleStateKey(state: string): Key {
  switch (state) {
    case "upcoming":
      return "sale.upcoming";
    case "on_sale":
      return "sale.on_sale";
    case "sold_out":
      return "sale.sold_out";
    default:
      return "sale.closed";
  }
}

/** The lowest grade price ("from ₩…"). */
export function lowestPrice(event: EventSummary | EventRead): number | null {
  const prices = event.grades.map((grade) => grade.price);
  return prices.length ? Math.min(...prices) : null;
}
