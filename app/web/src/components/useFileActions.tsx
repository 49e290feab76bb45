// What can be done to files and folders, and the dialogs for it, shared by
// the drive and the search results: open, preview, download (a zip for
// folders and selections), rename, move, copy, share, delete to trash.

import { Menu, Text } from '@mantine/core';
import {
  IconArrowsMove,
  IconCopy,
  IconDownload,
  IconEye,
  IconFolderOpen,
  IconHistory,
  IconPencil,
  IconShare,
  IconTrash,
} from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { Node } from '../api/types';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { batchDecider } from '../lib/conflicts';
import { startDownload } from '../lib/download';
import { canPreview, fileKind } from '../lib/filetype';
import { transfer } from '../lib/transfer';
import { api } from '../session';
import { useAskConflict } from './ConflictDialog';
import { ConfirmDialog, NameDialog } from './dialogs';
import { FolderPicker } from './FolderPicker';
import { showError, showOk } from './notify';
import { showUndo } from './undoToast';
import { Gallery } from './Gallery';
import { Preview } from './Preview';
import { ShareDialog } from './ShareDialog';
import { transferDeps } from './transferDeps';
import { VersionsPanel } from './VersionsPanel';

export interface FileActions {
  open: (n: Node) => void;
  preview: (n: Node) => void;
  download: (nodes: Node[]) => Promise<void>;
  rename: (n: Node) => void;
  move: (ids: string[]) => void;
  moveTo: (ids: string[], folderId: string) => Promise<void>;
  copy: (ids: string[]) => void;
  copyTo: (ids: string[], folderId: string) => Promise<void>;
  share: (n: Node) => void;
  trash: (nodes: Node[]) => void;
  trashNow: (ids: string[]) => Promise<void>;
  /** The context menu for a selection. */
  menu: (nodes: Node[]) => ReactNode;
  dialogs: ReactNode;
}

