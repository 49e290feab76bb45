// Sending while hashing: a larger new file starts a session without its
// hash and sends at once, while the worker hashes it. Once the hash is
// known, the instant upload is tried on a second session (init with the
// hash, then the proof): when the content is stored already, sending stops
// and the chunked session is cancelled; when not, the second session is
// dropped and sending goes on. Only one of the two ever completes.

import { isAbort } from '../api/errors';
import type { Node } from '../api/types';
import { int } from '../api/types';
import { proofOfPossession } from './contenthash';
import type { Job } from './job';
import type { Runner } from './runner';
import { initSession, openSession, sendAndComplete } from './steps';

export async function sendWhileHashing(r: Runner, j: Job, signal: AbortSignal): Promise<void> {
  const t = r.o.transport;
  j.state = 'uploading';
  r.emit();
  await openSession(r, j, signal, false);
  const chunked = j.uploadId!;

  // Sending stops on pause/cancel, or when the instant upload succeeds.
  const sending = new AbortController();
  const hashing = new AbortController();
  const stop = () => {
    sending.abort();
    hashing.abort();
  };
  signal.addEventListener('abort', stop, { once: true });

  let closed = false; // complete has begun: no instant upload from now on
  let proving: Promise<Node | undefined> | undefined;
  let instant: Node | undefined;
  const attempt = (async () => {
    const hash = j.contentHash ?? (await hashAlongside(r, j, hashing.signal));
    if (j.contentHash !== hash) {
      j.contentHash = hash;
      await r.save(j);
    }
    if (closed || j.size === 0) return;
    const s = await initSession(r, j, true);
    const ch = s.challenge;
    if (closed || !ch?.nonce || !ch.ranges?.length) {
      void t.abort(s.upload_id).catch(() => undefined);
      return;
    }
    const ranges = ch.ranges.map((x) => ({ offset: int(x.offset), length: int(x.length) }));
    const proof = await proofOfPossession(j.file!, ch.nonce, ranges);
    if (closed) {
      void t.abort(s.upload_id).catch(() => undefined);
      return;
    }
    proving = t.prove(s.upload_id, proof).then(
      (node) => node,
      () => {
        // Refused (the content is new) or failed: the chunked upload goes on.
        void t.abort(s.upload_id).catch(() => undefined);
        return undefined;
      },
    );
    instant = await proving;
    if (instant) sending.abort();
  })().catch(() => {
    // Best effort: hashing or the instant try failing leaves the chunked upload as it is.
  });

  try {
    await sendAndComplete(r, j, sending.signal, async () => {
      // Complete begins: the hash is no longer needed, and a proof under way decides.
      closed = true;
      hashing.abort();
      if (proving) instant = await proving;
      return instant !== undefined;
    });
    if (instant) done(r, j, chunked, instant);
  } catch (e) {
    if (!isAbort(e) && !sending.signal.aborted) throw e;
    // Stopped: by the proof's success, or paused with a proof under way
    // (which may still finish the file; the hashing itself is stopped).
    closed = true;
    await attempt;
    if (!instant) throw e;
    done(r, j, chunked, instant);
  } finally {
    signal.removeEventListener('abort', stop);
    closed = true;
    hashing.abort();
  }
}

/** Finished by the proof: the chunked session is cancelled. */
function done(r: Runner, j: Job, chunked: string, node: Node): void {
  void r.o.transport.abort(chunked).catch(() => undefined);
  j.inflight.clear();
  j.instant = true;
  r.finish(j, node);
}

async function hashAlongside(r: Runner, j: Job, signal: AbortSignal): Promise<string> {
  j.hashed = 0;
  const hash = await r.o.hasher.hash(
    j.file!,
    (h) => {
      j.hashed = h;
      r.emitSoon();
    },
    signal,
  );
  if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  j.hashed = j.size;
  return hash;
}
