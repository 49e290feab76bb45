// Which sign-in ways the server has configured (GET /v1/user/providers), so
// a GitHub button is shown only where GitHub sign-in works.

import { useQuery } from '@tanstack/react-query';
import { api } from '../session';

export function useProviders() {
  const q = useQuery({ queryKey: ['providers'], queryFn: () => api.user.providers(), staleTime: 5 * 60_000 });
  // Until the answer arrives nothing optional is shown: a button that
  // appears late is better than one that leads to an error page.
  return { github: q.data?.github === true, code: q.data?.code !== false };
}
