import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { api, ApiError } from "../../api/client";
import type { EventRead, VenuePage, VenueRead } from "../../api/types";
import { ErrorBox, Loading } from "../../components/ErrorBox";
import { useI18n } from "../../i18n/I18n";
import type { Key } from "../../i18n/dict";
import { checkDraft, draftOf, newDraft, toBody, type EventDraft, type Problems } from "./eventDraft";

function Field({ name, problems, label, children }: { name: string; problems: Problems; label: string; children: ReactNode }) {
  return (
    <label className={problems[name] ? "invalid" : undefined} data-field={name}>
      {label}
      {children}
      {problems[name] && <span className="field-error">{problems[name]}</span>}
    </label>
  );
}

export default function EventFormPage() {
  const { eventId } = useParams();
  const [params] = useSearchParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<EventDraft>(() => ({ ...newDraft(), venueId: params.get("venue") ?? "" }));
  const [poster, setPoster] = useState<File | null>(null);
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const existing = useQuery({
    queryKey: ["event", eventId],
    queryFn: () => api<EventRead>(`/api/v1/events/${eventId}`),
    enabled: Boolean(eventId),
  });
  useEffect(() => {
    if (existing.data) setDraft(draftOf(existing.data));
  }, [existing.data]);
  const venues = useQuery({ queryKey: ["venues"], queryFn: () => api<VenuePage>("/api/v1/venues?limit=100") });
  const venue = useQuery({
    queryKey: ["venue", draft.venueId],
    queryFn: () => api<VenueRead>(`/api/v1/venues/${draft.venueId}`),
    enabled: Boolean(draft.venueId),
    staleTime: Infinity,
  });
  const sections = venue.data?.sections.map((s) => s.name) ?? [];

  const set = (change: Partial<EventDraft>) => setDraft((current) => ({ ...current, ...change }));
  const setGrade = (index: number, change: Partial<EventDraft["grades"][number]>) =>
    set({ grades: draft.grades.map((g, i) => (i === index ? { ...g, ...change } : g)) });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = checkDraft(draft, sections, (key) => t(`form.${key}` as Key));
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(null);
    try {
      const body = toBody(draft, sections);
      const saved = eventId
        ? await api<EventRead>(`/api/v1/events/${eventId}`, { method: "PATCH", body })
        : await api<EventRead>("/api/v1/events", { method: "POST", body });
      if (poster) {
        const form = new FormData();
        form.append("file", poster);
        await api(`/api/v1/events/${saved.id}/image`, { method: "POST", form });
      }
      await queryClient.invalidateQueries({ queryKey: ["events"] });
      await queryClient.invalidateQueries({ queryKey: ["event", saved.id] });
      navigate(`/organizer/events/${saved.id}`);
    } catch (caught) {
      // The API's 422 names fields as we do: show them beside the inputs too.
      if (caught instanceof ApiError) setProblems(caught.fieldErrors);
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (eventId && existing.isPending) return <Loading />;
  if (existing.error) return <ErrorBox error={existing.error} onRetry={() => existing.refetch()} />;

  return (
    <section>
      <h1>{eventId ? t("eventForm.editTitle") : t("eventForm.title")}</h1>
      <form
        className="form wide"
        onSubmit={submit}
        noValidate
        onChange={(e) => {
          // An edited field's old problem goes; the next submit checks everything again.
          const field = (e.target as HTMLElement).closest("[data-field]")?.getAttribute("data-field");
          if (field && problems[field]) setProblems(({ [field]: _, ...rest }) => rest);
        }}
      >
        <Field name="title" problems={problems} label={t("eventForm.name")}>
          <input name="title" value={draft.title} onChange={(e) => set({ title: e.target.value })} />
        </Field>
        <Field name="description" problems={problems} label={t("eventForm.description")}>
          <textarea name="description" rows={3} value={draft.description} onChange={(e) => set({ description: e.target.value })} />
        </Field>
        <Field name="venue_id" problems={problems} label={t("eventForm.venue")}>
          <select name="venue" value={draft.venueId} onChange={(e) => set({ venueId: e.target.value, seatGrades: {} })}>
            <option value="">{t("eventForm.chooseVenue")}</option>
            {venues.data?.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name} ({v.seat_count.toLocaleString()})
              </option>
            ))}
          </select>
        </Field>
        {venues.error && <ErrorBox error={venues.error} />}
        <div className="grid2">
          <Field name="starts_at" problems={problems} label={t("eventForm.starts")}>
            <input name="starts_at" type="datetime-local" value={draft.startsAt} onChange={(e) => set({ startsAt: e.target.value })} />
          </Field>
          <Field name="ends_at" problems={problems} label={t("eventForm.ends")}>
            <input name="ends_at" type="datetime-local" value={draft.endsAt} onChange={(e) => set({ endsAt: e.target.value })} />
          </Field>
          <Field name="sale_opens_at" problems={problems} label={t("eventForm.saleOpens")}>
            <input name="sale_opens_at" type="datetime-local" value={draft.saleOpensAt} onChange={(e) => set({ saleOpensAt: e.target.value })} />
          </Field>
          <Field name="sale_closes_at" problems={problems} label={t("eventForm.saleCloses")}>
            <input name="sale_closes_at" type="datetime-local" value={draft.saleClosesAt} onChange={(e) => set({ saleClosesAt: e.target.value })} />
          </Field>
        </div>
        <fieldset>
          <legend>{t("eventForm.grades")}</legend>
          {problems.grades && <span className="field-error">{problems.grades}</span>}
          {draft.grades.map((grade, i) => (
            <div className="grade-row" key={i}>
              <Field name={`grades.${i}.code`} problems={problems} label={t("eventForm.code")}>
                <input name={`grade-${i}-code`} value={grade.code} onChange={(e) => setGrade(i, { code: e.target.value })} />
              </Field>
              <Field name={`grades.${i}.name`} problems={problems} label={t("eventForm.gradeName")}>
                <input name={`grade-${i}-name`} value={grade.name} onChange={(e) => setGrade(i, { name: e.target.value })} />
              </Field>
              <Field name={`grades.${i}.price`} problems={problems} label={t("eventForm.price")}>
                <input name={`grade-${i}-price`} type="number" min={0} step={1000} value={grade.price} onChange={(e) => setGrade(i, { price: Number(e.target.value) })} />
              </Field>
              <button type="button" className="btn small ghost" onClick={() => set({ grades: draft.grades.filter((_, j) => j !== i) })}>
                {t("action.remove")}
              </button>
            </div>
          ))}
          <button type="button" className="btn small" onClick={() => set({ grades: [...draft.grades, { code: "", name: "", price: 0 }] })}>
            {t("eventForm.addGrade")}
          </button>
        </fieldset>
        {sections.length > 0 && (
          <fieldset>
            <legend>{t("eventForm.sectionGrades")}</legend>
            <div className="grid3">
              {sections.map((section) => (
                <Field key={section} name={`seat_grades.${section}`} problems={problems} label={t("venue.section") + " " + section}>
                  <select
                    name={`seat-grade-${section}`}
                    value={draft.seatGrades[section] ?? ""}
                    onChange={(e) => set({ seatGrades: { ...draft.seatGrades, [section]: e.target.value } })}
                  >
                    <option value="">—</option>
                    {draft.grades
                      .filter((g) => g.code.trim())
                      .map((g) => (
                        <option key={g.code} value={g.code.trim()}>
                          {g.code} · {g.name}
                        </option>
                      ))}
                  </select>
                </Field>
              ))}
            </div>
          </fieldset>
        )}
        <fieldset>
          <legend>{t("eventForm.rules")}</legend>
          <div className="grid3">
            <Field name="max_tickets_per_user" problems={problems} label={t("eventForm.limit")}>
              <input name="max_tickets" type="number" min={1} max={20} value={draft.maxTickets} onChange={(e) => set({ maxTickets: Number(e.target.value) })} />
            </Field>
            <Field name="queue.max_active" problems={problems} label={t("eventForm.maxActive")}>
              <input name="max_active" type="number" min={1} value={draft.maxActive} onChange={(e) => set({ maxActive: Number(e.target.value) })} />
            </Field>
            <Field name="queue.admit_per_second" problems={problems} label={t("eventForm.admitRate")}>
              <input name="admit_per_second" type="number" min={0.1} step={0.1} value={draft.admitPerSecond} onChange={(e) => set({ admitPerSecond: Number(e.target.value) })} />
            </Field>
          </div>
          <label className="check">
            <input name="queue_enabled" type="checkbox" checked={draft.queueEnabled} onChange={(e) => set({ queueEnabled: e.target.checked })} /> {t("eventForm.queue")}
          </label>
        </fieldset>
        <label>
          {t("eventForm.poster")}
          <input name="poster" type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => setPoster(e.target.files?.[0] ?? null)} />
        </label>
        <ErrorBox error={error} />
        <button type="submit" className="btn primary" disabled={busy}>
          {eventId ? t("eventForm.save") : t("eventForm.create")}
        </button>
      </form>
    </section>
  );
}
