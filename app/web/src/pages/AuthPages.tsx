// Signing in (password, one-time code, GitHub), registering, and the
// landing page of the GitHub callback.

import { Alert, Anchor, Button, Center, Container, Divider, Group, Loader, Paper, PasswordInput, PinInput, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { IconBrandGithub, IconCloud } from '@tabler/icons-react';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { int } from '../api/types';
import { nextPath, useAuth } from '../auth';
import { LanguageMenu } from '../components/Layout';
import { errorText } from '../components/notify';
import { PasswordRules } from '../components/PasswordRules';
import { useProviders } from '../components/useProviders';
import { passwordAcceptable } from '../lib/password';
import { useI18n } from '../i18n';
import { api } from '../session';

function Frame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Container size={420} py={48}>
      <Group justify="space-between" mb="md">
        <Group gap={6}>
          <IconCloud size={28} color="var(--mantine-color-blue-6)" />
          <Text fw={700} size="lg">
            {t('app.name')}
          </Text>
        </Group>
        <LanguageMenu />
      </Group>
      <Paper withBorder shadow="sm" p="lg" radius="md">
        <Title order={3} mb="md">
          {title}
        </Title>
        {children}
      </Paper>
    </Container>
  );
}

function PasswordLogin({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const { signIn } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr(null);
        try {
          signIn(await api.user.login({ username: username.trim(), password }));
          onDone();
        } catch (x) {
          setErr(errorText(x, t));
        } finally {
          setBusy(false);
        }
      }}
      data-testid="login-form"
    >
      <Stack>
        <TextInput label={t('auth.usernameOrEmail')} value={username} onChange={(e) => setUsername(e.currentTarget.value)} required autoComplete="username" data-testid="login-username" />
        <PasswordInput label={t('auth.password')} value={password} onChange={(e) => setPassword(e.currentTarget.value)} required autoComplete="current-password" data-testid="login-password" />
        {err && (
          <Alert color="red" data-testid="login-error">
            {err}
          </Alert>
        )}
        <Button type="submit" loading={busy} fullWidth data-testid="login-submit">
          {t('auth.signIn')}
        </Button>
      </Stack>
    </form>
  );
}

