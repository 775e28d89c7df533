import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { FormEvent } from "react";
import { useNavigate } from "react-router";
import { api } from "../../api/client";
import type { VenueRead } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { SeatMap } from "../../components/SeatMap";
import { gradeColours } from "../../components/seatLayout";
import { useI18n } from "../../i18n/I18n";
import { previewSeats, seatCount, toSections, type SectionDraft } from "./venueDraft";

const MAX_SEATS = 100_000;
// The preview draws every seat; past this it would only slow the editor down.
const PREVIEW_LIMIT = 5_000;

export default function VenueEditorPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [address, setAddress] = useState("");
  const [sections, setSections] = useState<SectionDraft[]>([{ name: "A", rows: 5, seatsPerRow: 10 }]);
  const [error, setError] = useState<unknown>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const total = seatCount(sections);
  const seats = useMemo(() => (total <= PREVIEW_LIMIT ? previewSeats(sections) : []), [sections, total]);
  const colours = useMemo(() => gradeColours(sections.map((s) => s.name)), [sections]);

  const update = (index: number, change: Partial<SectionDraft>) =>
    setSections((current) => current.map((section, i) => (i === index ? { ...section, ...change } : section)));

  const check = (): string[] => {
    const found: string[] = [];
    if (!name.trim()) found.push(t("venue.needName"));
    if (!address.trim()) found.push(t("venue.needAddress"));
    const names = sections.map((s) => s.name.trim());
    if (names.some((n) => !n)) found.push(t("venue.needSectionName"));
    if (new Set(names).size !== names.length) found.push(t("venue.duplicateSection"));
    if (total < 1 || total > MAX_SEATS) found.push(t("venue.seatRange", { max: MAX_SEATS.toLocaleString() }));
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = check();
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    setError(null);
    try {
      const venue = await api<VenueRead>("/api/v1/venues", { method: "POST", body: { name: name.trim(), address: address.trim(), sections: toSections(sections) } });
      await queryClient.invalidateQueries({ queryKey: ["venues"] });
      navigate(`/organizer/events/new?venue=${venue.id}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>{t("venue.title")}</h1>
      <form onSubmit={submit} className="form wide" noValidate>
        <div className="grid2">
          <label>
            {t("venue.name")}
            <input name="venue-name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            {t("venue.address")}
            <input name="venue-address" value={address} onChange={(e) => setAddress(e.target.value)} />
          </label>
        </div>
        <fieldset>
          <legend>{t("venue.sections")}</legend>
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">{t("venue.section")}</th>
                <th scope="col">{t("venue.rows")}</th>
                <th scope="col">{t("venue.seatsPerRow")}</th>
                <th scope="col">
                  <span className="sr-only">{t("org.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sections.map((section, i) => (
                <tr key={i}>
                  <td>
                    <input aria-label={t("venue.section")} name={`section-${i}-name`} value={section.name} onChange={(e) => update(i, { name: e.target.value })} />
                  </td>
                  <td>
                    <input aria-label={t("venue.rows")} name={`section-${i}-rows`} type="number" min={1} max={500} value={section.rows} onChange={(e) => update(i, { rows: Math.max(1, Number(e.target.value) || 1) })} />
                  </td>
                  <td>
                    <input aria-label={t("venue.seatsPerRow")} name={`section-${i}-seats`} type="number" min={1} max={1000} value={section.seatsPerRow} onChange={(e) => update(i, { seatsPerRow: Math.max(1, Number(e.target.value) || 1) })} />
                  </td>
                  <td>
                    <button type="button" className="btn small ghost" disabled={sections.length === 1} onClick={() => setSections((s) => s.filter((_, j) => j !== i))}>
                      {t("action.remove")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button
            type="button"
            className="btn small"
            onClick={() => setSections((s) => [...s, { name: String.fromCharCode(65 + (s.length % 26)) + (s.length >= 26 ? s.length : ""), rows: 5, seatsPerRow: 10 }])}
          >
            {t("venue.addSection")}
          </button>
        </fieldset>
        <p>
          {t("venue.total")} <strong data-testid="venue-total">{total.toLocaleString()}</strong>
        </p>
        {problems.length > 0 && (
          <ul className="error-box" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <ErrorBox error={error} />
        <button type="submit" className="btn primary" disabled={busy}>
          {t("venue.create")}
        </button>
      </form>
      <h2>{t("venue.preview")}</h2>
      {seats.length > 0 ? <SeatMap seats={seats} colours={colours} preview label={t("venue.preview")} /> : <p className="muted">{t("venue.tooBig")}</p>}
    </section>
  );
}
