// What the page sees of the queue: one view per file and the totals, built
// from the jobs and published to subscribers (useSyncExternalStore), at most
// every throttleMs while bytes move and at once on a change of state.

import type { Node } from '../api/types';
import { type Job, uploadedBytes } from './job';
import { eta } from './schedule';

export type UploadState = 'queued' | 'hashing' | 'uploading' | 'completing' | 'paused' | 'needs-file' | 'done' | 'error' | 'cancelled' | 'skipped';

export interface UploadView {
  key: string;
  name: string;
  relPath?: string;
  parentId: string;
  size: number;
  state: UploadState;
  /** 0..1 of the bytes sent (or of the hashing while hashing). */
  progress: number;
  hashed: number;
  uploaded: number;
  /** Bytes per second. */
  speed: number;
  /** Seconds left, when known. */
  eta?: number;
  instant: boolean;
  error?: string;
  errorReason?: string;
  /** Chunks sent in this page's lifetime (0 for an instant upload). */
  chunksSent: number;
  node?: Node;
  /** The server cannot be reached: seconds until the next try. */
  retryIn?: number;
}

export interface QueueTotals {
  files: number;
  active: number;
  done: number;
  failed: number;
  /** Left out on the user's word (a taken name answered "skip"). */
  skipped: number;
  bytes: number;
  totalBytes: number;
  progress: number;
  speed: number;
  eta?: number;
  /** Some upload waits for the connection: seconds until the soonest try. */
  retryIn?: number;
}

export interface QueueSnapshot {
  items: UploadView[];
  totals: QueueTotals;
}

export function viewOf(j: Job, now: number): UploadView {
  const uploaded = uploadedBytes(j);
  const retryIn = j.retryAt !== undefined ? Math.max(0, Math.ceil((j.retryAt - now) / 1000)) : undefined;
  // While the connection is lost nothing moves: no speed, no ETA.
  const speed = j.state === 'uploading' && retryIn === undefined ? j.meter.rate(now) : 0;
  let progress: number;
  if (j.state === 'done') progress = 1;
  else if (j.state === 'hashing') progress = j.size > 0 ? j.hashed / j.size : 0;
  else progress = j.size > 0 ? uploaded / j.size : 0;
  return {
    key: j.key,
    name: j.name,
    relPath: j.relPath,
    parentId: j.parentId,
    size: j.size,
    state: j.state,
    progress: Math.min(1, progress),
    hashed: j.hashed,
    uploaded: j.state === 'done' ? j.size : uploaded,
    speed,
    eta: j.state === 'uploading' && retryIn === undefined ? eta(j.size - uploaded, speed) : undefined,
    instant: j.instant,
    error: j.error,
    errorReason: j.errorReason,
    chunksSent: j.chunksSent,
    node: j.node,
    retryIn,
  };
}

export function snapshotOf(jobs: readonly Job[], now: number): QueueSnapshot {
  const items = jobs.map((j) => viewOf(j, now));
  // Cancelled and skipped files (a name conflict answered "skip") are not part of the work.
  const counted = items.filter((i) => i.state !== 'cancelled' && i.state !== 'skipped');
  const totalBytes = counted.reduce((s, i) => s + i.size, 0);
  const bytes = counted.reduce((s, i) => s + (i.state === 'done' ? i.size : i.uploaded), 0);
  const active = items.filter((i) => i.state === 'hashing' || i.state === 'uploading' || i.state === 'completing' || i.state === 'queued').length;
  // The total speed is the sum of the rows' speeds, so the panel's header
  // never disagrees with its rows (a stalled file counts as 0).
  const speed = items.reduce((s, i) => s + i.speed, 0);
  const waits = items.filter((i) => i.retryIn !== undefined).map((i) => i.retryIn!);
  return {
    items,
    totals: {
      files: counted.length,
      active,
      done: items.filter((i) => i.state === 'done').length,
      failed: items.filter((i) => i.state === 'error').length,
      skipped: items.filter((i) => i.state === 'skipped').length,
      bytes,
      totalBytes,
      progress: totalBytes > 0 ? bytes / totalBytes : counted.length > 0 && counted.every((i) => i.state === 'done') ? 1 : 0,
      speed,
      eta: active > 0 && speed > 0 ? eta(totalBytes - bytes, speed) : undefined,
      retryIn: waits.length ? Math.min(...waits) : undefined,
    },
  };
}

/** Holds the last snapshot and tells subscribers when a new one is out. */
export class SnapshotStore {
  private readonly subs = new Set<() => void>();
  private snap: QueueSnapshot = { items: [], totals: { files: 0, active: 0, done: 0, failed: 0, skipped: 0, bytes: 0, totalBytes: 0, progress: 0, speed: 0 } };
  private pending?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly build: () => QueueSnapshot,
    private readonly throttleMs: number,
  ) {}

  subscribe = (fn: () => void): (() => void) => {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  };

  get = (): QueueSnapshot => this.snap;

  /** Publishes now (a state changed). */
  emit(): void {
    if (this.pending) {
      clearTimeout(this.pending);
      this.pending = undefined;
    }
    this.snap = this.build();
    this.subs.forEach((f) => f());
  }

  /** Publishes within throttleMs (bytes moved): many progress events, one render. */
  emitSoon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.emit();
    }, this.throttleMs);
  }
}
