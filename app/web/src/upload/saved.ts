// Uploads that outlive the page: each queued file's record is in the store
// (IndexedDB); after a reload they come back waiting for their file, with
// the server's progress, and a file picked again resumes its session.

import { type Job, applySession, newJob } from './job';
import type { UploadStore } from './store';
import type { UploadTransport } from './transport';

/** The jobs of the records a previous page left, oldest first, minus those already known. */
export async function loadSaved(store: UploadStore, known: ReadonlySet<string>): Promise<Job[]> {
  const records = await store.all();
  records.sort((a, b) => a.createdAt - b.createdAt);
  return records
    .filter((r) => !known.has(r.key))
    .map((r) => {
      const j = newJob(r, undefined);
      j.state = 'needs-file';
      return j;
    });
}

/** Asks the server how far each waiting upload got. */
export async function fetchProgress(transport: UploadTransport, jobs: Job[]): Promise<void> {
  await Promise.all(
    jobs
      .filter((j) => j.state === 'needs-file' && j.uploadId)
      .map(async (j) => {
        try {
          applySession(j, await transport.status(j.uploadId!));
        } catch {
          // Gone or unreachable: resuming starts a new session.
        }
      }),
  );
}

/** The upload waiting for this very file (same name, size, modification time and place in its folder). */
export function waitingFor(jobs: readonly Job[], file: File, relPath: string | undefined): Job | undefined {
  return jobs.find(
    (j) => j.state === 'needs-file' && j.name === file.name && j.size === file.size && j.lastModified === file.lastModified && (j.relPath ?? '') === (relPath ?? ''),
  );
}
