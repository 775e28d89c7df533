import { NavLink, Outlet, useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { useI18n } from "../i18n/I18n";

export function Layout() {
  const { t, lang, setLang } = useI18n();
  const { user, hasRole, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          Tiketi
        </NavLink>
        <nav aria-label={t("nav.main")}>
          <NavLink to="/" end>
            {t("nav.events")}
          </NavLink>
          {user && <NavLink to="/me/tickets">{t("nav.tickets")}</NavLink>}
          {hasRole("organizer") && <NavLink to="/organizer">{t("nav.organizer")}</NavLink>}
          {hasRole("staff") && <NavLink to="/staff/checkin">{t("nav.checkin")}</NavLink>}
        </nav>
        <div className="topbar-end">
          <label className="lang">
            <span className="sr-only">{t("nav.language")}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as "ko" | "en")} data-testid="lang">
              <option value="ko">한국어</option>
              <option value="en">English</option>
            </select>
          </label>
          {user ? (
            <>
              <span className="who" title={user.email}>
                {user.name}
              </span>
              <button
                type="button"
                className="btn ghost"
                onClick={async () => {
                  await logout();
                  navigate("/");
                }}
              >
                {t("nav.logout")}
              </button>
            </>
          ) : (
            <NavLink to="/login" className="btn ghost">
              {t("nav.login")}
            </NavLink>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
