// Move, copy and restore with the user's answers to name conflicts (see
// conflicts.ts). The file service itself only fails or renames on a taken
// name, and a restore whose name is taken lands at the root; so "replace"
// trashes what holds the name first, and "keep both" on a restore moves the
// item back into its folder with a numbered name.

import type { Node } from '../api/types';
import { type DecideConflict, type Placement, placeAll } from './conflicts';

type OnConflict = 'fail' | 'rename';

export interface TransferDeps {
  /** The folder's children, all pages. */
  children: (folderId: string) => Promise<Node[]>;
  remove: (ids: string[]) => Promise<unknown>;
  move: (ids: string[], folderId: string, onConflict: OnConflict) => Promise<{ items?: Node[] }>;
  copy: (ids: string[], folderId: string, onConflict: OnConflict) => Promise<{ items?: Node[] }>;
  restore: (ids: string[]) => Promise<{ items?: Node[] }>;
  /** The folder when it is live; throws when it is gone or in the trash. */
  stat: (id: string) => Promise<Node>;
}

export interface TransferResult {
  /** The items that went (as the server answered). */
  done: Node[];
  /** Left out on the user's word. */
  skipped: Node[];
  /** What held a name and went to the trash. */
  replaced: Node[];
}

/** Moves or copies nodes into a folder, asking about taken names. */
export async function transfer(kind: 'move' | 'copy', nodes: Node[], folderId: string, deps: TransferDeps, decide: DecideConflict): Promise<TransferResult> {
  // Moving into the folder an item is already in does nothing.
  const items = kind === 'move' ? nodes.filter((n) => (n.parent_id ?? '') !== folderId) : nodes;
  const places = await placeAll(items.map((node) => ({ node, destId: folderId })), deps.children, decide, 'trash');
  const replaced = await replaceTargets(places, deps);
  const go = places.filter((p) => p.action !== 'skip');
  let done: Node[] = [];
  if (go.length > 0) {
    const onConflict: OnConflict = go.some((p) => p.action === 'keep') ? 'rename' : 'fail';
    const r = await deps[kind](go.map((p) => p.node.id), folderId, onConflict);
    done = r.items ?? [];
  }
  return { done, skipped: skippedOf(places), replaced };
}

/** Restores trashed nodes to their folders (the root when the folder is gone), asking about taken names. */
export async function restoreAll(nodes: Node[], deps: TransferDeps, decide: DecideConflict): Promise<TransferResult> {
  const live = new Map<string, Promise<boolean>>();
  const isLive = (id: string) => {
    let p = live.get(id);
    if (!p) {
      p = deps.stat(id).then(
        (n) => n.kind === 'folder',
        () => false,
      );
      live.set(id, p);
    }
    return p;
  };
  const items = await Promise.all(nodes.map(async (node) => ({ node, destId: node.parent_id && (await isLive(node.parent_id)) ? node.parent_id : '' })));
  const places = await placeAll(items, deps.children, decide, 'trash');
  const replaced = await replaceTargets(places, deps);
  const go = places.filter((p) => p.action !== 'skip');
  if (go.length === 0) return { done: [], skipped: skippedOf(places), replaced };
  const restored = (await deps.restore(go.map((p) => p.node.id))).items ?? [];
  // Kept both: the server put it at the root when its folder had the name; bring it back, renamed.
  const back = new Map<string, string[]>();
  for (const p of go) {
    const n = restored.find((x) => x.id === p.node.id);
    if (p.action === 'keep' && n && (n.parent_id ?? '') !== p.destId) back.set(p.destId, [...(back.get(p.destId) ?? []), n.id]);
  }
  const moved = new Map<string, Node>();
  for (const [dest, ids] of back) for (const n of (await deps.move(ids, dest, 'rename')).items ?? []) moved.set(n.id, n);
  return { done: restored.map((n) => moved.get(n.id) ?? n), skipped: skippedOf(places), replaced };
}

async function replaceTargets(places: Placement[], deps: TransferDeps): Promise<Node[]> {
  const targets = places.filter((p) => p.action === 'replace' && p.target).map((p) => p.target!);
  if (targets.length > 0) await deps.remove(targets.map((t) => t.id));
  return targets;
}

function skippedOf(places: Placement[]): Node[] {
  return places.filter((p) => p.action === 'skip').map((p) => p.node);
}
