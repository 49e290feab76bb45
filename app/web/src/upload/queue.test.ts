// The upload queue against an in-memory server that follows the storage
// protocol: init (resumes the same file's session), status, prove, chunk
// PUTs in any order, complete.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import type { Node, UploadSession } from '../api/types';
import { contentHash, proofOfPossession } from './contenthash';
import type { Hasher } from './hasher';
import { UploadQueue, type InitRequest, type QueueSnapshot, type UploadTransport } from './queue';
import { memoryUploadStore } from './store';

interface Sess {
  id: string;
  req: InitRequest;
  held: Map<number, Uint8Array>;
  nonce: string;
  offset: number;
  length: number;
  open: boolean;
}

class FakeServer {
  chunkSize = 1000;
  blobs = new Map<string, Uint8Array>();
  sessions = new Map<string, Sess>();
  puts: Array<{ id: string; index: number }> = [];
  inflight = 0;
  maxInflight = 0;
  failures = 0;
  aborted: string[] = [];
  /** When set, PUTs of these indexes never finish (until aborted). */
  hang = new Set<number>();
  private n = 0;

  transport(): UploadTransport {
    return {
      init: async (r) => this.init(r),
      status: async (id) => this.session(this.get(id)),
      prove: async (id, proof) => this.prove(id, proof),
      putChunk: (id, index, data, _digest, onProgress, signal) => this.put(id, index, data, onProgress, signal),
      complete: async (id) => this.complete(id),
      abort: async (id) => {
        this.aborted.push(id);
        const s = this.sessions.get(id);
        if (s) s.open = false;
      },
    };
  }

  private get(id: string): Sess {
    const s = this.sessions.get(id);
    if (!s) throw new ApiError(404, 'UPLOAD_NOT_FOUND', 'no such upload');
    return s;
  }

  private session(s: Sess): UploadSession {
    return {
      upload_id: s.id,
      chunk_size: String(this.chunkSize),
      chunk_count: String(Math.ceil(s.req.size / this.chunkSize)),
      uploaded_chunks: [...s.held.keys()].map(String),
      challenge: { nonce: s.nonce, ranges: [{ offset: String(s.offset), length: String(s.length) }, { offset: '0', length: String(Math.min(3, s.req.size)) }] },
    };
  }

  init(r: InitRequest): UploadSession {
    for (const s of this.sessions.values()) {
      if (s.open && s.req.parent_id === r.parent_id && s.req.name === r.name && s.req.content_hash === r.content_hash) return this.session(s);
    }
    const length = Math.min(r.size, 64);
    const s: Sess = { id: `up${++this.n}`, req: r, held: new Map(), nonce: '0f'.repeat(16), offset: Math.max(0, r.size - length - 3), length, open: true };
    this.sessions.set(s.id, s);
    return this.session(s);
  }

  async prove(id: string, proof: string): Promise<Node> {
    const s = this.get(id);
    const blob = this.blobs.get(s.req.content_hash);
    if (!blob) throw new ApiError(403, 'PROOF_REJECTED', 'no');
    const want = await proofOfPossession(new Blob([blob as Uint8Array<ArrayBuffer>]), s.nonce, [
      { offset: s.offset, length: s.length },
      { offset: 0, length: Math.min(3, s.req.size) },
    ]);
    if (want !== proof) throw new ApiError(403, 'PROOF_REJECTED', 'no');
    s.open = false;
    return this.node(s);
  }

