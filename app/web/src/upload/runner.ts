// What the protocol steps need from the queue: its options, the shared
// chunk slots, publishing, saving a job's record and finishing a job.

import type { Node } from '../api/types';
import type { Job } from './job';
import type { Options } from './options';
import type { Semaphore } from './schedule';

export interface Runner {
  readonly o: Options;
  /** Chunk PUTs in flight over all files. */
  readonly slots: Semaphore;
  emit(): void;
  emitSoon(): void;
  save(j: Job): Promise<void>;
  finish(j: Job, node: Node): void;
}
