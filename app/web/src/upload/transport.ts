// The storage protocol as the queue speaks it, and its transport over the
// real API: JSON RPCs through the client, chunk PUTs through XMLHttpRequest
// (fetch cannot report upload progress).

import type { ApiClient } from '../api/client';
import { ApiError, AUTH_REASONS, errorFromBody } from '../api/errors';
import type { Api } from '../api/endpoints';
import type { Node, UploadSession } from '../api/types';

export interface InitRequest {
  parent_id: string;
  name: string;
  size: number;
  /** Absent: a hashless upload (sent while the file is hashed; no challenge, resumed by its id only). */
  content_hash?: string;
  /** fail: NAME_CONFLICT when the name is taken (then the user is asked); version: replace, keeping the old as a version; rename: keep both. */
  on_conflict: 'fail' | 'rename' | 'version';
  mime?: string;
}

/** The storage protocol as the queue speaks it. */
export interface UploadTransport {
  init(r: InitRequest): Promise<UploadSession>;
  status(uploadId: string): Promise<UploadSession>;
  prove(uploadId: string, proof: string): Promise<Node>;
  /** data is a slice of the file: the browser streams it without copying it into the page. */
  putChunk(uploadId: string, index: number, data: Blob, digest: string | undefined, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void>;
  complete(uploadId: string): Promise<Node>;
  abort(uploadId: string): Promise<void>;
}

function putOnce(url: string, headers: Record<string, string>, data: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    xhr.onload = () => {
      signal.removeEventListener('abort', onAbort);
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(errorFromBody(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => {
      signal.removeEventListener('abort', onAbort);
      reject(new ApiError(0, 'NETWORK', 'the connection failed while sending a chunk'));
    };
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.send(data);
  });
}

export function apiTransport(api: Api, client: ApiClient): UploadTransport {
  return {
    init: (r) => api.storage.initUpload(r),
    status: (id) => api.storage.status(id),
    prove: (id, proof) => api.storage.prove(id, proof),
    complete: (id) => api.storage.complete(id),
    abort: async (id) => {
      await api.storage.abort(id);
    },
    async putChunk(id, index, data, digest, onProgress, signal) {
      const url = `${client.base}/v1/upload/${encodeURIComponent(id)}/${index}`;
      const headers = await client.authHeaders();
      if (digest) headers['Content-Digest'] = digest;
      try {
        await putOnce(url, headers, data, onProgress, signal);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401 && AUTH_REASONS.has(e.reason)) {
          const stale = headers.Authorization?.slice('Bearer '.length);
          const fresh = await client.refresh(stale);
          if (!fresh) throw e;
          headers.Authorization = `Bearer ${fresh.access_token}`;
          onProgress(0);
          await putOnce(url, headers, data, onProgress, signal);
          return;
        }
        throw e;
      }
    },
  };
}
