// The drive's content identity, computed in the browser: SHA-256 over the
// concatenated SHA-256 digests of each 4 MiB block, lowercase hex (the
// scheme of pkg/contenthash). Also the proof of possession for instant
// uploads and the RFC 9530 Content-Digest of a chunk.

export const BLOCK_SIZE = 4 * 1024 * 1024;

/** Anything with slice() and arrayBuffer(): a File, a Blob. */
export interface Sliceable {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

function subtle(): SubtleCrypto {
  const c = globalThis.crypto?.subtle;
  if (!c) throw new Error('crypto.subtle is unavailable (the page must be served over https or from localhost)');
  return c;
}

export function toHex(buf: ArrayBuffer | Uint8Array): string {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(buf: ArrayBuffer | Uint8Array): string {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}

export async function sha256(data: BufferSource): Promise<ArrayBuffer> {
  return subtle().digest('SHA-256', data);
}

/** The hex content hash of the block digests (32 bytes each, in order). */
export async function hashOfDigests(digests: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await sha256(digests));
}

export interface HashProgress {
  (hashedBytes: number, totalBytes: number): void;
}

/**
 * The content hash of a file, reading one block at a time (memory: one
 * block). onProgress is called after each block; shouldStop is checked
 * between blocks and aborts with an AbortError.
 */
export async function contentHash(file: Sliceable, onProgress?: HashProgress, shouldStop?: () => boolean): Promise<string> {
  const blocks = Math.ceil(file.size / BLOCK_SIZE);
  const digests = new Uint8Array(blocks * 32);
  for (let i = 0; i < blocks; i++) {
    if (shouldStop?.()) throw new DOMException('hashing stopped', 'AbortError');
    const start = i * BLOCK_SIZE;
    const end = Math.min(start + BLOCK_SIZE, file.size);
    const d = await sha256(await file.slice(start, end).arrayBuffer());
    digests.set(new Uint8Array(d), i * 32);
    onProgress?.(end, file.size);
  }
  return hashOfDigests(digests);
}

/** The proof of possession: hex SHA-256(nonce ‖ content[offset, offset+length)). */
/** A challenged range of the file, in bytes. */
export interface ChallengeRange {
  offset: number;
  length: number;
}

/** SHA-256(nonce ‖ the bytes of each range, in order), hex: the proof of possession. */
export async function proofOfPossession(file: Sliceable, nonceHex: string, ranges: ChallengeRange[]): Promise<string> {
  const nonce = fromHex(nonceHex);
  const parts = await Promise.all(ranges.map(async (r) => new Uint8Array(await file.slice(r.offset, r.offset + r.length).arrayBuffer())));
  const buf = new Uint8Array(nonce.length + parts.reduce((n, p) => n + p.length, 0));
  buf.set(nonce, 0);
  let at = nonce.length;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return toHex(await sha256(buf));
}

/** The RFC 9530 Content-Digest header value of a chunk: sha-256=:<base64>:. */
export async function contentDigestHeader(chunk: ArrayBuffer): Promise<string> {
  return `sha-256=:${toBase64(await sha256(chunk))}:`;
}
