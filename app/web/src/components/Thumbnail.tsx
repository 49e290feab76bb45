// A file's thumbnail in the grid: asked for once the tile comes near the
// viewport, loaded lazily, and the file's generic icon until then, when
// the file has none, or when the image fails to load.

import { useEffect, useRef, useState } from 'react';
import type { Node } from '../api/types';
import { ThumbnailLoader } from '../lib/thumbnails';
import { api } from '../session';
import { FileIcon } from './FileIcon';

let loader: ThumbnailLoader | null = null;
function thumbnails(): ThumbnailLoader {
  loader ??= new ThumbnailLoader(async (ids) => (await api.storage.thumbnailURLs(ids, 256)).thumbnails ?? []);
  return loader;
}

/** Files the server may have a thumbnail for (it says for sure). */
export function mayHaveThumbnail(n: Pick<Node, 'kind' | 'mime' | 'name'>): boolean {
  if (n.kind !== 'file') return false;
  const m = (n.mime ?? '').toLowerCase();
  if (/^image\/(jpeg|png|gif|webp|bmp|x-ms-bmp|tiff)$/.test(m) || m.startsWith('video/') || m === 'application/pdf') return true;
  return /\.(jpe?g|jpe|png|gif|webp|bmp|tiff?|mp4|m4v|mov|webm|mkv|avi|wmv|flv|mpe?g|3gp|ts|pdf)$/i.test(n.name);
}

/**
 * loader: where the URLs come from; the owner's own thumbnails by default
 * (a share's page passes one that asks through the share).
 */
export function Thumbnail({ node, size = 96, iconSize = 44, loader: from }: { node: Node; size?: number; iconSize?: number; loader?: ThumbnailLoader }) {
  const box = useRef<HTMLDivElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const wanted = mayHaveThumbnail(node);

  useEffect(() => {
    setUrl(null);
    setFailed(false);
    if (!wanted || !box.current) return;
    let live = true;
    const seen = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        seen.disconnect();
        void (from ?? thumbnails())
          .get(node)
          .then((u) => live && setUrl(u));
      },
      { rootMargin: '200px' },
    );
    seen.observe(box.current);
    return () => {
      live = false;
      seen.disconnect();
    };
  }, [node, wanted, from]);

  const show = url && !failed;
  return (
    <div ref={box} style={{ height: size, display: 'flex', alignItems: 'center', justifyContent: 'center' }} data-testid="thumb-box">
      {show ? (
        <img
          src={url}
          alt=""
          loading="lazy"
          decoding="async"
          draggable={false}
          onError={() => {
            (from ?? thumbnails()).forget(node.id);
            setFailed(true);
          }}
          style={{ maxWidth: '100%', maxHeight: size, objectFit: 'contain', borderRadius: 4 }}
          data-testid="thumbnail"
        />
      ) : (
        <FileIcon node={node} size={iconSize} />
      )}
    </div>
  );
}
