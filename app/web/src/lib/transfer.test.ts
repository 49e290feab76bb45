// Move, copy and restore against an in-memory tree that follows the file
// service: names unique per folder (case-insensitive), "fail" or "rename" on
// a taken name, a restore onto a taken name lands at the root.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import type { Node } from '../api/types';
import type { ConflictChoice, DecideConflict } from './conflicts';
import { type TransferDeps, restoreAll, transfer } from './transfer';

class Tree implements TransferDeps {
  nodes = new Map<string, Node & { trashed?: boolean }>();
  private n = 0;

  add(name: string, parent = '', kind: 'file' | 'folder' = 'file', trashed = false): Node {
    const node = { id: `n${++this.n}`, name, parent_id: parent, kind, trashed };
    this.nodes.set(node.id, node);
    return { ...node };
  }

  names(parent: string): string[] {
    return [...this.nodes.values()].filter((x) => !x.trashed && (x.parent_id ?? '') === parent).map((x) => x.name).sort();
  }

  private free(parent: string, name: string, skip?: string): boolean {
    return ![...this.nodes.values()].some((x) => !x.trashed && x.id !== skip && (x.parent_id ?? '') === parent && x.name.toLowerCase() === name.toLowerCase());
  }

  private place(x: Node, parent: string, onConflict: 'fail' | 'rename'): string {
    let name = x.name;
    if (!this.free(parent, name, x.id)) {
      if (onConflict === 'fail') throw new ApiError(409, 'NAME_CONFLICT', 'taken');
      const dot = name.lastIndexOf('.');
      const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
      for (let i = 1; !this.free(parent, name, x.id); i++) name = `${base} (${i})${ext}`;
    }
    return name;
  }

  children = async (id: string) => [...this.nodes.values()].filter((x) => !x.trashed && (x.parent_id ?? '') === id).map((x) => ({ ...x }));
  stat = async (id: string) => {
    const x = this.nodes.get(id);
    if (!x || x.trashed) throw new ApiError(404, 'NODE_NOT_FOUND', 'no');
    return { ...x };
  };
  remove = async (ids: string[]) => ids.forEach((id) => (this.nodes.get(id)!.trashed = true));
  move = async (ids: string[], parent: string, on: 'fail' | 'rename') => {
    const names = ids.map((id) => this.place(this.nodes.get(id)!, parent, on));
    return { items: ids.map((id, i) => Object.assign(this.nodes.get(id)!, { parent_id: parent, name: names[i] })).map((x) => ({ ...x })) };
  };
  copy = async (ids: string[], parent: string, on: 'fail' | 'rename') => ({
    items: ids.map((id) => {
      const src = this.nodes.get(id)!;
      const copy = this.add(src.name, '__placing', src.kind);
      const name = this.place({ ...copy, id: '' }, parent, on);
      return { ...Object.assign(this.nodes.get(copy.id)!, { parent_id: parent, name }) };
    }),
  });
  restore = async (ids: string[]) => ({
    items: ids.map((id) => {
      const x = this.nodes.get(id)!;
      let parent = x.parent_id ?? '';
      const p = parent ? this.nodes.get(parent) : undefined;
      if (parent && (!p || p.trashed || !this.free(parent, x.name))) parent = '';
      const name = this.place(x, parent, 'rename');
      return { ...Object.assign(x, { trashed: false, parent_id: parent, name }) };
    }),
  });
}

const always = (c: ConflictChoice): DecideConflict => async () => c;

