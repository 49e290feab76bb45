// "Recent": the latest changes to the user's files, newest first, from the
// change feed (lib/recent.ts says how it is read). Clicking one opens the
// folder it is in (the trash for a trashed one).

import { Alert, Badge, Button, Center, Group, Loader, Stack, Text, Title, UnstyledButton } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { ApiError } from '../api/errors';
import type { Change } from '../api/types';
import { FileIcon } from '../components/FileIcon';
import { errorText } from '../components/notify';
import { useI18n, type TFunc } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { formatDate } from '../lib/format';
import { changeLocation, loadRecent, type RecentState } from '../lib/recent';
import { api } from '../session';

const TYPE_COLOR: Record<string, string> = {
  created: 'teal',
  renamed: 'blue',
  moved: 'blue',
  trashed: 'orange',
  restored: 'teal',
  purged: 'red',
  version: 'violet',
  version_restored: 'violet',
};

function typeLabel(type: string, t: TFunc): string {
  const key = `recent.type.${type}` as MessageKey;
  return type in TYPE_COLOR ? t(key) : type;
}

export function RecentPage() {
  const { t, lang } = useI18n();
  const nav = useNavigate();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['recent'],
    // Continue from the cursor of the last read; a cursor the server no
    // longer keeps (CURSOR_RESET) starts again from the oldest change kept.
    queryFn: async () => {
      const prev = qc.getQueryData<RecentState>(['recent']) ?? null;
      try {
        return await loadRecent(api.file.changes, prev);
      } catch (e) {
        if (prev && e instanceof ApiError && e.reason === 'CURSOR_RESET') return loadRecent(api.file.changes, null);
        throw e;
      }
    },
    staleTime: 0,
    refetchOnMount: 'always',
  });
  const items = q.data?.items ?? [];

  const row = (c: Change) => {
    const to = changeLocation(c);
    return (
      <UnstyledButton
        key={String(c.seq)}
        onClick={() => to && nav(to)}
        disabled={!to}
        p="xs"
        style={{ borderBottom: '1px solid var(--mantine-color-default-border)', cursor: to ? 'pointer' : 'default' }}
        data-testid="recent-item"
        data-type={c.type}
        data-name={c.name ?? ''}
      >
        <Group wrap="nowrap" gap="sm">
          <FileIcon node={{ name: c.name ?? '', kind: c.kind ?? 'file' }} size={22} />
          <Stack gap={0} style={{ flex: 1, minWidth: 0 }}>
            <Text size="sm" fw={500} truncate>
              {c.name}
            </Text>
            <Text size="xs" c="dimmed" truncate title={c.path}>
              {c.path}
              {c.old_path && c.old_path !== c.path ? ` · ${t('recent.from', { path: c.old_path })}` : ''}
            </Text>
          </Stack>
          <Badge variant="light" color={TYPE_COLOR[c.type] ?? 'gray'} style={{ flexShrink: 0 }}>
            {typeLabel(c.type, t)}
          </Badge>
          <Text size="xs" c="dimmed" style={{ flexShrink: 0, whiteSpace: 'nowrap' }}>
            {formatDate(c.at, lang)}
          </Text>
        </Group>
      </UnstyledButton>
    );
  };

  return (
    <Stack gap="sm" data-testid="recent-page">
      <Group justify="space-between">
        <Title order={4}>{t('recent.title')}</Title>
        <Button variant="subtle" leftSection={<IconRefresh size={16} />} onClick={() => void q.refetch()} loading={q.isFetching} data-testid="recent-refresh">
          {t('recent.refresh')}
        </Button>
      </Group>
      {q.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {q.isError && <Alert color="red">{errorText(q.error, t)}</Alert>}
      {q.data?.truncated && <Alert color="yellow">{t('recent.truncated')}</Alert>}
      {q.data && items.length === 0 && <Text c="dimmed">{t('recent.empty')}</Text>}
      <Stack gap={0} data-testid="recent-list">
        {items.map(row)}
      </Stack>
    </Stack>
  );
}
