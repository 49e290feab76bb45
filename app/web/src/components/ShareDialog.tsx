// Makes a share link for one file or folder: extraction code (none, random
// or chosen), expiry, download limit, recipient; then shows the link and the
// code with copy buttons.

import { Alert, Button, Group, Modal, NumberInput, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Node, ShareInfo } from '../api/types';
import { useI18n } from '../i18n';
import { copyText } from '../lib/download';
import { formatDate } from '../lib/format';
import { api } from '../session';
import { errorText } from './notify';

const EXPIRY: Record<string, number> = { never: 0, '1d': 86400, '7d': 7 * 86400, '30d': 30 * 86400, '365d': 365 * 86400 };

export function shareLink(s: Pick<ShareInfo, 'token' | 'url'>): string {
  const path = s.url && s.url.startsWith('/') ? s.url : `/s/${s.token}`;
  return `${window.location.origin}${path}`;
}

export function ShareDialog({ node, onClose }: { node: Node | null; onClose: () => void }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [codeMode, setCodeMode] = useState<'none' | 'random' | 'custom'>('random');
  const [code, setCode] = useState('');
  const [expiry, setExpiry] = useState('7d');
  const [maxDownloads, setMaxDownloads] = useState<number>(0);
  const [recipient, setRecipient] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [made, setMade] = useState<ShareInfo | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    if (node) {
      setMade(null);
      setErr(null);
      setCopied(null);
      setCode('');
      setRecipient('');
      setMaxDownloads(0);
    }
  }, [node]);

  const codeOk = codeMode !== 'custom' || /^[A-Za-z0-9]{4}$/.test(code);

  const create = async () => {
    if (!node) return;
    setBusy(true);
    setErr(null);
    try {
      const s = await api.share.create({
        node_id: node.id,
        code: codeMode === 'custom' ? code : '',
        generate_code: codeMode === 'random',
        expires_in_seconds: EXPIRY[expiry] ?? 0,
        max_downloads: maxDownloads || 0,
        recipient: recipient.trim(),
      });
      setMade(s);
      void qc.invalidateQueries({ queryKey: ['shares'] });
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (what: string, text: string) => {
    if (await copyText(text)) setCopied(what);
  };

  return (
    <Modal opened={node !== null} onClose={onClose} title={t('share.title', { name: node?.name ?? '' })} centered>
      {!made ? (
        <Stack data-testid="share-dialog">
          <Radio.Group label={t('share.code')} value={codeMode} onChange={(v) => setCodeMode(v as typeof codeMode)}>
            <Group mt={6}>
              <Radio value="random" label={t('share.codeRandom')} data-testid="share-code-random" />
              <Radio value="custom" label={t('share.codeCustom')} data-testid="share-code-custom" />
              <Radio value="none" label={t('share.codeNone')} data-testid="share-code-none" />
            </Group>
          </Radio.Group>
          {codeMode === 'custom' && (
            <TextInput
              label={t('share.codeInput')}
              description={t('share.codeRule')}
              value={code}
              maxLength={4}
              onChange={(e) => setCode(e.currentTarget.value)}
              error={code && !codeOk ? t('share.codeRule') : null}
              data-testid="share-code-input"
            />
          )}
          <Select
            label={t('share.expiry')}
            value={expiry}
            onChange={(v) => setExpiry(v ?? '7d')}
            allowDeselect={false}
            data={[
              { value: '1d', label: t('share.expiry1d') },
              { value: '7d', label: t('share.expiry7d') },
              { value: '30d', label: t('share.expiry30d') },
              { value: '365d', label: t('share.expiry365d') },
              { value: 'never', label: t('share.expiryNever') },
            ]}
            data-testid="share-expiry"
            comboboxProps={{ withinPortal: true }}
          />
          <NumberInput
            label={t('share.maxDownloads')}
            description={t('share.maxDownloadsHint')}
            min={0}
            max={1000000}
            value={maxDownloads}
            onChange={(v) => setMaxDownloads(typeof v === 'number' ? v : Number(v) || 0)}
            data-testid="share-max-downloads"
          />
          <TextInput
            label={t('share.recipient')}
            description={t('share.recipientHint')}
            value={recipient}
            onChange={(e) => setRecipient(e.currentTarget.value)}
            data-testid="share-recipient"
          />
          {err && (
            <Alert color="red" data-testid="share-error">
              {err}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button onClick={create} loading={busy} disabled={!codeOk} data-testid="share-create">
              {t('share.create')}
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack data-testid="share-result">
          <TextInput label={t('share.link')} value={shareLink(made)} readOnly data-testid="share-link" onFocus={(e) => e.currentTarget.select()} />
          {made.code && <TextInput label={t('share.code')} value={made.code} readOnly data-testid="share-code" />}
          <Text size="xs" c="dimmed">
            {made.expires_at ? t('share.expiresAt', { when: formatDate(made.expires_at, lang) }) : t('share.expiryNever')}
          </Text>
          <Group justify="flex-end">
            <Button
              variant="light"
              leftSection={copied === 'link' ? <IconCheck size={14} /> : <IconCopy size={14} />}
              onClick={() => copy('link', shareLink(made))}
              data-testid="share-copy-link"
            >
              {copied === 'link' ? t('common.copied') : t('share.copyLink')}
            </Button>
            {made.code && (
              <Button
                leftSection={copied === 'both' ? <IconCheck size={14} /> : <IconCopy size={14} />}
                onClick={() => copy('both', t('share.copyText', { link: shareLink(made), code: made.code ?? '' }))}
                data-testid="share-copy"
              >
                {copied === 'both' ? t('common.copied') : t('share.copyWithCode')}
              </Button>
            )}
            <Button variant="default" onClick={onClose} data-testid="share-done">
              {t('common.done')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
