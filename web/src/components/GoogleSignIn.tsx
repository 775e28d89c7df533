import { useEffect, useRef, useState } from "react";
import { googleIdentity } from "../lib/google";
import { useI18n } from "../i18n/I18n";
import { ErrorBox } from "./ErrorBox";

interface Props {
  clientId: string;
  /** Called with the Google ID token once the person has chosen an account. */
  onCredential: (idToken: string) => void;
}

/** Google's own "Sign in with Google" button (Google Identity Services), in the page's language. */
export function GoogleSignIn({ clientId, onCredential }: Props) {
  const { t, lang } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>(null);
  // The latest handler, without re-initialising Google's client on every render.
  const handler = useRef(onCredential);
  handler.current = onCredential;

  useEffect(() => {
    let live = true;
    googleIdentity().then(
      (id) => {
        if (!live || !box.current) return;
        id.initialize({ client_id: clientId, callback: (response) => handler.current(response.credential) });
        box.current.replaceChildren();
        id.renderButton(box.current, { type: "standard", theme: "outline", size: "large", text: "signin_with", locale: lang });
      },
      (caught: unknown) => {
        if (live) setError(caught);
      },
    );
    return () => {
      live = false;
    };
  }, [clientId, lang]);

  return (
    <div className="google-signin" role="group" aria-label={t("auth.google")}>
      <p className="muted">{t("auth.or")}</p>
      <div ref={box} className="google-button" data-testid="google-button" />
      <ErrorBox error={error} />
    </div>
  );
}
