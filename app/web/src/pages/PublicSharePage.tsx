// The public page of a share, /s/:token: enter the extraction code (or take
// it from ?code= / ?pwd=), browse, download, and save into my drive. The
// share token from OpenShare travels as X-Share-Token and is kept for the
// tab's session so a reload (or signing in to save) does not ask again.

import { ActionIcon, Alert, Anchor, Box, Breadcrumbs, Button, Center, Checkbox, Container, Group, Loader, Paper, PinInput, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconCloud, IconDeviceFloppy, IconDownload, IconLayoutGrid, IconList, IconLock } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../api/errors';
import type { Node, ShareInfo } from '../api/types';
import { int } from '../api/types';
import { useAuth } from '../auth';
import { FileIcon } from '../components/FileIcon';
import { FolderPicker } from '../components/FolderPicker';
import { LanguageMenu } from '../components/Layout';
import { SharePreview, SharePreviewModal, sharePreviewable, type SharedFile } from '../components/SharePreview';
import { Thumbnail } from '../components/Thumbnail';
import { errorText, showError, showOk } from '../components/notify';
import { useI18n, type TFunc } from '../i18n';
import { startDownload } from '../lib/download';
import { formatBytes, formatDate } from '../lib/format';
import { shareThumbnailLoader } from '../lib/thumbnails';
import { api } from '../session';

interface Opened {
  access_token: string;
  expires_at: number;
  code: string;
  share: ShareInfo;
}

const key = (token: string) => `clouddrive.share.${token}`;

function loadOpened(token: string): Opened | null {
  try {
    const o = JSON.parse(sessionStorage.getItem(key(token)) ?? 'null') as Opened | null;
    return o && o.expires_at > Date.now() + 10_000 ? o : null;
  } catch {
    return null;
  }
}

function saveOpened(token: string, o: Opened | null) {
  try {
    if (o) sessionStorage.setItem(key(token), JSON.stringify(o));
    else sessionStorage.removeItem(key(token));
  } catch {
    // no storage: the code is asked again after a reload
  }
}

const GONE: Record<string, Parameters<TFunc>[0]> = {
  SHARE_NOT_FOUND: 'public.notFound',
  NOT_FOUND: 'public.notFound',
  SHARE_REVOKED: 'public.revoked',
  SHARE_EXPIRED: 'public.expired',
  SHARE_LIMIT_REACHED: 'public.limit',
  SHARE_GONE: 'public.gone',
};

