// Sending a file's missing chunks: several lanes per file, every PUT taking
// one of the queue's shared slots; a chunk that fails for a passing reason
// is sent again after a delay, one that fails for good stops the file.

import { ApiError, isAbort } from '../api/errors';
import { contentDigestHeader } from './contenthash';
import { type Job, uploadedBytes } from './job';
import { lostConnection, waitToRetry } from './retry';
import type { Runner } from './runner';
import { chunkRange, pendingChunks } from './schedule';

const SESSION_GONE = new Set(['UPLOAD_NOT_FOUND', 'UPLOAD_CLOSED']);

/** The upload session expired or was closed elsewhere: start a new one. */
export class SessionGone extends Error {}

/** e as a SessionGone when it says the session is gone. */
export function sessionError(e: unknown): unknown {
  if (e instanceof ApiError && SESSION_GONE.has(e.reason)) return new SessionGone(e.message);
  return e;
}

export function isSessionGone(e: unknown): boolean {
  return e instanceof ApiError && SESSION_GONE.has(e.reason);
}

export async function sendChunks(r: Runner, j: Job, signal: AbortSignal): Promise<void> {
  const pending = pendingChunks(j.chunkCount, j.held);
  if (pending.length === 0) return;
  // One failure stops this file's other chunks.
  const inner = new AbortController();
  const stop = () => inner.abort();
  signal.addEventListener('abort', stop, { once: true });
  let next = 0;
  const lane = async () => {
    while (next < pending.length && !inner.signal.aborted) {
      const i = pending[next++];
      await sendChunk(r, j, i, inner.signal);
    }
  };
  try {
    const lanes = Array.from({ length: Math.min(r.o.chunkParallelism, pending.length) }, () =>
      lane().catch((e) => {
        inner.abort();
        throw e;
      }),
    );
    const results = await Promise.allSettled(lanes);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected' && !isAbort(x.reason));
    if (failed) throw failed.reason;
    if (signal.aborted || results.some((x) => x.status === 'rejected')) throw new DOMException('aborted', 'AbortError');
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

async function sendChunk(r: Runner, j: Job, index: number, signal: AbortSignal): Promise<void> {
  const [start, end] = chunkRange(index, j.chunkSize, j.size);
  for (let attempt = 0; ; attempt++) {
    const release = await r.slots.acquire(signal);
    try {
      // The chunk goes as a Blob: the browser reads and sends it off the
      // main thread; its digest is computed by the hashing worker.
      const data = j.file!.slice(start, end);
      const digest = r.o.hasher.digest ? await r.o.hasher.digest(data, signal) : await contentDigestHeader(await data.arrayBuffer());
      if (signal.aborted) throw new DOMException('aborted', 'AbortError');
      j.inflight.set(index, 0);
      await r.o.transport.putChunk(
        j.uploadId!,
        index,
        data,
        digest,
        (loaded) => {
          j.inflight.set(index, Math.min(loaded, end - start));
          j.meter.add(r.o.now(), uploadedBytes(j));
          r.emitSoon();
        },
        signal,
      );
      j.inflight.delete(index);
      j.held.add(index);
      j.chunksSent++;
      j.meter.add(r.o.now(), uploadedBytes(j));
      r.emitSoon();
      return;
    } catch (e) {
      j.inflight.delete(index);
      if (signal.aborted || isAbort(e)) throw new DOMException('aborted', 'AbortError');
      if (isSessionGone(e)) throw sessionError(e);
      const passing = e instanceof ApiError && (e.retryable || e.reason === 'DIGEST_MISMATCH');
      // A lost connection is retried for as long as it lasts (the file's
      // run waits on it too); other passing failures a few times.
      const lost = lostConnection(e);
      if (!passing || (!lost && attempt >= r.o.retryDelays.length)) throw e;
      const delay = r.o.retryDelays[Math.min(attempt, r.o.retryDelays.length - 1)];
      const wait = e instanceof ApiError && e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : delay;
      release();
      if (lost) await waitToRetry(r, j, wait, signal);
      else await r.o.sleep(wait, signal);
      continue;
    } finally {
      release();
    }
  }
}
