// Toasts for results and errors.

import { notifications } from '@mantine/notifications';
import { ApiError } from '../api/errors';
import type { TFunc } from '../i18n';

export function errorText(e: unknown, t: TFunc): string {
  if (e instanceof ApiError) {
    if (e.isNetwork) return t('error.network');
    if (e.reason === 'RATE_LIMITED') return e.retryAfterSeconds ? t('error.rateLimitedFor', { s: e.retryAfterSeconds }) : e.message;
    return e.message || e.reason;
  }
  return e instanceof Error ? e.message : String(e);
}

export function showError(e: unknown, t: TFunc): void {
  if (e instanceof ApiError && e.reason === 'ABORTED') return;
  notifications.show({ color: 'red', title: t('error.title'), message: errorText(e, t) });
}

export function showOk(message: string): void {
  notifications.show({ color: 'teal', message, autoClose: 2500 });
}
