// The upload queue, docked at the bottom right: total progress, speed and
// ETA, and per file its progress, pause/resume/cancel, and a button to pick
// the file again after a reload.

import { useRef, useState } from 'react';
import { ActionIcon, Badge, Box, Button, Collapse, Group, Paper, Progress, ScrollArea, Stack, Text, Tooltip } from '@mantine/core';
import {
  IconBolt,
  IconChevronDown,
  IconChevronUp,
  IconFileUpload,
  IconPlayerPause,
  IconPlayerPlay,
  IconRefresh,
  IconX,
} from '@tabler/icons-react';
import { useI18n } from '../i18n';
import { formatBytes, formatDuration, formatSpeed } from '../lib/format';
import type { UploadView } from '../upload/queue';
import { useQueueSnapshot, useUploads } from '../upload/UploadProvider';

function stateLabel(v: UploadView, t: ReturnType<typeof useI18n>['t']): string {
  switch (v.state) {
    case 'queued':
      return t('upload.queued');
    case 'hashing':
      return t('upload.hashing');
    case 'uploading':
      return t('upload.uploading');
    case 'completing':
      return t('upload.completing');
    case 'paused':
      return t('upload.paused');
    case 'needs-file':
      return t('upload.needsFile');
    case 'done':
      return v.instant ? t('upload.instant') : t('upload.done');
    case 'error':
      return t('upload.failed');
    case 'cancelled':
      return t('upload.cancelled');
    case 'skipped':
      return t('upload.skipped');
  }
}

function Row({ v }: { v: UploadView }) {
  const { t } = useI18n();
  const { queue } = useUploads();
  const pick = useRef<HTMLInputElement>(null);
  const [mismatch, setMismatch] = useState(false);
  const color = v.state === 'error' ? 'red' : v.state === 'done' ? 'teal' : v.state === 'hashing' ? 'grape' : v.retryIn !== undefined ? 'orange' : 'blue';
  return (
    <Box data-testid="upload-item" data-state={v.state} data-name={v.name} data-retrying={v.retryIn !== undefined} py={6}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Box style={{ minWidth: 0, flex: 1 }}>
          <Text size="sm" truncate title={v.relPath ?? v.name}>
            {v.relPath ?? v.name}
          </Text>
          <Text size="xs" c="dimmed" truncate>
            {stateLabel(v, t)}
            {v.state === 'hashing' && ` ${Math.floor(v.progress * 100)}%`}
            {v.state !== 'hashing' && v.state !== 'skipped' && ` · ${formatBytes(v.uploaded)} / ${formatBytes(v.size)}`}
            {v.state === 'uploading' && v.speed > 0 && ` · ${formatSpeed(v.speed)} · ${formatDuration(v.eta)}`}
            {v.retryIn !== undefined && ` · ${t('upload.retrying', { s: v.retryIn })}`}
            {v.state === 'error' && v.error && ` · ${v.error}`}
            {mismatch && ` · ${t('upload.notSameFile')}`}
          </Text>
        </Box>
        {v.instant && (
          <Tooltip label={t('upload.instantHint')}>
            <IconBolt size={16} color="var(--mantine-color-yellow-6)" />
          </Tooltip>
        )}
        {(v.state === 'uploading' || v.state === 'hashing' || v.state === 'queued') && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('upload.pause')} onClick={() => queue.pause(v.key)} data-testid="upload-pause">
            <IconPlayerPause size={14} />
          </ActionIcon>
        )}
        {v.state === 'paused' && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('upload.resume')} onClick={() => queue.resume(v.key)} data-testid="upload-resume">
            <IconPlayerPlay size={14} />
          </ActionIcon>
        )}
        {v.state === 'error' && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('upload.retry')} onClick={() => queue.resume(v.key)} data-testid="upload-retry">
            <IconRefresh size={14} />
          </ActionIcon>
        )}
        {v.state === 'needs-file' && (
          <>
            <input
              ref={pick}
              type="file"
              hidden
              data-testid="upload-repick-input"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) setMismatch(!queue.provideFile(v.key, f));
                e.target.value = '';
              }}
            />
            <Button size="compact-xs" variant="light" leftSection={<IconFileUpload size={12} />} onClick={() => pick.current?.click()} data-testid="upload-repick">
              {t('upload.pickAgain')}
            </Button>
          </>
        )}
        {v.state !== 'done' && v.state !== 'cancelled' && v.state !== 'skipped' && (
          <ActionIcon variant="subtle" size="sm" color="gray" aria-label={t('upload.cancel')} onClick={() => queue.cancel(v.key)} data-testid="upload-cancel">
            <IconX size={14} />
          </ActionIcon>
        )}
      </Group>
      <Progress value={v.progress * 100} size="sm" mt={4} color={color} animated={(v.state === 'uploading' && v.retryIn === undefined) || v.state === 'hashing'} aria-label={v.name} />
    </Box>
  );
}

