// A taken name on upload: the user is asked, and each answer does what it
// says (replace: a new version under the name; keep both: renamed; skip:
// left out), "apply to all" answering for the rest of the batch.
import { describe, expect, it } from 'vitest';
import { type ConflictChoice, batchDecider } from '../lib/conflicts';
import { FakeServer, allDone, file, queue, until } from './fakeserver';
import type { QueueSnapshot } from './queue';
import { memoryUploadStore } from './store';

const finished = (s: QueueSnapshot) => s.items.length > 0 && s.items.every((i) => i.state === 'done' || i.state === 'skipped');

function serverWith(...names: string[]): FakeServer {
  const server = new FakeServer();
  server.taken.set('f', new Set(names.map((n) => n.toLowerCase())));
  return server;
}

describe('upload conflicts', () => {
  it('replace sends the file as a new version under the same name', async () => {
    const server = serverWith('a.bin');
    const q = queue(server);
    q.add([{ file: file('a.bin', 1500), parentId: 'f', decide: async () => 'replace' }]);
    const s = await until(q, allDone);
    expect(s.items[0].node?.name).toBe('a.bin');
    expect(server.inits.map((i) => i.on_conflict)).toEqual(['fail', 'version']);
  });

  it('keep both renames the upload', async () => {
    const server = serverWith('a.bin');
    const q = queue(server);
    q.add([{ file: file('a.bin', 1500), parentId: 'f', decide: async () => 'keep' }]);
    const s = await until(q, allDone);
    expect(s.items[0].node?.name).toBe('a (1).bin');
    expect(server.inits.map((i) => i.on_conflict)).toEqual(['fail', 'rename']);
  });

  it('skip leaves the file out: nothing sent, not counted, forgotten by the store', async () => {
    const server = serverWith('a.bin');
    const store = memoryUploadStore();
    const q = queue(server, store);
    q.add([
      { file: file('a.bin', 1500), parentId: 'f', decide: async () => 'skip' },
      { file: file('b.bin', 500), parentId: 'f', decide: async () => 'skip' },
    ]);
    const s = await until(q, finished);
    expect(s.items.map((i) => i.state)).toEqual(['skipped', 'done']);
    expect(server.puts.every((p) => p.index === 0 && server.sessions.get(p.id)?.req.name === 'b.bin')).toBe(true);
    expect(s.totals.files).toBe(1);
    expect(s.totals.skipped).toBe(1);
    expect(s.totals.progress).toBe(1);
    await until(q, () => store.records.size === 0);
    q.clearFinished();
    expect(q.getSnapshot().items).toHaveLength(0);
  });

  it('asks once for the batch when the answer applies to all, and not about free names', async () => {
    const server = serverWith('x.bin', 'y.bin', 'z.bin');
    const asked: string[] = [];
    const decide = batchDecider(async (qn) => {
      asked.push(qn.name);
      return { choice: 'keep' as ConflictChoice, all: true };
    });
    const q = queue(server);
    q.add(['x.bin', 'y.bin', 'free.bin', 'z.bin'].map((n, i) => ({ file: file(n, 800, i + 2), parentId: 'f', decide })));
    const s = await until(q, allDone);
    expect(asked).toHaveLength(1);
    expect(s.items.map((i) => i.node?.name).sort()).toEqual(['free.bin', 'x (1).bin', 'y (1).bin', 'z (1).bin']);
  });

  it('keeps the answer with the session: a reload does not ask again', async () => {
    const server = serverWith('r.bin');
    server.hang = new Set([1]);
    const store = memoryUploadStore();
    const f = file('r.bin', 2500);
    const before = queue(server, store);
    before.add([{ file: f, parentId: 'f', decide: async () => 'replace' }]);
    await until(before, () => server.puts.length >= 1 && server.inflight === 1);
    before.pauseAll();
    await until(before, (s) => s.items[0].state === 'paused');
    expect([...store.records.values()][0].onConflict).toBe('version');
    server.hang.clear();

    const after = queue(server, store, { decideConflict: async () => { throw new Error('asked again'); } });
    await after.restore();
    // The session is gone: init again, with the saved answer.
    server.sessions.clear();
    after.add([{ file: new File([f], 'r.bin', { lastModified: f.lastModified }), parentId: 'f' }]);
    const s = await until(after, allDone);
    expect(s.items[0].node?.name).toBe('r.bin');
    expect(server.inits.at(-1)?.on_conflict).toBe('version');
  });

  it('without anyone to ask, keeps both as before', async () => {
    const server = serverWith('a.bin');
    const q = queue(server);
    q.add([{ file: file('a.bin', 100), parentId: 'f' }]);
    const s = await until(q, allDone);
    expect(s.items[0].node?.name).toBe('a (1).bin');
    expect(server.inits.map((i) => i.on_conflict)).toEqual(['rename']);
  });
});
