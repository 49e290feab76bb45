// The "Recent" view's data: the newest changes of the caller's feed.
//
// The feed is read oldest first, from a cursor, a page at a time; there is
// no "newest first" call. So the view pages from the oldest change kept
// (the server prunes the feed, which bounds the walk) and keeps only the
// last `keep` changes in memory; the cursor it ends on is kept too, so a
// refresh asks only for what happened since instead of walking it all
// again. A page cap stops a runaway walk on a huge feed; the view then says
// the list may be incomplete rather than show stale changes as the latest.

import type { Change, ChangesReply } from '../api/types';

export interface RecentState {
  /** Newest first, at most `keep`. */
  items: Change[];
  /** Where the next refresh continues from. */
  cursor: string;
  /** The walk stopped at the page cap with more to read. */
  truncated: boolean;
}

export interface RecentOptions {
  keep?: number;
  pageSize?: number;
  maxPages?: number;
}

export type ListChanges = (q: { cursor?: string; page_size?: number }) => Promise<ChangesReply>;

export async function loadRecent(list: ListChanges, prev: RecentState | null, o: RecentOptions = {}): Promise<RecentState> {
  const keep = o.keep ?? 50;
  const pageSize = o.pageSize ?? 1000;
  const maxPages = o.maxPages ?? 50;
  // Oldest first while reading; reversed at the end.
  let window: Change[] = prev ? [...prev.items].reverse() : [];
  let cursor = prev?.cursor ?? '';
  let pages = 0;
  for (;;) {
    const r = await list({ cursor: cursor || undefined, page_size: pageSize });
    window = window.concat(r.changes ?? []);
    if (window.length > keep) window = window.slice(window.length - keep);
    cursor = r.cursor || cursor;
    pages++;
    if (!r.has_more) return { items: window.reverse(), cursor, truncated: false };
    if (pages >= maxPages) return { items: window.reverse(), cursor, truncated: true };
  }
}

/** Where clicking a change takes the user: the folder it is in, the trash, or nowhere (purged). */
export function changeLocation(c: Change): string | null {
  if (c.type === 'purged') return null;
  if (c.type === 'trashed') return '/trash';
  return c.parent_id && c.parent_id !== '0' ? `/drive/${c.parent_id}` : '/drive';
}
