import { describe, expect, it } from 'vitest';
import { ThumbnailLoader } from './thumbnails';

describe('ThumbnailLoader', () => {
  it('asks once for every tile of the same moment, and keeps the URLs', async () => {
    const calls: string[][] = [];
    const now = Date.parse('2026-01-01T00:00:00Z');
    const l = new ThumbnailLoader(async (ids) => {
      calls.push(ids);
      return ids.filter((id) => id !== 'txt').map((id) => ({ id, url: `/t/${id}`, content_hash: `h-${id}`, expires_at: '2026-01-01T00:05:00Z' }));
    }, () => now);
    const got = await Promise.all([l.get({ id: 'a', content_hash: 'h-a' }), l.get({ id: 'b', content_hash: 'h-b' }), l.get({ id: 'txt' })]);
    expect(got).toEqual(['/t/a', '/t/b', null]);
    expect(calls).toEqual([['a', 'b', 'txt']]);
    // Again: from the cache, no request, the same URL (the browser's cache hits).
    expect(await l.get({ id: 'a', content_hash: 'h-a' })).toBe('/t/a');
    expect(await l.get({ id: 'txt' })).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('asks again when the content changed or the URL is about to expire', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    let n = 0;
    const l = new ThumbnailLoader(async (ids) => ids.map((id) => ({ id, url: `/t/${id}?v=${++n}`, content_hash: n === 1 ? 'old' : 'new', expires_at: new Date(now + 300_000).toISOString() })), () => now);
    expect(await l.get({ id: 'a', content_hash: 'old' })).toBe('/t/a?v=1');
    expect(await l.get({ id: 'a', content_hash: 'new' })).toBe('/t/a?v=2');
    now += 290_000;
    expect(await l.get({ id: 'a', content_hash: 'new' })).toBe('/t/a?v=3');
  });

  it('shows the icon when the request fails, and asks again next time', async () => {
    let fail = true;
    const l = new ThumbnailLoader(async (ids) => {
      if (fail) throw new Error('offline');
      return ids.map((id) => ({ id, url: `/t/${id}` }));
    });
    expect(await l.get({ id: 'a' })).toBeNull();
    fail = false;
    expect(await l.get({ id: 'a' })).toBe('/t/a');
  });
});
