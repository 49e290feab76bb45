// One file in the queue: its saved record plus what this page knows of its
// progress (chunks held by the server, bytes in flight, state, speed).

import type { Node, UploadSession } from '../api/types';
import type { DecideConflict } from '../lib/conflicts';
import { int } from '../api/types';
import { SpeedMeter, chunkCount, heldBytes } from './schedule';
import type { UploadState } from './snapshot';
import type { UploadRecord } from './store';

export interface Job extends UploadRecord {
  file?: File;
  state: UploadState;
  hashed: number;
  held: Set<number>;
  /** Bytes sent so far of each chunk in flight. */
  inflight: Map<number, number>;
  chunkSize: number;
  chunkCount: number;
  instant: boolean;
  error?: string;
  errorReason?: string;
  chunksSent: number;
  node?: Node;
  abort?: AbortController;
  meter: SpeedMeter;
  /** When the connection was lost: the time of the next try. */
  retryAt?: number;
  /** Asks what to do when the name is taken (the batch's decider). */
  decide?: DecideConflict;
}

export function newJob(r: UploadRecord, file: File | undefined): Job {
  return {
    ...r,
    file,
    state: 'queued',
    hashed: r.contentHash ? r.size : 0,
    held: new Set(),
    inflight: new Map(),
    chunkSize: 0,
    chunkCount: 0,
    instant: false,
    chunksSent: 0,
    meter: new SpeedMeter(),
  };
}

/** What is kept of a job across reloads. */
export function recordOf(j: Job): UploadRecord {
  return {
    key: j.key,
    name: j.name,
    relPath: j.relPath,
    parentId: j.parentId,
    size: j.size,
    lastModified: j.lastModified,
    mime: j.mime,
    contentHash: j.contentHash,
    uploadId: j.uploadId,
    hashless: j.hashless,
    onConflict: j.onConflict,
    createdAt: j.createdAt,
  };
}

/** Bytes the server holds plus the bytes of the chunks in flight. */
export function uploadedBytes(j: Job): number {
  let n = heldBytes(j.held, j.chunkSize, j.size);
  for (const b of j.inflight.values()) n += b;
  return Math.min(n, j.size);
}

/** Takes the session's chunk layout and the chunks the server holds. */
export function applySession(j: Job, s: UploadSession, replaceHeld = false): void {
  j.chunkSize = int(s.chunk_size) || j.chunkSize;
  j.chunkCount = int(s.chunk_count) || chunkCount(j.size, j.chunkSize);
  const held = new Set((s.uploaded_chunks ?? []).map((x) => int(x)));
  if (replaceHeld) j.held = held;
  else for (const i of held) j.held.add(i);
}
