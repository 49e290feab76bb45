// The rows of a file's versions panel, from GET /v1/file/versions: the
// server sends the file as it is now and, apart, the older contents it keeps
// (the most recently replaced first); the panel shows them as one list.

import type { FileVersion, Node } from '../api/types';
import { int } from '../api/types';

export interface VersionRow {
  /** Empty for the current content (downloads and restores name none). */
  versionId: string;
  current: boolean;
  size: number;
  writtenAt?: string;
  replacedAt?: string;
}

/** The current content first, then the kept ones in the server's order. */
export function versionRows(node: Node | undefined, versions: FileVersion[] | undefined): VersionRow[] {
  const rows: VersionRow[] = [];
  if (node) rows.push({ versionId: '', current: true, size: int(node.size), writtenAt: node.updated_at });
  for (const v of versions ?? []) rows.push({ versionId: v.id, current: false, size: int(v.size), writtenAt: v.created_at, replacedAt: v.replaced_at });
  return rows;
}
