// Small dialogs: a name (new folder, rename) and a confirmation.

import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';

export function NameDialog(props: {
  opened: boolean;
  title: string;
  initial?: string;
  submitLabel: string;
  onClose: () => void;
  onSubmit: (name: string) => Promise<unknown>;
  testid?: string;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(props.initial ?? '');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (props.opened) {
      setName(props.initial ?? '');
      setErr(null);
    }
  }, [props.opened, props.initial]);
  const valid = name.trim() !== '' && !name.includes('/') && name !== '.' && name !== '..';
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!valid) return;
          setBusy(true);
          setErr(null);
          try {
            await props.onSubmit(name.trim());
            props.onClose();
          } catch (x) {
            setErr(x instanceof Error ? x.message : String(x));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Stack>
          <TextInput
            data-autofocus
            label={t('common.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={err ?? (name.includes('/') ? t('file.nameNoSlash') : null)}
            onFocus={(e) => {
              // Select the name without its extension, as file managers do.
              const dot = e.currentTarget.value.lastIndexOf('.');
              if (dot > 0) e.currentTarget.setSelectionRange(0, dot);
              else e.currentTarget.select();
            }}
            data-testid={props.testid ? `${props.testid}-input` : 'name-input'}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} disabled={!valid} data-testid={props.testid ? `${props.testid}-submit` : 'name-submit'}>
              {props.submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ConfirmDialog(props: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onClose: () => void;
  onConfirm: () => Promise<unknown> | void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await props.onConfirm();
      props.onClose();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} centered>
      {/* Focus starts on Cancel, so a stray click or Space harms nothing,
          yet Enter confirms wherever the focus is, as a dialog's default
          button does on the desktop. */}
      <Stack
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void confirm();
          }
        }}
        data-testid="confirm-dialog"
      >
        <Text size="sm">{props.children}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose} data-autofocus data-testid="confirm-cancel">
            {t('common.cancel')}
          </Button>
          <Button color={props.danger ? 'red' : undefined} loading={busy} data-testid="confirm-button" onClick={() => void confirm()}>
            {props.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
