// Name conflicts, decided by the user: when something arrives where its name
// is taken (upload, move, copy, restore), replace what is there, keep both
// ("a (1).txt") or skip it — asked once per conflict, or once for the whole
// batch with "apply to all". The server compares names case-insensitively.

import type { Node } from '../api/types';

export type ConflictChoice = 'replace' | 'keep' | 'skip';

export interface ConflictQuestion {
  /** The arriving item's name (or its path inside a folder upload). */
  name: string;
  kind: 'file' | 'folder';
  /** What replacing does: a new version of the file (upload) or the old one to the trash. */
  replaces: 'version' | 'trash';
}

export interface ConflictAnswer {
  choice: ConflictChoice;
  /** The same choice for the rest of the batch. */
  all: boolean;
}

export type AskConflict = (q: ConflictQuestion) => Promise<ConflictAnswer>;

/** Decides one conflict of a batch. */
export type DecideConflict = (q: ConflictQuestion) => Promise<ConflictChoice>;

/**
 * One batch's decisions: asks about each conflict, one question at a time,
 * until an answer says "apply to all"; from then on that choice stands.
 */
export function batchDecider(ask: AskConflict): DecideConflict {
  let all: ConflictChoice | undefined;
  let turn: Promise<unknown> = Promise.resolve();
  return (q) => {
    const mine = turn.then(async () => {
      if (all) return all;
      const a = await ask(q);
      if (a.all) all = a.choice;
      return a.choice;
    });
    turn = mine.catch(() => undefined);
    return mine;
  };
}

export function foldName(name: string): string {
  return name.toLowerCase();
}

/** What happens to one item of a move, copy or restore. */
export interface Placement {
  node: Node;
  /** The folder it goes to ('' = root). */
  destId: string;
  /** go: no conflict; replace: target goes to the trash first; keep: the server renames; skip: left alone. */
  action: 'go' | 'replace' | 'keep' | 'skip';
  /** The item that holds the name in the destination. */
  target?: Node;
}

/**
 * Decides each item's fate against what its destination holds. For a copy,
 * an item meets itself in its own folder: keeping both makes "a (1)",
 * replacing it with itself is nothing to do (skip).
 */
export async function placeAll(
  items: Array<{ node: Node; destId: string }>,
  childrenOf: (destId: string) => Promise<Node[]>,
  decide: DecideConflict,
  replaces: 'version' | 'trash',
): Promise<Placement[]> {
  const listed = new Map<string, Promise<Map<string, Node>>>();
  const names = (destId: string) => {
    let p = listed.get(destId);
    if (!p) {
      p = childrenOf(destId).then((ns) => new Map(ns.map((n) => [foldName(n.name), n])));
      listed.set(destId, p);
    }
    return p;
  };
  const out: Placement[] = [];
  for (const { node, destId } of items) {
    const target = (await names(destId)).get(foldName(node.name));
    if (!target) {
      out.push({ node, destId, action: 'go' });
      continue;
    }
    const choice = await decide({ name: node.name, kind: node.kind === 'folder' ? 'folder' : 'file', replaces });
    if (choice === 'replace' && target.id === node.id) out.push({ node, destId, action: 'skip', target });
    else out.push({ node, destId, action: choice === 'keep' ? 'keep' : choice, target });
  }
  return out;
}

/** Every child of a folder, all pages. */
export async function allChildren(list: (pageToken?: string) => Promise<{ items?: Node[]; next_page_token?: string }>): Promise<Node[]> {
  const out: Node[] = [];
  let token: string | undefined;
  do {
    const r = await list(token);
    out.push(...(r.items ?? []));
    token = r.next_page_token || undefined;
  } while (token);
  return out;
}
