import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { indexedDBUploadStore } from './store';

describe('indexedDBUploadStore', () => {
  it('keeps records across store instances (a reload)', async () => {
    const a = indexedDBUploadStore('test-uploads-1');
    await a.put({ key: 'k1', name: 'a.bin', parentId: 'p', size: 10, lastModified: 1, createdAt: 1 });
    await a.put({ key: 'k2', name: 'b.bin', parentId: 'p', size: 20, lastModified: 2, createdAt: 2, uploadId: 'u', contentHash: 'h' });
    await a.put({ key: 'k1', name: 'a.bin', parentId: 'p', size: 10, lastModified: 1, createdAt: 1, uploadId: 'u1' });
    const b = indexedDBUploadStore('test-uploads-1');
    const all = (await b.all()).sort((x, y) => x.key.localeCompare(y.key));
    expect(all.map((r) => [r.key, r.uploadId])).toEqual([
      ['k1', 'u1'],
      ['k2', 'u'],
    ]);
    await b.delete('k1');
    expect((await a.all()).map((r) => r.key)).toEqual(['k2']);
  });

  it('keeps users apart', async () => {
    await indexedDBUploadStore('test-uploads-alice').put({ key: 'k', name: 'a', parentId: '', size: 1, lastModified: 1, createdAt: 1 });
    expect(await indexedDBUploadStore('test-uploads-bob').all()).toEqual([]);
  });
});
