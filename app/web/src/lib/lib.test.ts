import { describe, expect, it } from 'vitest';
import { canPreview, fileKind } from './filetype';
import { formatBytes, formatDuration, parseBytes } from './format';
import { clickSelect, moveSelect, pruneSelection } from './selection';

describe('format', () => {
  it('sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50.0 MB');
    expect(formatBytes(200 * 1024 ** 3)).toBe('200 GB');
  });
  it('durations', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3700)).toBe('1:01:40');
    expect(formatDuration(undefined)).toBe('—');
  });
  it('parses sizes', () => {
    expect(parseBytes('10 GB')).toBe(10 * 1024 ** 3);
    expect(parseBytes('512mb')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1.5 TiB')).toBe(1.5 * 1024 ** 4);
    expect(parseBytes('1000')).toBe(1000);
    expect(parseBytes('lots')).toBeUndefined();
  });
});

describe('file types', () => {
  it('from MIME or extension', () => {
    expect(fileKind({ kind: 'file', name: 'a.PNG' })).toBe('image');
    expect(fileKind({ kind: 'file', name: 'x', mime: 'video/mp4' })).toBe('video');
    expect(fileKind({ kind: 'file', name: 'main.go' })).toBe('text');
    expect(fileKind({ kind: 'folder', name: 'a.png' })).toBe('folder');
    expect(canPreview({ id: '1', kind: 'file', name: 'doc.pdf', size: '1000' })).toBe(true);
    expect(canPreview({ id: '1', kind: 'file', name: 'big.pdf', size: String(500 << 20) })).toBe(false);
    expect(canPreview({ id: '1', kind: 'file', name: 'a.exe' })).toBe(false);
  });
});

describe('selection', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];
  it('click, toggle, range', () => {
    let s = clickSelect({ ids: new Set() }, order, 'b', {});
    expect([...s.ids]).toEqual(['b']);
    s = clickSelect(s, order, 'd', { shift: true });
    expect([...s.ids].sort()).toEqual(['b', 'c', 'd']);
    s = clickSelect(s, order, 'c', { toggle: true });
    expect([...s.ids].sort()).toEqual(['b', 'd']);
  });
  it('arrows and pruning', () => {
    let s = moveSelect({ ids: new Set() }, order, 1, false);
    expect([...s.ids]).toEqual(['a']);
    s = moveSelect(s, order, 1, true);
    expect([...s.ids].sort()).toEqual(['a', 'b']);
    s = pruneSelection(s, ['b', 'c']);
    expect([...s.ids]).toEqual(['b']);
  });
});
