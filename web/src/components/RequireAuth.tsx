import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import type { Role } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { useI18n } from "../i18n/I18n";

/** Children for a signed-in user (with one of `roles`, when given); else the login page. */
export function RequireAuth({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const { user, hasRole } = useAuth();
  const { t } = useI18n();
  const location = useLocation();
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (roles && !hasRole(...roles)) {
    return (
      <div className="error-box" role="alert">
        <p className="error-message">{t("error.forbidden")}</p>
      </div>
    );
  }
  return <>{children}</>;
}
