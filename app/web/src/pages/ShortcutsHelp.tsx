import { Group, Kbd, Modal, Stack, Text } from '@mantine/core';
import { useI18n, type MessageKey } from '../i18n';

const KEYS: Array<[string[], MessageKey]> = [
  [['Enter'], 'shortcuts.open'],
  [['Backspace'], 'shortcuts.up'],
  [['↑', '↓'], 'shortcuts.move'],
  [['Ctrl', 'A'], 'shortcuts.selectAll'],
  [['Esc'], 'shortcuts.clear'],
  [['F2'], 'shortcuts.rename'],
  [['Del'], 'shortcuts.delete'],
  [['Ctrl', 'X'], 'shortcuts.cut'],
  [['Ctrl', 'C'], 'shortcuts.copy'],
  [['Ctrl', 'V'], 'shortcuts.paste'],
  [['Shift', 'N'], 'shortcuts.newFolder'],
  [['Shift', 'U'], 'shortcuts.upload'],
  [['/'], 'shortcuts.search'],
  [['?'], 'shortcuts.help'],
];

export function ShortcutsHelp({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal opened={opened} onClose={onClose} title={t('shortcuts.title')} centered>
      <Stack gap={6}>
        {KEYS.map(([keys, label]) => (
          <Group key={label} justify="space-between">
            <Text size="sm">{t(label)}</Text>
            <Group gap={4}>
              {keys.map((k) => (
                <Kbd key={k}>{k}</Kbd>
              ))}
            </Group>
          </Group>
        ))}
      </Stack>
    </Modal>
  );
}