function CodeLogin({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const { signIn } = useAuth();
  const [target, setTarget] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [wait, setWait] = useState(0);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setInterval>>(undefined);
  useEffect(() => () => clearInterval(timer.current), []);

  const send = async () => {
    setBusy(true);
    setErr(null);
    try {
      const r = await api.user.sendCode(target.trim());
      setSent(true);
      let left = int(r.resend_after) || 60;
      setWait(left);
      clearInterval(timer.current);
      timer.current = setInterval(() => {
        left -= 1;
        setWait(left);
        if (left <= 0) clearInterval(timer.current);
      }, 1000);
    } catch (x) {
      setErr(errorText(x, t));
    } finally {
      setBusy(false);
    }
  };

  const login = async (c: string) => {
    setBusy(true);
    setErr(null);
    try {
      signIn(await api.user.codeLogin(target.trim(), c));
      onDone();
    } catch (x) {
      setErr(errorText(x, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (sent && code.length === 6) void login(code);
        else void send();
      }}
      data-testid="code-login-form"
    >
      <Stack>
        <TextInput
          label={t('auth.emailOrPhone')}
          placeholder="me@example.com / +8613800138000"
          value={target}
          onChange={(e) => setTarget(e.currentTarget.value)}
          required
          data-testid="code-target"
        />
        <Button variant="light" onClick={send} disabled={!target.trim() || wait > 0} loading={busy && !sent} data-testid="code-send">
          {wait > 0 ? t('auth.resendIn', { s: wait }) : sent ? t('auth.resendCode') : t('auth.sendCode')}
        </Button>
        {sent && (
          <>
            <Text size="sm" c="dimmed">
              {t('auth.codeSent')}
            </Text>
            <Center>
              <PinInput length={6} type="number" oneTimeCode value={code} onChange={setCode} onComplete={(c) => void login(c)} data-testid="code-input" aria-label={t('auth.code')} />
            </Center>
          </>
        )}
        {err && (
          <Alert color="red" data-testid="code-error">
            {err}
          </Alert>
        )}
        {sent && (
          <Button type="submit" loading={busy} disabled={code.length !== 6} fullWidth data-testid="code-submit">
            {t('auth.signIn')}
          </Button>
        )}
      </Stack>
    </form>
  );
}

export function LoginPage() {
  const { t } = useI18n();
  const { signedIn } = useAuth();
  const nav = useNavigate();
  const loc = useLocation();
  const next = nextPath(loc.search);
  const providers = useProviders();
  if (signedIn) return <Navigate to={next} replace />;
  return (
    <Frame title={t('auth.signIn')}>
      <Tabs defaultValue="password" keepMounted={false}>
        <Tabs.List grow mb="md">
          <Tabs.Tab value="password" data-testid="tab-password">
            {t('auth.withPassword')}
          </Tabs.Tab>
          <Tabs.Tab value="code" data-testid="tab-code">
            {t('auth.withCode')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="password">
          <PasswordLogin onDone={() => nav(next, { replace: true })} />
        </Tabs.Panel>
        <Tabs.Panel value="code">
          <CodeLogin onDone={() => nav(next, { replace: true })} />
        </Tabs.Panel>
      </Tabs>
      {providers.github && <Divider label={t('auth.or')} my="md" />}
      {providers.github && <Button
        component="a"
        href="/v1/user/oauth/github"
        onClick={() => {
          try {
            sessionStorage.setItem('clouddrive.oauthNext', next);
          } catch {
            // no storage: land on the drive
          }
        }}
        variant="default"
        fullWidth
        leftSection={<IconBrandGithub size={18} />}
        data-testid="login-github"
      >
        {t('auth.withGithub')}
      </Button>}
      <Text size="sm" ta="center" mt="md">
        {t('auth.noAccount')}{' '}
        <Anchor component={Link} to={`/register${loc.search}`} data-testid="go-register">
          {t('auth.register')}
        </Anchor>
      </Text>
    </Frame>
  );
}

export function RegisterPage() {
  const { t } = useI18n();
  const { signedIn, signIn } = useAuth();
  const nav = useNavigate();
  const loc = useLocation();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (signedIn) return <Navigate to={nextPath(loc.search)} replace />;
  const mismatch = confirm !== '' && confirm !== password;
  return (
    <Frame title={t('auth.register')}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (mismatch || !passwordAcceptable(password, username)) return;
          setBusy(true);
          setErr(null);
          try {
            await api.user.register({ username: username.trim(), password, email: email.trim() || undefined });
            signIn(await api.user.login({ username: username.trim(), password }));
            nav(nextPath(loc.search), { replace: true });
          } catch (x) {
            setErr(errorText(x, t));
          } finally {
            setBusy(false);
          }
        }}
        data-testid="register-form"
      >
        <Stack>
          <TextInput label={t('auth.username')} description={t('auth.usernameRule')} value={username} onChange={(e) => setUsername(e.currentTarget.value)} required minLength={3} maxLength={64} autoComplete="username" data-testid="register-username" />
          <TextInput label={t('auth.emailOptional')} type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} autoComplete="email" data-testid="register-email" />
          <PasswordInput label={t('auth.password')} value={password} onChange={(e) => setPassword(e.currentTarget.value)} required minLength={8} maxLength={72} autoComplete="new-password" data-testid="register-password" />
          <PasswordRules password={password} username={username} />
          <PasswordInput label={t('auth.confirmPassword')} value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)} required error={mismatch ? t('auth.passwordsDiffer') : null} autoComplete="new-password" data-testid="register-confirm" />
          {err && (
            <Alert color="red" data-testid="register-error">
              {err}
            </Alert>
          )}
          <Button type="submit" loading={busy} disabled={!passwordAcceptable(password, username)} fullWidth data-testid="register-submit">
            {t('auth.register')}
          </Button>
          <Text size="sm" ta="center">
            {t('auth.haveAccount')}{' '}
            <Anchor component={Link} to={`/login${loc.search}`}>
              {t('auth.signIn')}
            </Anchor>
          </Text>
        </Stack>
      </form>
    </Frame>
  );
}

/** /oauth/callback?ticket= | ?link_ticket= | ?error= */
export function OAuthCallbackPage() {
  const { t } = useI18n();
  const { signIn, signedIn } = useAuth();
  const [params] = useSearchParams();
  const nav = useNavigate();
  const [err, setErr] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const ticket = params.get('ticket');
    const link = params.get('link_ticket');
    const error = params.get('error');
    let next = '/drive';
    try {
      next = sessionStorage.getItem('clouddrive.oauthNext') || '/drive';
      sessionStorage.removeItem('clouddrive.oauthNext');
    } catch {
      // no storage
    }
    (async () => {
      if (error) throw new Error(t('oauth.failed', { reason: error }));
      if (ticket) {
        signIn(await api.user.oauthExchange(ticket));
        nav(next.startsWith('/') ? next : '/drive', { replace: true });
      } else if (link) {
        if (!signedIn) throw new Error(t('oauth.linkNeedsSignIn'));
        const r = await api.user.oauthLinkConfirm(link);
        nav(`/settings?linked=${encodeURIComponent(r.login ?? '')}`, { replace: true });
      } else throw new Error(t('oauth.failed', { reason: 'NO_TICKET' }));
    })().catch((e) => setErr(errorText(e, t)));
  }, [params, signIn, signedIn, nav, t]);
  return (
    <Frame title={t('oauth.title')}>
      {err ? (
        <Stack>
          <Alert color="red" data-testid="oauth-error">
            {err}
          </Alert>
          <Button component={Link} to="/login" variant="default">
            {t('auth.backToSignIn')}
          </Button>
        </Stack>
      ) : (
        <Center py="md">
          <Loader />
        </Center>
      )}
    </Frame>
  );
}
