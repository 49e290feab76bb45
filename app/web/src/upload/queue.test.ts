// The upload queue's protocol steps against the fake server: chunks in
// parallel, the instant upload, refusals, sessions gone.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import { memoryUploadStore } from './store';

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

  it('uploads an empty file without chunks', async () => {
    const server = new FakeServer();
    const q = queue(server);
    q.add([{ file: file('empty.txt', 0), parentId: '' }]);
    const s = await until(q, allDone);
    expect(server.puts).toHaveLength(0);
    expect(s.items[0].node?.name).toBe('empty.txt');
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
});
