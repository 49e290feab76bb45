// The HTTP client of the API: JSON in and out, Accept-Language on every
// call, the bearer token attached and refreshed before it expires, one retry
// after a 401, and a single refresh at a time across tabs (Web Locks).

import { ApiError, AUTH_REASONS, SESSION_OVER_REASONS, errorFromBody, networkError } from './errors';
import type { TokenReply } from './types';
import { int } from './types';
import type { TokenStore, Tokens } from './tokens';

export type Auth = 'bearer' | 'none' | 'optional';
export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export interface CallOptions {
  body?: unknown;
  query?: Query;
  /** bearer (the default): a token is required; optional: sent when signed in; none: never sent. */
  auth?: Auth;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ClientOptions {
  tokens: TokenStore;
  /** The UI language, sent as Accept-Language ("en", "zh-CN"). */
  language: () => string;
  fetch?: typeof fetch;
  base?: string;
  now?: () => number;
  /** Runs fn while holding a lock shared by every tab of this origin. */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** The refresh token was refused: the user must sign in again. */
  onSessionEnded?: (reason: string) => void;
}

/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

function webLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (locks) return locks.request(name, fn) as Promise<T>;
  return fn();
}

export function tokensFromReply(r: TokenReply, now: number): Tokens {
  const ttl = int(r.expires_in) || 900;
  return { access_token: r.access_token, refresh_token: r.refresh_token, expires_at: now + ttl * 1000, user: r.user };
}

export function buildQuery(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  readonly tokens: TokenStore;
  private readonly opts: ClientOptions;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;
  private refreshing?: Promise<Tokens | null>;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.tokens = opts.tokens;
    this.doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.now = opts.now ?? Date.now;
  }

  get base(): string {
    return this.opts.base ?? '';
  }

  language(): string {
    return this.opts.language();
  }

  /** A usable access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const t = this.tokens.get();
    if (!t) return null;
    if (t.expires_at - this.now() > EARLY_MS) return t.access_token;
    const fresh = await this.refresh();
    return fresh?.access_token ?? null;
  }

  /**
   * Trades the refresh token for new tokens, once at a time in all tabs.
   * stale is the access token that was just refused: when another tab has
   * replaced it meanwhile, that tab's tokens are used instead of refreshing
   * again with a refresh token that is already spent.
   */
  refresh(stale?: string): Promise<Tokens | null> {
    if (!this.refreshing) {
      const lock = this.opts.lock ?? webLock;
      this.refreshing = lock('clouddrive-refresh', async () => {
        const cur = this.tokens.get();
        if (!cur) return null;
        const fresh = cur.expires_at - this.now() > EARLY_MS;
        if (fresh && (stale === undefined || cur.access_token !== stale)) return cur;
        let reply: TokenReply;
        try {
          reply = await this.send<TokenReply>('POST', '/v1/user/refresh', { body: { refresh_token: cur.refresh_token }, auth: 'none' }, null);
        } catch (e) {
          if (e instanceof ApiError && (SESSION_OVER_REASONS.has(e.reason) || e.status === 401)) {
            this.endSession(e.reason);
            return null;
          }
          throw e;
        }
        const next = tokensFromReply(reply, this.now());
        next.user = reply.user ?? cur.user;
        this.tokens.set(next);
        return next;
      }).finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  endSession(reason: string): void {
    if (this.tokens.get()) this.tokens.set(null);
    this.opts.onSessionEnded?.(reason);
  }

  /** Headers of a raw request (chunk PUTs) made outside call(). */
  async authHeaders(): Promise<Record<string, string>> {
    const h: Record<string, string> = { 'Accept-Language': this.opts.language() };
    const token = await this.accessToken();
    if (token) h.Authorization = `Bearer ${token}`;
    return h;
  }

  async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const auth = o.auth ?? 'bearer';
    const token = auth === 'none' ? null : await this.accessToken();
    if (auth === 'bearer' && !token) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'not signed in');
    }
    try {
      return await this.send<T>(method, path, o, token);
    } catch (e) {
      if (token && e instanceof ApiError && e.status === 401 && AUTH_REASONS.has(e.reason)) {
        const fresh = await this.refresh(token);
        if (!fresh) {
          if (auth === 'optional') return this.send<T>(method, path, o, null);
          throw e;
        }
        return this.send<T>(method, path, o, fresh.access_token);
      }
      throw e;
    }
  }

  get<T>(path: string, query?: Query, o: Omit<CallOptions, 'query'> = {}): Promise<T> {
    return this.call<T>('GET', path, { ...o, query });
  }

  post<T>(path: string, body: unknown = {}, o: Omit<CallOptions, 'body'> = {}): Promise<T> {
    return this.call<T>('POST', path, { ...o, body });
  }

  private async send<T>(method: string, path: string, o: CallOptions, token: string | null): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': this.opts.language(), ...o.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.body !== undefined && method !== 'GET' && method !== 'HEAD') {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    let res: Response;
    try {
      res = await this.doFetch(this.base + path + buildQuery(o.query), { method, headers, body, signal: o.signal, credentials: 'same-origin' });
    } catch (e) {
      throw networkError(e);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw errorFromBody(res.status, text);
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', 'the server answered with something other than JSON');
    }
  }
}
