// The drive: a folder's contents with breadcrumbs, list/grid views, sorting,
// selection, context menu, drag and drop (moving items onto folders, and
// dropping files or folders from the desktop to upload them), keyboard
// shortcuts, and the toolbar (upload, new folder, actions on the selection).

import { Alert, Anchor, Box, Breadcrumbs, Button, Center, Group, Loader, Menu, SegmentedControl, Stack, Text, Tooltip } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import {
  IconArrowsMove,
  IconClipboard,
  IconCopy,
  IconDownload,
  IconFolderPlus,
  IconFolderUp,
  IconKeyboard,
  IconLayoutGrid,
  IconList,
  IconPencil,
  IconShare,
  IconTrash,
  IconUpload,
} from '@tabler/icons-react';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/errors';
import type { OrderBy } from '../api/endpoints';
import { ContextMenu } from '../components/ContextMenu';
import { NameDialog } from '../components/dialogs';
import { DRAG_TYPE, FileView } from '../components/FileView';
import { showError } from '../components/notify';
import { SortMenu } from '../components/Sort';
import { useFileActions } from '../components/useFileActions';
import { useI18n } from '../i18n';
import { isShortcutTarget } from '../lib/keys';
import { moveSelect, pruneSelection, type Selection } from '../lib/selection';
import { api } from '../session';
import { filesFromDataTransfer, filesFromInput, type PickedFile } from '../upload/folders';
import { useUploads } from '../upload/UploadProvider';
import { ShortcutsHelp } from './ShortcutsHelp';

const PAGE = 200;

