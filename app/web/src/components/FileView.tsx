// A folder's items as a table (list) or tiles (grid), with selection
// (click, Ctrl/Cmd, Shift, checkboxes), opening (double-click, or a click on
// the name), a context menu (right-click or the ⋯ button), and dragging
// items onto a folder to move them there.

import { ActionIcon, Box, Checkbox, Group, Paper, SimpleGrid, Table, Text, UnstyledButton } from '@mantine/core';
import { IconDots, IconSortAscending, IconSortDescending } from '@tabler/icons-react';
import { useState, type DragEvent, type MouseEvent, type ReactNode } from 'react';
import type { OrderBy } from '../api/endpoints';
import type { Node } from '../api/types';
import { int } from '../api/types';
import { useI18n } from '../i18n';
import { formatBytes, formatDate } from '../lib/format';
import { clickSelect, type Selection } from '../lib/selection';
import { FileIcon } from './FileIcon';
import { Thumbnail } from './Thumbnail';

export const DRAG_TYPE = 'application/x-clouddrive-ids';

export interface FileViewProps {
  items: Node[];
  view: 'list' | 'grid';
  selection: Selection;
  onSelection: (s: Selection) => void;
  onOpen: (n: Node) => void;
  onMenu: (n: Node, x: number, y: number) => void;
  sort?: { orderBy: OrderBy; desc: boolean };
  onSort?: (o: OrderBy) => void;
  /** Items dropped on a folder: move them there. */
  onDropInto?: (folderId: string, ids: string[]) => void;
  /** A line under the name (search: where the item is, with a link there). */
  location?: (n: Node) => ReactNode;
  testid?: string;
}

