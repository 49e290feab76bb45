// The upload queue: takes files, runs a few at a time through the protocol
// steps (steps.ts: hash, init or resume, proof, chunks, complete), and gives
// the page its controls (pause, resume, cancel, clear) and a snapshot to
// render (snapshot.ts). Records in the store (saved.ts) let a reload resume.
// The transport, the hasher and the store are injected (tests use fakes).

import { ApiError, isAbort } from '../api/errors';
import type { Node } from '../api/types';
import type { DecideConflict } from '../lib/conflicts';
import { type Job, newJob, recordOf } from './job';
import { type Options, type QueueOptions, withDefaults } from './options';
import { untilConnected } from './retry';
import type { Runner } from './runner';
import { fetchProgress, loadSaved, waitingFor } from './saved';
import { Semaphore } from './schedule';
import { type QueueSnapshot, SnapshotStore, snapshotOf, viewOf } from './snapshot';
import { Skipped, uploadFile } from './steps';
import type { UploadRecord } from './store';

export type { QueueOptions } from './options';
export type { QueueSnapshot, QueueTotals, UploadState, UploadView } from './snapshot';
export type { InitRequest, UploadTransport } from './transport';

export interface NewUpload {
  file: File;
  parentId: string;
  relPath?: string;
  /** Asks about a taken name; one per batch (a drop, a pick) for "apply to all". */
  decide?: DecideConflict;
}

const ACTIVE = ['queued', 'hashing', 'uploading', 'completing'];

export class UploadQueue implements Runner {
  readonly o: Options;
  readonly slots: Semaphore;
  private jobs: Job[] = [];
  private running = 0;
  private readonly snaps: SnapshotStore;

  constructor(o: QueueOptions) {
    this.o = withDefaults(o);
    this.slots = new Semaphore(this.o.chunkParallelism);
    this.snaps = new SnapshotStore(() => snapshotOf(this.jobs, this.o.now()), this.o.throttleMs);
  }

  // ---- observation -------------------------------------------------------

  subscribe = (fn: () => void): (() => void) => this.snaps.subscribe(fn);

  getSnapshot = (): QueueSnapshot => this.snaps.get();

  /** Chunk PUTs in flight right now (over all files). */
  get chunksInFlight(): number {
    return this.slots.inUse;
  }

  /** Something is being hashed or sent: leaving the page would interrupt it. */
  get busy(): boolean {
    return this.jobs.some((j) => ACTIVE.includes(j.state));
  }

  emit(): void {
    this.snaps.emit();
  }

  emitSoon(): void {
    this.snaps.emitSoon();
  }

  save(j: Job): Promise<void> {
    return this.o.store.put(recordOf(j));
  }

  finish(j: Job, node: Node): void {
    j.state = 'done';
    j.node = node;
    j.inflight.clear();
    j.hashed = j.size;
    void this.o.store.delete(j.key);
    this.emit();
    this.o.onUploaded?.(node, viewOf(j, this.o.now()));
  }

  // ---- controls -----------------------------------------------------------

  /**
   * Loads the sessions a previous page left in the store. Their files must be
   * picked again (state needs-file); the server is asked how far each got.
   */
  async restore(): Promise<void> {
    this.jobs.push(...(await loadSaved(this.o.store, new Set(this.jobs.map((j) => j.key)))));
    this.emit();
    await fetchProgress(this.o.transport, this.jobs);
    this.emit();
  }

  /**
   * Queues files. A file that matches an upload waiting for its file (same
   * name, size and modification time) resumes that upload instead.
   */
  add(files: NewUpload[]): string[] {
    const keys: string[] = [];
    for (const f of files) {
      const waiting = waitingFor(this.jobs, f.file, f.relPath);
      if (waiting) {
        waiting.file = f.file;
        waiting.decide = f.decide ?? waiting.decide;
        waiting.state = 'queued';
        keys.push(waiting.key);
        continue;
      }
      const r: UploadRecord = {
        key: this.o.newKey(),
        name: f.file.name,
        relPath: f.relPath,
        parentId: f.parentId,
        size: f.file.size,
        lastModified: f.file.lastModified,
        mime: f.file.type || undefined,
        createdAt: this.o.now(),
      };
      const j = newJob(r, f.file);
      j.decide = f.decide;
      this.jobs.push(j);
      void this.save(j);
      keys.push(j.key);
    }
    this.emit();
    this.pump();
    return keys;
  }

