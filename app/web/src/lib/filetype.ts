// What a file is, for its icon and its preview, from its MIME type and name.

import type { Node } from '../api/types';
import { int } from '../api/types';

export type FileKind = 'folder' | 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'archive' | 'other';

const EXT: Record<string, FileKind> = {};
const add = (kind: FileKind, exts: string) => exts.split(' ').forEach((e) => (EXT[e] = kind));
add('image', 'png jpg jpeg gif webp bmp svg avif ico');
add('video', 'mp4 webm ogv mov m4v mkv');
add('audio', 'mp3 wav ogg oga m4a flac aac opus');
add('pdf', 'pdf');
add('text', 'txt md markdown log csv tsv json yaml yml toml ini conf xml html htm css js mjs ts tsx jsx go py rs java c h cpp hpp cs rb php sh bash zsh sql proto gradle properties env gitignore dockerfile makefile');
add('archive', 'zip tar gz tgz bz2 xz 7z rar zst');

export function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i <= 0 ? name.toLowerCase() : name.slice(i + 1).toLowerCase();
}

export function fileKind(n: Pick<Node, 'kind' | 'mime' | 'name'>): FileKind {
  if (n.kind === 'folder') return 'folder';
  const m = (n.mime ?? '').toLowerCase();
  if (m.startsWith('image/')) return 'image';
  if (m.startsWith('video/')) return 'video';
  if (m.startsWith('audio/')) return 'audio';
  if (m === 'application/pdf') return 'pdf';
  if (m.startsWith('text/') || m === 'application/json' || m === 'application/xml') return 'text';
  return EXT[extOf(n.name)] ?? 'other';
}

/** Largest text file shown whole; longer ones show their beginning. */
export const TEXT_PREVIEW_BYTES = 1 << 20;
/** PDFs are fetched whole into memory to preview: bounded. */
export const PDF_PREVIEW_MAX = 100 << 20;

export function canPreview(n: Node): boolean {
  const k = fileKind(n);
  if (k === 'pdf') return int(n.size) <= PDF_PREVIEW_MAX;
  return k === 'image' || k === 'video' || k === 'audio' || k === 'text';
}
