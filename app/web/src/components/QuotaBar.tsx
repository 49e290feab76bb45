// Used and available space.

import { Progress, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { formatBytes } from '../lib/format';
import { api } from '../session';

export function QuotaBar() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['usage'], queryFn: () => api.file.usage() });
  if (!q.data) return null;
  const used = int(q.data.used_bytes);
  const limit = int(q.data.limit_bytes);
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  return (
    <Stack gap={4} data-testid="quota">
      <Progress value={pct} color={pct > 90 ? 'red' : pct > 75 ? 'orange' : 'blue'} size="sm" aria-label={t('quota.label')} />
      <Text size="xs" c="dimmed">
        {limit > 0 ? t('quota.usedOf', { used: formatBytes(used), limit: formatBytes(limit) }) : t('quota.used', { used: formatBytes(used) })}
      </Text>
    </Stack>
  );
}
