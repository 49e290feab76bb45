// The protocol for one file, step by step. A small file (or one whose hash
// is known): hash it (in the worker), resume its session or start one, try
// the instant upload through the proof of possession, send the missing
// chunks, complete. A larger new file starts sending at once and is hashed
// alongside (parallel.ts). A session found gone on the way is started again
// once.

import { ApiError } from '../api/errors';
import type { UploadSession } from '../api/types';
import { int } from '../api/types';
import { SessionGone, isSessionGone, sendChunks, sessionError } from './chunks';
import { proofOfPossession } from './contenthash';
import { type Job, applySession } from './job';
import type { Runner } from './runner';
import { sendWhileHashing } from './parallel';
import type { InitRequest } from './transport';

export async function uploadFile(r: Runner, j: Job, signal: AbortSignal): Promise<void> {
  try {
    await steps(r, j, signal);
  } catch (e) {
    if (!(e instanceof SessionGone) || signal.aborted) throw e;
    j.uploadId = undefined;
    j.hashless = undefined;
    j.held.clear();
    await steps(r, j, signal);
  }
}

async function steps(r: Runner, j: Job, signal: AbortSignal): Promise<void> {
  // A session started without the hash goes on as it began.
  if (j.hashless || (!j.contentHash && !j.uploadId && j.size > r.o.hashFirstUpTo)) return sendWhileHashing(r, j, signal);
  await hashFile(r, j, signal);
  j.state = 'uploading';
  r.emit();
  const session = await openSession(r, j, signal);
  if (await proveInstead(r, j, session)) return;
  await sendAndComplete(r, j, signal);
}

export async function hashFile(r: Runner, j: Job, signal: AbortSignal): Promise<void> {
  if (j.contentHash) return;
  j.state = 'hashing';
  j.hashed = 0;
  r.emit();
  const hash = await r.o.hasher.hash(
    j.file!,
    (h) => {
      j.hashed = h;
      r.emitSoon();
    },
    signal,
  );
  if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  if (j.uploadId && j.contentHash !== hash) j.uploadId = undefined;
  j.contentHash = hash;
  j.hashed = j.size;
  await r.save(j);
}

/** The saved session when the server still has it, else a new one. */
export async function openSession(r: Runner, j: Job, signal: AbortSignal, withHash = true): Promise<UploadSession> {
  const t = r.o.transport;
  let session: UploadSession | undefined;
  if (j.uploadId) {
    try {
      session = await t.status(j.uploadId);
    } catch (e) {
      if (!isSessionGone(e)) throw e;
      j.uploadId = undefined;
    }
  }
  if (!session) {
    session = await initSession(r, j, withHash);
    j.uploadId = session.upload_id;
    j.hashless = withHash ? undefined : true;
    await r.save(j);
  }
  if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  applySession(j, session);
  r.emit();
  return session;
}

/** The user answered "skip" to a taken name: the file is left out. */
export class Skipped extends Error {}

/**
 * Starts a session. When someone can be asked, a taken name is asked about
 * (init with "fail", then again with the answer: replace is a new version
 * of the file there, keep both renames this one); the answer is saved with
 * the session so a reload does not ask again.
 */
export async function initSession(r: Runner, j: Job, withHash = true): Promise<UploadSession> {
  const decide = j.decide ?? r.o.decideConflict;
  const init = (on_conflict: InitRequest['on_conflict']) =>
    r.o.transport.init({ parent_id: j.parentId, name: j.name, size: j.size, content_hash: withHash ? j.contentHash : undefined, on_conflict, mime: j.mime });
  if (j.onConflict || !decide) return init(j.onConflict ?? 'rename');
  try {
    return await init('fail');
  } catch (e) {
    if (!(e instanceof ApiError) || e.reason !== 'NAME_CONFLICT') throw e;
  }
  const choice = await decide({ name: j.relPath ?? j.name, kind: 'file', replaces: 'version' });
  if (choice === 'skip') throw new Skipped(j.name);
  j.onConflict = choice === 'replace' ? 'version' : 'rename';
  return init(j.onConflict);
}

/**
 * Instant upload: proves possession of the content; the server answers
 * alike whether or not it holds it, so a refusal just means "send it".
 * True when the file is done without sending it.
 */
async function proveInstead(r: Runner, j: Job, session: UploadSession): Promise<boolean> {
  const ch = session.challenge;
  if (j.size === 0 || j.held.size > 0 || !ch?.nonce || !ch.ranges?.length) return false;
  const ranges = ch.ranges.map((x) => ({ offset: int(x.offset), length: int(x.length) }));
  const proof = await proofOfPossession(j.file!, ch.nonce, ranges);
  try {
    const node = await r.o.transport.prove(j.uploadId!, proof);
    j.instant = true;
    r.finish(j, node);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'PROOF_REJECTED') return false;
    throw sessionError(e);
  }
}

/**
 * Sends what the server lacks and completes; sends again what complete says
 * is missing. beforeComplete may finish the file another way (true: done).
 */
export async function sendAndComplete(r: Runner, j: Job, signal: AbortSignal, beforeComplete?: () => Promise<boolean>): Promise<void> {
  const t = r.o.transport;
  for (let round = 0; ; round++) {
    await sendChunks(r, j, signal);
    if (beforeComplete && (await beforeComplete())) return;
    j.state = 'completing';
    r.emit();
    try {
      r.finish(j, await t.complete(j.uploadId!));
      return;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'CHUNKS_MISSING' && round < 3) {
        j.state = 'uploading';
        applySession(j, await t.status(j.uploadId!), true);
        continue;
      }
      throw sessionError(e);
    }
  }
}
