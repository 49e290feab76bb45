// The full-size view of the pictures of a folder: one at a time over the
// whole window, with a counter, ←/→ (keys, buttons, or a swipe), zoom
// (wheel, double-click or the buttons, then drag to look around), and
// download.

import { ActionIcon, Center, Group, Loader, Modal, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight, IconDownload, IconX, IconZoomIn, IconZoomOut, IconZoomReset } from '@tabler/icons-react';
import { useEffect, useRef, useState, type PointerEvent, type WheelEvent } from 'react';
import type { Node } from '../api/types';
import { useI18n } from '../i18n';
import { startDownload } from '../lib/download';
import { api } from '../session';
import { showError } from './notify';

const MIN = 1;
const MAX = 8;
/** A horizontal move this long (px) at zoom 1 turns the page. */
const SWIPE = 50;

const clamp = (z: number) => Math.min(MAX, Math.max(MIN, z));

export function Gallery({ node, items, onClose, onNavigate }: { node: Node | null; items: Node[]; onClose: () => void; onNavigate: (n: Node) => void }) {
  const { t } = useI18n();
  const [src, setSrc] = useState<string | null>(null);
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; px: number; py: number } | null>(null);

  const idx = node ? items.findIndex((n) => n.id === node.id) : -1;
  const prev = idx > 0 ? items[idx - 1] : undefined;
  const next = idx >= 0 && idx < items.length - 1 ? items[idx + 1] : undefined;

  useEffect(() => {
    setZoom(1);
    setPan({ x: 0, y: 0 });
    setSrc(null);
    if (!node) return;
    let live = true;
    api.storage
      .downloadURL(node.id)
      .then((u) => live && setSrc(u.url))
      .catch((e) => live && showError(e, t));
    return () => {
      live = false;
    };
  }, [node, t]);

  const zoomTo = (z: number) => {
    const c = clamp(z);
    setZoom(c);
    if (c === 1) setPan({ x: 0, y: 0 });
  };

  useEffect(() => {
    if (!node) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'ArrowLeft' && prev) onNavigate(prev);
      else if (e.key === 'ArrowRight' && next) onNavigate(next);
      else if (e.key === '+' || e.key === '=') setZoom((z) => clamp(z * 1.5));
      else if (e.key === '-') setZoom((z) => clamp(z / 1.5));
      else if (e.key === '0') (setZoom(1), setPan({ x: 0, y: 0 }));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [node, prev, next, onNavigate]);

  const onPointerDown = (e: PointerEvent) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d || zoom === 1) return;
    setPan({ x: d.px + e.clientX - d.x, y: d.py + e.clientY - d.y });
  };
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d || zoom !== 1) return;
    const dx = e.clientX - d.x;
    if (Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(e.clientY - d.y)) {
      if (dx < 0 && next) onNavigate(next);
      if (dx > 0 && prev) onNavigate(prev);
    }
  };
  const onWheel = (e: WheelEvent) => zoomTo(zoom * (e.deltaY < 0 ? 1.25 : 0.8));

  const download = async () => {
    if (!node) return;
    try {
      startDownload((await api.storage.downloadURL(node.id)).url);
    } catch (e) {
      showError(e, t);
    }
  };

  return (
    <Modal
      opened={node !== null}
      onClose={onClose}
      fullScreen
      withCloseButton={false}
      padding={0}
      styles={{ body: { height: '100%', background: 'rgba(0,0,0,0.92)', display: 'flex', flexDirection: 'column' } }}
      data-testid="gallery"
    >
      <Group justify="space-between" px="sm" py={6} wrap="nowrap" style={{ color: '#fff' }}>
        <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
          <Text fw={600} truncate c="white" data-testid="gallery-name">
            {node?.name}
          </Text>
          <Text size="sm" c="gray.4" data-testid="gallery-counter">
            {t('gallery.counter', { i: idx + 1, n: items.length })}
          </Text>
        </Group>
        <Group gap={4} wrap="nowrap">
          <ActionIcon variant="subtle" color="gray.2" onClick={() => zoomTo(zoom / 1.5)} disabled={zoom <= MIN} aria-label={t('gallery.zoomOut')}>
            <IconZoomOut size={20} />
          </ActionIcon>
          <ActionIcon variant="subtle" color="gray.2" onClick={() => zoomTo(1)} aria-label={t('gallery.fit')} data-testid="gallery-zoom-reset">
            <IconZoomReset size={20} />
          </ActionIcon>
          <ActionIcon variant="subtle" color="gray.2" onClick={() => zoomTo(zoom * 1.5)} disabled={zoom >= MAX} aria-label={t('gallery.zoomIn')} data-testid="gallery-zoom-in">
            <IconZoomIn size={20} />
          </ActionIcon>
          <ActionIcon variant="subtle" color="gray.2" onClick={download} aria-label={t('file.download')} data-testid="gallery-download">
            <IconDownload size={20} />
          </ActionIcon>
          <ActionIcon variant="subtle" color="gray.2" onClick={onClose} aria-label={t('gallery.close')}>
            <IconX size={20} />
          </ActionIcon>
        </Group>
      </Group>
      <div
        style={{ flex: 1, position: 'relative', overflow: 'hidden', touchAction: 'none', cursor: zoom > 1 ? 'grab' : 'default' }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => (drag.current = null)}
        onWheel={onWheel}
        onDoubleClick={() => zoomTo(zoom > 1 ? 1 : 2.5)}
        data-testid="gallery-stage"
        data-zoom={zoom}
      >
        {!src ? (
          <Center h="100%">
            <Loader color="gray" />
          </Center>
        ) : (
          <img
            key={src}
            src={src}
            alt={node?.name}
            draggable={false}
            style={{
              position: 'absolute',
              inset: 0,
              margin: 'auto',
              maxWidth: '100%',
              maxHeight: '100%',
              objectFit: 'contain',
              transform: `translate(${pan.x}px, ${pan.y}px) scale(${zoom})`,
              transition: drag.current ? 'none' : 'transform 120ms ease-out',
              userSelect: 'none',
            }}
            data-testid="gallery-image"
          />
        )}
        {prev && (
          <ActionIcon
            variant="filled"
            color="dark"
            radius="xl"
            size="xl"
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => onNavigate(prev)}
            aria-label={t('preview.prev')}
            style={{ position: 'absolute', left: 12, top: '50%', transform: 'translateY(-50%)', opacity: 0.8 }}
            data-testid="gallery-prev"
          >
            <IconChevronLeft size={24} />
          </ActionIcon>
        )}
        {next && (
          <ActionIcon
            variant="filled"
            color="dark"
            radius="xl"
            size="xl"
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => onNavigate(next)}
            aria-label={t('preview.next')}
            style={{ position: 'absolute', right: 12, top: '50%', transform: 'translateY(-50%)', opacity: 0.8 }}
            data-testid="gallery-next"
          >
            <IconChevronRight size={24} />
          </ActionIcon>
        )}
      </div>
    </Modal>
  );
}
