// The upload queue: hashes each file in a worker, starts (or resumes) an
// upload session, tries the instant upload through the proof of possession,
// sends the missing chunks several at a time, completes, and keeps each
// file's session in a store so that a reload can resume it. The transport,
// the hasher and the store are injected (tests use fakes).

import { ApiError, isAbort } from '../api/errors';
import type { Node, UploadSession } from '../api/types';
import { int } from '../api/types';
import { contentDigestHeader, proofOfPossession } from './contenthash';
import type { Hasher } from './hasher';
import { Semaphore, SpeedMeter, chunkCount, chunkRange, eta, heldBytes, pendingChunks } from './schedule';
import type { UploadRecord, UploadStore } from './store';

export interface InitRequest {
  parent_id: string;
  name: string;
  size: number;
  content_hash: string;
  on_conflict: 'rename';
  mime?: string;
}

export interface UploadTransport {
  init(r: InitRequest): Promise<UploadSession>;
  status(uploadId: string): Promise<UploadSession>;
  prove(uploadId: string, proof: string): Promise<Node>;
  /** data is a slice of the file: the browser streams it without copying it into the page. */
  putChunk(uploadId: string, index: number, data: Blob, digest: string | undefined, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void>;
  complete(uploadId: string): Promise<Node>;
  abort(uploadId: string): Promise<void>;
}

export type UploadState = 'queued' | 'hashing' | 'uploading' | 'completing' | 'paused' | 'needs-file' | 'done' | 'error' | 'cancelled';

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
  /** How often progress is published, at most (ms). */
  throttleMs?: number;
}

export interface NewUpload {
  file: File;
  parentId: string;
  relPath?: string;
}

interface Job extends UploadRecord {
  file?: File;
  state: UploadState;
  hashed: number;
  held: Set<number>;
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
  /** Whether the session came from init in this run (not a resumed one). */
  freshSession: boolean;
  /** When the connection was lost: the time of the next try. */
  retryAt?: number;
}

const SESSION_GONE = new Set(['UPLOAD_NOT_FOUND', 'UPLOAD_CLOSED']);

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
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

class SessionGone extends Error {}

export class UploadQueue {
  private readonly o: Required<Omit<QueueOptions, 'onUploaded'>> & Pick<QueueOptions, 'onUploaded'>;
  private jobs: Job[] = [];
  private running = 0;
  private readonly slots: Semaphore;
  private readonly subs = new Set<() => void>();
  private snap: QueueSnapshot = { items: [], totals: emptyTotals() };
  private pendingEmit?: ReturnType<typeof setTimeout>;

  constructor(o: QueueOptions) {
    this.o = {
      chunkParallelism: 4,
      fileParallelism: 2,
      retryDelays: [1000, 2000, 4000, 8000, 15000],
      now: Date.now,
      sleep: defaultSleep,
      newKey: randomKey,
      throttleMs: 150,
      ...o,
    };
    this.slots = new Semaphore(this.o.chunkParallelism);
  }

  // ---- observation -------------------------------------------------------

  subscribe = (fn: () => void): (() => void) => {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  };

  getSnapshot = (): QueueSnapshot => this.snap;

  /** Chunk PUTs in flight right now (over all files). */
  get chunksInFlight(): number {
    return this.slots.inUse;
  }

  private emit(): void {
    if (this.pendingEmit) {
      clearTimeout(this.pendingEmit);
      this.pendingEmit = undefined;
    }
    this.snap = this.buildSnapshot();
    this.subs.forEach((f) => f());
  }

  private emitSoon(): void {
    if (this.pendingEmit) return;
    this.pendingEmit = setTimeout(() => {
      this.pendingEmit = undefined;
      this.emit();
    }, this.o.throttleMs);
  }

