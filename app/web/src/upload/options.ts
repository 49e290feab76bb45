// How a queue is built: its parts (transport, hasher, store) and its knobs,
// with the defaults the app uses.

import type { Node } from '../api/types';
import type { DecideConflict } from '../lib/conflicts';
import type { Hasher } from './hasher';
import type { UploadView } from './snapshot';
import type { UploadStore } from './store';
import type { UploadTransport } from './transport';

export interface QueueOptions {
  transport: UploadTransport;
  hasher: Hasher;
  store: UploadStore;
  /** Chunk PUTs in flight at once, over all files (4). */
  chunkParallelism?: number;
  /** Files being hashed or sent at once (2). */
  fileParallelism?: number;
  /** Delays before retrying a chunk that failed for a passing reason. */
  retryDelays?: number[];
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  newKey?: () => string;
  onUploaded?: (node: Node, item: UploadView) => void;
  /**
   * Asks the user about a taken name when the file's batch brought no
   * decider (resumed after a reload). Without either, a taken name is kept
   * as is and the upload renamed ("a (1).txt").
   */
  decideConflict?: DecideConflict;
  /** How often progress is published, at most (ms). */
  throttleMs?: number;
  /**
   * Files up to this size are hashed before anything is sent (cheap, and an
   * instant upload then sends nothing); larger ones are sent at once and
   * hashed alongside (4 MiB).
   */
  hashFirstUpTo?: number;
}

export type Options = Required<Omit<QueueOptions, 'onUploaded' | 'decideConflict'>> & Pick<QueueOptions, 'onUploaded' | 'decideConflict'>;

export function withDefaults(o: QueueOptions): Options {
  return {
    chunkParallelism: 4,
    fileParallelism: 2,
    retryDelays: [1000, 2000, 4000, 8000, 15000],
    now: Date.now,
    sleep: abortableSleep,
    newKey: randomKey,
    throttleMs: 150,
    hashFirstUpTo: 4 * 1024 * 1024,
    ...o,
  };
}

/** Sleeps ms; an abort ends it at once (with an AbortError). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const t = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function randomKey(): string {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
