// The password rules as a live checklist under a new-password field, so a
// person sees what is asked before submitting.

import { List, ThemeIcon } from '@mantine/core';
import { IconCheck, IconPoint } from '@tabler/icons-react';
import { passwordRules } from '../lib/password';
import { useI18n } from '../i18n';

export function PasswordRules({ password, username }: { password: string; username?: string }) {
  const { t } = useI18n();
  return (
    <List size="xs" spacing={2} data-testid="password-rules" aria-live="polite">
      {passwordRules(password, username).map(({ rule, ok }) => (
        <List.Item
          key={rule}
          data-rule={rule}
          data-ok={ok}
          c={ok ? 'teal' : 'dimmed'}
          icon={
            <ThemeIcon size={14} radius="xl" variant={ok ? 'filled' : 'light'} color={ok ? 'teal' : 'gray'}>
              {ok ? <IconCheck size={10} /> : <IconPoint size={10} />}
            </ThemeIcon>
          }
        >
          {t(`password.${rule}`)}
        </List.Item>
      ))}
    </List>
  );
}
