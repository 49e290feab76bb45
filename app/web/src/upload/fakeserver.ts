// For the queue's tests: an in-memory server that follows the storage
// protocol (init resumes the same file's session, status, prove, chunk PUTs
// in any order, complete), files with known bytes, and waiting on a queue.
import { ApiError } from '../api/errors';
import type { Node, UploadSession } from '../api/types';
import { contentHash, proofOfPossession } from './contenthash';
import type { Hasher } from './hasher';
import { UploadQueue, type InitRequest, type QueueSnapshot, type UploadTransport } from './queue';
import { memoryUploadStore } from './store';

interface Sess {
  id: string;
  req: InitRequest;
  held: Map<number, Uint8Array>;
  nonce: string;
  offset: number;
  length: number;
  open: boolean;
}

export class FakeServer {
  chunkSize = 1000;
  blobs = new Map<string, Uint8Array>();
  sessions = new Map<string, Sess>();
  puts: Array<{ id: string; index: number }> = [];
  inflight = 0;
  maxInflight = 0;
  failures = 0;
  aborted: string[] = [];
  /** Names taken in each folder (lowercase), as the file service keeps them. */
  taken = new Map<string, Set<string>>();
  inits: InitRequest[] = [];
  /** When set, PUTs of these indexes never finish (until aborted). */
  hang = new Set<number>();
  private n = 0;

  transport(): UploadTransport {
    return {
      init: async (r) => this.init(r),
      status: async (id) => this.session(this.get(id)),
      prove: async (id, proof) => this.prove(id, proof),
      putChunk: (id, index, data, _digest, onProgress, signal) => this.put(id, index, data, onProgress, signal),
      complete: async (id) => this.complete(id),
      abort: async (id) => {
        this.aborted.push(id);
        const s = this.sessions.get(id);
        if (s) s.open = false;
      },
    };
  }

  private get(id: string): Sess {
    const s = this.sessions.get(id);
    if (!s) throw new ApiError(404, 'UPLOAD_NOT_FOUND', 'no such upload');
    return s;
  }

  private session(s: Sess): UploadSession {
    return {
      upload_id: s.id,
      chunk_size: String(this.chunkSize),
      chunk_count: String(Math.ceil(s.req.size / this.chunkSize)),
      uploaded_chunks: [...s.held.keys()].map(String),
      challenge: !s.req.content_hash ? undefined : { nonce: s.nonce, ranges: [{ offset: String(s.offset), length: String(s.length) }, { offset: '0', length: String(Math.min(3, s.req.size)) }] },
    };
  }

  init(r: InitRequest): UploadSession {
    this.inits.push(r);
    // Only an upload with a hash is found again by a later init.
    for (const s of this.sessions.values()) {
      if (r.content_hash && s.open && s.req.parent_id === r.parent_id && s.req.name === r.name && s.req.content_hash === r.content_hash) return this.session(s);
    }
    if (r.on_conflict === 'fail' && this.isTaken(r.parent_id, r.name)) throw new ApiError(409, 'NAME_CONFLICT', `“${r.name}” already exists here`);
    const length = Math.min(r.size, 64);
    const s: Sess = { id: `up${++this.n}`, req: r, held: new Map(), nonce: '0f'.repeat(16), offset: Math.max(0, r.size - length - 3), length, open: true };
    this.sessions.set(s.id, s);
    return this.session(s);
  }

  async prove(id: string, proof: string): Promise<Node> {
    const s = this.get(id);
    if (!s.req.content_hash) throw new ApiError(400, 'VALIDATION_FAILED', 'this upload was started without a content hash');
    const blob = this.blobs.get(s.req.content_hash);
    if (!blob) throw new ApiError(403, 'PROOF_REJECTED', 'no');
    const want = await proofOfPossession(new Blob([blob as Uint8Array<ArrayBuffer>]), s.nonce, [
      { offset: s.offset, length: s.length },
      { offset: 0, length: Math.min(3, s.req.size) },
    ]);
    if (want !== proof) throw new ApiError(403, 'PROOF_REJECTED', 'no');
    s.open = false;
    return this.node(s);
  }

