// Where the session lives: the access token (15 min) and the rotating
// refresh token, kept in localStorage so a reload or a second tab stays
// signed in. Every tab reads the store afresh before refreshing, so two tabs
// never present the same refresh token twice (which would revoke the session).

import type { UserInfo } from './types';

export interface Tokens {
  access_token: string;
  refresh_token: string;
  /** Milliseconds since the epoch when the access token expires. */
  expires_at: number;
  user?: UserInfo;
}

export interface TokenStore {
  get(): Tokens | null;
  set(t: Tokens | null): void;
  /** Called when the tokens change, in this tab or another. */
  subscribe(fn: () => void): () => void;
}

export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let cur = initial;
  const subs = new Set<() => void>();
  return {
    get: () => cur,
    set(t) {
      cur = t;
      subs.forEach((f) => f());
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

export function localTokenStore(key = 'clouddrive.session'): TokenStore {
  const subs = new Set<() => void>();
  let cacheRaw: string | null | undefined;
  let cache: Tokens | null = null;
  const read = (): Tokens | null => {
    let raw: string | null = null;
    try {
      raw = localStorage.getItem(key);
    } catch {
      raw = null;
    }
    if (raw === cacheRaw) return cache;
    cacheRaw = raw;
    try {
      const t = raw ? (JSON.parse(raw) as Tokens) : null;
      cache = t && typeof t.refresh_token === 'string' ? t : null;
    } catch {
      cache = null;
    }
    return cache;
  };
  window.addEventListener('storage', (e) => {
    if (e.key === key || e.key === null) subs.forEach((f) => f());
  });
  return {
    get: read,
    set(t) {
      try {
        if (t) localStorage.setItem(key, JSON.stringify(t));
        else localStorage.removeItem(key);
      } catch {
        // Private mode without storage: the session lasts as long as the tab.
      }
      subs.forEach((f) => f());
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}
