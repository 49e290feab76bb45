/// <reference lib="webworker" />
// Hashes files off the main thread: the page posts {id, file}, the worker
// answers with progress messages and then the content hash (or an error).
// {id, cancel: true} stops a running job between blocks. {id, chunk} asks
// for a chunk's Content-Digest header, so reading and hashing the chunks of
// an upload never runs on the page's thread either.

import { contentDigestHeader, contentHash } from './contenthash';

export type HashRequest = { id: number; file: Blob } | { id: number; chunk: Blob } | { id: number; cancel: true };
export type HashResponse =
  | { id: number; type: 'progress'; hashed: number; total: number }
  | { id: number; type: 'done'; hash: string }
  | { id: number; type: 'error'; message: string; aborted: boolean };

const cancelled = new Set<number>();
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (e: MessageEvent<HashRequest>) => {
  const msg = e.data;
  if ('cancel' in msg) {
    cancelled.add(msg.id);
    return;
  }
  if ('chunk' in msg) {
    try {
      const digest = await contentDigestHeader(await msg.chunk.arrayBuffer());
      scope.postMessage({ id: msg.id, type: 'done', hash: digest } satisfies HashResponse);
    } catch (err) {
      scope.postMessage({ id: msg.id, type: 'error', message: err instanceof Error ? err.message : String(err), aborted: false } satisfies HashResponse);
    }
    return;
  }
  const { id, file } = msg;
  let last = 0;
  try {
    const hash = await contentHash(
      file,
      (hashed, total) => {
        const now = Date.now();
        if (now - last > 100 || hashed === total) {
          last = now;
          scope.postMessage({ id, type: 'progress', hashed, total } satisfies HashResponse);
        }
      },
      () => cancelled.has(id),
    );
    scope.postMessage({ id, type: 'done', hash } satisfies HashResponse);
  } catch (err) {
    const aborted = err instanceof DOMException && err.name === 'AbortError';
    scope.postMessage({ id, type: 'error', message: err instanceof Error ? err.message : String(err), aborted } satisfies HashResponse);
  } finally {
    cancelled.delete(id);
  }
};
