// The question asked when a name is taken: replace, keep both or skip, with
// "do the same for the other conflicts". One provider for the signed-in
// app; questions arriving together (two uploads, a move) wait their turn.

import { Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import type { AskConflict, ConflictAnswer, ConflictChoice, ConflictQuestion } from '../lib/conflicts';

const Ctx = createContext<AskConflict | null>(null);

interface Pending {
  q: ConflictQuestion;
  resolve: (a: ConflictAnswer) => void;
}

export function ConflictProvider({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const [pending, setPending] = useState<Pending[]>([]);
  const [all, setAll] = useState(false);
  const ask = useCallback<AskConflict>((q) => new Promise((resolve) => setPending((p) => [...p, { q, resolve }])), []);
  const cur = pending[0];
  const answer = (choice: ConflictChoice) => {
    if (!cur) return;
    cur.resolve({ choice, all });
    setAll(false);
    setPending((p) => p.slice(1));
  };
  return (
    <Ctx.Provider value={ask}>
      {children}
      {/* Closing (× or Escape) skips: nothing is lost or replaced. */}
      <Modal
        opened={!!cur}
        onClose={() => answer('skip')}
        title={cur ? t(cur.q.kind === 'folder' ? 'conflict.titleFolder' : 'conflict.titleFile', { name: cur.q.name }) : ''}
        centered
        data-testid="conflict-dialog"
      >
        {cur && (
          <Stack gap="sm" data-testid="conflict-body" data-name={cur.q.name}>
            <Text size="sm">{t(cur.q.replaces === 'version' ? 'conflict.replaceVersion' : 'conflict.replaceTrash')}</Text>
            <Text size="sm" c="dimmed">
              {t('conflict.keepHint')}
            </Text>
            <Checkbox label={t('conflict.all')} checked={all} onChange={(e) => setAll(e.currentTarget.checked)} data-testid="conflict-all" />
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={() => answer('skip')} data-testid="conflict-skip">
                {t('conflict.skip')}
              </Button>
              <Button variant="light" color="red" onClick={() => answer('replace')} data-testid="conflict-replace">
                {t('conflict.replace')}
              </Button>
              {/* Keeping both loses nothing: the default. */}
              <Button onClick={() => answer('keep')} data-autofocus data-testid="conflict-keep">
                {t('conflict.keep')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Ctx.Provider>
  );
}

export function useAskConflict(): AskConflict {
  const c = useContext(Ctx);
  if (!c) throw new Error('useAskConflict outside ConflictProvider');
  return c;
}
