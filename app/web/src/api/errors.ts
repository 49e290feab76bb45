// Errors of the API: every failed call becomes an ApiError carrying the
// server's {code, reason, message, metadata}, or a client-side reason
// (NETWORK, ABORTED, BAD_RESPONSE) when there was no usable answer.

export interface ErrorBody {
  code?: number;
  reason?: string;
  message?: string;
  metadata?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly metadata: Record<string, string>;

  constructor(status: number, reason: string, message: string, metadata: Record<string, string> = {}) {
    super(message || reason);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.metadata = metadata;
  }

  /** The request never got an answer (offline, DNS, connection reset). */
  get isNetwork(): boolean {
    return this.reason === 'NETWORK';
  }

  /** Worth retrying as is: the network, rate limits, server hiccups. */
  get retryable(): boolean {
    return this.isNetwork || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  /** Seconds the server asked us to wait (RATE_LIMITED), when it said. */
  get retryAfterSeconds(): number | undefined {
    const s = Number(this.metadata.retry_after_seconds);
    return Number.isFinite(s) && s > 0 ? s : undefined;
  }
}

/** Reasons that mean the access token is no good (refresh, then retry once). */
export const AUTH_REASONS = new Set(['UNAUTHENTICATED', 'TOKEN_REVOKED']);

/** Reasons that mean the refresh token is gone: the session is over. */
export const SESSION_OVER_REASONS = new Set(['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'USER_DISABLED', 'TOKEN_REVOKED']);

/** Turns a non-2xx answer's body into an ApiError; tolerates non-JSON bodies (a proxy's HTML page). */
export function errorFromBody(status: number, text: string): ApiError {
  let body: ErrorBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as ErrorBody;
  } catch {
    body = undefined;
  }
  if (body && typeof body.reason === 'string' && body.reason !== '') {
    const metadata: Record<string, string> = {};
    if (body.metadata && typeof body.metadata === 'object') {
      for (const [k, v] of Object.entries(body.metadata)) metadata[k] = String(v);
    }
    return new ApiError(typeof body.code === 'number' ? body.code : status, body.reason, body.message ?? '', metadata);
  }
  return new ApiError(status, fallbackReason(status), text.slice(0, 200).trim() || `HTTP ${status}`);
}

function fallbackReason(status: number): string {
  switch (status) {
    case 400:
      return 'MALFORMED_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'RATE_LIMITED';
    default:
      return status >= 500 ? 'INTERNAL' : 'BAD_RESPONSE';
  }
}

export function networkError(cause: unknown): ApiError {
  if (cause instanceof DOMException && cause.name === 'AbortError') {
    return new ApiError(0, 'ABORTED', 'aborted');
  }
  return new ApiError(0, 'NETWORK', cause instanceof Error ? cause.message : String(cause));
}

export function isAbort(e: unknown): boolean {
  return (e instanceof ApiError && e.reason === 'ABORTED') || (e instanceof DOMException && e.name === 'AbortError');
}
