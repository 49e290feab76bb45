// The API's JSON, as the server sends it: proto field names, int64 as
// strings (use int() to read them), absent fields for zero values.

export type Int64 = string | number;

export interface UserInfo {
  id: string;
  username: string;
  nickname?: string;
  email?: string;
  phone?: string;
  role?: string;
  disabled?: boolean;
  created_at?: string;
  email_verified?: boolean;
  has_password?: boolean;
  email_notifications?: boolean;
}

export interface TokenReply {
  access_token: string;
  refresh_token: string;
  expires_in?: Int64;
  token_type?: string;
  user?: UserInfo;
}

export interface Node {
  id: string;
  parent_id?: string;
  name: string;
  kind: 'folder' | 'file';
  size?: Int64;
  content_hash?: string;
  mime?: string;
  created_at?: string;
  updated_at?: string;
  trashed_at?: string;
  version?: Int64;
}

export interface ListReply {
  items?: Node[];
  next_page_token?: string;
}

export interface NodesReply {
  items?: Node[];
}

export interface UsageReply {
  used_bytes?: Int64;
  limit_bytes?: Int64;
}

export interface Challenge {
  nonce?: string;
  /** Several ranges spread over the file (the whole file when small). */
  ranges?: Array<{ offset?: Int64; length?: Int64 }>;
}

export interface UploadSession {
  upload_id: string;
  chunk_size?: Int64;
  chunk_count?: Int64;
  uploaded_chunks?: Int64[];
  challenge?: Challenge;
  expires_at?: string;
  name?: string;
  size?: Int64;
  content_hash?: string;
}

export interface SignedURL {
  url: string;
  expires_at?: string;
}

export interface ShareInfo {
  token: string;
  url?: string;
  code?: string;
  expires_at?: string;
  max_downloads?: Int64;
  node_id?: string;
  name?: string;
  kind?: 'folder' | 'file';
  size?: Int64;
  recipient?: string;
  views?: Int64;
  downloads?: Int64;
  saves?: Int64;
  revoked?: boolean;
  created_at?: string;
  owner_nickname?: string;
  state?: string;
}

export interface ListSharesReply {
  items?: ShareInfo[];
  next_page_token?: string;
}

export interface OpenShareReply {
  access_token: string;
  expires_in?: Int64;
  share?: ShareInfo;
}

export interface Notification {
  id: string;
  kind?: string;
  title?: string;
  body?: string;
  data?: Record<string, string>;
  read?: boolean;
  created_at?: string;
}

export interface Session {
  id: string;
  user_agent?: string;
  ip?: string;
  created_at?: string;
  last_used_at?: string;
  current?: boolean;
}

export interface AppPassword {
  id: string;
  name?: string;
  created_at?: string;
  last_used_at?: string;
}

/** An older content of a file, kept when it was replaced (GET /v1/file/versions). */
export interface FileVersion {
  id: string;
  node_id?: string;
  size?: Int64;
  content_hash?: string;
  mime?: string;
  /** When this content was written, and when it was replaced (RFC 3339). */
  created_at?: string;
  replaced_at?: string;
  node_version?: Int64;
}

export interface VersionsReply {
  /** The file as it is now. */
  node?: Node;
  /** The kept older contents, the most recently replaced first. */
  versions?: FileVersion[];
}

export type ChangeType = 'created' | 'renamed' | 'moved' | 'trashed' | 'restored' | 'purged' | 'version' | 'version_restored';

/** One change to the caller's tree (GET /v1/changes). */
export interface Change {
  seq: Int64;
  type: ChangeType | string;
  node_id: string;
  parent_id?: string;
  kind?: 'folder' | 'file';
  name?: string;
  /** Slash-separated from the root after the change; for trashed and purged, where it was. */
  path?: string;
  old_path?: string;
  content_hash?: string;
  size?: Int64;
  at?: string;
  node_version?: Int64;
}

export interface ChangesReply {
  changes?: Change[];
  cursor: string;
  has_more?: boolean;
}

/** Reads an int64 field (a string on the wire, absent when zero). */
export function int(v: Int64 | null | undefined): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
