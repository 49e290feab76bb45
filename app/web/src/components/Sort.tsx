// Sorting controls: a table header that sorts on click, and a menu for where
// there are no headers (the grid, a phone's narrow rows).

import { Button, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconArrowsSort, IconCheck, IconSortAscending, IconSortDescending } from '@tabler/icons-react';
import { useI18n } from '../i18n';
import { nextSort, type SortState } from '../lib/sort';

export function SortHeader<K extends string>(p: { k: K; label: string; sort?: SortState<K>; onSort: (s: SortState<K>) => void }) {
  const on = p.sort?.orderBy === p.k;
  return (
    <UnstyledButton onClick={() => p.onSort(nextSort(p.sort, p.k))} data-testid={`sort-${p.k}`} data-active={on} data-desc={on && p.sort!.desc}>
      <Group gap={4} wrap="nowrap">
        <Text size="sm" fw={600}>
          {p.label}
        </Text>
        {on && (p.sort!.desc ? <IconSortDescending size={14} /> : <IconSortAscending size={14} />)}
      </Group>
    </UnstyledButton>
  );
}

/** A button naming the order ("Name ↑") with the keys and both directions in its menu. */
export function SortMenu<K extends string>(p: { keys: Array<{ k: K; label: string }>; sort?: SortState<K>; onSort: (s: SortState<K>) => void; hiddenFrom?: string }) {
  const { t } = useI18n();
  const cur = p.keys.find((x) => x.k === p.sort?.orderBy);
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="default"
          size="sm"
          hiddenFrom={p.hiddenFrom}
          leftSection={!p.sort ? <IconArrowsSort size={16} /> : p.sort.desc ? <IconSortDescending size={16} /> : <IconSortAscending size={16} />}
          data-testid="sort-menu"
          aria-label={t('sort.by')}
          style={{ flexShrink: 0 }}
        >
          {cur?.label ?? t('sort.by')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('sort.by')}</Menu.Label>
        {p.keys.map((x) => (
          <Menu.Item
            key={x.k}
            leftSection={p.sort?.orderBy === x.k ? <IconCheck size={14} /> : <span style={{ width: 14, display: 'inline-block' }} />}
            onClick={() => p.onSort({ orderBy: x.k, desc: p.sort?.orderBy === x.k ? p.sort.desc : false })}
            data-testid={`sort-by-${x.k}`}
          >
            {x.label}
          </Menu.Item>
        ))}
        <Menu.Divider />
        <Menu.Item
          leftSection={<IconSortAscending size={14} />}
          disabled={!p.sort}
          onClick={() => p.sort && p.onSort({ ...p.sort, desc: false })}
          rightSection={p.sort && !p.sort.desc ? <IconCheck size={14} /> : null}
          data-testid="sort-asc"
        >
          {t('sort.asc')}
        </Menu.Item>
        <Menu.Item
          leftSection={<IconSortDescending size={14} />}
          disabled={!p.sort}
          onClick={() => p.sort && p.onSort({ ...p.sort, desc: true })}
          rightSection={p.sort?.desc ? <IconCheck size={14} /> : null}
          data-testid="sort-desc"
        >
          {t('sort.desc')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
