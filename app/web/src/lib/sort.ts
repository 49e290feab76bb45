// Sorting for the views the server does not sort (search results, trash,
// shares): by a key, ascending or descending, folders first for files, names
// compared as people read them ("file 2" before "file 10").

import type { Int64, Node } from '../api/types';
import { int } from '../api/types';

export interface SortState<K extends string = string> {
  orderBy: K;
  desc: boolean;
}

/** A click on a column: the same column turns the order around, another starts ascending. */
export function nextSort<K extends string>(s: SortState<K> | undefined, key: K): SortState<K> {
  return { orderBy: key, desc: s?.orderBy === key ? !s.desc : false };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

type Value = string | number | undefined;

function compareValues(a: Value, b: Value): number {
  // Missing values go last whichever the direction.
  if (a === undefined || a === '') return b === undefined || b === '' ? 0 : 1;
  if (b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/** rows sorted by key (a stable sort; ties keep their order), missing values last. */
export function sortRows<T>(rows: readonly T[], key: (r: T) => Value, desc: boolean): T[] {
  return rows
    .map((r, i) => ({ r, i, v: key(r) }))
    .sort((x, y) => {
      const missing = x.v === undefined || x.v === '' || y.v === undefined || y.v === '';
      const c = compareValues(x.v, y.v);
      return (desc && !missing ? -c : c) || x.i - y.i;
    })
    .map((x) => x.r);
}

export type NodeSortKey = 'name' | 'size' | 'updated_at' | 'trashed_at';

function nodeValue(n: Node, key: NodeSortKey): Value {
  switch (key) {
    case 'name':
      return n.name;
    case 'size':
      return n.kind === 'folder' ? undefined : int(n.size);
    case 'updated_at':
    case 'trashed_at':
      return n[key] ? Date.parse(n[key]!) : undefined;
  }
}

/** Folders first, then files, each sorted by key. */
export function sortNodes(items: readonly Node[], s: SortState<NodeSortKey>): Node[] {
  const sorted = sortRows(items, (n) => nodeValue(n, s.orderBy), s.desc);
  return [...sorted.filter((n) => n.kind === 'folder'), ...sorted.filter((n) => n.kind !== 'folder')];
}

export type ShareSortKey = 'name' | 'created_at' | 'downloads' | 'expires_at';

interface ShareLike {
  name?: string;
  created_at?: string;
  downloads?: Int64;
  expires_at?: string;
}

function shareValue(s: ShareLike, key: ShareSortKey): Value {
  switch (key) {
    case 'name':
      return s.name;
    case 'downloads':
      return int(s.downloads);
    case 'created_at':
    case 'expires_at':
      return s[key] ? Date.parse(s[key]!) : undefined;
  }
}

/** Shares by key; a share that never expires sorts after every dated one. */
export function sortShares<T extends ShareLike>(items: readonly T[], s: SortState<ShareSortKey>): T[] {
  return sortRows(items, (x) => shareValue(x, s.orderBy), s.desc);
}
