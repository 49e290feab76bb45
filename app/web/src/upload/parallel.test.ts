// Sending while hashing: a larger file is sent at once without its hash; when
// the hash arrives, the instant upload is tried, and wins or steps aside.
import { describe, expect, it } from 'vitest';
import { contentHash } from './contenthash';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import type { Hasher } from './hasher';
import { memoryUploadStore } from './store';

/** A hasher whose answers wait for release(); aborts are recorded. */
function gatedHasher() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const state = { started: 0, aborted: 0 };
  const hasher: Hasher = {
    async hash(f, onProgress, signal) {
      state.started++;
      // Like the worker: an abort ends the hashing at once.
      await new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => (state.aborted++, reject(new DOMException('aborted', 'AbortError'))), { once: true });
        void gate.then(resolve);
      });
      return contentHash(f, onProgress);
    },
  };
  return { hasher, release: () => open(), state };
}

describe('sending while hashing', () => {
  it('sends before the hash is known, with a hashless init, and completes', async () => {
    const server = new FakeServer();
    const g = gatedHasher();
    const q = queue(server, memoryUploadStore(), { hasher: g.hasher, hashFirstUpTo: 0 });
    q.add([{ file: file('big.bin', 5500), parentId: '' }]);
    const s = await until(q, allDone);
    expect(server.inits[0].content_hash).toBeUndefined();
    expect(server.puts).toHaveLength(6);
    expect(s.items[0].instant).toBe(false);
    // Completed before the hash came: the hashing was stopped, no instant try.
    expect(g.state.aborted).toBe(1);
    expect(server.inits).toHaveLength(1);
    g.release();
  });

  it('stops sending and cancels the chunked session when the content turns out stored', async () => {
    const server = new FakeServer();
    const f = file('dup.bin', 9000);
    const first = queue(server);
    first.add([{ file: f, parentId: 'a' }]);
    await until(first, allDone);
    const before = server.puts.length;

    server.hang = new Set([2, 3, 4, 5, 6, 7, 8]);
    const g = gatedHasher();
    const q = queue(server, memoryUploadStore(), { hasher: g.hasher, hashFirstUpTo: 0 });
    q.add([{ file: new File([f], 'dup.bin', { lastModified: f.lastModified }), parentId: 'b' }]);
    await until(q, () => server.puts.length >= before + 2 && server.inflight === 4);
    const chunked = server.puts.at(-1)!.id;
    g.release();
    const s = await until(q, allDone);
    expect(s.items[0].instant).toBe(true);
    expect(s.items[0].node?.parent_id).toBe('b');
    expect(server.aborted).toContain(chunked);
    expect(server.puts.length).toBe(before + 2);
    expect(server.inflight).toBe(0);
  });

  it('drops the proof session and goes on sending when the content is new', async () => {
    const server = new FakeServer();
    server.hang = new Set([3]);
    const g = gatedHasher();
    const q = queue(server, memoryUploadStore(), { hasher: g.hasher, hashFirstUpTo: 0 });
    q.add([{ file: file('new.bin', 4000), parentId: '' }]);
    await until(q, () => server.inflight === 1 && server.puts.length === 3);
    const chunked = server.puts[0].id;
    g.release();
    await until(q, () => server.inits.length === 2 && server.aborted.length === 1);
    expect(server.inits[1].content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(server.aborted).not.toContain(chunked);
    server.hang.clear();
    // The held PUT never finishes by itself: pause and resume to send it again.
    const key = q.getSnapshot().items[0].key;
    q.pause(key);
    await until(q, (x) => x.items[0].state === 'paused');
    q.resume(key);
    const s = await until(q, allDone);
    expect(s.items[0].instant).toBe(false);
    expect(new Set(server.puts.map((p) => p.id))).toEqual(new Set([chunked]));
    expect(server.puts.map((p) => p.index).sort()).toEqual([0, 1, 2, 3]);
  });

  it('resumes a hashless session after a reload by its id', async () => {
    const server = new FakeServer();
    server.hang = new Set([2, 3]);
    const store = memoryUploadStore();
    const f = file('r.bin', 4000);
    const g = gatedHasher();
    const before = queue(server, store, { hasher: g.hasher, hashFirstUpTo: 0 });
    before.add([{ file: f, parentId: '' }]);
    await until(before, () => server.puts.length === 2 && server.inflight === 2);
    before.pauseAll();
    await until(before, (x) => x.items[0].state === 'paused');
    expect([...store.records.values()][0].hashless).toBe(true);
    server.hang.clear();

    const after = queue(server, store, { hashFirstUpTo: 0 });
    await after.restore();
    expect(after.getSnapshot().items[0].uploaded).toBe(2000);
    after.add([{ file: new File([f], 'r.bin', { lastModified: f.lastModified }), parentId: '' }]);
    await until(after, allDone);
    expect(new Set(server.puts.map((p) => p.id)).size).toBe(1);
    expect(server.puts.map((p) => p.index).sort()).toEqual([0, 1, 2, 3]);
    g.release();
  });
});
