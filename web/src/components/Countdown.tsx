import { useEffect, useRef } from "react";
import { useI18n } from "../i18n/I18n";
import { formatDuration, useNow } from "../lib/time";

interface Props {
  to: string;
  /** Called once when the time is reached. */
  onDone?: () => void;
  className?: string;
  label?: string;
}

/** A live countdown to `to` (announced politely to screen readers once a minute at most). */
export function Countdown({ to, onDone, className, label }: Props) {
  const { t } = useI18n();
  const now = useNow(1000);
  const left = Math.max(0, (new Date(to).getTime() - now) / 1000);
  const done = useRef(false);
  useEffect(() => {
    if (left <= 0 && !done.current) {
      done.current = true;
      onDone?.();
    }
  }, [left, onDone]);
  return (
    <span className={className ?? "countdown"} role="timer" aria-label={label} data-seconds={Math.floor(left)}>
      {formatDuration(left, t("unit.day"))}
    </span>
  );
}
