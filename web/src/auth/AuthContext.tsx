// Who is signed in: the session from localStorage, kept in step across refreshes and tabs.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { api } from "../api/client";
import { loadSession, onSession, saveSession, sessionFrom, type Session } from "../api/session";
import type { Role, SessionRead, User } from "../api/types";

interface Auth {
  user: User | null;
  session: Session | null;
  login: (email: string, password: string) => Promise<User>;
  register: (email: string, password: string, name: string) => Promise<User>;
  /** Sign in with a Google ID token (the `credential` of Google's button). */
  loginWithGoogle: (idToken: string) => Promise<User>;
  logout: () => Promise<void>;
  hasRole: (...roles: Role[]) => boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  useEffect(() => onSession(setSession), []);
  useEffect(() => {
    // Another tab signed in or out.
    const sync = (event: StorageEvent) => {
      if (event.key === "tiketi.session") setSession(loadSession());
    };
    window.addEventListener("storage", sync);
    return () => window.removeEventListener("storage", sync);
  }, []);

  const start = useCallback(async (path: string, body: unknown) => {
    const read = await api<SessionRead>(path, { method: "POST", body, auth: false });
    saveSession(sessionFrom(read));
    return read.user;
  }, []);

  const value = useMemo<Auth>(
    () => ({
      user: session?.user ?? null,
      session,
      login: (email, password) => start("/api/v1/auth/login", { email, password }),
      register: (email, password, name) =>
        start("/api/v1/auth/register", { email, password, name }),
      loginWithGoogle: (idToken) => start("/api/v1/auth/google", { id_token: idToken }),
      logout: async () => {
        const current = loadSession();
        saveSession(null);
        if (current) {
          await api("/api/v1/auth/logout", {
            method: "POST",
            body: { refresh_token: current.refreshToken },
            auth: false,
          }).catch(() => undefined);
        }
      },
      hasRole: (...roles) => {
        const role = session?.user.role as Role | undefined;
        return role !== undefined && (role === "admin" || roles.includes(role));
      },
    }),
    [session, start],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