  /** Gives an upload that waits for its file the file again; false when it is not the same file. */
  provideFile(key: string, file: File): boolean {
    const j = this.find(key);
    if (!j || j.name !== file.name || j.size !== file.size) return false;
    j.file = file;
    if (j.lastModified !== file.lastModified) {
      // Changed since: hash again (and start a new session if it differs).
      j.lastModified = file.lastModified;
      j.contentHash = undefined;
    }
    if (j.state === 'needs-file') j.state = 'queued';
    this.emit();
    this.pump();
    return true;
  }

  pause(key: string): void {
    const j = this.find(key);
    if (!j || !['queued', 'hashing', 'uploading'].includes(j.state)) return;
    j.state = 'paused';
    j.abort?.abort();
    this.emit();
  }

  resume(key: string): void {
    const j = this.find(key);
    if (!j || !['paused', 'error'].includes(j.state)) return;
    j.error = undefined;
    j.errorReason = undefined;
    j.state = j.file ? 'queued' : 'needs-file';
    this.emit();
    this.pump();
  }

  pauseAll(): void {
    this.jobs.forEach((j) => this.pause(j.key));
  }

  resumeAll(): void {
    this.jobs.forEach((j) => this.resume(j.key));
  }

  cancel(key: string): void {
    const j = this.find(key);
    if (!j || j.state === 'done' || j.state === 'cancelled' || j.state === 'skipped') return;
    j.state = 'cancelled';
    j.abort?.abort();
    j.inflight.clear();
    if (j.uploadId) void this.o.transport.abort(j.uploadId).catch(() => undefined);
    void this.o.store.delete(j.key);
    this.emit();
  }

  /** Drops finished, cancelled and skipped uploads from the list. */
  clearFinished(): void {
    this.jobs = this.jobs.filter((j) => j.state !== 'done' && j.state !== 'cancelled' && j.state !== 'skipped');
    this.emit();
  }

  // ---- running ------------------------------------------------------------

  private find(key: string): Job | undefined {
    return this.jobs.find((x) => x.key === key);
  }

  private pump(): void {
    while (this.running < this.o.fileParallelism) {
      // A job being run has its abort controller (set before any await).
      const j = this.jobs.find((x) => x.state === 'queued' && x.file && !x.abort);
      if (!j) return;
      this.running++;
      void this.run(j).finally(() => {
        this.running--;
        this.emit();
        this.pump();
      });
    }
  }

  /** One file to its end: done, paused or cancelled (aborted), or failed for good. */
  private async run(j: Job): Promise<void> {
    const ac = new AbortController();
    j.abort = ac;
    j.meter.reset();
    try {
      await untilConnected(this, j, ac.signal, () => uploadFile(this, j, ac.signal));
    } catch (e) {
      j.inflight.clear();
      if (e instanceof Skipped) {
        j.state = 'skipped';
        void this.o.store.delete(j.key);
        return;
      }
      if (ac.signal.aborted || isAbort(e)) {
        // Paused or cancelled by the user; resumed again (queued) while this
        // run unwound: then the next run takes it.
        if (j.state === 'hashing' || j.state === 'uploading' || j.state === 'completing') j.state = 'paused';
        return;
      }
      j.state = 'error';
      j.error = e instanceof Error ? e.message : String(e);
      j.errorReason = e instanceof ApiError ? e.reason : undefined;
      if (j.errorReason === 'HASH_MISMATCH') {
        // The file changed while it was sent: the next try hashes it again.
        j.contentHash = undefined;
        j.uploadId = undefined;
        j.held.clear();
        void this.save(j);
      }
    } finally {
      j.abort = undefined;
      j.retryAt = undefined;
    }
  }
}
