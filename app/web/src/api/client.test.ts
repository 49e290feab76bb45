import { describe, expect, it } from 'vitest';
import { ApiClient, buildQuery } from './client';
import { ApiError, errorFromBody } from './errors';
import { memoryTokenStore, type Tokens } from './tokens';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A fake server: handler(seen) → Response; records every request. */
function setup(handler: (s: Seen) => Response | Promise<Response>, tokens: Tokens | null = null, now = 1_000_000) {
  const seen: Seen[] = [];
  const store = memoryTokenStore(tokens);
  const ended: string[] = [];
  const client = new ApiClient({
    tokens: store,
    language: () => 'zh-CN,zh;q=0.9',
    now: () => now,
    lock: (_n, fn) => fn(),
    onSessionEnded: (r) => ended.push(r),
    fetch: async (input, init) => {
      const s: Seen = {
        method: init?.method ?? 'GET',
        url: String(input),
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      };
      seen.push(s);
      return handler(s);
    },
  });
  return { client, seen, store, ended };
}

const fresh = (): Tokens => ({ access_token: 'A1', refresh_token: 'R1', expires_at: 1_000_000 + 600_000 });

describe('errors', () => {
  it('reads {code, reason, message, metadata}', () => {
    const e = errorFromBody(409, JSON.stringify({ code: 409, reason: 'NAME_CONFLICT', message: '名称冲突', metadata: { name: 'a' } }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.reason).toBe('NAME_CONFLICT');
    expect(e.message).toBe('名称冲突');
    expect(e.metadata.name).toBe('a');
  });
  it('survives bodies that are not ours', () => {
    const e = errorFromBody(502, '<html>Bad Gateway</html>');
    expect(e.reason).toBe('INTERNAL');
    expect(e.retryable).toBe(true);
    expect(errorFromBody(404, '').reason).toBe('NOT_FOUND');
  });
  it('knows when to wait', () => {
    const e = errorFromBody(429, JSON.stringify({ code: 429, reason: 'RATE_LIMITED', message: 'slow down', metadata: { retry_after_seconds: '7' } }));
    expect(e.retryAfterSeconds).toBe(7);
    expect(e.retryable).toBe(true);
  });
});

describe('ApiClient', () => {
  it('sends JSON, the language and the bearer token', async () => {
    const { client, seen } = setup(() => json(200, { id: '1', name: 'x', kind: 'folder' }), fresh());
    const n = await client.post<{ id: string }>('/v1/file/mkdir', { parent_id: '', name: 'x' });
    expect(n.id).toBe('1');
    expect(seen[0].headers.Authorization).toBe('Bearer A1');
    expect(seen[0].headers['Accept-Language']).toBe('zh-CN,zh;q=0.9');
    expect(seen[0].headers['Content-Type']).toBe('application/json');
    expect(seen[0].body).toEqual({ parent_id: '', name: 'x' });
  });

  it('puts GET parameters in the query string', async () => {
    const { client, seen } = setup(() => json(200, {}), fresh());
    await client.get('/v1/file/list', { parent_id: '', page_size: 200, desc: true, order_by: 'name', page_token: undefined });
    expect(seen[0].url).toBe('/v1/file/list?page_size=200&desc=true&order_by=name');
    expect(buildQuery({ ids: ['a', 'b'] })).toBe('?ids=a&ids=b');
  });

  it('throws ApiError with the server message', async () => {
    const { client } = setup(() => json(401, { code: 401, reason: 'INVALID_CREDENTIALS', message: '用户名或密码错误' }));
    await expect(client.post('/v1/user/login', {}, { auth: 'none' })).rejects.toMatchObject({ reason: 'INVALID_CREDENTIALS', message: '用户名或密码错误' });
  });

  it('turns a failed fetch into a NETWORK error', async () => {
    const { client } = setup(() => {
      throw new TypeError('Failed to fetch');
    }, fresh());
    const e = await client.get('/v1/user/me').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).isNetwork).toBe(true);
  });

  it('refuses a private call when signed out, without a request', async () => {
    const { client, seen } = setup(() => json(200, {}));
    await expect(client.get('/v1/user/me')).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    expect(seen).toHaveLength(0);
  });

  it('refreshes an expiring token first, once for concurrent calls', async () => {
    const { client, seen, store } = setup((s) => {
      if (s.url === '/v1/user/refresh') return json(200, { access_token: 'A2', refresh_token: 'R2', expires_in: '900' });
      return json(200, { ok: s.headers.Authorization });
    }, { access_token: 'A1', refresh_token: 'R1', expires_at: 1_000_000 + 10_000 });
    const [a, b] = await Promise.all([client.get<{ ok: string }>('/v1/user/me'), client.get<{ ok: string }>('/v1/file/usage')]);
    expect(a.ok).toBe('Bearer A2');
    expect(b.ok).toBe('Bearer A2');
    expect(seen.filter((s) => s.url === '/v1/user/refresh')).toHaveLength(1);
    expect(seen.find((s) => s.url === '/v1/user/refresh')?.body).toEqual({ refresh_token: 'R1' });
    expect(store.get()?.refresh_token).toBe('R2');
    expect(store.get()?.expires_at).toBe(1_000_000 + 900_000);
  });

  it('refreshes and retries once after a 401', async () => {
    let calls = 0;
    const { client, seen } = setup((s) => {
      if (s.url === '/v1/user/refresh') return json(200, { access_token: 'A2', refresh_token: 'R2', expires_in: '900' });
      calls++;
      if (s.headers.Authorization === 'Bearer A1') return json(401, { code: 401, reason: 'UNAUTHENTICATED', message: 'expired' });
      return json(200, { n: calls });
    }, fresh());
    expect(await client.get('/v1/user/me')).toEqual({ n: 2 });
    expect(seen.map((s) => s.url)).toEqual(['/v1/user/me', '/v1/user/refresh', '/v1/user/me']);
  });

  it('uses the tokens another tab refreshed instead of spending the refresh token again', async () => {
    const tokens = fresh();
    const { client, seen, store } = setup((s) => {
      if (s.url === '/v1/user/refresh') return json(401, { code: 401, reason: 'REFRESH_TOKEN_REUSED', message: 'reused' });
      if (s.headers.Authorization === 'Bearer A1') {
        // Meanwhile another tab rotated the tokens.
        store.set({ access_token: 'B', refresh_token: 'RB', expires_at: 1_000_000 + 900_000 });
        return json(401, { code: 401, reason: 'UNAUTHENTICATED', message: 'expired' });
      }
      return json(200, { ok: true });
    }, tokens);
    expect(await client.get('/v1/user/me')).toEqual({ ok: true });
    expect(seen.some((s) => s.url === '/v1/user/refresh')).toBe(false);
    expect(seen[seen.length - 1].headers.Authorization).toBe('Bearer B');
  });

  it('ends the session when the refresh token is refused', async () => {
    const { client, store, ended } = setup((s) => {
      if (s.url === '/v1/user/refresh') return json(401, { code: 401, reason: 'REFRESH_TOKEN_REUSED', message: 'reused' });
      return json(401, { code: 401, reason: 'UNAUTHENTICATED', message: 'expired' });
    }, fresh());
    await expect(client.get('/v1/user/me')).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    expect(store.get()).toBeNull();
    expect(ended).toEqual(['REFRESH_TOKEN_REUSED']);
  });

  it('keeps the session when the refresh fails for lack of network', async () => {
    const { client, store } = setup((s) => {
      if (s.url === '/v1/user/refresh') throw new TypeError('offline');
      return json(200, {});
    }, { access_token: 'A1', refresh_token: 'R1', expires_at: 1_000_000 });
    await expect(client.get('/v1/user/me')).rejects.toMatchObject({ reason: 'NETWORK' });
    expect(store.get()?.refresh_token).toBe('R1');
  });

  it('sends optional auth only when signed in, and extra headers', async () => {
    const { client, seen } = setup(() => json(200, {}));
    await client.get('/v1/share/browse', { parent_id: 'x' }, { auth: 'optional', headers: { 'X-Share-Token': 'st' } });
    expect(seen[0].headers.Authorization).toBeUndefined();
    expect(seen[0].headers['X-Share-Token']).toBe('st');
  });
});
