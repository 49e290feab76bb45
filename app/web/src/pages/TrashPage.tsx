// The trash: what was deleted, restore or delete for good, empty it.

import { Alert, Box, Button, Center, Checkbox, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { IconRestore, IconTrashX } from '@tabler/icons-react';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { int } from '../api/types';
import { useAskConflict } from '../components/ConflictDialog';
import { ConfirmDialog } from '../components/dialogs';
import { FileIcon } from '../components/FileIcon';
import { showError, showOk } from '../components/notify';
import { SortHeader, SortMenu } from '../components/Sort';
import { transferDeps } from '../components/transferDeps';
import { useI18n } from '../i18n';
import { batchDecider } from '../lib/conflicts';
import { formatBytes, formatDate } from '../lib/format';
import { sortNodes, type SortState } from '../lib/sort';
import { restoreAll } from '../lib/transfer';
import { api } from '../session';

type TrashKey = 'name' | 'size' | 'trashed_at';

export function TrashPage() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const ask = useAskConflict();
  const [sel, setSel] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<'purge' | 'empty' | null>(null);
  const trash = useInfiniteQuery({
    queryKey: ['trash'],
    queryFn: ({ pageParam }) => api.file.trash({ page_size: 200, page_token: pageParam || undefined }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  // Latest deleted first (the server's order) until the user sorts.
  const [sort, setSort] = useState<SortState<TrashKey>>();
  const loaded = useMemo(() => trash.data?.pages.flatMap((p) => p.items ?? []) ?? [], [trash.data]);
  const items = useMemo(() => (sort ? sortNodes(loaded, sort) : loaded), [loaded, sort]);
  const keys: Array<{ k: TrashKey; label: string }> = [
    { k: 'name', label: t('common.name') },
    { k: 'size', label: t('file.size') },
    { k: 'trashed_at', label: t('trash.deletedAt') },
  ];
  const ids = [...sel].filter((id) => items.some((n) => n.id === id));
  const refresh = () => {
    setSel(new Set());
    void qc.invalidateQueries({ queryKey: ['trash'] });
    void qc.invalidateQueries({ queryKey: ['list'] });
    void qc.invalidateQueries({ queryKey: ['usage'] });
  };
  const restore = async () => {
    try {
      const r = await restoreAll(items.filter((n) => ids.includes(n.id)), transferDeps, batchDecider(ask));
      if (r.skipped.length > 0) showOk(t('conflict.skipped', { n: r.skipped.length }));
      if (r.done.length > 0) showOk(t('trash.restored', { n: r.done.length }));
    } catch (e) {
      showError(e, t);
    }
    refresh();
  };
  const purge = async () => {
    try {
      const r = confirm === 'empty' ? await api.file.emptyTrash() : await api.file.purge(ids);
      showOk(t('trash.purged', { size: formatBytes(int(r.freed_bytes)) }));
    } catch (e) {
      showError(e, t);
    }
    refresh();
  };
  const all = items.length > 0 && items.every((n) => sel.has(n.id));
  return (
    <Stack gap="sm" data-testid="trash-page">
      <Group justify="space-between">
        <Title order={4}>{t('nav.trash')}</Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconRestore size={16} />} disabled={ids.length === 0} onClick={restore} data-testid="trash-restore">
            {t('trash.restore')}
          </Button>
          <Button color="red" variant="light" leftSection={<IconTrashX size={16} />} disabled={ids.length === 0} onClick={() => setConfirm('purge')} data-testid="trash-purge">
            {t('trash.purge')}
          </Button>
          <Button color="red" disabled={items.length === 0} onClick={() => setConfirm('empty')} data-testid="trash-empty">
            {t('trash.empty')}
          </Button>
        </Group>
      </Group>
      <Group justify="space-between" wrap="nowrap" align="center">
        <Text size="sm" c="dimmed">
          {t('trash.hint')}
        </Text>
        <SortMenu keys={keys} sort={sort} onSort={setSort} hiddenFrom="md" />
      </Group>
      {trash.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {trash.isError && <Alert color="red">{(trash.error as Error).message}</Alert>}
      {trash.data && items.length === 0 && <Text c="dimmed">{t('trash.isEmpty')}</Text>}
      {items.length > 0 && (
        <Table highlightOnHover style={{ tableLayout: 'fixed' }}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36}>
                <Checkbox size="xs" checked={all} onChange={() => setSel(all ? new Set() : new Set(items.map((n) => n.id)))} aria-label={t('file.selectAll')} />
              </Table.Th>
              <Table.Th>
                <SortHeader k="name" label={keys[0].label} sort={sort} onSort={setSort} />
              </Table.Th>
              <Table.Th w={110} visibleFrom="sm">
                <SortHeader k="size" label={keys[1].label} sort={sort} onSort={setSort} />
              </Table.Th>
              <Table.Th w={190} visibleFrom="md">
                <SortHeader k="trashed_at" label={keys[2].label} sort={sort} onSort={setSort} />
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((n) => (
              <Table.Tr
                key={n.id}
                data-testid="trash-item"
                data-name={n.name}
                onClick={() =>
                  setSel((s) => {
                    const x = new Set(s);
                    if (x.has(n.id)) x.delete(n.id);
                    else x.add(n.id);
                    return x;
                  })
                }
                bg={sel.has(n.id) ? 'var(--mantine-color-blue-light)' : undefined}
              >
                <Table.Td>
                  <Checkbox size="xs" checked={sel.has(n.id)} readOnly aria-label={n.name} />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <FileIcon node={n} />
                    <Box style={{ minWidth: 0 }}>
                      <Text size="sm" truncate>
                        {n.name}
                      </Text>
                      <Group gap={8} wrap="nowrap" hiddenFrom="md" data-testid="trash-details">
                        {n.kind !== 'folder' && (
                          <Text size="xs" c="dimmed" hiddenFrom="sm" style={{ whiteSpace: 'nowrap' }}>
                            {formatBytes(int(n.size))}
                          </Text>
                        )}
                        <Text size="xs" c="dimmed" truncate>
                          {formatDate(n.trashed_at, lang)}
                        </Text>
                      </Group>
                    </Box>
                  </Group>
                </Table.Td>
                <Table.Td visibleFrom="sm">{n.kind === 'folder' ? '—' : formatBytes(int(n.size))}</Table.Td>
                <Table.Td visibleFrom="md">{formatDate(n.trashed_at, lang)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {trash.hasNextPage && (
        <Button variant="subtle" onClick={() => void trash.fetchNextPage()} loading={trash.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
      <ConfirmDialog
        opened={confirm !== null}
        title={confirm === 'empty' ? t('trash.empty') : t('trash.purge')}
        confirmLabel={t('trash.purgeConfirm')}
        danger
        onClose={() => setConfirm(null)}
        onConfirm={purge}
      >
        {confirm === 'empty' ? t('trash.emptyWarning') : t('trash.purgeWarning', { n: ids.length })}
      </ConfirmDialog>
    </Stack>
  );
}