  async put(id: string, index: number, data: Blob, onProgress: (n: number) => void, signal: AbortSignal): Promise<void> {
    const s = this.get(id);
    if (!s.open) throw new ApiError(409, 'UPLOAD_CLOSED', 'closed');
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(new DOMException('aborted', 'AbortError'));
        if (signal.aborted) return abort();
        signal.addEventListener('abort', abort, { once: true });
        if (!this.hang.has(index))
          setTimeout(() => {
            signal.removeEventListener('abort', abort);
            resolve();
          }, 1);
      });
      if (this.failures > 0) {
        this.failures--;
        throw new ApiError(0, 'NETWORK', 'connection reset');
      }
      onProgress(data.size);
      this.puts.push({ id, index });
      s.held.set(index, new Uint8Array(await data.arrayBuffer()));
    } finally {
      this.inflight--;
    }
  }

  async complete(id: string): Promise<Node> {
    const s = this.get(id);
    const count = Math.ceil(s.req.size / this.chunkSize);
    const missing = [...Array(count).keys()].filter((i) => !s.held.has(i));
    if (missing.length) throw new ApiError(409, 'CHUNKS_MISSING', 'missing', { missing: missing.join(',') });
    const all = new Uint8Array(s.req.size);
    for (const [i, b] of s.held) all.set(b, i * this.chunkSize);
    if ((await contentHash(new Blob([all]))) !== s.req.content_hash) throw new ApiError(422, 'HASH_MISMATCH', 'mismatch');
    this.blobs.set(s.req.content_hash, all);
    s.open = false;
    return this.node(s);
  }

  private node(s: Sess): Node {
    return { id: `n-${s.id}`, parent_id: s.req.parent_id, name: s.req.name, kind: 'file', size: String(s.req.size), content_hash: s.req.content_hash };
  }
}

const hasher: Hasher = { hash: (file, onProgress, signal) => contentHash(file, onProgress, () => signal?.aborted ?? false) };

function file(name: string, size: number, seed = 7, lastModified = 1700000000000): File {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + (i >> 8)) & 0xff;
  return new File([b], name, { lastModified });
}

function queue(server: FakeServer, store = memoryUploadStore(), extra: Partial<ConstructorParameters<typeof UploadQueue>[0]> = {}) {
  return new UploadQueue({ transport: server.transport(), hasher, store, throttleMs: 0, retryDelays: [0, 0, 0], sleep: async () => undefined, ...extra });
}

function until(q: UploadQueue, pred: (s: QueueSnapshot) => boolean, ms = 5000): Promise<QueueSnapshot> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = q.getSnapshot();
      if (pred(s)) {
        un();
        clearTimeout(timer);
        resolve(s);
      }
    };
    // Server-side conditions change without the queue saying so: poll too.
    const poll = setInterval(check, 2);
    const unsub = q.subscribe(check);
    const un = () => {
      unsub();
      clearInterval(poll);
    };
    const timer = setTimeout(() => {
      un();
      reject(new Error(`timed out; states: ${q.getSnapshot().items.map((i) => `${i.name}:${i.state}:${i.error ?? ''}`).join(', ')}`));
    }, ms);
    check();
  });
}

const allDone = (s: QueueSnapshot) => s.items.length > 0 && s.items.every((i) => i.state === 'done');

