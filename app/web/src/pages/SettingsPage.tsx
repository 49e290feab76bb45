// Settings: profile (nickname, email, email notifications, GitHub link),
// password, app passwords (for WebDAV and scripts), sessions.

import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Paper, PasswordInput, Stack, Switch, Table, Tabs, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconBrandGithub, IconCheck, IconCopy, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { int } from '../api/types';
import { useAuth } from '../auth';
import { errorText, showError, showOk } from '../components/notify';
import { PasswordRules } from '../components/PasswordRules';
import { useProviders } from '../components/useProviders';
import { passwordAcceptable } from '../lib/password';
import { useI18n } from '../i18n';
import { formatDate } from '../lib/format';
import { userAgentLabel } from '../lib/useragent';
import { api } from '../session';

function Profile() {
  const { t } = useI18n();
  const { user, setUser } = useAuth();
  const providers = useProviders();
  const [params] = useSearchParams();
  const [nickname, setNickname] = useState(user?.nickname ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [notify, setNotify] = useState(user?.email_notifications ?? false);
  useEffect(() => {
    setNickname(user?.nickname ?? '');
    setEmail(user?.email ?? '');
    setNotify(user?.email_notifications ?? false);
  }, [user]);
  const save = useMutation({
    mutationFn: () => api.user.updateProfile({ nickname, email, email_notifications: notify }),
    onSuccess: (u) => {
      setUser(u);
      showOk(t('settings.saved'));
    },
    onError: (e) => showError(e, t),
  });
  const linked = params.get('linked');
  return (
    <Stack maw={480}>
      {linked !== null && <Alert color="teal">{t('settings.githubLinked', { login: linked })}</Alert>}
      <TextInput label={t('auth.username')} value={user?.username ?? ''} readOnly disabled />
      <TextInput label={t('settings.nickname')} value={nickname} onChange={(e) => setNickname(e.currentTarget.value)} maxLength={64} data-testid="profile-nickname" />
      <TextInput
        label={t('settings.email')}
        type="email"
        value={email}
        onChange={(e) => setEmail(e.currentTarget.value)}
        rightSection={user?.email && user.email_verified ? <IconCheck size={16} color="var(--mantine-color-teal-6)" /> : undefined}
        data-testid="profile-email"
      />
      <Switch label={t('settings.emailNotifications')} checked={notify} onChange={(e) => setNotify(e.currentTarget.checked)} />
      <Group>
        <Button onClick={() => save.mutate()} loading={save.isPending} data-testid="profile-save">
          {t('common.save')}
        </Button>
        {providers.github && <Button
          variant="default"
          leftSection={<IconBrandGithub size={16} />}
          onClick={async () => {
            try {
              window.location.href = (await api.user.oauthLinkURL()).url;
            } catch (e) {
              showError(e, t);
            }
          }}
        >
          {t('settings.linkGithub')}
        </Button>}
      </Group>
    </Stack>
  );
}

function Password() {
  const { t } = useI18n();
  const { user } = useAuth();
  const [old, setOld] = useState('');
  const [next, setNext] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr(null);
        try {
          const r = await api.user.changePassword({ old_password: old, new_password: next });
          showOk(t('settings.passwordChanged', { n: int(r.revoked_sessions) }));
          setOld('');
          setNext('');
        } catch (x) {
          setErr(errorText(x, t));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Stack maw={480}>
        {user?.has_password !== false && (
          <PasswordInput label={t('settings.oldPassword')} value={old} onChange={(e) => setOld(e.currentTarget.value)} autoComplete="current-password" required />
        )}
        {user?.has_password === false && <Text size="sm">{t('settings.noPasswordYet')}</Text>}
        <PasswordInput
          label={t('settings.newPassword')}
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          autoComplete="new-password"
          minLength={8}
          maxLength={72}
          required
          data-testid="new-password"
        />
        <PasswordRules password={next} username={user?.username} />
        {err && <Alert color="red">{err}</Alert>}
        <Text size="xs" c="dimmed">
          {t('settings.passwordSignsOut')}
        </Text>
        <Group>
          <Button type="submit" loading={busy} disabled={!passwordAcceptable(next, user?.username)}>
            {t('settings.changePassword')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function AppPasswords() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['app_passwords'], queryFn: () => api.user.appPasswords() });
  const [name, setName] = useState('');
  const [made, setMade] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api.user.createAppPassword(name.trim()),
    onSuccess: (r) => {
      setMade(r.password);
      setName('');
      void qc.invalidateQueries({ queryKey: ['app_passwords'] });
    },
    onError: (e) => showError(e, t),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.user.revokeAppPassword(id),
    onSettled: () => qc.invalidateQueries({ queryKey: ['app_passwords'] }),
    onError: (e) => showError(e, t),
  });
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('settings.appPasswordsHint')}
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('common.name')} placeholder="WebDAV (laptop)" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={64} />
          <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
            {t('common.create')}
          </Button>
        </Group>
      </form>
      {made && (
        <Alert color="teal" title={t('settings.appPasswordOnce')} withCloseButton onClose={() => setMade(null)}>
          <Group gap="xs">
            <Code fz="md">{made}</Code>
            <CopyButton value={made}>
              {({ copied, copy }) => (
                <ActionIcon variant="subtle" onClick={copy} aria-label={t('common.copy')}>
                  {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                </ActionIcon>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      <Table>
        <Table.Tbody>
          {(list.data?.items ?? []).map((p) => (
            <Table.Tr key={p.id}>
              <Table.Td>{p.name}</Table.Td>
              <Table.Td visibleFrom="sm">
                <Text size="xs" c="dimmed">
                  {t('settings.created', { when: formatDate(p.created_at, lang) })}
                  {p.last_used_at && ` · ${t('settings.lastUsed', { when: formatDate(p.last_used_at, lang) })}`}
                </Text>
              </Table.Td>
              <Table.Td w={48}>
                <Tooltip label={t('settings.revoke')}>
                  <ActionIcon variant="subtle" color="red" onClick={() => revoke.mutate(p.id)} aria-label={t('settings.revoke')}>
                    <IconTrash size={16} />
                  </ActionIcon>
                </Tooltip>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function Sessions() {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const { signOut } = useAuth();
  const list = useQuery({ queryKey: ['sessions'], queryFn: () => api.user.sessions() });
  const revoke = useMutation({
    mutationFn: async (s: { id: string; current?: boolean }) => {
      await api.user.revokeSession(s.id);
      if (s.current) await signOut();
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['sessions'] }),
    onError: (e) => showError(e, t),
  });
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('settings.device')}</Table.Th>
            <Table.Th>IP</Table.Th>
            <Table.Th>{t('settings.lastActive')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(list.data?.sessions ?? []).map((s) => (
            <Table.Tr key={s.id} data-testid="session-item">
              <Table.Td>
                <Text size="sm" lineClamp={2} title={s.user_agent}>
                  {userAgentLabel(s.user_agent ?? '') || '—'}
                </Text>
                {s.current && (
                  <Badge size="xs" color="teal">
                    {t('settings.thisDevice')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{s.ip}</Table.Td>
              <Table.Td>{formatDate(s.last_used_at || s.created_at, lang)}</Table.Td>
              <Table.Td>
                <Button size="compact-xs" variant="light" color="red" onClick={() => revoke.mutate(s)}>
                  {t('settings.signOutSession')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function SettingsPage() {
  const { t } = useI18n();
  return (
    <Stack data-testid="settings-page">
      <Title order={4}>{t('nav.settings')}</Title>
      <Paper withBorder p="md" radius="md">
        <Tabs defaultValue="profile" keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="profile">{t('settings.profile')}</Tabs.Tab>
            <Tabs.Tab value="password">{t('auth.password')}</Tabs.Tab>
            <Tabs.Tab value="apppw">{t('settings.appPasswords')}</Tabs.Tab>
            <Tabs.Tab value="sessions">{t('settings.sessions')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="profile">
            <Profile />
          </Tabs.Panel>
          <Tabs.Panel value="password">
            <Password />
          </Tabs.Panel>
          <Tabs.Panel value="apppw">
            <AppPasswords />
          </Tabs.Panel>
          <Tabs.Panel value="sessions">
            <Sessions />
          </Tabs.Panel>
        </Tabs>
      </Paper>
    </Stack>
  );
}
