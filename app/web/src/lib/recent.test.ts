import { describe, expect, it } from 'vitest';
import type { Change, ChangesReply } from '../api/types';
import { changeLocation, loadRecent } from './recent';

const ch = (seq: number, type = 'created'): Change => ({ seq: String(seq), type, node_id: `n${seq}`, name: `f${seq}.txt`, path: `/f${seq}.txt` });

/** A feed of `n` changes served `page_size` at a time, the cursor being the last seq read. */
function feed(n: number) {
  const all = Array.from({ length: n }, (_, i) => ch(i + 1));
  const asked: Array<{ cursor?: string; page_size?: number }> = [];
  const list = async (q: { cursor?: string; page_size?: number }): Promise<ChangesReply> => {
    asked.push(q);
    const from = q.cursor ? Number(q.cursor) : 0;
    const page = all.slice(from, from + (q.page_size ?? 500));
    const last = page.length ? Number(page[page.length - 1].seq) : from;
    return { changes: page, cursor: String(last), has_more: last < all.length };
  };
  return { all, asked, list };
}

describe('loadRecent', () => {
  it('pages from the oldest kept and keeps the newest, newest first', async () => {
    const f = feed(25);
    const r = await loadRecent(f.list, null, { keep: 7, pageSize: 10 });
    expect(r.items.map((c) => c.seq)).toEqual(['25', '24', '23', '22', '21', '20', '19']);
    expect(r.cursor).toBe('25');
    expect(r.truncated).toBe(false);
    expect(f.asked.map((q) => q.cursor)).toEqual([undefined, '10', '20']);
  });

  it('continues from its cursor on refresh, reading only what is new', async () => {
    const f = feed(12);
    const first = await loadRecent(f.list, null, { keep: 5, pageSize: 100 });
    f.all.push(ch(13, 'renamed'), ch(14, 'version'));
    f.asked.length = 0;
    const next = await loadRecent(f.list, first, { keep: 5, pageSize: 100 });
    expect(f.asked).toEqual([{ cursor: '12', page_size: 100 }]);
    expect(next.items.map((c) => `${c.seq}:${c.type}`)).toEqual(['14:version', '13:renamed', '12:created', '11:created', '10:created']);
  });

  it('stops at the page cap and says so', async () => {
    const f = feed(100);
    const r = await loadRecent(f.list, null, { keep: 3, pageSize: 10, maxPages: 2 });
    expect(r.truncated).toBe(true);
    expect(r.items.map((c) => c.seq)).toEqual(['20', '19', '18']);
  });

  it('an empty feed is an empty list with the cursor the server gave', async () => {
    const r = await loadRecent(async () => ({ changes: undefined, cursor: 'c0' }), null);
    expect(r).toEqual({ items: [], cursor: 'c0', truncated: false });
  });
});

describe('changeLocation', () => {
  it('opens the folder the change is in, the trash, or nothing', () => {
    expect(changeLocation({ ...ch(1), parent_id: '42' })).toBe('/drive/42');
    expect(changeLocation({ ...ch(1), parent_id: '' })).toBe('/drive');
    expect(changeLocation(ch(1))).toBe('/drive');
    expect(changeLocation({ ...ch(1, 'trashed'), parent_id: '42' })).toBe('/trash');
    expect(changeLocation(ch(1, 'purged'))).toBeNull();
  });
});
