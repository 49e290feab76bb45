// Providers and routes. Pages other than the drive and sign-in load on demand.

import { Center, Loader, MantineProvider, Text, Title, Button, Stack, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Link, Navigate, Outlet, Route, Routes } from 'react-router';
import { AuthProvider, RequireAuth } from './auth';
import { ConflictProvider } from './components/ConflictDialog';
import { Layout } from './components/Layout';
import { I18nProvider, useI18n } from './i18n';
import { LoginPage, OAuthCallbackPage, RegisterPage } from './pages/AuthPages';
import { DrivePage } from './pages/DrivePage';
import { queryClient } from './session';
import { UploadProvider } from './upload/UploadProvider';

const SearchPage = lazy(() => import('./pages/SearchPage').then((m) => ({ default: m.SearchPage })));
const RecentPage = lazy(() => import('./pages/Recent').then((m) => ({ default: m.RecentPage })));
const TrashPage = lazy(() => import('./pages/TrashPage').then((m) => ({ default: m.TrashPage })));
const SharesPage = lazy(() => import('./pages/SharesPage').then((m) => ({ default: m.SharesPage })));
const ReceivedPage = lazy(() => import('./pages/SharesPage').then((m) => ({ default: m.ReceivedPage })));
const PublicSharePage = lazy(() => import('./pages/PublicSharePage').then((m) => ({ default: m.PublicSharePage })));
const SettingsPage = lazy(() => import('./pages/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const AdminPage = lazy(() => import('./pages/AdminPage').then((m) => ({ default: m.AdminPage })));

const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'md' });

function Loading() {
  return (
    <Center h="60vh">
      <Loader />
    </Center>
  );
}

// The signed-in frame stays mounted across its pages, so the upload queue
// keeps running while the user moves around.
function PrivateShell() {
  return (
    <RequireAuth>
      <ConflictProvider>
        <UploadProvider>
          <Layout>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </Layout>
        </UploadProvider>
      </ConflictProvider>
    </RequireAuth>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <Center h="80vh">
      <Stack align="center">
        <Title>404</Title>
        <Text c="dimmed">{t('app.notFound')}</Text>
        <Button component={Link} to="/drive">
          {t('nav.drive')}
        </Button>
      </Stack>
    </Center>
  );
}

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <I18nProvider>
        <QueryClientProvider client={queryClient}>
          <Notifications position="top-center" />
          <BrowserRouter>
            <AuthProvider>
              <Routes>
                <Route path="/" element={<Navigate to="/drive" replace />} />
                <Route path="/login" element={<LoginPage />} />
                <Route path="/register" element={<RegisterPage />} />
                <Route path="/oauth/callback" element={<OAuthCallbackPage />} />
                <Route
                  path="/s/:token"
                  element={
                    <Suspense fallback={<Loading />}>
                      <PublicSharePage />
                    </Suspense>
                  }
                />
                <Route element={<PrivateShell />}>
                  <Route path="/drive/:folderId?" element={<DrivePage />} />
                  <Route path="/search" element={<SearchPage />} />
                  <Route path="/recent" element={<RecentPage />} />
                  <Route path="/trash" element={<TrashPage />} />
                  <Route path="/shares" element={<SharesPage />} />
                  <Route path="/received" element={<ReceivedPage />} />
                  <Route path="/settings" element={<SettingsPage />} />
                  <Route
                    path="/admin"
                    element={
                      <RequireAuth admin>
                        <AdminPage />
                      </RequireAuth>
                    }
                  />
                </Route>
                <Route path="*" element={<NotFound />} />
              </Routes>
            </AuthProvider>
          </BrowserRouter>
        </QueryClientProvider>
      </I18nProvider>
    </MantineProvider>
  );
}
