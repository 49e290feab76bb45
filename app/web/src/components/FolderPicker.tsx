// Picks a destination folder (move, copy, save a share): browse folders from
// the root, make a new one, confirm. Folders being moved cannot be entered.

import { Anchor, Breadcrumbs, Button, Group, Loader, Modal, NavLink, ScrollArea, Stack, Text, TextInput } from '@mantine/core';
import { IconFolder, IconFolderPlus } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Node } from '../api/types';
import { useI18n } from '../i18n';
import { api } from '../session';
import { showError } from './notify';

interface Crumb {
  id: string;
  name: string;
}

export function FolderPicker(props: {
  opened: boolean;
  title: string;
  confirmLabel: string;
  /** Folders that may not be chosen or entered (what is being moved). */
  exclude?: string[];
  onClose: () => void;
  onPick: (folderId: string) => Promise<unknown>;
}) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [path, setPath] = useState<Crumb[]>([]);
  const [busy, setBusy] = useState(false);
  const [newName, setNewName] = useState<string | null>(null);
  const here = path.length ? path[path.length - 1].id : '';
  useEffect(() => {
    if (props.opened) setPath([]);
  }, [props.opened]);
  const folders = useQuery({
    queryKey: ['folders', here],
    enabled: props.opened,
    queryFn: async () => {
      const out: Node[] = [];
      let page_token: string | undefined;
      for (let i = 0; i < 20; i++) {
        const r = await api.file.list({ parent_id: here, page_size: 1000, page_token });
        const items = r.items ?? [];
        out.push(...items.filter((n) => n.kind === 'folder'));
        if (!r.next_page_token || items.some((n) => n.kind === 'file')) break;
        page_token = r.next_page_token;
      }
      return out;
    },
  });
  const excluded = new Set(props.exclude ?? []);
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} centered size="md">
      <Stack gap="xs" data-testid="folder-picker">
        <Breadcrumbs separatorMargin={4} style={{ flexWrap: 'wrap' }}>
          <Anchor size="sm" onClick={() => setPath([])} data-testid="picker-root">
            {t('nav.drive')}
          </Anchor>
          {path.map((c, i) => (
            <Anchor size="sm" key={c.id} onClick={() => setPath(path.slice(0, i + 1))}>
              {c.name}
            </Anchor>
          ))}
        </Breadcrumbs>
        <ScrollArea h={280} type="auto" style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 4 }}>
          {folders.isLoading && <Loader size="sm" m="md" />}
          {folders.data?.length === 0 && (
            <Text size="sm" c="dimmed" p="md">
              {t('picker.noFolders')}
            </Text>
          )}
          {folders.data?.map((f) => (
            <NavLink
              key={f.id}
              label={f.name}
              leftSection={<IconFolder size={16} />}
              disabled={excluded.has(f.id)}
              onClick={() => setPath([...path, { id: f.id, name: f.name }])}
              data-testid="picker-folder"
            />
          ))}
        </ScrollArea>
        {newName !== null ? (
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              if (!newName.trim()) return;
              try {
                const n = await api.file.mkdir(here, newName.trim(), 'rename');
                await qc.invalidateQueries({ queryKey: ['folders', here] });
                void qc.invalidateQueries({ queryKey: ['list', here] });
                setNewName(null);
                setPath([...path, { id: n.id, name: n.name }]);
              } catch (x) {
                showError(x, t);
              }
            }}
          >
            <Group gap="xs">
              <TextInput data-autofocus size="xs" style={{ flex: 1 }} value={newName} onChange={(e) => setNewName(e.currentTarget.value)} placeholder={t('file.newFolder')} />
              <Button size="xs" type="submit">
                {t('common.create')}
              </Button>
              <Button size="xs" variant="default" onClick={() => setNewName(null)}>
                {t('common.cancel')}
              </Button>
            </Group>
          </form>
        ) : (
          <Button size="xs" variant="subtle" leftSection={<IconFolderPlus size={14} />} onClick={() => setNewName('')} style={{ alignSelf: 'flex-start' }}>
            {t('file.newFolder')}
          </Button>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            loading={busy}
            data-testid="picker-confirm"
            onClick={async () => {
              setBusy(true);
              try {
                await props.onPick(here);
                props.onClose();
              } catch (x) {
                showError(x, t);
              } finally {
                setBusy(false);
              }
            }}
          >
            {props.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
