import { describe, expect, it } from 'vitest';
import type { Node } from '../api/types';
import { nextSort, sortNodes, sortRows, sortShares } from './sort';

const f = (name: string, size: number, updated: string): Node => ({ id: name, name, kind: 'file', size: String(size), updated_at: updated });
const d = (name: string, updated: string): Node => ({ id: name, name, kind: 'folder', updated_at: updated });

describe('sort', () => {
  const items = [f('file 10.txt', 5, '2026-01-03T00:00:00Z'), d('Zeta', '2026-01-01T00:00:00Z'), f('file 2.txt', 50, '2026-01-01T00:00:00Z'), f('a.bin', 7, '2026-01-02T00:00:00Z'), d('alpha', '2026-01-05T00:00:00Z')];
  const names = (ns: Node[]) => ns.map((n) => n.name);

  it('puts folders first and compares names as people read them', () => {
    expect(names(sortNodes(items, { orderBy: 'name', desc: false }))).toEqual(['alpha', 'Zeta', 'a.bin', 'file 2.txt', 'file 10.txt']);
    expect(names(sortNodes(items, { orderBy: 'name', desc: true }))).toEqual(['Zeta', 'alpha', 'file 10.txt', 'file 2.txt', 'a.bin']);
  });

  it('sorts by size and by date, both ways', () => {
    expect(names(sortNodes(items, { orderBy: 'size', desc: true }))).toEqual(['Zeta', 'alpha', 'file 2.txt', 'a.bin', 'file 10.txt']);
    expect(names(sortNodes(items, { orderBy: 'updated_at', desc: false }))).toEqual(['Zeta', 'alpha', 'file 2.txt', 'a.bin', 'file 10.txt']);
    expect(names(sortNodes(items, { orderBy: 'updated_at', desc: true }))).toEqual(['alpha', 'Zeta', 'file 10.txt', 'a.bin', 'file 2.txt']);
  });

  it('keeps missing values last in either direction, ties in their order', () => {
    const rows = [{ v: 2 }, { v: undefined }, { v: 1 }, { v: 2, second: true }];
    expect(sortRows(rows, (r) => r.v, false)).toEqual([{ v: 1 }, { v: 2 }, { v: 2, second: true }, { v: undefined }]);
    expect(sortRows(rows, (r) => r.v, true)).toEqual([{ v: 2 }, { v: 2, second: true }, { v: 1 }, { v: undefined }]);
  });

  it('a click on the same column turns the order, another column starts ascending', () => {
    expect(nextSort(undefined, 'name')).toEqual({ orderBy: 'name', desc: false });
    expect(nextSort({ orderBy: 'name', desc: false }, 'name')).toEqual({ orderBy: 'name', desc: true });
    expect(nextSort({ orderBy: 'name', desc: true }, 'size')).toEqual({ orderBy: 'size', desc: false });
  });

  it('sorts shares; one that never expires comes after the dated ones', () => {
    const shares = [
      { token: 'a', name: 'b', downloads: '3', expires_at: undefined, created_at: '2026-01-02T00:00:00Z' },
      { token: 'b', name: 'a', downloads: '10', expires_at: '2026-02-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z' },
      { token: 'c', name: 'c', downloads: '0', expires_at: '2026-01-15T00:00:00Z', created_at: '2026-01-03T00:00:00Z' },
    ];
    const tokens = (xs: typeof shares) => xs.map((x) => x.token);
    expect(tokens(sortShares(shares, { orderBy: 'expires_at', desc: false }))).toEqual(['c', 'b', 'a']);
    expect(tokens(sortShares(shares, { orderBy: 'expires_at', desc: true }))).toEqual(['b', 'c', 'a']);
    expect(tokens(sortShares(shares, { orderBy: 'downloads', desc: true }))).toEqual(['b', 'a', 'c']);
    expect(tokens(sortShares(shares, { orderBy: 'name', desc: false }))).toEqual(['b', 'a', 'c']);
    expect(tokens(sortShares(shares, { orderBy: 'created_at', desc: true }))).toEqual(['c', 'a', 'b']);
  });
});
