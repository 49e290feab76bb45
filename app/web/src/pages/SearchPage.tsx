// Search results: files and folders whose names match, with the same
// actions as the drive.

import { Alert, Anchor, Button, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Node } from '../api/types';
import { ContextMenu } from '../components/ContextMenu';
import { SortMenu } from '../components/Sort';
import { FileView } from '../components/FileView';
import { useFileActions } from '../components/useFileActions';
import { useI18n } from '../i18n';
import type { Selection } from '../lib/selection';
import { nextSort, sortNodes, type SortState } from '../lib/sort';
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
  // Best matches first until the user sorts (the loaded results, in the page).
  const [sort, setSort] = useState<SortState<'name' | 'size' | 'updated_at'>>();
  const found = useMemo(() => res.data?.pages.flatMap((p) => p.items ?? []) ?? [], [res.data]);
  const items = useMemo(() => (sort ? sortNodes(found, sort) : found), [found, sort]);
  const selected = items.filter((n) => selection.ids.has(n.id));
  const actions = useFileActions(items);
  // Where each result lives: one path request per distinct folder.
  const parents = useMemo(() => [...new Set(items.map((n) => n.parent_id ?? '').filter((p) => p !== ''))], [items]);
  const paths = useQueries({
    queries: parents.map((id) => ({ queryKey: ['path', id], queryFn: () => api.file.path(id), staleTime: 60_000 })),
  });
  const where = new Map(parents.map((id, i) => [id, paths[i]?.data?.items?.map((n) => n.name)]));
  const location = (n: Node) => {
    const parent = n.parent_id ?? '';
    const names = parent ? where.get(parent) : [];
    const folder = [t('nav.drive'), ...(names ?? ['…'])].join(' / ');
    return (
      <Group gap={6} wrap="nowrap" data-testid="search-location" style={{ minWidth: 0 }}>
        <Text size="xs" c="dimmed" truncate title={folder}>
          {folder}
        </Text>
        <Anchor component={Link} to={parent ? `/drive/${parent}` : '/drive'} size="xs" style={{ whiteSpace: 'nowrap' }} data-testid="open-location">
          {t('search.openLocation')}
        </Anchor>
      </Group>
    );
  };
  return (
    <Stack gap="sm" data-testid="search-page">
      <Group justify="space-between" wrap="nowrap">
        <Title order={4}>{t('search.resultsFor', { q })}</Title>
        <SortMenu
          keys={[
            { k: 'name', label: t('common.name') },
            { k: 'size', label: t('file.size') },
            { k: 'updated_at', label: t('file.modified') },
          ]}
          sort={sort}
          onSort={setSort}
          hiddenFrom="md"
        />
      </Group>
      {res.isLoading && (
        <Center>
          <Loader />
        </Center>
      )}
      {res.isError && <Alert color="red">{(res.error as Error).message}</Alert>}
      {res.data && items.length === 0 && <Text c="dimmed">{t('search.none')}</Text>}
      {items.length > 0 && (
        <FileView items={items} view="list" selection={selection} onSelection={setSelection} onOpen={actions.open} onMenu={(_, x, y) => setMenuAt({ x, y })}
          location={location}
          sort={sort}
          onSort={(o) => setSort((s) => nextSort(s, o))}
          testid="search-results"
        />
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
