import { useState } from "react";
import type { FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox } from "../components/ErrorBox";
import { GoogleSignIn } from "../components/GoogleSignIn";
import { clientConfig } from "../config";
import { useI18n, type Translate } from "../i18n/I18n";

/** The API's own rules (auth's schemas), checked before sending; the API's answer still wins. */
export function validateCredentials(
  t: Translate,
  mode: "login" | "register",
  email: string,
  password: string,
  name: string,
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) errors.email = t("auth.badEmail");
  if (mode === "register") {
    if (password.length < 10 || password.length > 128) errors.password = t("auth.badPassword");
    if (!name.trim()) errors.name = t("auth.badName");
  } else if (!password) errors.password = t("auth.badPassword");
  return errors;
}

/** Only same-site paths: never an open redirect. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const { t } = useI18n();
  const { login, register, loginWithGoogle } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const googleClientId = clientConfig().googleClientId;

  const signIn = async (how: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await how();
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateCredentials(t, mode, email, password, name);
    setErrors(found);
    if (Object.keys(found).length) return;
    await signIn(() =>
      mode === "login" ? login(email.trim(), password) : register(email.trim(), password, name.trim()),
    );
  };

  return (
    <section className="narrow">
      <h1>{mode === "login" ? t("auth.login") : t("auth.register")}</h1>
      {params.get("expired") && <p className="notice">{t("auth.expired")}</p>}
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === "login"} className={mode === "login" ? "tab active" : "tab"} onClick={() => setMode("login")}>
          {t("auth.login")}
        </button>
        <button type="button" role="tab" aria-selected={mode === "register"} className={mode === "register" ? "tab active" : "tab"} onClick={() => setMode("register")}>
          {t("auth.register")}
        </button>
      </div>
      <form onSubmit={submit} noValidate className="form">
        {mode === "register" && (
          <label>
            {t("auth.name")}
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" aria-invalid={Boolean(errors.name)} />
            {errors.name && <span className="field-error">{errors.name}</span>}
          </label>
        )}
        <label>
          {t("auth.email")}
          <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" aria-invalid={Boolean(errors.email)} />
          {errors.email && <span className="field-error">{errors.email}</span>}
        </label>
        <label>
          {t("auth.password")}
          <input
            name="password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            aria-invalid={Boolean(errors.password)}
          />
          {errors.password && <span className="field-error">{errors.password}</span>}
        </label>
        <ErrorBox error={error} />
        <button type="submit" className="btn primary" disabled={busy}>
          {mode === "login" ? t("auth.login") : t("auth.register")}
        </button>
      </form>
      {googleClientId && (
        <GoogleSignIn clientId={googleClientId} onCredential={(idToken) => void signIn(() => loginWithGoogle(idToken))} />
      )}
    </section>
  );
}
