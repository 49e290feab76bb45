// Previews on a public share page: pictures, video, audio, PDF, text and
// Markdown, through the share's own signed download URLs (each asks the
// share again, so a revoked or expired share previews nothing). Markdown is
// rendered by react-markdown into React elements: raw HTML in the file is
// dropped, never injected, and links keep to http(s) and mailto.

import { Alert, Box, Center, Loader, Modal, Text, Typography } from '@mantine/core';
import { useEffect, useState } from 'react';
import Markdown from 'react-markdown';
import type { Node } from '../api/types';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { extOf, fileKind, PDF_PREVIEW_MAX, TEXT_PREVIEW_BYTES } from '../lib/filetype';
import { formatBytes } from '../lib/format';
import { errorText } from './notify';

type Shown =
  | { kind: 'image' | 'video' | 'audio'; url: string }
  | { kind: 'pdf'; url: string }
  | { kind: 'text' | 'markdown'; text: string; truncated: boolean }
  | { kind: 'none' };

export type SharedFile = Pick<Node, 'id' | 'name' | 'mime' | 'size' | 'kind'>;

/** Whether the page can preview this file (else it offers the download). */
export function sharePreviewable(n: SharedFile): boolean {
  const k = fileKind(n);
  if (k === 'pdf') return int(n.size) <= PDF_PREVIEW_MAX;
  return k === 'image' || k === 'video' || k === 'audio' || k === 'text';
}

const isMarkdown = (n: SharedFile) => ['md', 'markdown'].includes(extOf(n.name)) || (n.mime ?? '').toLowerCase() === 'text/markdown';

/** Only links a reader can follow safely; everything else becomes inert. */
export function safeLink(url: string): string | null {
  return /^(https?:|mailto:)/i.test(url.trim()) ? url : null;
}

/** Markdown as React elements: raw HTML dropped, links only http(s)/mailto. */
export function SafeMarkdown({ text }: { text: string }) {
  return (
    <Markdown skipHtml urlTransform={safeLink}>
      {text}
    </Markdown>
  );
}

/** The preview of a shared file; url signs a download of it. */
export function SharePreview({ file, url }: { file: SharedFile; url: (id: string) => Promise<string> }) {
  const { t } = useI18n();
  const [shown, setShown] = useState<Shown | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let blobUrl: string | undefined;
    setShown(null);
    setErr(null);
    (async () => {
      if (!sharePreviewable(file)) return live && setShown({ kind: 'none' });
      const k = fileKind(file);
      const u = await url(file.id);
      if (k === 'image' || k === 'video' || k === 'audio') {
        if (live) setShown({ kind: k, url: u });
      } else if (k === 'pdf') {
        const res = await fetch(u);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        blobUrl = URL.createObjectURL(new Blob([await res.arrayBuffer()], { type: 'application/pdf' }));
        if (live) setShown({ kind: 'pdf', url: blobUrl });
      } else {
        const res = await fetch(u, { headers: { Range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const buf = await res.arrayBuffer();
        const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
        if (live) setShown({ kind: isMarkdown(file) ? 'markdown' : 'text', text, truncated: int(file.size) > buf.byteLength });
      }
    })().catch((e) => live && setErr(errorText(e, t)));
    return () => {
      live = false;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    };
  }, [file, url, t]);

  if (err) return <Alert color="red">{err}</Alert>;
  if (!shown)
    return (
      <Center h={160}>
        <Loader />
      </Center>
    );
  switch (shown.kind) {
    case 'none':
      return (
        <Text c="dimmed" size="sm" data-testid="share-preview-none">
          {t('sharePreview.none')}
        </Text>
      );
    case 'image':
      return (
        <Center>
          <img src={shown.url} alt={file.name} style={{ maxWidth: '100%', maxHeight: '70vh', objectFit: 'contain' }} data-testid="share-preview-image" />
        </Center>
      );
    case 'video':
      return <video src={shown.url} controls style={{ width: '100%', maxHeight: '70vh', background: '#000' }} data-testid="share-preview-video" />;
    case 'audio':
      return <audio src={shown.url} controls style={{ width: '100%' }} data-testid="share-preview-audio" />;
    case 'pdf':
      return <iframe src={shown.url} title={file.name} style={{ width: '100%', height: '70vh', border: 0 }} data-testid="share-preview-pdf" />;
  }
  const note = shown.truncated && (
    <Text size="xs" c="dimmed">
      {t('preview.truncated', { size: formatBytes(TEXT_PREVIEW_BYTES) })}
    </Text>
  );
  if (shown.kind === 'markdown') {
    return (
      <Box>
        <Typography data-testid="share-preview-markdown" style={{ maxHeight: '70vh', overflow: 'auto' }}>
          <SafeMarkdown text={shown.text} />
        </Typography>
        {note}
      </Box>
    );
  }
  return (
    <Box>
      <Box
        component="pre"
        data-testid="share-preview-text"
        style={{ maxHeight: '70vh', overflow: 'auto', fontSize: 13, background: 'var(--mantine-color-gray-light)', padding: 12, borderRadius: 4, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
      >
        {shown.text}
      </Box>
      {note}
    </Box>
  );
}

/** A shared file's preview in a dialog (from a folder share's list). */
export function SharePreviewModal({ file, url, onClose }: { file: SharedFile | null; url: (id: string) => Promise<string>; onClose: () => void }) {
  return (
    <Modal opened={file !== null} onClose={onClose} size="xl" title={<Text fw={600} truncate maw={480}>{file?.name}</Text>} data-testid="share-preview">
      {file && <SharePreview file={file} url={url} />}
    </Modal>
  );
}