export function DrivePage() {
  const { t } = useI18n();
  const { folderId = '' } = useParams();
  const nav = useNavigate();
  const qc = useQueryClient();
  const { upload } = useUploads();
  const [view, setView] = useLocalStorage<'list' | 'grid'>({ key: 'clouddrive.view', defaultValue: 'list' });
  const [sort, setSort] = useLocalStorage<{ orderBy: OrderBy; desc: boolean }>({ key: 'clouddrive.sort', defaultValue: { orderBy: 'name', desc: false } });
  const [selection, setSelection] = useState<Selection>({ ids: new Set() });
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  const [newFolder, setNewFolder] = useState(false);
  const [dropping, setDropping] = useState(false);
  const [help, setHelp] = useState(false);
  const [clip, setClip] = useState<{ mode: 'cut' | 'copy'; ids: string[] } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const list = useInfiniteQuery({
    queryKey: ['list', folderId, sort.orderBy, sort.desc],
    queryFn: ({ pageParam }) => api.file.list({ parent_id: folderId, page_size: PAGE, page_token: pageParam || undefined, order_by: sort.orderBy, desc: sort.desc }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  const order = useMemo(() => items.map((n) => n.id), [items]);
  const path = useQuery({ queryKey: ['path', folderId], enabled: folderId !== '', queryFn: () => api.file.path(folderId) });
  const crumbs = path.data?.items ?? [];
  const selected = useMemo(() => items.filter((n) => selection.ids.has(n.id)), [items, selection]);
  const actions = useFileActions(items);

  useEffect(() => setSelection((s) => pruneSelection(s, order)), [order]);
  useEffect(() => setSelection({ ids: new Set() }), [folderId]);

  // Infinite scroll: load the next page when the bottom comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((es) => {
      if (es[0].isIntersecting && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [list]);

  const doUpload = useCallback(
    async (files: PickedFile[]) => {
      if (files.length === 0) return;
      try {
        await upload(files, folderId);
      } catch (e) {
        showError(e, t);
      }
    },
    [upload, folderId, t],
  );

  const paste = useCallback(async () => {
    if (!clip) return;
    if (clip.mode === 'cut') {
      await actions.moveTo(clip.ids, folderId);
      setClip(null);
    } else await actions.copyTo(clip.ids, folderId);
  }, [clip, actions, folderId]);

  // Keyboard shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isShortcutTarget(e)) return;
      const mod = e.ctrlKey || e.metaKey;
      const one = selected.length === 1 ? selected[0] : undefined;
      if (e.key === 'Delete' && selected.length) actions.trash(selected);
      else if (e.key === 'F2' && one) actions.rename(one);
      else if (mod && e.key.toLowerCase() === 'a') setSelection({ ids: new Set(order), anchor: order[0] });
      else if (e.key === 'Escape') setSelection({ ids: new Set() });
      else if (e.key === 'Enter' && one) actions.open(one);
      else if ((e.key === 'Backspace' || (e.altKey && e.key === 'ArrowUp')) && folderId) {
        const parent = crumbs.length >= 2 ? crumbs[crumbs.length - 2].id : '';
        nav(parent ? `/drive/${parent}` : '/drive');
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') setSelection((s) => moveSelect(s, order, e.key === 'ArrowDown' ? 1 : -1, e.shiftKey));
      else if (mod && e.key.toLowerCase() === 'x' && selected.length) setClip({ mode: 'cut', ids: selected.map((n) => n.id) });
      else if (mod && e.key.toLowerCase() === 'c' && selected.length) setClip({ mode: 'copy', ids: selected.map((n) => n.id) });
      else if (mod && e.key.toLowerCase() === 'v' && clip) void paste();
      else if (e.shiftKey && e.key.toLowerCase() === 'n') setNewFolder(true);
      else if (e.shiftKey && e.key.toLowerCase() === 'u') fileInput.current?.click();
      else if (e.key === '?') setHelp(true);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selected, order, actions, folderId, crumbs, nav, clip, paste]);

  // Files from the desktop.
  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files') || e.dataTransfer.types.includes(DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDropping(true);
  };
  const onDrop = async (e: DragEvent) => {
    setDropping(false);
    if (!e.dataTransfer.types.includes('Files') || e.dataTransfer.types.includes(DRAG_TYPE)) return;
    e.preventDefault();
    await doUpload(await filesFromDataTransfer(e.dataTransfer));
  };

  const crumbDrop = (target: string) => ({
    onDragOver: (e: DragEvent) => {
      if (e.dataTransfer.types.includes(DRAG_TYPE)) e.preventDefault();
    },
    onDrop: (e: DragEvent) => {
      const raw = e.dataTransfer.getData(DRAG_TYPE);
      if (!raw) return;
      e.preventDefault();
      void actions.moveTo(JSON.parse(raw) as string[], target);
    },
  });

  const notFound = list.error instanceof ApiError && (list.error.reason === 'NODE_NOT_FOUND' || list.error.reason === 'PARENT_NOT_FOUND' || list.error.reason === 'NOT_A_FOLDER');

  return (
    <Box
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDropping(false);
      }}
      onDrop={onDrop}
      style={{ minHeight: 'calc(100vh - 100px)', position: 'relative' }}
      data-testid="drive"
    >
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        data-testid="upload-input"
        onChange={(e) => {
          void doUpload(filesFromInput(e.target.files));
          e.target.value = '';
        }}
      />
      <input
        ref={folderInput}
        type="file"
        multiple
        hidden
        data-testid="upload-folder-input"
        {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
        onChange={(e) => {
          void doUpload(filesFromInput(e.target.files));
          e.target.value = '';
        }}
      />
      <Stack gap="sm">
        <Breadcrumbs separatorMargin={6} style={{ flexWrap: 'wrap' }} data-testid="breadcrumbs">
          <Anchor component={Link} to="/drive" fw={crumbs.length ? 400 : 700} {...crumbDrop('')}>
            {t('nav.drive')}
          </Anchor>
          {crumbs.map((c, i) => (
            <Anchor key={c.id} component={Link} to={`/drive/${c.id}`} fw={i === crumbs.length - 1 ? 700 : 400} {...crumbDrop(c.id)}>
              {c.name}
            </Anchor>
          ))}
        </Breadcrumbs>

        {/* The selection bar lies over the toolbar instead of taking a row of
            its own: selecting never moves the list under the pointer, so a
            drag lands where it started aiming and menus open by their row. */}
        <Box pos="relative">
        <Group justify="space-between" gap="xs">
          <Group gap="xs">
            <Menu position="bottom-start">
              <Menu.Target>
                <Button leftSection={<IconUpload size={16} />} data-testid="upload-button">
                  {t('upload.button')}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item leftSection={<IconUpload size={14} />} onClick={() => fileInput.current?.click()} data-testid="upload-files">
                  {t('upload.files')}
                </Menu.Item>
                <Menu.Item leftSection={<IconFolderUp size={14} />} onClick={() => folderInput.current?.click()} data-testid="upload-folder">
                  {t('upload.folder')}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Button variant="default" leftSection={<IconFolderPlus size={16} />} onClick={() => setNewFolder(true)} data-testid="new-folder">
              {t('file.newFolder')}
            </Button>
            {clip && (
              <Button variant="light" leftSection={<IconClipboard size={16} />} onClick={() => void paste()} data-testid="paste">
                {t('file.paste', { n: clip.ids.length })}
              </Button>
            )}
          </Group>
          <Group gap="xs">
            <Tooltip label={t('shortcuts.title')}>
              <Button variant="subtle" size="compact-sm" onClick={() => setHelp(true)} visibleFrom="sm" aria-label={t('shortcuts.title')}>
                <IconKeyboard size={18} />
              </Button>
            </Tooltip>
            {/* The grid has no headers, and narrow lists lack the date's: a menu sorts there. */}
            <SortMenu
              keys={[
                { k: 'name', label: t('common.name') },
                { k: 'size', label: t('file.size') },
                { k: 'updated_at', label: t('file.modified') },
              ]}
              sort={sort}
              onSort={setSort}
              hiddenFrom={view === 'list' ? 'md' : undefined}
            />
            <SegmentedControl
              size="xs"
              value={view}
              onChange={(v) => setView(v as 'list' | 'grid')}
              data={[
                { value: 'list', label: <IconList size={16} aria-label={t('file.viewList')} /> },
                { value: 'grid', label: <IconLayoutGrid size={16} aria-label={t('file.viewGrid')} /> },
              ]}
              data-testid="view-toggle"
            />
          </Group>
        </Group>

        {selected.length > 0 && (
          <Group
            gap={6}
            wrap="nowrap"
            data-testid="selection-bar"
            px={6}
            style={{ position: 'absolute', inset: 0, zIndex: 5, overflowX: 'auto', background: 'var(--mantine-color-body)', boxShadow: 'inset 0 0 0 100vmax var(--mantine-color-blue-light)', borderRadius: 6 }}
          >
            <Text size="sm" mx={6}>
              {t('file.selected', { n: selected.length })}
            </Text>
            <Button size="compact-sm" variant="subtle" leftSection={<IconDownload size={14} />} onClick={() => void actions.download(selected)} data-testid="action-download">
              {t('file.download')}
            </Button>
            {selected.length === 1 && (
              <Button size="compact-sm" variant="subtle" leftSection={<IconShare size={14} />} onClick={() => actions.share(selected[0])} data-testid="action-share">
                {t('file.share')}
              </Button>
            )}
            {selected.length === 1 && (
              <Button size="compact-sm" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => actions.rename(selected[0])} data-testid="action-rename">
                {t('file.rename')}
              </Button>
            )}
            <Button size="compact-sm" variant="subtle" leftSection={<IconArrowsMove size={14} />} onClick={() => actions.move(selected.map((n) => n.id))} data-testid="action-move">
              {t('file.moveTo')}
            </Button>
            <Button size="compact-sm" variant="subtle" leftSection={<IconCopy size={14} />} onClick={() => actions.copy(selected.map((n) => n.id))} data-testid="action-copy">
              {t('file.copyTo')}
            </Button>
            <Button size="compact-sm" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={() => actions.trash(selected)} data-testid="action-delete">
              {t('file.delete')}
            </Button>
          </Group>
        )}
        </Box>

        {notFound ? (
          <Alert color="yellow" title={t('file.folderGone')}>
            <Anchor component={Link} to="/drive">
              {t('file.backToRoot')}
            </Anchor>
          </Alert>
        ) : list.isError ? (
          <Alert color="red">{(list.error as Error).message}</Alert>
        ) : list.isLoading ? (
          <Center py="xl">
            <Loader />
          </Center>
        ) : items.length === 0 ? (
          <Center py={80} data-testid="empty-folder">
            <Stack align="center" gap={4}>
              <IconUpload size={40} color="var(--mantine-color-gray-5)" />
              <Text c="dimmed">{t('file.emptyFolder')}</Text>
              <Text c="dimmed" size="sm">
                {t('file.dropHint')}
              </Text>
            </Stack>
          </Center>
        ) : (
          <FileView
            items={items}
            view={view}
            selection={selection}
            onSelection={setSelection}
            onOpen={actions.open}
            onMenu={(_, x, y) => setMenuAt({ x, y })}
            sort={sort}
            onSort={(o) => setSort((s) => ({ orderBy: o, desc: s.orderBy === o ? !s.desc : false }))}
            onDropInto={(folder, ids) => void actions.moveTo(ids, folder)}
          />
        )}
        <div ref={sentinel} />
        {list.isFetchingNextPage && (
          <Center>
            <Loader size="sm" />
          </Center>
        )}
      </Stack>

      {dropping && (
        <Center
          data-testid="drop-overlay"
          style={{
            position: 'absolute',
            inset: 0,
            border: '2px dashed var(--mantine-color-blue-5)',
            borderRadius: 8,
            background: 'color-mix(in srgb, var(--mantine-color-body) 85%, transparent)',
            pointerEvents: 'none',
            zIndex: 10,
          }}
        >
          <Text size="lg" fw={600} c="blue">
            {t('upload.dropHere')}
          </Text>
        </Center>
      )}

      <ContextMenu pos={menuAt} onClose={() => setMenuAt(null)}>
        {selected.length > 0 && actions.menu(selected)}
      </ContextMenu>
      {actions.dialogs}
      <NameDialog
        opened={newFolder}
        title={t('file.newFolder')}
        initial=""
        submitLabel={t('common.create')}
        onClose={() => setNewFolder(false)}
        onSubmit={async (name) => {
          await api.file.mkdir(folderId, name, 'fail');
          await qc.invalidateQueries({ queryKey: ['list', folderId] });
          void qc.invalidateQueries({ queryKey: ['folders', folderId] });
        }}
        testid="new-folder"
      />
      <ShortcutsHelp opened={help} onClose={() => setHelp(false)} />
    </Box>
  );
}
