// Known vectors computed with Go's crypto/sha256 over the same definition
// (pkg/contenthash): byte i of the "pattern" inputs is i % 251.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, contentDigestHeader, contentHash, fromHex, proofOfPossession, toBase64, toHex } from './contenthash';

function pattern(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

const MiB = 1024 * 1024;

describe('contentHash', () => {
  const cases: Array<[string, Uint8Array<ArrayBuffer>, string]> = [
    ['empty (no blocks: SHA-256 of nothing)', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['"abc" (one short block)', new TextEncoder().encode('abc'), '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358'],
    ['exactly one block', pattern(4 * MiB), 'b9654428408015906b44a00935b70af33830aa344b780b0eabd535a133150d04'],
    ['one block and one byte', pattern(4 * MiB + 1), '4a6cc0a344febaa07772e7c974834b2fb1d24594d4ba15f27c97a54699709f44'],
    ['9 MiB (three blocks)', pattern(9 * MiB), 'a9aa14f788a027eba2f37a2a5344ce86e1371071f6959953374165125d07b19a'],
  ];
  for (const [name, data, want] of cases) {
    it(name, async () => {
      expect(await contentHash(new Blob([data]))).toBe(want);
    });
  }

  it('reports progress block by block', async () => {
    const seen: number[] = [];
    await contentHash(new Blob([pattern(9 * MiB)]), (h) => seen.push(h));
    expect(seen).toEqual([BLOCK_SIZE, 2 * BLOCK_SIZE, 9 * MiB]);
  });

  it('stops between blocks when asked', async () => {
    await expect(contentHash(new Blob([pattern(9 * MiB)]), undefined, () => true)).rejects.toThrow(/stopped/);
  });
});

describe('proof of possession', () => {
  it('is SHA-256(nonce ‖ range) for one range', async () => {
    const proof = await proofOfPossession(new Blob([pattern(9 * MiB)]), '00112233445566778899aabbccddeeff', [{ offset: 5000000, length: 65536 }]);
    expect(proof).toBe('f6e79ec4347263791ab9b9344533e41157833c62d562b0ff4cdf3811ce325760');
  });
  it('is SHA-256(nonce ‖ each range, in order) for several', async () => {
    const data = pattern(9 * MiB);
    const nonce = '00112233445566778899aabbccddeeff';
    const ranges = [{ offset: 10, length: 4096 }, { offset: 5000000, length: 4096 }, { offset: 9 * MiB - 4096, length: 4096 }];
    const parts = [fromHex(nonce), ...ranges.map((r) => data.slice(r.offset, r.offset + r.length))];
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    const want = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', joined)));
    expect(await proofOfPossession(new Blob([data]), nonce, ranges)).toBe(want);
  });
});

describe('Content-Digest', () => {
  it('is sha-256=:base64: of the chunk', async () => {
    const chunk = pattern(9 * MiB).slice(0, 8 * MiB).buffer;
    const want = toBase64(fromHex('bdf23837181f5808331800c1ae2b4f7d7a839536b10d58491471c50dde23833a'));
    expect(await contentDigestHeader(chunk)).toBe(`sha-256=:${want}:`);
  });
});

describe('hex', () => {
  it('round-trips', () => {
    expect(toHex(fromHex('00ff10ab'))).toBe('00ff10ab');
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
  });
});
