// Waiting out a lost connection: the server stopped, restarting or the
// machine offline. The file waits as long as it takes, saying when it tries
// again; pause and cancel still act at once (they abort the wait).

import { ApiError } from '../api/errors';
import type { Job } from './job';
import type { Runner } from './runner';

/** The server did not answer at all, or a proxy said it is down. */
export function lostConnection(e: unknown): boolean {
  return e instanceof ApiError && (e.isNetwork || e.status === 502 || e.status === 503 || e.status === 504);
}

/** Sleeps ms before the next try, the panel counting down each second. */
export async function waitToRetry(r: Runner, j: Job, ms: number, signal: AbortSignal): Promise<void> {
  j.retryAt = r.o.now() + ms;
  r.emit();
  try {
    for (let left = ms; left > 0; left -= 1000) {
      await r.o.sleep(Math.min(1000, left), signal);
      r.emit();
    }
  } finally {
    j.retryAt = undefined;
  }
}

/** Runs step again after each lost connection, with growing delays. */
export async function untilConnected(r: Runner, j: Job, signal: AbortSignal, step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (signal.aborted || !lostConnection(e)) throw e;
      j.inflight.clear();
      const delays = r.o.retryDelays;
      await waitToRetry(r, j, delays[Math.min(attempt, delays.length - 1)], signal);
    }
  }
}
