// A file's versions: the current content and the older ones the server
// keeps when a file is written over (the most recently replaced first), each
// with its size and dates; any can be downloaded, an older one restored.
// Restoring makes a new version on the server (the content it replaces is
// kept), so the list is read again afterwards.

import { ActionIcon, Alert, Badge, Button, Center, Group, Loader, Modal, Stack, Text, Tooltip } from '@mantine/core';
import { IconDownload, IconRestore } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Node } from '../api/types';
import { useI18n } from '../i18n';
import { startDownload } from '../lib/download';
import { formatBytes, formatDate } from '../lib/format';
import { versionRows, type VersionRow } from '../lib/versions';
import { api } from '../session';
import { errorText, showError, showOk } from './notify';

export function VersionsPanel({ node, onClose, onRestored }: { node: Node | null; onClose: () => void; onRestored: () => void }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [restoring, setRestoring] = useState<string | null>(null);
  const q = useQuery({
    queryKey: ['versions', node?.id],
    enabled: node !== null,
    queryFn: () => api.file.versions(node!.id),
    // Always fresh when opened: another device may have written a version.
    staleTime: 0,
  });
  const rows = versionRows(q.data?.node, q.data?.versions);

  const download = async (r: VersionRow) => {
    if (!node) return;
    try {
      startDownload((await api.storage.downloadURL(node.id, r.versionId || undefined)).url);
    } catch (e) {
      showError(e, t);
    }
  };

  const restore = async (r: VersionRow) => {
    if (!node) return;
    setRestoring(r.versionId);
    try {
      await api.file.restoreVersion(node.id, r.versionId);
      showOk(t('versions.restored', { date: formatDate(r.writtenAt, lang) }));
      await qc.invalidateQueries({ queryKey: ['versions', node.id] });
      onRestored();
    } catch (e) {
      showError(e, t);
    } finally {
      setRestoring(null);
    }
  };

  return (
    <Modal opened={node !== null} onClose={onClose} title={t('versions.title', { name: node?.name ?? '' })} centered size="lg">
      <Stack gap="xs" data-testid="versions-panel">
        {q.isLoading && (
          <Center>
            <Loader />
          </Center>
        )}
        {q.isError && <Alert color="red">{errorText(q.error, t)}</Alert>}
        {rows.map((r) => (
          <Group
            key={r.versionId || 'current'}
            justify="space-between"
            wrap="nowrap"
            p="xs"
            style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-md)' }}
            data-testid="version-row"
            data-current={r.current ? 'true' : 'false'}
            data-version-id={r.versionId}
            data-size={r.size}
          >
            <Stack gap={0} style={{ minWidth: 0 }}>
              <Group gap="xs">
                <Text size="sm" fw={500} data-testid="version-size">
                  {formatBytes(r.size)}
                </Text>
                {r.current && (
                  <Badge size="sm" variant="light" data-testid="version-current">
                    {t('versions.current')}
                  </Badge>
                )}
              </Group>
              <Text size="xs" c="dimmed">
                {t('versions.written', { date: formatDate(r.writtenAt, lang) })}
                {r.replacedAt ? ` · ${t('versions.replaced', { date: formatDate(r.replacedAt, lang) })}` : ''}
              </Text>
            </Stack>
            <Group gap={4} wrap="nowrap">
              <Tooltip label={t('versions.download')}>
                <ActionIcon variant="subtle" aria-label={t('versions.download')} onClick={() => void download(r)} data-testid="version-download">
                  <IconDownload size={16} />
                </ActionIcon>
              </Tooltip>
              {!r.current && (
                <Button
                  size="xs"
                  variant="light"
                  leftSection={<IconRestore size={14} />}
                  loading={restoring === r.versionId}
                  disabled={restoring !== null && restoring !== r.versionId}
                  onClick={() => void restore(r)}
                  data-testid="version-restore"
                >
                  {t('versions.restore')}
                </Button>
              )}
            </Group>
          </Group>
        ))}
        {q.data && rows.length <= 1 && (
          <Text size="sm" c="dimmed" data-testid="versions-none">
            {t('versions.none')}
          </Text>
        )}
      </Stack>
    </Modal>
  );
}