describe('UploadQueue', () => {
  it('uploads in parallel chunks, at most four at a time, and completes', async () => {
    const server = new FakeServer();
    const q = queue(server);
    q.add([{ file: file('a.bin', 10_500), parentId: 'root' }]);
    const s = await until(q, allDone);
    expect(server.puts).toHaveLength(11);
    expect(server.maxInflight).toBe(4);
    expect(s.items[0].progress).toBe(1);
    expect(s.items[0].chunksSent).toBe(11);
    expect(s.totals.progress).toBe(1);
    expect(s.items[0].node?.name).toBe('a.bin');
  });

  it('keeps the chunk limit across several files', async () => {
    const server = new FakeServer();
    const q = queue(server);
    q.add([1, 2, 3].map((i) => ({ file: file(`f${i}`, 6000, i), parentId: '' })));
    await until(q, (s) => s.items.length === 3 && allDone(s));
    expect(server.maxInflight).toBeLessThanOrEqual(4);
    expect(server.puts).toHaveLength(18);
  });

  it('finishes instantly through the proof when the content is stored', async () => {
    const server = new FakeServer();
    const first = queue(server);
    first.add([{ file: file('same.bin', 4321), parentId: 'u1' }]);
    await until(first, allDone);
    const sent = server.puts.length;

    const second = queue(server); // another user, another browser
    second.add([{ file: file('copy.bin', 4321), parentId: 'u2' }]);
    const s = await until(second, allDone);
    expect(server.puts.length).toBe(sent);
    expect(s.items[0].instant).toBe(true);
    expect(s.items[0].chunksSent).toBe(0);
  });

  it('sends the chunks when the proof is refused', async () => {
    const server = new FakeServer();
    const q = queue(server);
    q.add([{ file: file('new.bin', 2500), parentId: '' }]);
    const s = await until(q, allDone);
    expect(s.items[0].instant).toBe(false);
    expect(server.puts).toHaveLength(3);
  });

  it('resumes after a reload, sending only the missing chunks', async () => {
    const server = new FakeServer();
    const store = memoryUploadStore();
    server.hang = new Set([5, 6, 7, 8, 9]);
    const f = file('big.bin', 9_999);
    const before = queue(server, store);
    before.add([{ file: f, parentId: 'p' }]);
    await until(before, () => server.puts.length >= 5 && server.inflight === 4);
    // The page goes away: in-flight requests die with it.
    before.pauseAll();
    await until(before, (s) => s.items[0].state === 'paused');
    expect([...store.records.values()][0].uploadId).toBeTruthy();
    server.hang.clear();

    const after = queue(server, store);
    await after.restore();
    let s = after.getSnapshot();
    expect(s.items).toHaveLength(1);
    expect(s.items[0].state).toBe('needs-file');
    expect(s.items[0].uploaded).toBe(5000);

    after.add([{ file: new File([f], 'big.bin', { lastModified: f.lastModified }), parentId: 'elsewhere' }]);
    s = await until(after, allDone);
    const indexes = server.puts.map((p) => p.index).sort((a, b) => a - b);
    expect(indexes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(server.puts.map((p) => p.id)).size).toBe(1);
    expect(s.items[0].node?.parent_id).toBe('p');
    expect(store.records.size).toBe(0);
  });

  it('refuses a different file offered for a waiting upload', async () => {
    const server = new FakeServer();
    const store = memoryUploadStore();
    await store.put({ key: 'k1', name: 'x.bin', parentId: '', size: 100, lastModified: 1, createdAt: 1 });
    const q = queue(server, store);
    await q.restore();
    expect(q.provideFile('k1', file('x.bin', 99))).toBe(false);
    expect(q.provideFile('k1', file('y.bin', 100))).toBe(false);
    expect(q.provideFile('k1', file('x.bin', 100))).toBe(true);
    await until(q, allDone);
  });

  it('pauses and resumes without resending what arrived', async () => {
    const server = new FakeServer();
    server.hang = new Set([4, 5]);
    const q = queue(server);
    const [key] = q.add([{ file: file('p.bin', 6000), parentId: '' }]);
    await until(q, () => server.puts.length >= 4 && server.inflight === 2);
    q.pause(key);
    await until(q, (s) => s.items[0].state === 'paused');
    server.hang.clear();
    q.resume(key);
    await until(q, allDone);
    expect(server.puts.map((p) => p.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries chunks that fail for a passing reason', async () => {
    const server = new FakeServer();
    server.failures = 2;
    const q = queue(server);
    q.add([{ file: file('r.bin', 3000), parentId: '' }]);
    await until(q, allDone);
    expect(server.puts).toHaveLength(3);
  });

  it('says the connection is lost while it retries, and finishes once it is back', async () => {
    const server = new FakeServer();
    server.failures = 12;
    const q = queue(server, memoryUploadStore(), { retryDelays: [3000] });
    const seen: QueueSnapshot[] = [];
    q.subscribe(() => seen.push(q.getSnapshot()));
    q.add([{ file: file('e.bin', 1000), parentId: '' }]);
    await until(q, allDone);
    // More failures than retry delays: a lost connection is waited out, not given up on.
    const waiting = seen.filter((x) => x.items[0]?.retryIn !== undefined);
    expect(waiting.length).toBeGreaterThan(0);
    for (const w of waiting) {
      expect(w.items[0].speed).toBe(0);
      expect(w.items[0].eta).toBeUndefined();
      expect(w.totals.retryIn).toBe(w.items[0].retryIn);
    }
    expect(seen.some((x) => x.items[0]?.state === 'error')).toBe(false);
  });

  it('pauses at once while waiting for the connection', async () => {
    const server = new FakeServer();
    server.failures = 1_000_000;
    // A real wait: only an abort ends it early.
    const sleep = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }));
    const q = queue(server, memoryUploadStore(), { retryDelays: [60_000], sleep });
    const [key] = q.add([{ file: file('p.bin', 1000), parentId: '' }]);
    await until(q, (x) => x.items[0]?.retryIn !== undefined);
    q.pause(key);
    expect(q.getSnapshot().items[0].state).toBe('paused');
    const s = await until(q, (x) => x.items[0]?.retryIn === undefined);
    expect(s.items[0].state).toBe('paused');
    server.failures = 0;
    q.resume(key);
    await until(q, allDone);
  });

  it('gives up on a refusal that is not the connection', async () => {
    const server = new FakeServer();
    const q = queue(server, memoryUploadStore(), { transport: { ...server.transport(), complete: async () => { throw new ApiError(507, 'INTERNAL', 'disk full'); } } });
    const [key] = q.add([{ file: file('e.bin', 1000), parentId: '' }]);
    const s = await until(q, (x) => x.items[0]?.state === 'error');
    expect(s.items[0].errorReason).toBe('INTERNAL');
    expect(s.items[0].retryIn).toBeUndefined();
    q.cancel(key);
  });

  it('totals agree with the rows', async () => {
    const server = new FakeServer();
    const q = queue(server);
    const seen: QueueSnapshot[] = [];
    q.subscribe(() => seen.push(q.getSnapshot()));
    q.add([{ file: file('a.bin', 3000), parentId: '' }, { file: file('b.bin', 2000, 3), parentId: '' }]);
    await until(q, allDone);
    for (const x of seen) {
      expect(x.totals.speed).toBe(x.items.reduce((n, i) => n + i.speed, 0));
      expect(x.totals.bytes).toBe(x.items.reduce((n, i) => n + (i.state === 'done' ? i.size : i.uploaded), 0));
    }
  });

  it('starts a new session when the old one is gone', async () => {
    const server = new FakeServer();
    const store = memoryUploadStore();
    await store.put({ key: 'k', name: 'g.bin', parentId: '', size: 1500, lastModified: 5, createdAt: 1, uploadId: 'vanished' });
    const q = queue(server, store);
    await q.restore();
    q.add([{ file: file('g.bin', 1500, 7, 5), parentId: '' }]);
    const s = await until(q, allDone);
    expect(s.items[0].node).toBeTruthy();
    expect(server.puts.every((p) => p.id !== 'vanished')).toBe(true);
  });

  it('cancels: aborts the session and forgets it', async () => {
    const server = new FakeServer();
    server.hang = new Set([0, 1, 2, 3]);
    const store = memoryUploadStore();
    const q = queue(server, store);
    const [key] = q.add([{ file: file('c.bin', 4000), parentId: '' }]);
    await until(q, () => server.inflight === 4);
    q.cancel(key);
    await until(q, (s) => s.items[0].state === 'cancelled' && server.aborted.length === 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(store.records.size).toBe(0);
    q.clearFinished();
    expect(q.getSnapshot().items).toHaveLength(0);
  });

  it('uploads an empty file without chunks', async () => {
    const server = new FakeServer();
    const q = queue(server);
    q.add([{ file: file('empty.txt', 0), parentId: '' }]);
    const s = await until(q, allDone);
    expect(server.puts).toHaveLength(0);
    expect(s.items[0].node?.name).toBe('empty.txt');
  });
});
