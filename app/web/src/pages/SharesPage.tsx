// My shares with their counters (views, downloads, saves), copy link,
// revoke; and "shared with me" (shares sent to me by name).

import { ActionIcon, Alert, Anchor, Badge, Box, Button, Center, Group, Loader, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { IconCopy, IconExternalLink, IconLinkOff } from '@tabler/icons-react';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import type { ShareInfo } from '../api/types';
import { int } from '../api/types';
import { ConfirmDialog } from '../components/dialogs';
import { FileIcon } from '../components/FileIcon';
import { showError, showOk } from '../components/notify';
import { shareLink } from '../components/ShareDialog';
import { SortHeader, SortMenu } from '../components/Sort';
import { useI18n, type TFunc } from '../i18n';
import { copyText } from '../lib/download';
import { formatDate } from '../lib/format';
import { sortShares, type ShareSortKey, type SortState } from '../lib/sort';
import { api } from '../session';

function stateBadge(s: ShareInfo, t: TFunc) {
  const state = s.revoked ? 'revoked' : s.state;
  switch (state) {
    case 'revoked':
      return <Badge color="gray">{t('share.stateRevoked')}</Badge>;
    case 'expired':
      return <Badge color="orange">{t('share.stateExpired')}</Badge>;
    case 'limit_reached':
      return <Badge color="orange">{t('share.stateLimit')}</Badge>;
    case 'gone':
      return <Badge color="red">{t('share.stateGone')}</Badge>;
    default:
      return <Badge color="teal">{t('share.stateActive')}</Badge>;
  }
}

function useShares(kind: 'list' | 'received') {
  const q = useInfiniteQuery({
    queryKey: ['shares', kind],
    queryFn: ({ pageParam }) => (kind === 'list' ? api.share.list : api.share.received)({ page_size: 100, page_token: pageParam || undefined }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const items = useMemo(() => q.data?.pages.flatMap((p) => p.items ?? []) ?? [], [q.data]);
  return { q, items };
}

export function SharesPage() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const { q, items: loaded } = useShares('list');
  const [revoking, setRevoking] = useState<ShareInfo | null>(null);
  // Newest first (the server's order) until the user sorts.
  const [sort, setSort] = useState<SortState<ShareSortKey>>();
  const items = useMemo(() => (sort ? sortShares(loaded, sort) : loaded), [loaded, sort]);
  const keys: Array<{ k: ShareSortKey; label: string }> = [
    { k: 'name', label: t('common.name') },
    { k: 'created_at', label: t('sort.created') },
    { k: 'downloads', label: t('sort.downloads') },
    { k: 'expires_at', label: t('share.expiry') },
  ];
  const counters = (s: ShareInfo) =>
    t('share.countersValue', {
      views: int(s.views),
      downloads: int(s.downloads),
      max: int(s.max_downloads) > 0 ? `/${int(s.max_downloads)}` : '',
      saves: int(s.saves),
    });
  const expiry = (s: ShareInfo) => (s.expires_at ? formatDate(s.expires_at, lang) : t('share.expiryNever'));
  return (
    <Stack gap="sm" data-testid="shares-page">
      <Group justify="space-between" wrap="nowrap">
        <Title order={4}>{t('nav.myShares')}</Title>
        <SortMenu keys={keys} sort={sort} onSort={setSort} hiddenFrom="md" />
      </Group>
      {q.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {q.isError && <Alert color="red">{(q.error as Error).message}</Alert>}
      {q.data && items.length === 0 && <Text c="dimmed">{t('share.noneYet')}</Text>}
      {items.length > 0 && (
        // Narrow screens: code, counters and expiry go under the name, no sideways scrolling.
          <Table highlightOnHover style={{ tableLayout: 'fixed' }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>
                  <SortHeader k="name" label={keys[0].label} sort={sort} onSort={setSort} />
                </Table.Th>
                <Table.Th w={90} visibleFrom="md">
                  {t('share.code')}
                </Table.Th>
                <Table.Th w={200} visibleFrom="md">
                  <SortHeader k="downloads" label={t('share.counters')} sort={sort} onSort={setSort} />
                </Table.Th>
                <Table.Th w={180} visibleFrom="md">
                  <SortHeader k="expires_at" label={keys[3].label} sort={sort} onSort={setSort} />
                </Table.Th>
                <Table.Th w={100}>{t('share.state')}</Table.Th>
                <Table.Th w={80} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <Table.Tr key={s.token} data-testid="share-item" data-name={s.name}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <FileIcon node={{ kind: s.kind ?? 'file', name: s.name ?? '' }} />
                      <Anchor component={Link} to={`/s/${s.token}`} size="sm" truncate style={{ minWidth: 0 }}>
                        {s.name}
                      </Anchor>
                    </Group>
                    {s.recipient && (
                      <Text size="xs" c="dimmed">
                        {t('share.to', { who: s.recipient })}
                      </Text>
                    )}
                    <Box hiddenFrom="md" data-testid="share-details">
                      <Text size="xs" c="dimmed">
                        {s.code ? `${t('share.code')} ${s.code} · ` : ''}
                        {counters(s)}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {t('share.expiry')}: {expiry(s)}
                      </Text>
                    </Box>
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <Text size="sm" ff="monospace">
                      {s.code || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <Text size="sm" data-testid="share-counters">
                      {counters(s)}
                    </Text>
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <Text size="sm">{expiry(s)}</Text>
                  </Table.Td>
                  <Table.Td>{stateBadge(s, t)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Tooltip label={t('share.copyLink')}>
                        <ActionIcon
                          variant="subtle"
                          onClick={async () => {
                            const text = s.code ? t('share.copyText', { link: shareLink(s), code: s.code }) : shareLink(s);
                            if (await copyText(text)) showOk(t('common.copied'));
                          }}
                          aria-label={t('share.copyLink')}
                        >
                          <IconCopy size={16} />
                        </ActionIcon>
                      </Tooltip>
                      {!s.revoked && (
                        <Tooltip label={t('share.revoke')}>
                          <ActionIcon variant="subtle" color="red" onClick={() => setRevoking(s)} aria-label={t('share.revoke')} data-testid="share-revoke">
                            <IconLinkOff size={16} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
      )}
      {q.hasNextPage && (
        <Button variant="subtle" onClick={() => void q.fetchNextPage()} loading={q.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
      <ConfirmDialog
        opened={revoking !== null}
        title={t('share.revoke')}
        confirmLabel={t('share.revoke')}
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          try {
            await api.share.revoke(revoking!.token);
            showOk(t('share.revoked'));
          } catch (e) {
            showError(e, t);
          }
          void qc.invalidateQueries({ queryKey: ['shares'] });
        }}
      >
        {t('share.revokeWarning', { name: revoking?.name ?? '' })}
      </ConfirmDialog>
    </Stack>
  );
}

export function ReceivedPage() {
  const { t, lang } = useI18n();
  const { q, items: loaded } = useShares('received');
  const [sort, setSort] = useState<SortState<ShareSortKey>>();
  const items = useMemo(() => (sort ? sortShares(loaded, sort) : loaded), [loaded, sort]);
  return (
    <Stack gap="sm" data-testid="received-page">
      <Group justify="space-between" wrap="nowrap">
        <Title order={4}>{t('nav.received')}</Title>
        <SortMenu
          keys={[
            { k: 'name', label: t('common.name') },
            { k: 'created_at', label: t('share.sharedAt') },
          ]}
          sort={sort}
          onSort={setSort}
          hiddenFrom="sm"
        />
      </Group>
      {q.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {q.isError && <Alert color="red">{(q.error as Error).message}</Alert>}
      {q.data && items.length === 0 && <Text c="dimmed">{t('share.noneReceived')}</Text>}
      {items.length > 0 && (
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>
                <SortHeader k="name" label={t('common.name')} sort={sort} onSort={setSort} />
              </Table.Th>
              <Table.Th visibleFrom="sm">{t('share.from')}</Table.Th>
              <Table.Th visibleFrom="sm">
                <SortHeader k="created_at" label={t('share.sharedAt')} sort={sort} onSort={setSort} />
              </Table.Th>
              <Table.Th>{t('share.state')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((s) => (
              <Table.Tr key={s.token} data-testid="received-item" data-name={s.name}>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <FileIcon node={{ kind: s.kind ?? 'file', name: s.name ?? '' }} />
                    <Text size="sm" truncate>
                      {s.name}
                    </Text>
                  </Group>
                  <Text size="xs" c="dimmed" hiddenFrom="sm" data-testid="received-details">
                    {s.owner_nickname} · {formatDate(s.created_at, lang)}
                  </Text>
                </Table.Td>
                <Table.Td visibleFrom="sm">{s.owner_nickname}</Table.Td>
                <Table.Td visibleFrom="sm">{formatDate(s.created_at, lang)}</Table.Td>
                <Table.Td>{stateBadge(s, t)}</Table.Td>
                <Table.Td>
                  <Button component={Link} to={`/s/${s.token}`} size="compact-sm" variant="light" leftSection={<IconExternalLink size={14} />}>
                    {t('share.openIt')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
