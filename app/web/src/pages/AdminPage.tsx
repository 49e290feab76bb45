// Administration: users (search, disable/enable, quota) and their storage
// at a glance.

import { Badge, Button, Group, Modal, Progress, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { UserInfo } from '../api/types';
import { int } from '../api/types';
import { useAuth } from '../auth';
import { ConfirmDialog } from '../components/dialogs';
import { showError, showOk } from '../components/notify';
import { useI18n } from '../i18n';
import { formatBytes, formatDate, parseBytes } from '../lib/format';
import { api } from '../session';

export function AdminPage() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [query, setQuery] = useState('');
  const [debounced] = useDebouncedValue(query, 300);
  const { user: me } = useAuth();
  const [quotaFor, setQuotaFor] = useState<UserInfo | null>(null);
  const [disabling, setDisabling] = useState<UserInfo | null>(null);
  const [quotaText, setQuotaText] = useState('');
  const users = useInfiniteQuery({
    queryKey: ['admin', 'users', debounced],
    queryFn: ({ pageParam }) => api.admin.users({ query: debounced, page_size: 50, page_token: pageParam || undefined }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const list = useMemo(() => users.data?.pages.flatMap((p) => p.users ?? []) ?? [], [users.data]);
  const quotas = useQueries({
    queries: list.map((u) => ({ queryKey: ['admin', 'quota', u.id], queryFn: () => api.admin.getQuota(u.id), staleTime: 30_000 })),
  });
  const totalUsed = quotas.reduce((s, q) => s + int(q.data?.used_bytes), 0);
  const toggle = useMutation({
    mutationFn: (u: UserInfo) => (u.disabled ? api.admin.enable(u.id) : api.admin.disable(u.id)),
    onSettled: () => qc.invalidateQueries({ queryKey: ['admin', 'users'] }),
    onError: (e) => showError(e, t),
  });
  const setQuota = useMutation({
    mutationFn: ({ id, bytes }: { id: string; bytes: number }) => api.admin.setQuota(id, bytes),
    onSuccess: (_, v) => {
      showOk(t('admin.quotaSet'));
      setQuotaFor(null);
      void qc.invalidateQueries({ queryKey: ['admin', 'quota', v.id] });
    },
    onError: (e) => showError(e, t),
  });
  const parsed = parseBytes(quotaText);
  return (
    <Stack data-testid="admin-page">
      <ConfirmDialog
        opened={disabling !== null}
        title={t('admin.disableTitle', { name: disabling?.username ?? '' })}
        confirmLabel={t('admin.disable')}
        danger
        onClose={() => setDisabling(null)}
        onConfirm={() => (disabling ? toggle.mutateAsync(disabling) : undefined)}
      >
        {t('admin.disableBody')}
      </ConfirmDialog>
      <Group justify="space-between">
        <Title order={4}>{t('admin.users')}</Title>
        <Text size="sm" c="dimmed" data-testid="admin-total">
          {t('admin.totalUsed', { n: list.length, used: formatBytes(totalUsed) })}
        </Text>
      </Group>
      <TextInput leftSection={<IconSearch size={16} />} placeholder={t('admin.search')} value={query} onChange={(e) => setQuery(e.currentTarget.value)} maw={360} data-testid="admin-search" />
      {/* Narrow screens: email and storage go under the name, no sideways scrolling. */}
      <Table.ScrollContainer minWidth={0}>
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('auth.username')}</Table.Th>
              <Table.Th visibleFrom="md">{t('settings.email')}</Table.Th>
              <Table.Th visibleFrom="md">{t('admin.storage')}</Table.Th>
              <Table.Th visibleFrom="md">{t('admin.created')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((u, i) => {
              const q = quotas[i]?.data;
              const used = int(q?.used_bytes);
              const limit = int(q?.limit_bytes);
              const storage = q ? (
                <Stack gap={2}>
                  <Progress value={limit > 0 ? Math.min(100, (used / limit) * 100) : 0} size="sm" />
                  <Text size="xs" c="dimmed">
                    {limit > 0 ? t('quota.usedOf', { used: formatBytes(used), limit: formatBytes(limit) }) : t('quota.used', { used: formatBytes(used) })}
                  </Text>
                </Stack>
              ) : (
                '…'
              );
              return (
                <Table.Tr key={u.id} data-testid="admin-user" data-username={u.username}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {u.username}
                    </Text>
                    <Group gap={4}>
                      {u.role === 'admin' && (
                        <Badge size="xs" color="violet">
                          {t('admin.admin')}
                        </Badge>
                      )}
                      {u.disabled && (
                        <Badge size="xs" color="red">
                          {t('admin.disabled')}
                        </Badge>
                      )}
                    </Group>
                    <Stack gap={2} hiddenFrom="md" mt={4} data-testid="admin-user-details">
                      <Text size="xs" c="dimmed">
                        {u.email || '—'}
                      </Text>
                      {storage}
                    </Stack>
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <Text size="sm">{u.email || '—'}</Text>
                  </Table.Td>
                  <Table.Td w={200} visibleFrom="md">
                    {storage}
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <Text size="sm">{formatDate(u.created_at, lang)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="compact-xs"
                        variant="light"
                        onClick={() => {
                          setQuotaFor(u);
                          setQuotaText(limit > 0 ? formatBytes(limit) : '');
                        }}
                        data-testid="admin-quota"
                      >
                        {t('admin.setQuota')}
                      </Button>
                      {/* The server refuses it too: an admin who disabled
                          themselves would be locked out of this page. */}
                      {u.id !== me?.id && (
                        <Button
                          size="compact-xs"
                          variant="light"
                          color={u.disabled ? 'teal' : 'red'}
                          onClick={() => (u.disabled ? toggle.mutate(u) : setDisabling(u))}
                          data-testid="admin-toggle"
                        >
                          {u.disabled ? t('admin.enable') : t('admin.disable')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {users.hasNextPage && (
        <Button variant="subtle" onClick={() => void users.fetchNextPage()} loading={users.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
      <Modal opened={quotaFor !== null} onClose={() => setQuotaFor(null)} title={t('admin.quotaFor', { name: quotaFor?.username ?? '' })} centered>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (quotaFor && parsed !== undefined) setQuota.mutate({ id: quotaFor.id, bytes: parsed });
          }}
        >
          <Stack>
            <TextInput
              label={t('admin.quota')}
              description={t('admin.quotaHint')}
              value={quotaText}
              onChange={(e) => setQuotaText(e.currentTarget.value)}
              error={quotaText && parsed === undefined ? t('admin.quotaInvalid') : null}
              data-testid="admin-quota-input"
            />
            {parsed !== undefined && (
              <Text size="xs" c="dimmed">
                = {parsed.toLocaleString()} B
              </Text>
            )}
            <Group justify="flex-end">
              <Button type="submit" loading={setQuota.isPending} disabled={parsed === undefined} data-testid="admin-quota-save">
                {t('common.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
