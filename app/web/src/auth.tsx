// Who is signed in: the user from the token store (kept fresh from
// /v1/user/me), sign-in and sign-out, and the guard of private routes.

import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { notifications } from '@mantine/notifications';
import { tokensFromReply } from './api/client';
import type { TokenReply, UserInfo } from './api/types';
import { useI18n } from './i18n';
import { api, onSessionEnded, queryClient, tokens } from './session';

interface Auth {
  user: UserInfo | null;
  signedIn: boolean;
  isAdmin: boolean;
  signIn: (r: TokenReply) => void;
  signOut: () => Promise<void>;
  setUser: (u: UserInfo) => void;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const current = useSyncExternalStore(tokens.subscribe, tokens.get);
  const signedIn = current !== null;
  const user = current?.user ?? null;

  const setUser = useCallback((u: UserInfo) => {
    const cur = tokens.get();
    if (cur) tokens.set({ ...cur, user: u });
  }, []);

  // Refresh the profile once per sign-in (role or nickname may have changed).
  const uid = user?.id;
  useEffect(() => {
    if (!signedIn) return;
    api.user
      .me()
      .then(setUser)
      .catch(() => undefined);
  }, [signedIn, uid, setUser]);

  useEffect(
    () =>
      onSessionEnded(() => {
        queryClient.clear();
        notifications.show({ color: 'yellow', title: t('auth.sessionEnded'), message: t('auth.signInAgain') });
      }),
    [t],
  );

  const signIn = useCallback((r: TokenReply) => {
    queryClient.clear();
    tokens.set(tokensFromReply(r, Date.now()));
  }, []);

  const signOut = useCallback(async () => {
    const cur = tokens.get();
    tokens.set(null);
    queryClient.clear();
    if (cur) await api.user.logout(cur.refresh_token).catch(() => undefined);
  }, []);

  const value = useMemo<Auth>(
    () => ({ user, signedIn, isAdmin: user?.role === 'admin', signIn, signOut, setUser }),
    [user, signedIn, signIn, signOut, setUser],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const c = useContext(Ctx);
  if (!c) throw new Error('useAuth outside AuthProvider');
  return c;
}

/** Sends signed-out visitors to /login, remembering where they wanted to go. */
export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { signedIn, isAdmin } = useAuth();
  const loc = useLocation();
  if (!signedIn) return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  if (admin && !isAdmin) return <Navigate to="/drive" replace />;
  return <>{children}</>;
}

/** Where to go after signing in: ?next= when it is a path of ours. */
export function nextPath(search: string): string {
  const n = new URLSearchParams(search).get('next');
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/drive';
}