export function useFileActions(items: Node[]): FileActions {
  const { t } = useI18n();
  const nav = useNavigate();
  const qc = useQueryClient();
  const ask = useAskConflict();
  const [renaming, setRenaming] = useState<Node | null>(null);
  const [moving, setMoving] = useState<string[] | null>(null);
  const [copying, setCopying] = useState<string[] | null>(null);
  const [sharing, setSharing] = useState<Node | null>(null);
  const [previewing, setPreviewing] = useState<Node | null>(null);
  const [trashing, setTrashing] = useState<Node[] | null>(null);
  const [versioning, setVersioning] = useState<Node | null>(null);

  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: ['list'] });
    void qc.invalidateQueries({ queryKey: ['folders'] });
    void qc.invalidateQueries({ queryKey: ['search'] });
    void qc.invalidateQueries({ queryKey: ['path'] });
    void qc.invalidateQueries({ queryKey: ['usage'] });
    void qc.invalidateQueries({ queryKey: ['trash'] });
  }, [qc]);

  const download = useCallback(
    async (nodes: Node[]) => {
      try {
        if (nodes.length === 1 && nodes[0].kind === 'file') {
          startDownload((await api.storage.downloadURL(nodes[0].id)).url);
        } else if (nodes.length > 0) {
          const name = nodes.length === 1 ? `${nodes[0].name}.zip` : 'download.zip';
          startDownload((await api.storage.zipURL(nodes.map((n) => n.id), name)).url);
        }
      } catch (e) {
        showError(e, t);
      }
    },
    [t],
  );

  const preview = useCallback((n: Node) => setPreviewing(n), []);
  const open = useCallback(
    (n: Node) => {
      if (n.kind === 'folder') nav(`/drive/${n.id}`);
      else if (canPreview(n)) setPreviewing(n);
      else void download([n]);
    },
    [nav, download],
  );

  const moveTo = useCallback(
    async (ids: string[], folderId: string) => {
      try {
        // What is moved, and from where, so the toast can name it and undo it.
        const nodes = await Promise.all(ids.map((id) => items.find((n) => n.id === id) ?? api.file.stat(id)));
        const dest = folderId ? (items.find((n) => n.id === folderId) ?? (await api.file.stat(folderId))).name : t('nav.drive');
        const r = await transfer('move', nodes, folderId, transferDeps, batchDecider(ask));
        if (r.skipped.length > 0) showOk(t('conflict.skipped', { n: r.skipped.length }));
        const moved = nodes.filter((n) => r.done.some((d) => d.id === n.id));
        if (moved.length === 0) return;
        const msg = moved.length === 1 ? t('file.movedNamed', { name: moved[0].name, dest }) : t('file.movedManyTo', { n: moved.length, dest });
        showUndo(msg, async () => {
          const byParent = new Map<string, string[]>();
          for (const n of moved) byParent.set(n.parent_id ?? '', [...(byParent.get(n.parent_id ?? '') ?? []), n.id]);
          for (const [parent, back] of byParent) await api.file.move(back, parent, 'fail');
          // What was replaced comes back from the trash too.
          if (r.replaced.length > 0) await api.file.restore(r.replaced.map((n) => n.id));
          refresh();
        }, t, 'move-toast');
      } catch (e) {
        showError(e, t);
      } finally {
        refresh();
      }
    },
    [t, refresh, items, ask],
  );

  const copyTo = useCallback(
    async (ids: string[], folderId: string) => {
      try {
        const nodes = await Promise.all(ids.map((id) => items.find((n) => n.id === id) ?? api.file.stat(id)));
        const r = await transfer('copy', nodes, folderId, transferDeps, batchDecider(ask));
        if (r.skipped.length > 0) showOk(t('conflict.skipped', { n: r.skipped.length }));
        if (r.done.length > 0) showOk(t('file.copied', { n: r.done.length }));
      } catch (e) {
        showError(e, t);
      } finally {
        refresh();
      }
    },
    [t, refresh, items, ask],
  );

  const trashNow = useCallback(
    async (ids: string[]) => {
      try {
        await api.file.remove(ids);
        const one = ids.length === 1 ? items.find((n) => n.id === ids[0]) : undefined;
        showUndo(one ? t('file.trashedNamed', { name: one.name }) : t('file.trashed', { n: ids.length }), async () => {
          await api.file.restore(ids);
          refresh();
        }, t, 'delete-toast');
      } catch (e) {
        showError(e, t);
      } finally {
        refresh();
      }
    },
    [t, refresh, items],
  );

  const menu = (nodes: Node[]) => {
    const one = nodes.length === 1 ? nodes[0] : undefined;
    const ids = nodes.map((n) => n.id);
    return (
      <>
        {one && (
          <Menu.Item leftSection={one.kind === 'folder' ? <IconFolderOpen size={14} /> : <IconEye size={14} />} onClick={() => open(one)} data-testid="menu-open">
            {one.kind === 'folder' ? t('file.open') : canPreview(one) ? t('file.preview') : t('file.download')}
          </Menu.Item>
        )}
        <Menu.Item leftSection={<IconDownload size={14} />} onClick={() => void download(nodes)} data-testid="menu-download">
          {nodes.length > 1 || one?.kind === 'folder' ? t('file.downloadZip') : t('file.download')}
        </Menu.Item>
        {one && (
          <Menu.Item leftSection={<IconShare size={14} />} onClick={() => setSharing(one)} data-testid="menu-share">
            {t('file.share')}
          </Menu.Item>
        )}
        {one?.kind === 'file' && (
          <Menu.Item leftSection={<IconHistory size={14} />} onClick={() => setVersioning(one)} data-testid="menu-versions">
            {t('versions.menu')}
          </Menu.Item>
        )}
        <Menu.Divider />
        {one && (
          <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setRenaming(one)} rightSection={<Text size="xs" c="dimmed">F2</Text>} data-testid="menu-rename">
            {t('file.rename')}
          </Menu.Item>
        )}
        <Menu.Item leftSection={<IconArrowsMove size={14} />} onClick={() => setMoving(ids)} data-testid="menu-move">
          {t('file.moveTo')}
        </Menu.Item>
        <Menu.Item leftSection={<IconCopy size={14} />} onClick={() => setCopying(ids)} data-testid="menu-copy">
          {t('file.copyTo')}
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setTrashing(nodes)} rightSection={<Text size="xs" c="dimmed">Del</Text>} data-testid="menu-delete">
          {t('file.delete')}
        </Menu.Item>
      </>
    );
  };

  // Pictures open in the gallery (with the folder's other pictures); the
  // rest in the preview.
  const previewable = items.filter((n) => n.kind === 'file' && canPreview(n));
  const isPicture = (n: Node | null) => !!n && fileKind(n) === 'image';
  const pictures = previewable.filter(isPicture);
  const dialogs = (
    <>
      <NameDialog
        opened={renaming !== null}
        title={t('file.rename')}
        initial={renaming?.name}
        submitLabel={t('file.rename')}
        onClose={() => setRenaming(null)}
        onSubmit={async (name) => {
          if (!renaming || name === renaming.name) return;
          await api.file.rename(renaming.id, name, 'fail');
          refresh();
        }}
        testid="rename"
      />
      <FolderPicker
        opened={moving !== null}
        title={t('file.moveTitle', { n: moving?.length ?? 0 })}
        confirmLabel={t('file.moveHere')}
        exclude={moving ?? []}
        onClose={() => setMoving(null)}
        onPick={(folder) => moveTo(moving ?? [], folder)}
      />
      <FolderPicker
        opened={copying !== null}
        title={t('file.copyTitle', { n: copying?.length ?? 0 })}
        confirmLabel={t('file.copyHere')}
        exclude={copying ?? []}
        onClose={() => setCopying(null)}
        onPick={(folder) => copyTo(copying ?? [], folder)}
      />
      <ShareDialog node={sharing} onClose={() => setSharing(null)} />
      <VersionsPanel node={versioning} onClose={() => setVersioning(null)} onRestored={refresh} />
      <Preview node={isPicture(previewing) ? null : previewing} siblings={previewable.filter((n) => !isPicture(n))} onClose={() => setPreviewing(null)} onNavigate={setPreviewing} />
      <Gallery node={isPicture(previewing) ? previewing : null} items={pictures} onClose={() => setPreviewing(null)} onNavigate={setPreviewing} />
      <ConfirmDialog
        opened={trashing !== null}
        title={t('file.deleteTitle')}
        confirmLabel={t('file.delete')}
        danger
        onClose={() => setTrashing(null)}
        onConfirm={() => trashNow((trashing ?? []).map((n) => n.id))}
      >
        {trashing?.length === 1
          ? t('file.deleteOne', { name: trashing[0].name })
          : t('file.deleteMany', { n: trashing?.length ?? 0 })}
      </ConfirmDialog>
    </>
  );

  return {
    open,
    preview,
    download,
    rename: setRenaming,
    move: setMoving,
    moveTo,
    copy: setCopying,
    copyTo,
    share: setSharing,
    trash: setTrashing,
    trashNow,
    menu,
    dialogs,
  };
}

export function totalSize(nodes: Node[]): number {
  return nodes.reduce((s, n) => s + int(n.size), 0);
}
