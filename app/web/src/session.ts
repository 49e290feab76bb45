// The app's singletons: the token store, the API client and the query cache.

import { QueryClient } from '@tanstack/react-query';
import { ApiClient } from './api/client';
import { makeApi } from './api/endpoints';
import { ApiError } from './api/errors';
import { localTokenStore } from './api/tokens';
import { acceptLanguage, currentLanguage } from './i18n/translate';

export const tokens = localTokenStore();

const sessionEndedListeners = new Set<(reason: string) => void>();
export function onSessionEnded(fn: (reason: string) => void): () => void {
  sessionEndedListeners.add(fn);
  return () => sessionEndedListeners.delete(fn);
}

export const client = new ApiClient({
  tokens,
  language: () => acceptLanguage(currentLanguage()),
  onSessionEnded: (reason) => sessionEndedListeners.forEach((f) => f(reason)),
});

export const api = makeApi(client);

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      retry: (count, e) => e instanceof ApiError && e.retryable && count < 2,
    },
    mutations: { retry: false },
  },
});
