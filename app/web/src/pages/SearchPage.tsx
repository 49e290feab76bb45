// Search results: files and folders whose names match, with the same
// actions as the drive.

import { Alert, Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ContextMenu } from '../components/ContextMenu';
import { FileView } from '../components/FileView';
import { useFileActions } from '../components/useFileActions';
import { useI18n } from '../i18n';
import type { Selection } from '../lib/selection';
import { api } from '../session';

export function SearchPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const q = params.get('q') ?? '';
  const [selection, setSelection] = useState<Selection>({ ids: new Set() });
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  const res = useInfiniteQuery({
    queryKey: ['search', q],
    enabled: q !== '',
    queryFn: ({ pageParam }) => api.file.search({ q, page_size: 200, page_token: pageParam || undefined }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const items = useMemo(() => res.data?.pages.flatMap((p) => p.items ?? []) ?? [], [res.data]);
  const selected = items.filter((n) => selection.ids.has(n.id));
  const actions = useFileActions(items);
  return (
    <Stack gap="sm" data-testid="search-page">
      <Title order={4}>{t('search.resultsFor', { q })}</Title>
      {res.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {res.isError && <Alert color="red">{(res.error as Error).message}</Alert>}
      {res.data && items.length === 0 && <Text c="dimmed">{t('search.none')}</Text>}
      {items.length > 0 && (
        <FileView items={items} view="list" selection={selection} onSelection={setSelection} onOpen={actions.open} onMenu={(_, x, y) => setMenuAt({ x, y })} testid="search-results" />
      )}
      {res.hasNextPage && (
        <Button variant="subtle" onClick={() => void res.fetchNextPage()} loading={res.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      )}
      <ContextMenu pos={menuAt} onClose={() => setMenuAt(null)}>
        {selected.length > 0 && actions.menu(selected)}
      </ContextMenu>
      {actions.dialogs}
    </Stack>
  );
}