  async put(id: string, index: number, data: Blob, onProgress: (n: number) => void, signal: AbortSignal): Promise<void> {
    const s = this.get(id);
    if (!s.open) throw new ApiError(409, 'UPLOAD_CLOSED', 'closed');
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(new DOMException('aborted', 'AbortError'));
        if (signal.aborted) return abort();
        signal.addEventListener('abort', abort, { once: true });
        if (!this.hang.has(index))
          setTimeout(() => {
            signal.removeEventListener('abort', abort);
            resolve();
          }, 1);
      });
      if (this.failures > 0) {
        this.failures--;
        throw new ApiError(0, 'NETWORK', 'connection reset');
      }
      onProgress(data.size);
      this.puts.push({ id, index });
      s.held.set(index, new Uint8Array(await data.arrayBuffer()));
    } finally {
      this.inflight--;
    }
  }

  async complete(id: string): Promise<Node> {
    const s = this.get(id);
    const count = Math.ceil(s.req.size / this.chunkSize);
    const missing = [...Array(count).keys()].filter((i) => !s.held.has(i));
    if (missing.length) throw new ApiError(409, 'CHUNKS_MISSING', 'missing', { missing: missing.join(',') });
    const all = new Uint8Array(s.req.size);
    for (const [i, b] of s.held) all.set(b, i * this.chunkSize);
    const got = await contentHash(new Blob([all]));
    // Hashless: the server's own hash of what arrived names the content.
    const want = s.req.content_hash || got;
    if (got !== want) throw new ApiError(422, 'HASH_MISMATCH', 'mismatch');
    this.blobs.set(want, all);
    s.req = { ...s.req, content_hash: want };
    s.open = false;
    return this.node(s);
  }

  isTaken(parent: string, name: string): boolean {
    return this.taken.get(parent)?.has(name.toLowerCase()) ?? false;
  }

  /** The file lands: a new version under its name, or renamed "a (1).bin" to keep both. */
  private node(s: Sess): Node {
    let name = s.req.name;
    if (s.req.on_conflict === 'rename') {
      const dot = name.lastIndexOf('.');
      const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
      for (let i = 1; this.isTaken(s.req.parent_id, name); i++) name = `${base} (${i})${ext}`;
    }
    const names = this.taken.get(s.req.parent_id) ?? new Set();
    names.add(name.toLowerCase());
    this.taken.set(s.req.parent_id, names);
    return { id: `n-${s.id}`, parent_id: s.req.parent_id, name, kind: 'file', size: String(s.req.size), content_hash: s.req.content_hash };
  }
}

export const hasher: Hasher = { hash: (file, onProgress, signal) => contentHash(file, onProgress, () => signal?.aborted ?? false) };

export function file(name: string, size: number, seed = 7, lastModified = 1700000000000): File {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + (i >> 8)) & 0xff;
  return new File([b], name, { lastModified });
}

export function queue(server: FakeServer, store = memoryUploadStore(), extra: Partial<ConstructorParameters<typeof UploadQueue>[0]> = {}) {
  return new UploadQueue({ transport: server.transport(), hasher, store, throttleMs: 0, retryDelays: [0, 0, 0], sleep: async () => undefined, ...extra });
}

export function until(q: UploadQueue, pred: (s: QueueSnapshot) => boolean, ms = 5000): Promise<QueueSnapshot> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = q.getSnapshot();
      if (pred(s)) {
        un();
        clearTimeout(timer);
        resolve(s);
      }
    };
    // Server-side conditions change without the queue saying so: poll too.
    const poll = setInterval(check, 2);
    const unsub = q.subscribe(check);
    const un = () => {
      unsub();
      clearInterval(poll);
    };
    const timer = setTimeout(() => {
      un();
      reject(new Error(`timed out; states: ${q.getSnapshot().items.map((i) => `${i.name}:${i.state}:${i.error ?? ''}`).join(', ')}`));
    }, ms);
    check();
  });
}

export const allDone = (s: QueueSnapshot) => s.items.length > 0 && s.items.every((i) => i.state === 'done');
