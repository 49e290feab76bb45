// The file API as move, copy and restore with conflicts need it (lib/transfer.ts).

import { allChildren } from '../lib/conflicts';
import type { TransferDeps } from '../lib/transfer';
import { api } from '../session';

export const transferDeps: TransferDeps = {
  children: (folderId) => allChildren((page_token) => api.file.list({ parent_id: folderId, page_size: 1000, page_token })),
  remove: (ids) => api.file.remove(ids),
  move: (ids, folderId, onConflict) => api.file.move(ids, folderId, onConflict),
  copy: (ids, folderId, onConflict) => api.file.copy(ids, folderId, onConflict),
  restore: (ids) => api.file.restore(ids),
  stat: (id) => api.file.stat(id),
};
