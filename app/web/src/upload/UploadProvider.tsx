// One upload queue per signed-in user, shared by the pages: the drive adds
// files to it, the panel shows it. Sessions are kept in IndexedDB per user.

import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { useAuth } from '../auth';
import { useAskConflict } from '../components/ConflictDialog';
import { batchDecider } from '../lib/conflicts';
import { api, client, queryClient } from '../session';
import { resolveFolders, type PickedFile } from './folders';
import { createWorkerHasher } from './hasher';
import { UploadQueue, type QueueSnapshot } from './queue';
import { indexedDBUploadStore, memoryUploadStore, safeUploadStore } from './store';
import { apiTransport } from './transport';

interface Uploads {
  queue: UploadQueue;
  /** Makes the folders of a folder upload, then queues the files. */
  upload: (files: PickedFile[], parentId: string) => Promise<void>;
}

const Ctx = createContext<Uploads | null>(null);

async function findFolder(parentId: string, name: string): Promise<string | undefined> {
  let page_token: string | undefined;
  for (;;) {
    const r = await api.file.list({ parent_id: parentId, page_size: 1000, page_token });
    const hit = r.items?.find((n) => n.kind === 'folder' && n.name === name);
    if (hit) return hit.id;
    // Folders come first: a page that ends in a file means no more folders.
    const last = r.items?.[r.items.length - 1];
    if (!r.next_page_token || last?.kind === 'file') return undefined;
    page_token = r.next_page_token;
  }
}

export function UploadProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const uid = user?.id ?? '';
  const ask = useAskConflict();
  const queue = useMemo(() => {
    const store = typeof indexedDB !== 'undefined' && uid ? safeUploadStore(indexedDBUploadStore(`clouddrive-uploads-${uid}`)) : memoryUploadStore();
    return new UploadQueue({
      transport: apiTransport(api, client),
      hasher: createWorkerHasher(),
      store,
      // Uploads resumed after a reload ask each conflict on its own.
      decideConflict: async (q) => (await ask(q)).choice,
      onUploaded: (node) => {
        void queryClient.invalidateQueries({ queryKey: ['list', node.parent_id ?? ''] });
        void queryClient.invalidateQueries({ queryKey: ['usage'] });
      },
    });
  }, [uid, ask]);

  useEffect(() => {
    if (uid) void queue.restore();
    return () => queue.pauseAll();
  }, [queue, uid]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (queue.busy) {
        e.preventDefault();
        e.returnValue = '';
      }
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [queue]);

  const value = useMemo<Uploads>(
    () => ({
      queue,
      async upload(files, parentId) {
        const placed = await resolveFolders(files, parentId, {
          mkdir: (p, name) => api.file.mkdir(p, name, 'fail'),
          findFolder,
        });
        if (placed.some((f) => f.relPath)) void queryClient.invalidateQueries({ queryKey: ['list', parentId] });
        // One drop or pick is one batch: "apply to all" answers for its files.
        const decide = batchDecider(ask);
        queue.add(placed.map((f) => ({ file: f.file, parentId: f.parentId, relPath: f.relPath, decide })));
      },
    }),
    [queue, ask],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useUploads(): Uploads {
  const c = useContext(Ctx);
  if (!c) throw new Error('useUploads outside UploadProvider');
  return c;
}

export function useQueueSnapshot(queue: UploadQueue): QueueSnapshot {
  return useSyncExternalStore(queue.subscribe, queue.getSnapshot);
}
