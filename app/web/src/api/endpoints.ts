// Every RPC the SPA calls, typed. The paths and field names are those of
// api/openapi.yaml (and the share and notify protos).

import type { ApiClient } from './client';
import type {
  AppPassword,
  ChangesReply,
  ListReply,
  ListSharesReply,
  Node,
  NodesReply,
  Notification,
  OpenShareReply,
  Session,
  ShareInfo,
  SignedURL,
  TokenReply,
  UploadSession,
  UsageReply,
  UserInfo,
  VersionsReply,
} from './types';

export type OnConflict = '' | 'fail' | 'rename';
export type OrderBy = 'name' | 'size' | 'updated_at';

export interface CreateShareInput {
  node_id: string;
  code?: string;
  generate_code?: boolean;
  expires_in_seconds?: number;
  max_downloads?: number;
  recipient?: string;
}

export function makeApi(c: ApiClient) {
  const shareHeaders = (shareToken: string) => ({ 'X-Share-Token': shareToken });
  return {
    user: {
      register: (b: { username: string; password: string; email?: string }) =>
        c.post<{ user?: UserInfo }>('/v1/user/register', b, { auth: 'none' }),
      login: (b: { username: string; password: string }) => c.post<TokenReply>('/v1/user/login', b, { auth: 'none' }),
      logout: (refresh_token: string) => c.post<object>('/v1/user/logout', { refresh_token }, { auth: 'none' }),
      me: () => c.get<UserInfo>('/v1/user/me'),
      updateProfile: (b: { nickname?: string; email?: string; email_notifications?: boolean }) =>
        c.post<UserInfo>('/v1/user/profile', b),
      changePassword: (b: { old_password: string; new_password: string }) =>
        c.post<{ revoked_sessions?: string }>('/v1/user/password', b),
      sendCode: (target: string) =>
        c.post<{ expires_in?: string; resend_after?: string }>('/v1/user/code/send', { target }, { auth: 'none' }),
      providers: () => c.get<{ password?: boolean; code?: boolean; github?: boolean }>('/v1/user/providers', undefined, { auth: 'none' }),
      codeLogin: (target: string, code: string) => c.post<TokenReply>('/v1/user/code/login', { target, code }, { auth: 'none' }),
      oauthExchange: (ticket: string) => c.post<TokenReply>('/v1/user/oauth/exchange', { ticket }, { auth: 'none' }),
      oauthLinkURL: () => c.post<{ url: string }>('/v1/user/oauth/link', {}),
      oauthLinkConfirm: (ticket: string) => c.post<{ login?: string }>('/v1/user/oauth/link/confirm', { ticket }),
      sessions: () => c.get<{ sessions?: Session[] }>('/v1/user/session/list'),
      revokeSession: (id: string) => c.post<object>('/v1/user/session/revoke', { id }),
      appPasswords: () => c.get<{ items?: AppPassword[] }>('/v1/user/app_password/list'),
      createAppPassword: (name: string) =>
        c.post<{ app_password?: AppPassword; password: string }>('/v1/user/app_password', { name }),
      revokeAppPassword: (id: string) => c.post<object>('/v1/user/app_password/revoke', { id }),
    },
    file: {
      list: (q: { parent_id?: string; page_size?: number; page_token?: string; order_by?: OrderBy; desc?: boolean }) =>
        c.get<ListReply>('/v1/file/list', q),
      stat: (id: string) => c.get<Node>('/v1/file/stat', { id }),
      path: (id: string) => c.get<{ items?: Node[] }>('/v1/file/path', { id }),
      mkdir: (parent_id: string, name: string, on_conflict: OnConflict = 'fail') =>
        c.post<Node>('/v1/file/mkdir', { parent_id, name, on_conflict }),
      rename: (id: string, name: string, on_conflict: OnConflict = 'fail') =>
        c.post<Node>('/v1/file/rename', { id, name, on_conflict }),
      move: (ids: string[], parent_id: string, on_conflict: OnConflict = 'fail') =>
        c.post<NodesReply>('/v1/file/move', { ids, parent_id, on_conflict }),
      copy: (ids: string[], parent_id: string, on_conflict: OnConflict = 'rename') =>
        c.post<NodesReply>('/v1/file/copy', { ids, parent_id, on_conflict }),
      remove: (ids: string[]) => c.post<{ trashed?: string }>('/v1/file/delete', { ids }),
      trash: (q: { page_size?: number; page_token?: string }) => c.get<ListReply>('/v1/file/trash', q),
      restore: (ids: string[]) => c.post<NodesReply>('/v1/file/restore', { ids }),
      purge: (ids: string[]) => c.post<{ purged?: string; freed_bytes?: string }>('/v1/file/purge', { ids }),
      emptyTrash: () => c.post<{ purged?: string; freed_bytes?: string }>('/v1/file/trash/empty', {}),
      search: (q: { q: string; page_size?: number; page_token?: string }) => c.get<ListReply>('/v1/file/search', q),
      usage: () => c.get<UsageReply>('/v1/file/usage'),
      versions: (node_id: string) => c.get<VersionsReply>('/v1/file/versions', { node_id }),
      restoreVersion: (node_id: string, version_id: string) => c.post<Node>('/v1/file/versions/restore', { node_id, version_id }),
      changes: (q: { cursor?: string; page_size?: number; latest?: boolean }) => c.get<ChangesReply>('/v1/changes', q),
    },
    storage: {
      initUpload: (b: { parent_id: string; name: string; size: number; content_hash?: string; on_conflict?: OnConflict | 'version'; mime?: string }) =>
        c.post<UploadSession>('/v1/upload/init', b),
      status: (upload_id: string) => c.get<UploadSession>('/v1/upload/status', { upload_id }),
      complete: (upload_id: string) => c.post<Node>('/v1/upload/complete', { upload_id }),
      abort: (upload_id: string) => c.post<object>('/v1/upload/abort', { upload_id }),
      prove: (upload_id: string, proof: string) => c.post<Node>('/v1/upload/prove', { upload_id, proof }),
      /** A kept older version when version_id is given, the current content otherwise. */
      downloadURL: (id: string, version_id?: string) => c.post<SignedURL>('/v1/download/url', version_id ? { id, version_id } : { id }),
      zipURL: (ids: string[], name?: string) => c.post<SignedURL>('/v1/download/zip', { ids, name }),
      thumbnailURLs: (ids: string[], size: 256 | 1024 = 256) =>
        c.post<{ thumbnails?: Array<{ id: string; url: string; expires_at?: string; content_hash?: string }> }>('/v1/storage/thumbnails', { ids, size }),
    },
    share: {
      create: (b: CreateShareInput) => c.post<ShareInfo>('/v1/share/create', b),
      list: (q: { page_size?: number; page_token?: string } = {}) => c.get<ListSharesReply>('/v1/share/list', q),
      received: (q: { page_size?: number; page_token?: string } = {}) => c.get<ListSharesReply>('/v1/share/received', q),
      revoke: (token: string) => c.post<object>('/v1/share/revoke', { token }),
      open: (token: string, code: string) => c.post<OpenShareReply>('/v1/share/open', { token, code }, { auth: 'optional' }),
      browse: (shareToken: string, q: { parent_id?: string; page_size?: number; page_token?: string }) =>
        c.get<ListReply>('/v1/share/browse', q, { auth: 'optional', headers: shareHeaders(shareToken) }),
      download: (shareToken: string, node_id: string, node_ids?: string[]) =>
        c.post<{ url: string; expires_at?: string }>('/v1/share/download', node_ids?.length ? { node_ids } : { node_id }, { auth: 'optional', headers: shareHeaders(shareToken) }),
      /** Thumbnail URLs for files of the share (any id outside it refuses the call). */
      thumbnailURLs: (shareToken: string, ids: string[], size: 256 | 1024 = 256) =>
        c.post<{ thumbnails?: Array<{ id: string; url: string; expires_at?: string; content_hash?: string }> }>(
          '/v1/share/thumbnails',
          { ids, size },
          { auth: 'optional', headers: shareHeaders(shareToken) },
        ),
      save: (shareToken: string, node_ids: string[], parent_id: string) =>
        c.post<NodesReply>('/v1/share/save', { node_ids, parent_id }, { headers: shareHeaders(shareToken) }),
    },
    notify: {
      list: (q: { page_size?: number; page_token?: string; unread_only?: boolean } = {}) =>
        c.get<{ items?: Notification[]; next_page_token?: string }>('/v1/notify/list', q),
      unreadCount: () => c.get<{ count?: string }>('/v1/notify/unread_count'),
      markRead: (b: { ids?: string[]; all?: boolean }) => c.post<{ marked?: string }>('/v1/notify/read', b),
    },
    admin: {
      users: (q: { query?: string; page_size?: number; page_token?: string }) =>
        c.get<{ users?: UserInfo[]; next_page_token?: string }>('/v1/admin/user/list', q),
      disable: (user_id: string) => c.post<UserInfo>('/v1/admin/user/disable', { user_id }),
      enable: (user_id: string) => c.post<UserInfo>('/v1/admin/user/enable', { user_id }),
      getQuota: (user_id: string) => c.get<UsageReply>('/v1/admin/quota/get', { user_id }),
      setQuota: (user_id: string, limit_bytes: number) => c.post<UsageReply>('/v1/admin/quota/set', { user_id, limit_bytes }),
    },
  };
}

export type Api = ReturnType<typeof makeApi>;
