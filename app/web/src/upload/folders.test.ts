import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { dirOf, foldersToMake, resolveFolders, type PickedFile } from './folders';

const f = (relPath?: string): PickedFile => ({ file: new File(['x'], relPath?.split('/').pop() ?? 'loose.txt'), relPath });

describe('folder uploads', () => {
  it('makes parents before children, each once', () => {
    expect(dirOf('a/b/c.txt')).toBe('a/b');
    expect(dirOf('c.txt')).toBe('');
    expect(foldersToMake([f('a/b/c.txt'), f('a/d.txt'), f('a/b/e/f.txt'), f()])).toEqual(['a', 'a/b', 'a/b/e']);
  });

  it('reuses a folder that exists and places each file', async () => {
    const made: string[] = [];
    let n = 0;
    const placed = await resolveFolders([f('photos/2024/a.jpg'), f('photos/b.jpg'), f()], 'root', {
      mkdir: async (parent, name) => {
        if (parent === 'root' && name === 'photos') throw new ApiError(409, 'NAME_CONFLICT', 'taken');
        made.push(`${parent}/${name}`);
        return { id: `id${++n}` };
      },
      findFolder: async (parent, name) => (parent === 'root' && name === 'photos' ? 'existing' : undefined),
    });
    expect(made).toEqual(['existing/2024']);
    expect(placed.map((p) => p.parentId)).toEqual(['id1', 'existing', 'root']);
  });

  it('passes other errors on', async () => {
    await expect(
      resolveFolders([f('x/y.txt')], '', {
        mkdir: async () => {
          throw new ApiError(413, 'QUOTA_EXCEEDED', 'full');
        },
        findFolder: async () => undefined,
      }),
    ).rejects.toMatchObject({ reason: 'QUOTA_EXCEEDED' });
  });
});
