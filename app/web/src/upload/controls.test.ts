// The queue's controls: pause, resume, cancel.
import { describe, expect, it } from 'vitest';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import { memoryUploadStore } from './store';

describe('controls', () => {
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
});
