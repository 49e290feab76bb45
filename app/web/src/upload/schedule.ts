// Pure pieces of the upload queue: which chunks remain, how long each one
// is, how many bytes are done, and the speed over a sliding window.

/** Indexes of the chunks neither held by the server nor in flight, in order. */
export function pendingChunks(count: number, held: ReadonlySet<number>, inflight: ReadonlySet<number> = new Set()): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (!held.has(i) && !inflight.has(i)) out.push(i);
  return out;
}

/** The byte range [start, end) of chunk index. */
export function chunkRange(index: number, chunkSize: number, size: number): [number, number] {
  const start = index * chunkSize;
  return [start, Math.min(start + chunkSize, size)];
}

/** Bytes in the chunks held (the last chunk may be short). */
export function heldBytes(held: Iterable<number>, chunkSize: number, size: number): number {
  let n = 0;
  for (const i of held) {
    const [s, e] = chunkRange(i, chunkSize, size);
    if (e > s) n += e - s;
  }
  return n;
}

/** The chunk count of a file, for when the server did not say. */
export function chunkCount(size: number, chunkSize: number): number {
  return chunkSize > 0 ? Math.ceil(size / chunkSize) : 0;
}

/** Bytes per second over the last windowMs, from cumulative byte counts. */
export class SpeedMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 5000) {}

  /** Records that total bytes have been sent by time t (ms). */
  add(t: number, total: number): void {
    this.samples.push([t, total]);
    const cutoff = t - this.windowMs;
    while (this.samples.length > 2 && this.samples[1][0] <= cutoff) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Bytes per second; 0 until two samples at least 200 ms apart exist. */
  rate(now: number): number {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    // A stalled transfer slows down to zero as time passes without samples.
    const end = Math.max(t1, now);
    const dt = end - t0;
    if (dt < 200) return 0;
    return Math.max(0, ((b1 - b0) * 1000) / dt);
  }
}

/** Seconds left at the given rate, or undefined when unknown. */
export function eta(remainingBytes: number, bytesPerSecond: number): number | undefined {
  if (remainingBytes <= 0) return 0;
  if (!(bytesPerSecond > 0)) return undefined;
  return Math.ceil(remainingBytes / bytesPerSecond);
}

/** A counting semaphore: at most n holders at once, waiters served in order. */
export class Semaphore {
  private used = 0;
  private waiters: Array<() => void> = [];
  constructor(private readonly n: number) {}

  get inUse(): number {
    return this.used;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
    const release = (() => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        this.used--;
        const next = this.waiters.shift();
        if (next) next();
      };
    })();
    if (this.used < this.n) {
      this.used++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.used++;
        resolve(release);
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== grant);
        reject(new DOMException('aborted', 'AbortError'));
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
