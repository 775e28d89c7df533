import { ApiError, NETWORK_ERROR } from "../api/client";
import { useI18n } from "../i18n/I18n";

/** An error as people read it: the API's own message, the code, and a retry when it helps. */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  let message = t("error.unknown");
  let code: string | null = null;
  if (error instanceof ApiError) {
    code = error.code;
    message = error.code === NETWORK_ERROR ? t("error.network") : error.message;
  } else if (error instanceof Error) {
    message = error.message;
  }
  const fields = error instanceof ApiError ? Object.entries(error.fieldErrors) : [];
  // A retry helps with the network, the server's own trouble and rate limits, not a 404 or 422.
  const final = error instanceof ApiError && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status);
  return (
    <div className="error-box" role="alert">
      <p className="error-message">{message}</p>
      {fields.length > 0 && (
        <ul className="error-fields">
          {fields.map(([field, text]) => (
            <li key={field}>
              <code>{field}</code>: {text}
            </li>
          ))}
        </ul>
      )}
      {code && <p className="error-code">{code}</p>}
      {onRetry && !final && (
        <button type="button" className="btn" onClick={onRetry}>
          {t("action.retry")}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {t("state.loading")}
    </div>
  );
}
