// The bell: unread count (polled), the latest notifications, mark read.

import { ActionIcon, Box, Button, Group, Indicator, Popover, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { IconBell } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import type { Notification } from '../api/types';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';
import { api } from '../session';

export function NotificationBell() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const nav = useNavigate();
  const [open, setOpen] = useState(false);
  const count = useQuery({
    queryKey: ['notify', 'count'],
    queryFn: () => api.notify.unreadCount(),
    refetchInterval: 30_000,
    refetchIntervalInBackground: false,
    retry: false,
  });
  const list = useQuery({ queryKey: ['notify', 'list'], queryFn: () => api.notify.list({ page_size: 30 }), enabled: open, retry: false });
  const mark = useMutation({
    mutationFn: (b: { ids?: string[]; all?: boolean }) => api.notify.markRead(b),
    onSettled: () => qc.invalidateQueries({ queryKey: ['notify'] }),
  });
  const unread = int(count.data?.count);

  const openItem = (n: Notification) => {
    if (!n.read) mark.mutate({ ids: [n.id] });
    const d = n.data ?? {};
    setOpen(false);
    if (n.kind === 'share_received' && d.share_token) nav(`/s/${d.share_token}`);
    else if (n.kind === 'share_saved') nav('/shares');
    else if (n.kind === 'quota_warning') nav('/drive');
  };

  return (
    <>
    <Box component="span" className="sr-only" data-testid="notification-count" data-count={unread} aria-live="polite">
      {t('notify.unread', { n: unread })}
    </Box>
    <Popover opened={open} onChange={setOpen} position="bottom-end" width={340} shadow="md" withinPortal>
      <Popover.Target>
        <Indicator label={unread > 99 ? '99+' : unread} size={16} disabled={unread === 0} color="red" offset={4}>
          <ActionIcon variant="subtle" size="lg" aria-label={t('notify.title')} onClick={() => setOpen((o) => !o)} data-testid="notification-bell">
            <IconBell size={20} />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p={0}>
        <Group justify="space-between" px="sm" py={8}>
          <Text fw={600} size="sm">
            {t('notify.title')}
          </Text>
          <Button size="compact-xs" variant="subtle" disabled={unread === 0} onClick={() => mark.mutate({ all: true })} data-testid="notification-mark-all">
            {t('notify.markAll')}
          </Button>
        </Group>
        <ScrollArea.Autosize mah={400}>
          <Stack gap={0} data-testid="notification-list">
            {list.isLoading && (
              <Text size="sm" c="dimmed" p="sm">
                {t('common.loading')}
              </Text>
            )}
            {list.isError && (
              <Text size="sm" c="red" p="sm">
                {(list.error as Error).message}
              </Text>
            )}
            {list.data && (list.data.items ?? []).length === 0 && (
              <Text size="sm" c="dimmed" p="sm">
                {t('notify.empty')}
              </Text>
            )}
            {(list.data?.items ?? []).map((n) => (
              <UnstyledButton
                key={n.id}
                onClick={() => openItem(n)}
                px="sm"
                py={8}
                data-testid="notification-item"
                data-read={n.read ? 'true' : 'false'}
                data-kind={n.kind}
                style={{ borderTop: '1px solid var(--mantine-color-default-border)', background: n.read ? undefined : 'var(--mantine-color-blue-light)' }}
              >
                <Text size="sm" fw={n.read ? 400 : 600}>
                  {n.title}
                </Text>
                {n.body && (
                  <Text size="xs" c="dimmed" lineClamp={3}>
                    {n.body}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {formatDate(n.created_at, lang)}
                </Text>
              </UnstyledButton>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
    </>
  );
}