describe('transfer', () => {
  it('move: replace trashes what holds the name, keep both renames, skip leaves it', async () => {
    const t = new Tree();
    const dest = t.add('Work', '', 'folder').id;
    const held = [t.add('a.txt', dest), t.add('b.txt', dest), t.add('c.txt', dest)];
    const src = t.add('src', '', 'folder').id;
    const a = t.add('A.txt', src);
    const b = t.add('b.txt', src);
    const c = t.add('c.txt', src);
    const d = t.add('d.txt', src);
    const answers: Record<string, ConflictChoice> = { 'A.txt': 'replace', 'b.txt': 'keep', 'c.txt': 'skip' };
    const r = await transfer('move', [a, b, c, d], dest, t, async (q) => answers[q.name]);
    expect(t.names(dest)).toEqual(['A.txt', 'b (1).txt', 'b.txt', 'c.txt', 'd.txt']);
    expect(t.names(src)).toEqual(['c.txt']);
    expect(r.replaced.map((n) => n.id)).toEqual([held[0].id]);
    expect(r.skipped.map((n) => n.id)).toEqual([c.id]);
    expect(r.done).toHaveLength(3);
  });

  it('move without conflicts uses "fail", so a name taken meanwhile is reported, not renamed', async () => {
    const t = new Tree();
    const dest = t.add('Work', '', 'folder').id;
    const x = t.add('x.txt');
    const calls: string[] = [];
    const deps = { ...t, children: t.children, move: async (ids: string[], p: string, on: 'fail' | 'rename') => (calls.push(on), t.move(ids, p, on)) };
    await transfer('move', [x], dest, deps as TransferDeps, always('keep'));
    expect(calls).toEqual(['fail']);
  });

  it('move into the folder the item is in does nothing and asks nothing', async () => {
    const t = new Tree();
    const x = t.add('x.txt');
    const r = await transfer('move', [x], '', t, async () => {
      throw new Error('asked');
    });
    expect(r.done).toHaveLength(0);
    expect(t.names('')).toEqual(['x.txt']);
  });

  it('copy into its own folder: keep both makes a numbered copy, replace does nothing', async () => {
    const t = new Tree();
    const x = t.add('x.txt');
    await transfer('copy', [x], '', t, always('replace'));
    expect(t.names('')).toEqual(['x.txt']);
    await transfer('copy', [x], '', t, always('keep'));
    expect(t.names('')).toEqual(['x (1).txt', 'x.txt']);
  });
});

describe('restoreAll', () => {
  it('keep both brings the item back into its folder with a numbered name (not to the root)', async () => {
    const t = new Tree();
    const f = t.add('Docs', '', 'folder').id;
    const gone = t.add('r.txt', f, 'file', true);
    t.add('r.txt', f);
    const r = await restoreAll([gone], t, always('keep'));
    expect(t.names(f)).toEqual(['r (1).txt', 'r.txt']);
    expect(t.names('')).toEqual(['Docs']);
    expect(r.done[0].name).toBe('r (1).txt');
  });

  it('replace trashes what holds the name and restores in its place', async () => {
    const t = new Tree();
    const f = t.add('Docs', '', 'folder').id;
    const gone = t.add('r.txt', f, 'file', true);
    const now = t.add('r.txt', f);
    const r = await restoreAll([gone], t, always('replace'));
    expect(t.nodes.get(gone.id)?.trashed).toBe(false);
    expect(t.nodes.get(now.id)?.trashed).toBe(true);
    expect(t.names(f)).toEqual(['r.txt']);
    expect(r.replaced.map((n) => n.id)).toEqual([now.id]);
  });

  it('skip leaves it in the trash; a free name restores without asking', async () => {
    const t = new Tree();
    const f = t.add('Docs', '', 'folder').id;
    const a = t.add('a.txt', f, 'file', true);
    const b = t.add('b.txt', f, 'file', true);
    t.add('a.txt', f);
    const asked: string[] = [];
    const r = await restoreAll([a, b], t, async (q) => (asked.push(q.name), 'skip'));
    expect(asked).toEqual(['a.txt']);
    expect(t.nodes.get(a.id)?.trashed).toBe(true);
    expect(t.nodes.get(b.id)?.trashed).toBe(false);
    expect(r.skipped.map((n) => n.id)).toEqual([a.id]);
  });

  it('checks the root when the old folder is gone', async () => {
    const t = new Tree();
    const f = t.add('Old', '', 'folder', true).id;
    const gone = t.add('x.txt', f, 'file', true);
    t.add('x.txt');
    await restoreAll([gone], t, always('keep'));
    expect(t.names('')).toEqual(['x (1).txt', 'x.txt']);
  });
});
