import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import { makeApi } from '../api/endpoints';
import { memoryTokenStore } from '../api/tokens';
import type { Node } from '../api/types';
import { Thumbnail } from '../components/Thumbnail';
import { shareThumbnailLoader } from '../lib/thumbnails';

// The owner's session (a browser's storage) is not this page's: the share's
// thumbnails must never go through it.
vi.mock('../session', () => ({ api: {} }));

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** The share page's API over a fake server, signed out (a visitor). */
function visitorApi(handler: (s: Seen) => Response) {
  const seen: Seen[] = [];
  const client = new ApiClient({
    tokens: memoryTokenStore(null),
    language: () => 'en',
    now: () => 1_000_000,
    lock: (_n, fn) => fn(),
    onSessionEnded: () => {},
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
  return { api: makeApi(client), seen };
}

describe("the public share page's thumbnails", () => {
  it('asks through the share with its access token, once for the visible files, and shows icons for the files left out', async () => {
    const { api, seen } = visitorApi(() =>
      json(200, { thumbnails: [{ id: '3', url: '/v1/download/thumbnail?id=3&share=tok', content_hash: 'h3', expires_at: '2099-01-01T00:00:00Z' }] }),
    );
    // As the page builds it, from the share's access token.
    const l = shareThumbnailLoader((st, ids) => api.share.thumbnailURLs(st, ids, 256), 'share-access-1');
    const got = await Promise.all([l.get({ id: '3', content_hash: 'h3' }), l.get({ id: '4', content_hash: 'h4' })]);
    expect(got).toEqual(['/v1/download/thumbnail?id=3&share=tok', null]);
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('POST');
    expect(seen[0].url).toBe('/v1/share/thumbnails');
    expect(seen[0].headers['X-Share-Token']).toBe('share-access-1');
    expect(seen[0].headers.Authorization).toBeUndefined();
    expect(seen[0].body).toEqual({ ids: ['3', '4'], size: 256 });
  });

  it('keeps the icons when the share refuses (revoked, an item gone from it) and asks again later', async () => {
    let refuse = true;
    const { api } = visitorApi(() =>
      refuse ? json(410, { code: 410, reason: 'SHARE_REVOKED', message: 'revoked' }) : json(200, { thumbnails: [{ id: '3', url: '/t/3' }] }),
    );
    const l = shareThumbnailLoader((st, ids) => api.share.thumbnailURLs(st, ids), 'share-access-1');
    expect(await l.get({ id: '3' })).toBeNull();
    refuse = false;
    expect(await l.get({ id: '3' })).toBe('/t/3');
  });

  it("renders a file's icon until its thumbnail arrives (the no-thumbnail fallback)", () => {
    const { api } = visitorApi(() => json(200, {}));
    const l = shareThumbnailLoader((st, ids) => api.share.thumbnailURLs(st, ids), 'share-access-1');
    const n = { id: '3', name: 'beach.jpg', kind: 'file', mime: 'image/jpeg' } as Node;
    const html = renderToStaticMarkup(createElement(Thumbnail, { node: n, size: 40, iconSize: 20, loader: l }));
    expect(html).toContain('data-testid="thumb-box"');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<img');
  });
});
