// What the panel is shown.
import { describe, expect, it } from 'vitest';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import type { QueueSnapshot } from './queue';

describe('snapshot', () => {
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
});
