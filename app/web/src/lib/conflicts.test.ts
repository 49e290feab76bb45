import { describe, expect, it } from 'vitest';
import type { Node } from '../api/types';
import { type AskConflict, type ConflictQuestion, allChildren, batchDecider, placeAll } from './conflicts';

const node = (id: string, name: string, parent = '', kind: 'file' | 'folder' = 'file'): Node => ({ id, name, parent_id: parent, kind });

function scripted(answers: Array<[ConflictQuestion['name'], 'replace' | 'keep' | 'skip', boolean]>) {
  const asked: string[] = [];
  const ask: AskConflict = async (q) => {
    asked.push(q.name);
    const a = answers.shift();
    if (!a) throw new Error(`unexpected question about ${q.name}`);
    expect(q.name).toBe(a[0]);
    return { choice: a[1], all: a[2] };
  };
  return { ask, asked };
}

describe('batchDecider', () => {
  it('asks each conflict until apply-to-all, then answers alone', async () => {
    const { ask, asked } = scripted([
      ['a', 'keep', false],
      ['b', 'replace', true],
    ]);
    const decide = batchDecider(ask);
    expect(await decide({ name: 'a', kind: 'file', replaces: 'trash' })).toBe('keep');
    expect(await decide({ name: 'b', kind: 'file', replaces: 'trash' })).toBe('replace');
    expect(await decide({ name: 'c', kind: 'file', replaces: 'trash' })).toBe('replace');
    expect(asked).toEqual(['a', 'b']);
  });

  it('asks one question at a time when conflicts arrive together', async () => {
    let open = 0;
    let most = 0;
    const decide = batchDecider(async () => {
      open++;
      most = Math.max(most, open);
      await new Promise((r) => setTimeout(r, 1));
      open--;
      return { choice: 'skip', all: true };
    });
    const got = await Promise.all(['x', 'y', 'z'].map((name) => decide({ name, kind: 'file', replaces: 'version' })));
    expect(got).toEqual(['skip', 'skip', 'skip']);
    expect(most).toBe(1);
  });
});

describe('placeAll', () => {
  const dest = [node('t1', 'Report.pdf', 'd'), node('t2', 'photos', 'd', 'folder'), node('t3', 'notes.txt', 'd')];
  const childrenOf = async (id: string) => (id === 'd' ? dest : []);

  it('leaves items without a conflict alone and applies each choice to the others', async () => {
    const { ask } = scripted([
      ['report.PDF', 'replace', false],
      ['photos', 'keep', false],
      ['notes.txt', 'skip', false],
    ]);
    const items = [node('a', 'report.PDF'), node('b', 'photos', '', 'folder'), node('c', 'notes.txt'), node('e', 'new.bin')].map((n) => ({ node: n, destId: 'd' }));
    const p = await placeAll(items, childrenOf, batchDecider(ask), 'trash');
    expect(p.map((x) => [x.node.id, x.action, x.target?.id])).toEqual([
      ['a', 'replace', 't1'],
      ['b', 'keep', 't2'],
      ['c', 'skip', 't3'],
      ['e', 'go', undefined],
    ]);
  });

  it('says what replacing means and the kind in the question', async () => {
    const qs: ConflictQuestion[] = [];
    await placeAll([{ node: node('b', 'photos', '', 'folder'), destId: 'd' }], childrenOf, async (q) => (qs.push(q), 'skip'), 'trash');
    expect(qs).toEqual([{ name: 'photos', kind: 'folder', replaces: 'trash' }]);
  });

  it('treats replacing an item with itself (a copy into its own folder) as skip', async () => {
    const self = dest[2];
    const p = await placeAll([{ node: self, destId: 'd' }], childrenOf, async () => 'replace', 'trash');
    expect(p[0].action).toBe('skip');
    const k = await placeAll([{ node: self, destId: 'd' }], childrenOf, async () => 'keep', 'trash');
    expect(k[0].action).toBe('keep');
  });

  it('lists each destination once', async () => {
    let lists = 0;
    const items = [node('x', 'x1'), node('y', 'y1'), node('z', 'z1')].map((n) => ({ node: n, destId: 'd' }));
    await placeAll(items, async (id) => (lists++, childrenOf(id)), async () => 'keep', 'trash');
    expect(lists).toBe(1);
  });
});

describe('allChildren', () => {
  it('walks every page', async () => {
    const pages: Record<string, { items: Node[]; next_page_token?: string }> = {
      '': { items: [node('1', 'a')], next_page_token: 'p2' },
      p2: { items: [node('2', 'b')], next_page_token: '' },
    };
    const got = await allChildren(async (tok) => pages[tok ?? '']);
    expect(got.map((n) => n.name)).toEqual(['a', 'b']);
  });
});