export function FileView(p: FileViewProps) {
  const { t, lang } = useI18n();
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const order = p.items.map((n) => n.id);
  const selected = p.selection.ids;

  const onClick = (n: Node, e: MouseEvent) => {
    p.onSelection(clickSelect(p.selection, order, n.id, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey }));
  };
  const onContext = (n: Node, e: MouseEvent) => {
    e.preventDefault();
    if (!selected.has(n.id)) p.onSelection({ ids: new Set([n.id]), anchor: n.id });
    p.onMenu(n, e.clientX, e.clientY);
  };
  const toggle = (n: Node) => p.onSelection(clickSelect(p.selection, order, n.id, { toggle: true }));

  const dragProps = (n: Node) =>
    p.onDropInto
      ? {
          draggable: true,
          onDragStart: (e: DragEvent) => {
            const ids = selected.has(n.id) ? [...selected] : [n.id];
            if (!selected.has(n.id)) p.onSelection({ ids: new Set([n.id]), anchor: n.id });
            e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(ids));
            e.dataTransfer.effectAllowed = 'move';
          },
          ...(n.kind === 'folder'
            ? {
                onDragOver: (e: DragEvent) => {
                  if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
                  e.preventDefault();
                  e.stopPropagation();
                  e.dataTransfer.dropEffect = 'move';
                  setDropTarget(n.id);
                },
                onDragLeave: () => setDropTarget((d) => (d === n.id ? null : d)),
                onDrop: (e: DragEvent) => {
                  const raw = e.dataTransfer.getData(DRAG_TYPE);
                  setDropTarget(null);
                  if (!raw) return;
                  e.preventDefault();
                  e.stopPropagation();
                  const ids = (JSON.parse(raw) as string[]).filter((id) => id !== n.id);
                  if (ids.length) p.onDropInto!(n.id, ids);
                },
              }
            : {}),
        }
      : {};

  const name = (n: Node, details = false) => (
    <Box style={{ minWidth: 0 }}>
      <UnstyledButton
        onClick={(e) => {
          if (e.ctrlKey || e.metaKey || e.shiftKey) return;
          e.stopPropagation();
          p.onOpen(n);
        }}
        style={{ minWidth: 0 }}
        data-testid="file-name"
      >
        <Text size="sm" truncate title={n.name} className="file-name">
          {n.name}
        </Text>
      </UnstyledButton>
      {details && (
        // Narrow screens hide the size and date columns: the row says them under the name.
        <Group gap={8} wrap="nowrap" hiddenFrom="md" data-testid="file-details" style={{ minWidth: 0 }}>
          {n.kind !== 'folder' && (
            <Text size="xs" c="dimmed" hiddenFrom="sm" style={{ whiteSpace: 'nowrap' }}>
              {formatBytes(int(n.size))}
            </Text>
          )}
          <Text size="xs" c="dimmed" truncate>
            {formatDate(n.updated_at, lang)}
          </Text>
        </Group>
      )}
      {p.location?.(n)}
    </Box>
  );

  const sortHeader = (o: OrderBy, label: string) => (
    <UnstyledButton onClick={() => p.onSort?.(o)} data-testid={`sort-${o}`}>
      <Group gap={4} wrap="nowrap">
        <Text size="sm" fw={600}>
          {label}
        </Text>
        {p.sort?.orderBy === o && (p.sort.desc ? <IconSortDescending size={14} /> : <IconSortAscending size={14} />)}
      </Group>
    </UnstyledButton>
  );

  if (p.view === 'grid') {
    return (
      <SimpleGrid cols={{ base: 2, xs: 3, sm: 4, md: 6, lg: 8 }} spacing="sm" data-testid={p.testid ?? 'file-grid'}>
        {p.items.map((n) => {
          const sel = selected.has(n.id);
          return (
            <Paper
              key={n.id}
              withBorder
              p="xs"
              radius="md"
              onClick={(e) => onClick(n, e)}
              onDoubleClick={() => p.onOpen(n)}
              onContextMenu={(e) => onContext(n, e)}
              data-testid="file-item"
              data-name={n.name}
              data-kind={n.kind}
              data-selected={sel}
              style={{
                cursor: 'default',
                position: 'relative',
                userSelect: 'none',
                background: dropTarget === n.id ? 'var(--mantine-color-blue-light-hover)' : sel ? 'var(--mantine-color-blue-light)' : undefined,
                borderColor: sel ? 'var(--mantine-color-blue-5)' : undefined,
              }}
              {...dragProps(n)}
            >
              <Checkbox
                size="xs"
                checked={sel}
                onChange={() => toggle(n)}
                onClick={(e) => e.stopPropagation()}
                aria-label={n.name}
                style={{ position: 'absolute', top: 6, left: 6 }}
              />
              <Box ta="center" py={4}>
                <Thumbnail node={n} />
              </Box>
              <Box ta="center">{name(n)}</Box>
              <Text size="xs" c="dimmed" ta="center">
                {n.kind === 'folder' ? '\u00a0' : formatBytes(int(n.size))}
              </Text>
            </Paper>
          );
        })}
      </SimpleGrid>
    );
  }

  const all = p.items.length > 0 && p.items.every((n) => selected.has(n.id));
  const some = !all && p.items.some((n) => selected.has(n.id));
  return (
    <Table highlightOnHover verticalSpacing={6} style={{ tableLayout: 'fixed' }} data-testid={p.testid ?? 'file-list'}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th w={36}>
            <Checkbox
              size="xs"
              checked={all}
              indeterminate={some}
              aria-label={t('file.selectAll')}
              onChange={() => p.onSelection(all ? { ids: new Set() } : { ids: new Set(order), anchor: order[0] })}
              data-testid="select-all"
            />
          </Table.Th>
          <Table.Th>{sortHeader('name', t('common.name'))}</Table.Th>
          <Table.Th w={110} visibleFrom="sm">
            {sortHeader('size', t('file.size'))}
          </Table.Th>
          <Table.Th w={190} visibleFrom="md">
            {sortHeader('updated_at', t('file.modified'))}
          </Table.Th>
          <Table.Th w={44} />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {p.items.map((n) => {
          const sel = selected.has(n.id);
          return (
            <Table.Tr
              key={n.id}
              onClick={(e) => onClick(n, e)}
              onDoubleClick={() => p.onOpen(n)}
              onContextMenu={(e) => onContext(n, e)}
              data-testid="file-item"
              data-name={n.name}
              data-kind={n.kind}
              data-selected={sel}
              bg={dropTarget === n.id ? 'var(--mantine-color-blue-light-hover)' : sel ? 'var(--mantine-color-blue-light)' : undefined}
              style={{ userSelect: 'none' }}
              {...dragProps(n)}
            >
              <Table.Td>
                <Checkbox size="xs" checked={sel} onChange={() => toggle(n)} onClick={(e) => e.stopPropagation()} aria-label={n.name} />
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <FileIcon node={n} />
                  {name(n, true)}
                </Group>
              </Table.Td>
              <Table.Td visibleFrom="sm">
                <Text size="sm" c="dimmed">
                  {n.kind === 'folder' ? '—' : formatBytes(int(n.size))}
                </Text>
              </Table.Td>
              <Table.Td visibleFrom="md">
                <Text size="sm" c="dimmed">
                  {formatDate(n.updated_at, lang)}
                </Text>
              </Table.Td>
              <Table.Td>
                <ActionIcon
                  variant="subtle"
                  size="sm"
                  aria-label={t('file.actions')}
                  data-testid="file-menu"
                  onClick={(e) => {
                    e.stopPropagation();
                    if (!selected.has(n.id)) p.onSelection({ ids: new Set([n.id]), anchor: n.id });
                    const r = e.currentTarget.getBoundingClientRect();
                    p.onMenu(n, r.left, r.bottom);
                  }}
                >
                  <IconDots size={16} />
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
