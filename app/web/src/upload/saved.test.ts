// Uploads that outlive the page: resumed after a reload from the store.
import { describe, expect, it } from 'vitest';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import { memoryUploadStore } from './store';

describe('saved uploads', () => {
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
});