export function PublicSharePage() {
  const { t, lang } = useI18n();
  const { token = '' } = useParams();
  const [params] = useSearchParams();
  const nav = useNavigate();
  const { signedIn } = useAuth();
  const [opened, setOpened] = useState<Opened | null>(() => loadOpened(token));
  const [needCode, setNeedCode] = useState(false);
  const [code, setCode] = useState(params.get('code') ?? params.get('pwd') ?? '');
  const [codeErr, setCodeErr] = useState<string | null>(null);
  const [gone, setGone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [path, setPath] = useState<Array<{ id: string; name: string }>>([]);
  const [sel, setSel] = useState<Set<string>>(new Set());
  const [saving, setSaving] = useState<string[] | null>(null);
  const [previewing, setPreviewing] = useState<SharedFile | null>(null);
  // A folder of pictures reads better as a grid of thumbnails.
  const [view, setView] = useState<'list' | 'grid'>('list');
  const accessToken = opened?.access_token;
  const thumbs = useMemo(() => (accessToken ? shareThumbnailLoader((st, ids) => api.share.thumbnailURLs(st, ids, 256), accessToken) : undefined), [accessToken]);
  const previewURL = useCallback(async (id: string) => (await api.share.download(accessToken ?? '', id)).url, [accessToken]);

  const open = useCallback(
    async (c: string, quiet: boolean) => {
      setBusy(true);
      setCodeErr(null);
      try {
        const r = await api.share.open(token, c);
        const o: Opened = { access_token: r.access_token, expires_at: Date.now() + (int(r.expires_in) || 600) * 1000, code: c, share: r.share ?? { token } };
        saveOpened(token, o);
        setOpened(o);
        setNeedCode(false);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'CODE_WRONG') {
          setNeedCode(true);
          if (!quiet) setCodeErr(t('public.wrongCode'));
        } else if (e instanceof ApiError && GONE[e.reason]) {
          setGone(t(GONE[e.reason]));
        } else {
          setNeedCode(true);
          setCodeErr(errorText(e, t));
        }
      } finally {
        setBusy(false);
      }
    },
    [token, t],
  );

  useEffect(() => {
    if (!opened) void open(code, code === '');
    // Only on arrival: later opens come from the form.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token]);

  const share = opened?.share;
  const parent = path.length ? path[path.length - 1].id : '';
  const list = useQuery({
    queryKey: ['share-browse', token, opened?.access_token, parent],
    enabled: !!opened && share?.kind !== 'file',
    queryFn: async () => {
      const out: Node[] = [];
      let page_token: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await api.share.browse(opened!.access_token, { parent_id: parent, page_size: 500, page_token });
        out.push(...(r.items ?? []));
        if (!r.next_page_token) break;
        page_token = r.next_page_token;
      }
      return out;
    },
    retry: false,
  });

  // An expired share token: open again with the code we had.
  useEffect(() => {
    if (list.error instanceof ApiError && list.error.reason === 'SHARE_TOKEN_INVALID' && opened) {
      saveOpened(token, null);
      setOpened(null);
      void open(opened.code, true);
    } else if (list.error instanceof ApiError && GONE[list.error.reason]) {
      setGone(t(GONE[list.error.reason]));
    }
  }, [list.error, opened, open, token, t]);

  // nodeIds: the ticked items (a zip of just those); else nodeId, where ''
  // is the whole share.
  const download = async (nodeId: string, nodeIds?: string[]) => {
    try {
      const r = await api.share.download(opened!.access_token, nodeId, nodeIds);
      startDownload(r.url);
    } catch (e) {
      if (e instanceof ApiError && GONE[e.reason]) setGone(t(GONE[e.reason]));
      else showError(e, t);
    }
  };

  const header = (
    <Group justify="space-between" mb="lg">
      <Group gap={6} renderRoot={(props) => <Link to={signedIn ? '/drive' : '/login'} {...props} />} style={{ textDecoration: 'none', color: 'inherit' }}>
        <IconCloud size={26} color="var(--mantine-color-blue-6)" />
        <Text fw={700}>{t('app.name')}</Text>
      </Group>
      <Group gap="xs">
        <LanguageMenu />
        {signedIn ? (
          <Button component={Link} to="/drive" variant="default" size="xs">
            {t('nav.drive')}
          </Button>
        ) : (
          <Button component={Link} to={`/login?next=${encodeURIComponent(`/s/${token}`)}`} variant="default" size="xs">
            {t('auth.signIn')}
          </Button>
        )}
      </Group>
    </Group>
  );

  if (gone) {
    return (
      <Container size="sm" py="md">
        {header}
        <Alert color="orange" title={t('public.unavailable')} data-testid="share-unavailable">
          {gone}
        </Alert>
      </Container>
    );
  }

  if (!opened) {
    return (
      <Container size="xs" py="md">
        {header}
        {!needCode ? (
          <Center py="xl">
            <Loader />
          </Center>
        ) : (
          <Paper withBorder p="lg" radius="md">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (code.length === 4) void open(code, false);
              }}
            >
              <Stack align="center">
                <IconLock size={36} color="var(--mantine-color-blue-6)" />
                <Title order={4}>{t('public.enterCode')}</Title>
                <PinInput
                  length={4}
                  type="alphanumeric"
                  value={code}
                  onChange={setCode}
                  error={!!codeErr}
                  aria-label={t('public.code')}
                  data-testid="open-code-input"
                  autoFocus
                />
                {codeErr && (
                  <Text c="red" size="sm" data-testid="open-code-error">
                    {codeErr}
                  </Text>
                )}
                <Button type="submit" loading={busy} disabled={code.length !== 4} fullWidth data-testid="open-code-submit">
                  {t('public.open')}
                </Button>
              </Stack>
            </form>
          </Paper>
        )}
      </Container>
    );
  }

  const saveTarget = (ids: string[]) => {
    if (!signedIn) {
      nav(`/login?next=${encodeURIComponent(`/s/${token}`)}`);
      return;
    }
    setSaving(ids);
  };
  const items = list.data ?? [];
  const selIds = [...sel].filter((id) => items.some((n) => n.id === id));
  const tick = (id: string) =>
    setSel((s) => {
      const x = new Set(s);
      if (x.has(id)) x.delete(id);
      else x.add(id);
      return x;
    });
  // An entry's name: opens a folder, previews what can be previewed.
  const entryName = (n: Node) =>
    n.kind === 'folder' ? (
      <Anchor size="sm" onClick={() => (setPath([...path, { id: n.id, name: n.name }]), setSel(new Set()))} truncate>
        {n.name}
      </Anchor>
    ) : sharePreviewable(n) ? (
      <Anchor size="sm" onClick={() => setPreviewing(n)} truncate data-testid="share-entry-preview">
        {n.name}
      </Anchor>
    ) : (
      <Text size="sm" truncate>
        {n.name}
      </Text>
    );

  return (
    <Container size="lg" py="md" data-testid="public-share">
      {header}
      <Paper withBorder p="md" radius="md">
        <Group justify="space-between" align="flex-start" mb="sm">
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            <FileIcon node={{ kind: share?.kind ?? 'file', name: share?.name ?? '' }} size={36} />
            <Box style={{ minWidth: 0 }}>
              <Title order={4} style={{ wordBreak: 'break-all' }} data-testid="share-name">
                {share?.name}
              </Title>
              <Text size="xs" c="dimmed">
                {share?.owner_nickname && t('public.sharedBy', { who: share.owner_nickname })}
                {share?.kind === 'file' && ` · ${formatBytes(int(share.size))}`}
                {share?.expires_at && ` · ${t('share.expiresAt', { when: formatDate(share.expires_at, lang) })}`}
              </Text>
            </Box>
          </Group>
          <Group gap="xs">
            <Button
              leftSection={<IconDownload size={16} />}
              onClick={() => void (selIds.length > 1 ? download('', selIds) : download(selIds.length === 1 ? selIds[0] : share?.kind === 'file' ? (share.node_id ?? '') : ''))}
              data-testid="share-download"
              data-selected={selIds.length}
            >
              {share?.kind === 'folder' && selIds.length > 1
                ? t('public.downloadSelected', { n: selIds.length })
                : share?.kind === 'folder' && selIds.length !== 1
                  ? t('public.downloadAll')
                  : t('file.download')}
            </Button>
            <Button
              variant="light"
              leftSection={<IconDeviceFloppy size={16} />}
              onClick={() => saveTarget(selIds.length ? selIds : [share?.node_id ?? ''])}
              data-testid="share-save"
            >
              {signedIn ? t('public.save') : t('public.signInToSave')}
            </Button>
          </Group>
        </Group>

        {share?.kind === 'file' && share.node_id && (
          <Box mt="sm" data-testid="share-file-preview">
            <SharePreview file={{ id: share.node_id, name: share.name ?? '', size: share.size, kind: 'file' }} url={previewURL} />
          </Box>
        )}

        {share?.kind !== 'file' && (
          <Stack gap="xs">
            <Group justify="space-between" wrap="nowrap">
              <Breadcrumbs separatorMargin={4} style={{ flexWrap: 'wrap' }}>
                <Anchor size="sm" onClick={() => setPath([])}>
                  {share?.name}
                </Anchor>
                {path.map((c, i) => (
                  <Anchor key={c.id} size="sm" onClick={() => setPath(path.slice(0, i + 1))}>
                    {c.name}
                  </Anchor>
                ))}
              </Breadcrumbs>
              <SegmentedControl
                size="xs"
                value={view}
                onChange={(v) => setView(v as 'list' | 'grid')}
                data={[
                  { value: 'list', label: <IconList size={16} aria-label={t('file.viewList')} /> },
                  { value: 'grid', label: <IconLayoutGrid size={16} aria-label={t('file.viewGrid')} /> },
                ]}
                data-testid="share-view-toggle"
              />
            </Group>
            {list.isLoading && (
              <Center>
                <Loader size="sm" />
              </Center>
            )}
            {list.data && items.length === 0 && <Text c="dimmed">{t('file.emptyFolder')}</Text>}
            {items.length > 0 && view === 'grid' && (
              <SimpleGrid cols={{ base: 2, xs: 3, sm: 4, md: 6 }} spacing="sm" data-testid="share-grid">
                {items.map((n) => (
                  <Paper key={n.id} withBorder p="xs" radius="md" data-testid="share-entry" data-name={n.name} style={{ position: 'relative', minWidth: 0 }}>
                    <Checkbox size="xs" checked={sel.has(n.id)} aria-label={n.name} onChange={() => tick(n.id)} style={{ position: 'absolute', top: 8, left: 8, zIndex: 1 }} />
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      onClick={() => void download(n.id)}
                      aria-label={t('file.download')}
                      data-testid="share-entry-download"
                      style={{ position: 'absolute', top: 4, right: 4, zIndex: 1 }}
                    >
                      <IconDownload size={14} />
                    </ActionIcon>
                    {n.kind === 'file' && thumbs ? (
                      <Thumbnail node={n} size={96} iconSize={44} loader={thumbs} />
                    ) : (
                      <Center h={96}>
                        <FileIcon node={n} size={44} />
                      </Center>
                    )}
                    <Box mt={4} style={{ minWidth: 0, textAlign: 'center' }}>
                      {entryName(n)}
                      <Text size="xs" c="dimmed">
                        {n.kind === 'folder' ? '—' : formatBytes(int(n.size))}
                      </Text>
                    </Box>
                  </Paper>
                ))}
              </SimpleGrid>
            )}
            {items.length > 0 && view === 'list' && (
              <Table highlightOnHover style={{ tableLayout: 'fixed' }} data-testid="share-list">
                <Table.Tbody>
                  {items.map((n) => (
                    <Table.Tr key={n.id} data-testid="share-entry" data-name={n.name}>
                      <Table.Td w={36}>
                        <Checkbox size="xs" checked={sel.has(n.id)} aria-label={n.name} onChange={() => tick(n.id)} />
                      </Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          {n.kind === 'file' && thumbs ? (
                            <Box w={40} style={{ flexShrink: 0 }}>
                              <Thumbnail node={n} size={40} iconSize={20} loader={thumbs} />
                            </Box>
                          ) : (
                            <FileIcon node={n} />
                          )}
                          {entryName(n)}
                        </Group>
                      </Table.Td>
                      <Table.Td w={100} visibleFrom="sm">
                        <Text size="sm" c="dimmed">
                          {n.kind === 'folder' ? '—' : formatBytes(int(n.size))}
                        </Text>
                      </Table.Td>
                      <Table.Td w={48}>
                        <ActionIcon variant="subtle" onClick={() => void download(n.id)} aria-label={t('file.download')} data-testid="share-entry-download">
                          <IconDownload size={16} />
                        </ActionIcon>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
        )}
      </Paper>
      <SharePreviewModal file={previewing} url={previewURL} onClose={() => setPreviewing(null)} />
      <FolderPicker
        opened={saving !== null}
        title={t('public.saveTitle')}
        confirmLabel={t('public.saveHere')}
        onClose={() => setSaving(null)}
        onPick={async (folder) => {
          const r = await api.share.save(opened.access_token, (saving ?? []).filter(Boolean), folder);
          showOk(t('public.saved', { n: r.items?.length ?? 0 }));
        }}
      />
    </Container>
  );
}
