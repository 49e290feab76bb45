// Upload sessions that survive a reload: one IndexedDB record per file in
// the queue, with what is needed to resume it (folder, name, size, the
// content hash once known, the server's upload id). The file itself is not
// stored: after a reload the user picks it again and it is matched by name,
// size and modification time.

export interface UploadRecord {
  key: string;
  name: string;
  /** For files of a dropped or picked folder: their path inside it. */
  relPath?: string;
  parentId: string;
  size: number;
  lastModified: number;
  mime?: string;
  contentHash?: string;
  uploadId?: string;
  /** The session was started without the content hash (sent while hashing). */
  hashless?: boolean;
  /** The user's answer to a name conflict, once asked (init sends it). */
  onConflict?: 'version' | 'rename';
  createdAt: number;
}

export interface UploadStore {
  all(): Promise<UploadRecord[]>;
  put(r: UploadRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

export function memoryUploadStore(): UploadStore & { records: Map<string, UploadRecord> } {
  const records = new Map<string, UploadRecord>();
  return {
    records,
    all: async () => [...records.values()].map((r) => ({ ...r })),
    put: async (r) => {
      records.set(r.key, { ...r });
    },
    delete: async (k) => {
      records.delete(k);
    },
  };
}

const STORE = 'uploads';

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * IndexedDB-backed store; the database is per user (dbName carries the user
 * id) so two accounts on one browser never see each other's uploads.
 */
export function indexedDBUploadStore(dbName: string, factory: IDBFactory = indexedDB): UploadStore {
  let dbp: Promise<IDBDatabase> | undefined;
  const open = () => {
    if (!dbp) {
      dbp = new Promise((resolve, reject) => {
        const r = factory.open(dbName, 1);
        r.onupgradeneeded = () => {
          if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'key' });
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
        r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
      });
      dbp.catch(() => {
        dbp = undefined;
      });
    }
    return dbp;
  };
  const tx = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async all() {
      return req((await tx('readonly')).getAll() as IDBRequest<UploadRecord[]>);
    },
    async put(r) {
      await req((await tx('readwrite')).put(r));
    },
    async delete(key) {
      await req((await tx('readwrite')).delete(key));
    },
  };
}

/** A store that survives without IndexedDB (private windows): uploads just do not resume. */
export function safeUploadStore(inner: UploadStore): UploadStore {
  return {
    all: () => inner.all().catch(() => []),
    put: (r) => inner.put(r).catch(() => undefined),
    delete: (k) => inner.delete(k).catch(() => undefined),
  };
}