export function UploadPanel() {
  const { t } = useI18n();
  const { queue } = useUploads();
  const snap = useQueueSnapshot(queue);
  const [open, setOpen] = useState(true);
  if (snap.items.length === 0) return null;
  const tot = snap.totals;
  const pct = Math.floor(tot.progress * 100);
  return (
    <Paper
      shadow="lg"
      withBorder
      radius="md"
      data-testid="upload-panel"
      style={{ position: 'fixed', right: 16, bottom: 16, width: 'min(420px, calc(100vw - 32px))', zIndex: 300 }}
    >
      <Group justify="space-between" px="sm" py={8} wrap="nowrap">
        <Box style={{ minWidth: 0 }}>
          <Text size="sm" fw={600}>
            {tot.active > 0 ? t('upload.titleActive', { done: tot.done, files: tot.files }) : t('upload.titleIdle', { done: tot.done, files: tot.files })}
            {tot.failed > 0 && (
              <Badge ml={6} color="red" size="xs">
                {t('upload.failedCount', { n: tot.failed })}
              </Badge>
            )}
            {tot.skipped > 0 && (
              <Badge ml={6} color="gray" size="xs" data-testid="upload-skipped">
                {t('upload.skippedCount', { n: tot.skipped })}
              </Badge>
            )}
          </Text>
          <Text size="xs" c="dimmed" data-testid="upload-total-text">
            <span data-testid="upload-progress" data-progress={pct}>
              {pct}%
            </span>
            {` · ${formatBytes(tot.bytes)} / ${formatBytes(tot.totalBytes)}`}
            {tot.active > 0 && tot.speed > 0 && ` · ${formatSpeed(tot.speed)} · ${t('upload.eta', { eta: formatDuration(tot.eta) })}`}
          </Text>
          {tot.retryIn !== undefined && (
            <Text size="xs" c="orange" role="status" data-testid="upload-retrying">
              {t('upload.retrying', { s: tot.retryIn })}
            </Text>
          )}
        </Box>
        <Group gap={4} wrap="nowrap">
          {tot.active > 0 ? (
            <Tooltip label={t('upload.pauseAll')}>
              <ActionIcon variant="subtle" onClick={() => queue.pauseAll()} aria-label={t('upload.pauseAll')}>
                <IconPlayerPause size={16} />
              </ActionIcon>
            </Tooltip>
          ) : (
            snap.items.some((i) => i.state === 'paused' || i.state === 'error') && (
              <Tooltip label={t('upload.resumeAll')}>
                <ActionIcon variant="subtle" onClick={() => queue.resumeAll()} aria-label={t('upload.resumeAll')}>
                  <IconPlayerPlay size={16} />
                </ActionIcon>
              </Tooltip>
            )
          )}
          <ActionIcon variant="subtle" onClick={() => setOpen((o) => !o)} aria-label={open ? t('upload.collapse') : t('upload.expand')}>
            {open ? <IconChevronDown size={16} /> : <IconChevronUp size={16} />}
          </ActionIcon>
          {tot.active === 0 && (
            <ActionIcon variant="subtle" color="gray" onClick={() => queue.clearFinished()} aria-label={t('upload.clear')} data-testid="upload-clear">
              <IconX size={16} />
            </ActionIcon>
          )}
        </Group>
      </Group>
      <Progress value={tot.progress * 100} size="xs" radius={0} />
      <Collapse expanded={open}>
        <ScrollArea.Autosize mah={320} px="sm" pb="xs">
          <Stack gap={0}>
            {snap.items.map((v) => (
              <Row key={v.key} v={v} />
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Collapse>
    </Paper>
  );
}
