// My shares with their counters (views, downloads, saves), copy link,
// revoke; and "shared with me" (shares sent to me by name).

import { ActionIcon, Alert, Anchor, Badge, Button, Center, Group, Loader, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
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
import { useI18n, type TFunc } from '../i18n';
import { copyText } from '../lib/download';
import { formatDate } from '../lib/format';
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
  const { q, items } = useShares('list');
  const [revoking, setRevoking] = useState<ShareInfo | null>(null);
  return (
    <Stack gap="sm" data-testid="shares-page">
      <Title order={4}>{t('nav.myShares')}</Title>
      {q.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {q.isError && <Alert color="red">{(q.error as Error).message}</Alert>}
      {q.data && items.length === 0 && <Text c="dimmed">{t('share.noneYet')}</Text>}
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('common.name')}</Table.Th>
                <Table.Th>{t('share.code')}</Table.Th>
                <Table.Th>{t('share.counters')}</Table.Th>
                <Table.Th>{t('share.expiry')}</Table.Th>
                <Table.Th>{t('share.state')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <Table.Tr key={s.token} data-testid="share-item" data-name={s.name}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <FileIcon node={{ kind: s.kind ?? 'file', name: s.name ?? '' }} />
                      <Anchor component={Link} to={`/s/${s.token}`} size="sm">
                        {s.name}
                      </Anchor>
                    </Group>
                    {s.recipient && (
                      <Text size="xs" c="dimmed">
                        {t('share.to', { who: s.recipient })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {s.code || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" data-testid="share-counters">
                      {t('share.countersValue', {
                        views: int(s.views),
                        downloads: int(s.downloads),
                        max: int(s.max_downloads) > 0 ? `/${int(s.max_downloads)}` : '',
                        saves: int(s.saves),
                      })}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{s.expires_at ? formatDate(s.expires_at, lang) : t('share.expiryNever')}</Text>
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
        </Table.ScrollContainer>
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
  const { q, items } = useShares('received');
  return (
    <Stack gap="sm" data-testid="received-page">
      <Title order={4}>{t('nav.received')}</Title>
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
              <Table.Th>{t('common.name')}</Table.Th>
              <Table.Th visibleFrom="sm">{t('share.from')}</Table.Th>
              <Table.Th visibleFrom="sm">{t('share.sharedAt')}</Table.Th>
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
