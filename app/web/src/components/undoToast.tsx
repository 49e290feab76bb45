// A toast that says what just happened ("Moved “a.txt” to “Work”") and
// offers to undo it, as file managers do after a move or a delete.

import { Button, Group, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { TFunc } from '../i18n';
import { showError } from './notify';

export function showUndo(message: string, undo: () => Promise<unknown>, t: TFunc, testid = 'undo-toast'): void {
  const id = notifications.show({
    color: 'teal',
    autoClose: 8000,
    message: (
      <Group justify="space-between" wrap="nowrap" gap="sm" data-testid={testid}>
        <Text size="sm" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
          {message}
        </Text>
        <Button
          size="compact-sm"
          variant="light"
          data-testid="undo"
          onClick={async () => {
            notifications.hide(id);
            try {
              await undo();
              notifications.show({ color: 'teal', message: t('file.undone'), autoClose: 2500 });
            } catch (e) {
              showError(e, t);
            }
          }}
        >
          {t('common.undo')}
        </Button>
      </Group>
    ),
  });
}
