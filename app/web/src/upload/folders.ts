// Folder uploads: the files of a dropped or picked folder carry paths
// ("photos/2024/a.jpg"); their folders are made (or found, when they exist)
// before the files are queued, parents first.

import { ApiError } from '../api/errors';

export interface PickedFile {
  file: File;
  /** "dir/sub/name.ext" for files inside a folder; undefined for a loose file. */
  relPath?: string;
}

export interface FolderOps {
  /** Makes a folder; fails with NAME_CONFLICT when the name is taken. */
  mkdir(parentId: string, name: string): Promise<{ id: string }>;
  /** The id of the live child folder with that name, if there is one. */
  findFolder(parentId: string, name: string): Promise<string | undefined>;
}

/** The folder part of a relative path: "a/b/c.txt" → "a/b". */
export function dirOf(relPath: string | undefined): string {
  if (!relPath) return '';
  const i = relPath.lastIndexOf('/');
  return i < 0 ? '' : relPath.slice(0, i);
}

/** Every folder the files need, parents before children, each once. */
export function foldersToMake(files: PickedFile[]): string[] {
  const set = new Set<string>();
  for (const f of files) {
    const parts = dirOf(f.relPath).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) set.add(parts.slice(0, i).join('/'));
  }
  return [...set].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/**
 * Makes the folders under base and returns each file's destination folder
 * id. An existing folder of the same name is reused (merged into), as most
 * drives do when a folder is uploaded again.
 */
export async function resolveFolders(files: PickedFile[], base: string, ops: FolderOps): Promise<Array<PickedFile & { parentId: string }>> {
  const ids = new Map<string, string>([['', base]]);
  for (const dir of foldersToMake(files)) {
    const parent = ids.get(dirOf(dir))!;
    const name = dir.slice(dir.lastIndexOf('/') + 1);
    let id: string | undefined;
    try {
      id = (await ops.mkdir(parent, name)).id;
    } catch (e) {
      if (!(e instanceof ApiError) || e.reason !== 'NAME_CONFLICT') throw e;
      id = await ops.findFolder(parent, name);
      if (!id) throw e;
    }
    ids.set(dir, id);
  }
  return files.map((f) => ({ ...f, parentId: ids.get(dirOf(f.relPath))! }));
}

/** Files of a drop, folders walked (webkitGetAsEntry), with their relative paths. */
export async function filesFromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0) return Array.from(dt.files).map((file) => ({ file }));
  const out: PickedFile[] = loose.map((file) => ({ file }));
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, relPath: prefix ? `${prefix}/${file.name}` : undefined });
    } else if (entry.isDirectory) {
      const dir = prefix ? `${prefix}/${entry.name}` : entry.name;
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most ~100 entries per call.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, dir);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

/** Files of an <input type=file> (webkitdirectory gives webkitRelativePath). */
export function filesFromInput(list: FileList | null): PickedFile[] {
  return Array.from(list ?? []).map((file) => ({ file, relPath: file.webkitRelativePath || undefined }));
}
