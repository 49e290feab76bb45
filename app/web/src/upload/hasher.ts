// The page's side of the hashing worker: one worker, jobs by id. Falls back
// to hashing on the main thread (still block by block, async) when workers
// are unavailable.

import { contentDigestHeader, contentHash } from './contenthash';
import type { HashRequest, HashResponse } from './hash.worker';

export interface Hasher {
  hash(file: Blob, onProgress: (hashed: number, total: number) => void, signal?: AbortSignal): Promise<string>;
  /** The Content-Digest header of one chunk; without it the queue hashes on the page. */
  digest?(chunk: Blob, signal: AbortSignal): Promise<string>;
}

export function createWorkerHasher(): Hasher {
  let worker: Worker | undefined;
  let nextId = 1;
  const jobs = new Map<number, { resolve: (h: string) => void; reject: (e: unknown) => void; progress: (h: number, t: number) => void }>();

  const ensure = (): Worker | undefined => {
    if (worker) return worker;
    if (typeof Worker === 'undefined') return undefined;
    try {
      worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' });
    } catch {
      return undefined;
    }
    worker.onmessage = (e: MessageEvent<HashResponse>) => {
      const m = e.data;
      const job = jobs.get(m.id);
      if (!job) return;
      if (m.type === 'progress') job.progress(m.hashed, m.total);
      else {
        jobs.delete(m.id);
        if (m.type === 'done') job.resolve(m.hash);
        else job.reject(m.aborted ? new DOMException(m.message, 'AbortError') : new Error(m.message));
      }
    };
    worker.onerror = (e) => {
      for (const j of jobs.values()) j.reject(new Error(e.message || 'hash worker failed'));
      jobs.clear();
      worker?.terminate();
      worker = undefined;
    };
    return worker;
  };

  return {
    hash(file, onProgress, signal) {
      const w = ensure();
      if (!w) return contentHash(file, onProgress, () => signal?.aborted ?? false);
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        jobs.set(id, { resolve, reject, progress: onProgress });
        signal?.addEventListener('abort', () => w.postMessage({ id, cancel: true } satisfies HashRequest), { once: true });
        w.postMessage({ id, file } satisfies HashRequest);
      });
    },
    digest(chunk, signal) {
      const w = ensure();
      if (!w) return chunk.arrayBuffer().then(contentDigestHeader);
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        jobs.set(id, { resolve, reject, progress: () => undefined });
        // The chunk is small: an abort just drops the answer.
        signal.addEventListener('abort', () => {
          if (jobs.delete(id)) reject(new DOMException('aborted', 'AbortError'));
        }, { once: true });
        w.postMessage({ id, chunk } satisfies HashRequest);
      });
    },
  };
}
