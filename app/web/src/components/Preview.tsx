// In-browser preview of images, video, audio, text and PDF through a signed
// download URL. Images and media load the URL directly (Range requests for
// seeking); text fetches its first MiB; PDF is fetched into a blob for the
// browser's viewer (the download route says attachment, which a frame would
// save instead of showing).

import { ActionIcon, Alert, Box, Center, Group, Loader, Modal, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight, IconDownload } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Node } from '../api/types';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { startDownload } from '../lib/download';
import { fileKind, TEXT_PREVIEW_BYTES } from '../lib/filetype';
import { formatBytes } from '../lib/format';
import { api } from '../session';
import { errorText } from './notify';

type Loaded = { kind: 'url'; url: string } | { kind: 'text'; text: string; truncated: boolean } | { kind: 'blob'; url: string };

export function Preview({ node, siblings, onClose, onNavigate }: { node: Node | null; siblings: Node[]; onClose: () => void; onNavigate: (n: Node) => void }) {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const kind = node ? fileKind(node) : 'other';

  useEffect(() => {
    if (!node) return;
    let cancelled = false;
    let blobUrl: string | undefined;
    setLoaded(null);
    setErr(null);
    (async () => {
      const { url } = await api.storage.downloadURL(node.id);
      if (kind === 'text') {
        const res = await fetch(url, { headers: { Range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const buf = await res.arrayBuffer();
        const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
        if (!cancelled) setLoaded({ kind: 'text', text, truncated: int(node.size) > buf.byteLength });
      } else if (kind === 'pdf') {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const blob = new Blob([await res.arrayBuffer()], { type: 'application/pdf' });
        blobUrl = URL.createObjectURL(blob);
        if (!cancelled) setLoaded({ kind: 'blob', url: blobUrl });
      } else if (!cancelled) setLoaded({ kind: 'url', url });
    })().catch((e) => !cancelled && setErr(errorText(e, t)));
    return () => {
      cancelled = true;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    };
  }, [node, kind, t]);

  const idx = node ? siblings.findIndex((s) => s.id === node.id) : -1;
  const prev = idx > 0 ? siblings[idx - 1] : undefined;
  const next = idx >= 0 && idx < siblings.length - 1 ? siblings[idx + 1] : undefined;

  useEffect(() => {
    if (!node) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'ArrowLeft' && prev) onNavigate(prev);
      if (e.key === 'ArrowRight' && next) onNavigate(next);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [node, prev, next, onNavigate]);

  const download = async () => {
    if (!node) return;
    const { url } = await api.storage.downloadURL(node.id);
    startDownload(url);
  };

  return (
    <Modal
      opened={node !== null}
      onClose={onClose}
      size="xl"
      fullScreen={typeof window !== 'undefined' && window.innerWidth < 640}
      title={
        <Group gap="xs" wrap="nowrap">
          <Text fw={600} truncate maw={400}>
            {node?.name}
          </Text>
          <Text size="xs" c="dimmed">
            {formatBytes(int(node?.size))}
          </Text>
        </Group>
      }
      data-testid="preview"
    >
      <Group justify="space-between" mb="xs">
        <Group gap={4}>
          <ActionIcon variant="subtle" disabled={!prev} onClick={() => prev && onNavigate(prev)} aria-label={t('preview.prev')}>
            <IconChevronLeft size={18} />
          </ActionIcon>
          <ActionIcon variant="subtle" disabled={!next} onClick={() => next && onNavigate(next)} aria-label={t('preview.next')}>
            <IconChevronRight size={18} />
          </ActionIcon>
        </Group>
        <ActionIcon variant="light" onClick={download} aria-label={t('file.download')}>
          <IconDownload size={18} />
        </ActionIcon>
      </Group>
      {err && <Alert color="red">{err}</Alert>}
      {!loaded && !err && (
        <Center h={200}>
          <Loader />
        </Center>
      )}
      {loaded?.kind === 'url' && kind === 'image' && (
        <Center>
          <img src={loaded.url} alt={node?.name} style={{ maxWidth: '100%', maxHeight: '75vh', objectFit: 'contain' }} data-testid="preview-image" />
        </Center>
      )}
      {loaded?.kind === 'url' && kind === 'video' && (
        <video src={loaded.url} controls autoPlay style={{ width: '100%', maxHeight: '75vh', background: '#000' }} data-testid="preview-video" />
      )}
      {loaded?.kind === 'url' && kind === 'audio' && <audio src={loaded.url} controls autoPlay style={{ width: '100%' }} data-testid="preview-audio" />}
      {loaded?.kind === 'text' && (
        <Box>
          <Box
            component="pre"
            data-testid="preview-text"
            style={{ maxHeight: '70vh', overflow: 'auto', fontSize: 13, background: 'var(--mantine-color-gray-light)', padding: 12, borderRadius: 4, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
          >
            {loaded.text}
          </Box>
          {loaded.truncated && (
            <Text size="xs" c="dimmed">
              {t('preview.truncated', { size: formatBytes(TEXT_PREVIEW_BYTES) })}
            </Text>
          )}
        </Box>
      )}
      {loaded?.kind === 'blob' && <iframe src={loaded.url} title={node?.name} style={{ width: '100%', height: '75vh', border: 0 }} data-testid="preview-pdf" />}
    </Modal>
  );
}
