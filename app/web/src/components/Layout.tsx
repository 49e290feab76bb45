// The frame of the signed-in app: header (search, language, bell, account),
// navigation (drive, shares, trash, admin) with the quota bar, and the
// upload panel. On a phone the navigation folds behind a burger.

import { ActionIcon, AppShell, Box, Burger, Group, Menu, NavLink, ScrollArea, Text, TextInput, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconClock,
  IconCloud,
  IconFolder,
  IconLanguage,
  IconLogout,
  IconSearch,
  IconSettings,
  IconShare,
  IconShieldLock,
  IconTrash,
  IconUser,
  IconUsersGroup,
} from '@tabler/icons-react';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { LANGS } from '../i18n/translate';
import { NotificationBell } from './NotificationBell';
import { QuotaBar } from './QuotaBar';
import { UploadPanel } from './UploadPanel';

export function LanguageMenu() {
  const { t, lang, setLang } = useI18n();
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Tooltip label={t('lang.switch')}>
          <ActionIcon variant="subtle" size="lg" aria-label={t('lang.switch')} data-testid="language-switch">
            <IconLanguage size={20} />
          </ActionIcon>
        </Tooltip>
      </Menu.Target>
      <Menu.Dropdown>
        {LANGS.map((l) => (
          <Menu.Item key={l} onClick={() => setLang(l)} fw={l === lang ? 700 : 400} data-testid={`language-${l}`}>
            {l === 'en' ? 'English' : '中文'}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

function SearchBox() {
  const { t } = useI18n();
  const nav = useNavigate();
  const loc = useLocation();
  const [q, setQ] = useState(() => (loc.pathname === '/search' ? (new URLSearchParams(loc.search).get('q') ?? '') : ''));
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (e.key === '/' && !['INPUT', 'TEXTAREA'].includes(el.tagName) && !el.isContentEditable) {
        e.preventDefault();
        ref.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (q.trim()) nav(`/search?q=${encodeURIComponent(q.trim())}`);
      }}
      style={{ flex: 1, maxWidth: 480 }}
    >
      <TextInput
        ref={ref}
        value={q}
        onChange={(e) => setQ(e.currentTarget.value)}
        placeholder={t('search.placeholder')}
        leftSection={<IconSearch size={16} />}
        aria-label={t('search.placeholder')}
        data-testid="search-input"
      />
    </form>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { user, isAdmin, signOut } = useAuth();
  const [opened, { toggle, close }] = useDisclosure();
  const loc = useLocation();
  const nav = useNavigate();
  useEffect(close, [loc.pathname, close]);

  const link = (to: string, label: string, icon: ReactNode, testid: string) => (
    <NavLink
      component={Link}
      to={to}
      label={label}
      leftSection={icon}
      active={loc.pathname === to || (to === '/drive' && loc.pathname.startsWith('/drive'))}
      data-testid={testid}
    />
  );

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" gap="sm" wrap="nowrap">
          <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
          <Group gap={6} visibleFrom="xs" wrap="nowrap" renderRoot={(props) => <Link to="/drive" {...props} />} style={{ textDecoration: 'none', color: 'inherit' }}>
            <IconCloud size={24} color="var(--mantine-color-blue-6)" />
            <Text fw={700} visibleFrom="md">
              {t('app.name')}
            </Text>
          </Group>
          <SearchBox />
          <Group gap={4} ml="auto" wrap="nowrap">
            <LanguageMenu />
            <NotificationBell />
            <Menu position="bottom-end">
              <Menu.Target>
                <ActionIcon variant="subtle" size="lg" aria-label={t('nav.account')} data-testid="account-menu">
                  <IconUser size={20} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label data-testid="account-name">{user?.nickname || user?.username}</Menu.Label>
                <Menu.Item leftSection={<IconSettings size={14} />} component={Link} to="/settings">
                  {t('nav.settings')}
                </Menu.Item>
                <Menu.Item
                  leftSection={<IconLogout size={14} />}
                  data-testid="sign-out"
                  onClick={async () => {
                    await signOut();
                    nav('/login');
                  }}
                >
                  {t('auth.signOut')}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <AppShell.Section grow component={ScrollArea}>
          {link('/drive', t('nav.drive'), <IconFolder size={18} />, 'nav-drive')}
          {link('/recent', t('nav.recent'), <IconClock size={18} />, 'nav-recent')}
          {link('/shares', t('nav.myShares'), <IconShare size={18} />, 'nav-shares')}
          {link('/received', t('nav.received'), <IconUsersGroup size={18} />, 'nav-received')}
          {link('/trash', t('nav.trash'), <IconTrash size={18} />, 'nav-trash')}
          {isAdmin && link('/admin', t('nav.admin'), <IconShieldLock size={18} />, 'nav-admin')}
          {link('/settings', t('nav.settings'), <IconSettings size={18} />, 'nav-settings')}
        </AppShell.Section>
        <AppShell.Section p="xs">
          <QuotaBar />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Box maw={1400} mx="auto">
          {children}
        </Box>
      </AppShell.Main>
      <UploadPanel />
    </AppShell>
  );
}
