// Passing failures and a lost connection.
import { describe, expect, it } from 'vitest';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import type { QueueSnapshot } from './queue';
import { memoryUploadStore } from './store';

describe('retries', () => {
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
});
