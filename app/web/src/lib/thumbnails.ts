// Thumbnail URLs, asked for in batches: every tile that comes into view in
// the same moment joins one request (POST /v1/storage/thumbnails), and a
// URL is kept for its node's content until shortly before it expires, so a
// tile that re-renders or comes back into view reuses it and the browser
// serves the image from its cache (the server says a week, immutable).

export interface ThumbTarget {
  id: string;
  content_hash?: string;
}

export type FetchThumbURLs = (ids: string[]) => Promise<Array<{ id: string; url: string; expires_at?: string; content_hash?: string }>>;

interface Entry {
  url: string | null; // null: this file has no thumbnail
  hash: string;
  until: number;
}

const MAX_BATCH = 500;
const MARGIN_MS = 30_000;
const NONE_TTL_MS = 10 * 60_000;

export class ThumbnailLoader {
  private cache = new Map<string, Entry>();
  private waiting = new Map<string, Array<(url: string | null) => void>>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private fetchURLs: FetchThumbURLs,
    private now: () => number = Date.now,
  ) {}

  /** The URL of n's thumbnail, or null when it has none. */
  get(n: ThumbTarget): Promise<string | null> {
    const hit = this.cache.get(n.id);
    if (hit && hit.hash === (n.content_hash ?? '') && hit.until > this.now()) return Promise.resolve(hit.url);
    return new Promise((resolve) => {
      const list = this.waiting.get(n.id) ?? [];
      list.push(resolve);
      this.waiting.set(n.id, list);
      this.timer ??= setTimeout(() => void this.flush(), 0);
    });
  }

  private async flush() {
    this.timer = null;
    const batch = new Map(this.waiting);
    this.waiting.clear();
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const part = ids.slice(i, i + MAX_BATCH);
      let got: Awaited<ReturnType<FetchThumbURLs>> = [];
      try {
        got = await this.fetchURLs(part);
      } catch {
        // The icon stays; a later view asks again (nothing is cached).
        part.forEach((id) => batch.get(id)?.forEach((r) => r(null)));
        continue;
      }
      const byId = new Map(got.map((t) => [t.id, t]));
      for (const id of part) {
        const t = byId.get(id);
        const exp = t?.expires_at ? Date.parse(t.expires_at) : NaN;
        const until = t ? (Number.isFinite(exp) ? exp - MARGIN_MS : this.now() + 60_000) : this.now() + NONE_TTL_MS;
        const e: Entry = { url: t?.url ?? null, hash: t?.content_hash ?? '', until };
        this.cache.set(id, e);
        batch.get(id)?.forEach((r) => r(e.url));
      }
    }
  }

  /** Forgets a node whose thumbnail failed to load (expired, changed). */
  forget(id: string) {
    this.cache.delete(id);
  }
}

/**
 * The loader of a share's page: URLs come through the share, signed with
 * its access token (one loader per token, so a reopened share asks anew).
 * A call the share refuses (an item gone from it, a revoked share) leaves
 * the icons, as any failure does.
 */
export function shareThumbnailLoader(
  fetchShare: (shareToken: string, ids: string[]) => Promise<{ thumbnails?: Awaited<ReturnType<FetchThumbURLs>> }>,
  shareToken: string,
  now?: () => number,
): ThumbnailLoader {
  return new ThumbnailLoader(async (ids) => (await fetchShare(shareToken, ids)).thumbnails ?? [], now);
}