  private view(j: Job): UploadView {
    const now = this.o.now();
    const uploaded = this.uploadedBytes(j);
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

  private buildSnapshot(): QueueSnapshot {
    const items = this.jobs.map((j) => this.view(j));
    const counted = items.filter((i) => i.state !== 'cancelled');
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
        bytes,
        totalBytes,
        progress: totalBytes > 0 ? bytes / totalBytes : counted.length > 0 && counted.every((i) => i.state === 'done') ? 1 : 0,
        speed,
        eta: active > 0 && speed > 0 ? eta(totalBytes - bytes, speed) : undefined,
        retryIn: waits.length ? Math.min(...waits) : undefined,
      },
    };
  }

  private uploadedBytes(j: Job): number {
    let n = heldBytes(j.held, j.chunkSize, j.size);
    for (const b of j.inflight.values()) n += b;
    return Math.min(n, j.size);
  }

  // ---- commands -----------------------------------------------------------

  /**
   * Loads the sessions a previous page left in the store. Their files must be
   * picked again (state needs-file); the server is asked how far each got.
   */
  async restore(): Promise<void> {
    const records = await this.o.store.all();
    records.sort((a, b) => a.createdAt - b.createdAt);
    for (const r of records) {
      if (this.jobs.some((j) => j.key === r.key)) continue;
      const j = this.newJob(r, undefined);
      j.state = 'needs-file';
      this.jobs.push(j);
    }
    this.emit();
    await Promise.all(
      this.jobs
        .filter((j) => j.state === 'needs-file' && j.uploadId)
        .map(async (j) => {
          try {
            this.applySession(j, await this.o.transport.status(j.uploadId!));
          } catch {
            // Gone or unreachable: resuming starts a new session.
          }
        }),
    );
    this.emit();
  }

  /**
   * Queues files. A file that matches an upload waiting for its file (same
   * name, size and modification time) resumes that upload instead.
   */
  add(files: NewUpload[]): string[] {
    const keys: string[] = [];
    for (const f of files) {
      const waiting = this.jobs.find(
        (j) => j.state === 'needs-file' && j.name === f.file.name && j.size === f.file.size && j.lastModified === f.file.lastModified && (j.relPath ?? '') === (f.relPath ?? ''),
      );
      if (waiting) {
        waiting.file = f.file;
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
      const j = this.newJob(r, f.file);
      this.jobs.push(j);
      void this.o.store.put(this.record(j));
      keys.push(j.key);
    }
    this.emit();
    this.pump();
    return keys;
  }

  /** Gives an upload that waits for its file the file again; false when it is not the same file. */
  provideFile(key: string, file: File): boolean {
    const j = this.jobs.find((x) => x.key === key);
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
    const j = this.jobs.find((x) => x.key === key);
    if (!j || !['queued', 'hashing', 'uploading'].includes(j.state)) return;
    j.state = 'paused';
    j.abort?.abort();
    this.emit();
  }

  resume(key: string): void {
    const j = this.jobs.find((x) => x.key === key);
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
    const j = this.jobs.find((x) => x.key === key);
    if (!j || j.state === 'done' || j.state === 'cancelled') return;
    j.state = 'cancelled';
    j.abort?.abort();
    j.inflight.clear();
    if (j.uploadId) void this.o.transport.abort(j.uploadId).catch(() => undefined);
    void this.o.store.delete(j.key);
    this.emit();
  }

  /** Drops finished and cancelled uploads from the list. */
  clearFinished(): void {
    this.jobs = this.jobs.filter((j) => j.state !== 'done' && j.state !== 'cancelled');
    this.emit();
  }

  /** Something is being hashed or sent: leaving the page would interrupt it. */
  get busy(): boolean {
    return this.jobs.some((j) => ['queued', 'hashing', 'uploading', 'completing'].includes(j.state));
  }

  // ---- the work -------------------------------------------------------------

  private newJob(r: UploadRecord, file: File | undefined): Job {
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
      freshSession: false,
    };
  }

  private record(j: Job): UploadRecord {
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
      createdAt: j.createdAt,
    };
  }

  private pump(): void {
    while (this.running < this.o.fileParallelism) {
      const j = this.jobs.find((x) => x.state === 'queued' && x.file);
      if (!j) return;
      this.running++;
      void this.run(j).finally(() => {
        this.running--;
        this.emit();
        this.pump();
      });
    }
  }

  private async run(j: Job): Promise<void> {
    const ac = new AbortController();
    j.abort = ac;
    j.meter.reset();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          try {
            await this.process(j, ac.signal);
          } catch (e) {
            if (!(e instanceof SessionGone) || ac.signal.aborted) throw e;
            // The session expired or was aborted elsewhere: start a new one.
            j.uploadId = undefined;
            j.held.clear();
            await this.process(j, ac.signal);
          }
          return;
        } catch (e) {
          // The server is unreachable (stopped, restarting, offline): wait
          // and try again, as long as it takes, saying so; pause and cancel
          // still act at once.
          if (ac.signal.aborted || !lostConnection(e)) throw e;
          j.inflight.clear();
          await this.waitToRetry(j, this.o.retryDelays[Math.min(attempt, this.o.retryDelays.length - 1)], ac.signal);
        }
      }
    } catch (e) {
      j.inflight.clear();
      if (ac.signal.aborted || isAbort(e)) {
        if (j.state !== 'cancelled' && j.state !== 'paused') j.state = 'paused';
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
        void this.o.store.put(this.record(j));
      }
    } finally {
      j.abort = undefined;
      j.retryAt = undefined;
    }
  }

  /** Sleeps ms before the next try, the panel counting down each second. */
  private async waitToRetry(j: Job, ms: number, signal: AbortSignal): Promise<void> {
    j.retryAt = this.o.now() + ms;
    this.emit();
    try {
      for (let left = ms; left > 0; left -= 1000) {
        await this.o.sleep(Math.min(1000, left), signal);
        this.emit();
      }
    } finally {
      j.retryAt = undefined;
    }
  }

  private async process(j: Job, signal: AbortSignal): Promise<void> {
    const t = this.o.transport;
    const file = j.file!;
    if (!j.contentHash) {
      j.state = 'hashing';
      j.hashed = 0;
      this.emit();
      const hash = await this.o.hasher.hash(
        file,
        (h) => {
          j.hashed = h;
          this.emitSoon();
        },
        signal,
      );
      if (signal.aborted) throw new DOMException('aborted', 'AbortError');
      if (j.uploadId && j.contentHash !== hash) j.uploadId = undefined;
      j.contentHash = hash;
      j.hashed = j.size;
      await this.o.store.put(this.record(j));
    }
    j.state = 'uploading';
    this.emit();

    let session: UploadSession | undefined;
    if (j.uploadId) {
      try {
        session = await t.status(j.uploadId);
        j.freshSession = false;
      } catch (e) {
        if (!(e instanceof ApiError) || !SESSION_GONE.has(e.reason)) throw e;
        j.uploadId = undefined;
      }
    }
    if (!session) {
      session = await t.init({ parent_id: j.parentId, name: j.name, size: j.size, content_hash: j.contentHash, on_conflict: 'rename', mime: j.mime });
      j.uploadId = session.upload_id;
      j.freshSession = true;
      await this.o.store.put(this.record(j));
    }
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
    this.applySession(j, session);
    this.emit();

    // Instant upload: prove possession of the content; the server answers
    // alike whether or not it holds it, so a refusal just means "send it".
    const ch = session.challenge;
    if (j.size > 0 && j.held.size === 0 && ch?.nonce && ch.ranges?.length) {
      const ranges = ch.ranges.map((r) => ({ offset: int(r.offset), length: int(r.length) }));
      const proof = await proofOfPossession(file, ch.nonce, ranges);
      try {
        const node = await t.prove(j.uploadId!, proof);
        j.instant = true;
        this.finish(j, node);
        return;
      } catch (e) {
        if (!(e instanceof ApiError) || e.reason !== 'PROOF_REJECTED') throw this.sessionError(e);
      }
    }

    for (let round = 0; ; round++) {
      await this.sendChunks(j, signal);
      j.state = 'completing';
      this.emit();
      try {
        const node = await t.complete(j.uploadId!);
        this.finish(j, node);
        return;
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'CHUNKS_MISSING' && round < 3) {
          j.state = 'uploading';
          this.applySession(j, await t.status(j.uploadId!), true);
          continue;
        }
        throw this.sessionError(e);
      }
    }
  }

  private sessionError(e: unknown): unknown {
    if (e instanceof ApiError && SESSION_GONE.has(e.reason)) return new SessionGone(e.message);
    return e;
  }

  private applySession(j: Job, s: UploadSession, replaceHeld = false): void {
    j.chunkSize = int(s.chunk_size) || j.chunkSize;
    j.chunkCount = int(s.chunk_count) || chunkCount(j.size, j.chunkSize);
    const held = new Set((s.uploaded_chunks ?? []).map((x) => int(x)));
    if (replaceHeld) j.held = held;
    else for (const i of held) j.held.add(i);
  }

  private async sendChunks(j: Job, signal: AbortSignal): Promise<void> {
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
        await this.sendChunk(j, i, inner.signal);
      }
    };
    try {
      const lanes = Array.from({ length: Math.min(this.o.chunkParallelism, pending.length) }, () =>
        lane().catch((e) => {
          inner.abort();
          throw e;
        }),
      );
      const results = await Promise.allSettled(lanes);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isAbort(r.reason));
      if (failed) throw failed.reason;
      if (signal.aborted || results.some((r) => r.status === 'rejected')) throw new DOMException('aborted', 'AbortError');
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async sendChunk(j: Job, index: number, signal: AbortSignal): Promise<void> {
    const [start, end] = chunkRange(index, j.chunkSize, j.size);
    for (let attempt = 0; ; attempt++) {
      const release = await this.slots.acquire(signal);
      try {
        // The chunk goes as a Blob: the browser reads and sends it off the
        // main thread; its digest is computed by the hashing worker.
        const data = j.file!.slice(start, end);
        const digest = this.o.hasher.digest ? await this.o.hasher.digest(data, signal) : await contentDigestHeader(await data.arrayBuffer());
        if (signal.aborted) throw new DOMException('aborted', 'AbortError');
        j.inflight.set(index, 0);
        await this.o.transport.putChunk(
          j.uploadId!,
          index,
          data,
          digest,
          (loaded) => {
            j.inflight.set(index, Math.min(loaded, end - start));
            const now = this.o.now();
            j.meter.add(now, this.uploadedBytes(j));
            this.emitSoon();
          },
          signal,
        );
        j.inflight.delete(index);
        j.held.add(index);
        j.chunksSent++;
        const now = this.o.now();
        j.meter.add(now, this.uploadedBytes(j));
        this.emitSoon();
        return;
      } catch (e) {
        j.inflight.delete(index);
        if (signal.aborted || isAbort(e)) throw new DOMException('aborted', 'AbortError');
        if (e instanceof ApiError && SESSION_GONE.has(e.reason)) throw new SessionGone(e.message);
        const passing = e instanceof ApiError && (e.retryable || e.reason === 'DIGEST_MISMATCH');
        // A lost connection is retried for as long as it lasts (the file's
        // run waits on it too); other passing failures a few times.
        const lost = lostConnection(e);
        if (!passing || (!lost && attempt >= this.o.retryDelays.length)) throw e;
        const delay = this.o.retryDelays[Math.min(attempt, this.o.retryDelays.length - 1)];
        const wait = e instanceof ApiError && e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : delay;
        release();
        if (lost) await this.waitToRetry(j, wait, signal);
        else await this.o.sleep(wait, signal);
        continue;
      } finally {
        release();
      }
    }
  }

  private finish(j: Job, node: Node): void {
    j.state = 'done';
    j.node = node;
    j.inflight.clear();
    j.hashed = j.size;
    void this.o.store.delete(j.key);
    this.emit();
    this.o.onUploaded?.(node, this.view(j));
  }
}

/** The server did not answer at all, or a proxy said it is down. */
function lostConnection(e: unknown): boolean {
  return e instanceof ApiError && (e.isNetwork || e.status === 502 || e.status === 503 || e.status === 504);
}

function emptyTotals(): QueueTotals {
  return { files: 0, active: 0, done: 0, failed: 0, bytes: 0, totalBytes: 0, progress: 0, speed: 0 };
}
