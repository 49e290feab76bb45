import { describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client';
import { makeApi } from '../api/endpoints';
import { memoryTokenStore } from '../api/tokens';
import { versionRows } from './versions';

describe('versionRows', () => {
  it('puts the current content first, then the kept versions as sent, sizes read from strings', () => {
    const rows = versionRows(
      { id: '7', name: 'a.txt', kind: 'file', size: '30', updated_at: '2026-12-06T08:00:00Z' },
      [
        { id: '12', node_id: '7', size: '20', created_at: '2026-12-06T07:00:00Z', replaced_at: '2026-12-06T08:00:00Z' },
        { id: '11', node_id: '7', created_at: '2026-12-06T06:00:00Z', replaced_at: '2026-12-06T07:00:00Z' },
      ],
    );
    expect(rows).toEqual([
      { versionId: '', current: true, size: 30, writtenAt: '2026-12-06T08:00:00Z' },
      { versionId: '12', current: false, size: 20, writtenAt: '2026-12-06T07:00:00Z', replacedAt: '2026-12-06T08:00:00Z' },
      // An empty file's size is absent on the wire.
      { versionId: '11', current: false, size: 0, writtenAt: '2026-12-06T06:00:00Z', replacedAt: '2026-12-06T07:00:00Z' },
    ]);
  });
  it('is empty before the reply', () => {
    expect(versionRows(undefined, undefined)).toEqual([]);
  });
});

describe('the versions and changes calls', () => {
  const seen: Array<{ method: string; url: string; body?: unknown }> = [];
  const api = makeApi(
    new ApiClient({
      tokens: memoryTokenStore({ access_token: 'A', refresh_token: 'R', expires_at: Date.now() + 600_000 }),
      language: () => 'en',
      lock: (_n, fn) => fn(),
      onSessionEnded: () => undefined,
      fetch: async (input, init) => {
        seen.push({ method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : undefined });
        return new Response(JSON.stringify({ cursor: 'c9', url: '/v1/download/file?x=1' }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    }),
  );

  it('send the paths and fields the server reads', async () => {
    seen.length = 0;
    await api.file.versions('7');
    await api.file.restoreVersion('7', '11');
    await api.file.changes({ cursor: 'c1', page_size: 100 });
    await api.storage.downloadURL('7', '11');
    await api.storage.downloadURL('7');
    expect(seen).toEqual([
      { method: 'GET', url: '/v1/file/versions?node_id=7', body: undefined },
      { method: 'POST', url: '/v1/file/versions/restore', body: { node_id: '7', version_id: '11' } },
      { method: 'GET', url: '/v1/changes?cursor=c1&page_size=100', body: undefined },
      { method: 'POST', url: '/v1/download/url', body: { id: '7', version_id: '11' } },
      // The current content: no version_id at all.
      { method: 'POST', url: '/v1/download/url', body: { id: '7' } },
    ]);
  });
});
