// The REST API of demine serve (/api/v1), with the session's bearer token. Errors are problem
// details (RFC 9457): an ApiError carries the status and the server's own words.

import { getLang } from './i18n';

export interface Me {
  username: string;
  role: string;
  organisation: string | null;
  assigned: string[];
  may: Record<'read' | 'write' | 'progress' | 'qa' | 'administer' | 'aggregates' | 'review', boolean>;
  synthetic: boolean;
}

export interface Session {
  token: string;
  expires_at: string;
  me: Me;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public problem: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The network did not answer (offline, server down). */
export class NetworkError extends Error {}

const KEY = 'demine.session';

export function session(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    if (s && new Date(s.expires_at).getTime() > Date.now()) return s;
  } catch {
    /* a damaged entry is no session */
  }
  return null;
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export function authHeader(): Record<string, string> {
  const s = session();
  return s ? { Authorization: 'Bearer ' + s.token } : {};
}

/** The screen's language, so that the server's problems read in it too. */
export function languageHeader(): Record<string, string> {
  return { 'Accept-Language': getLang() };
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries({ ...authHeader(), ...languageHeader() })) headers.set(k, v);
  if (init.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  headers.set('Accept', 'application/json');
  let r: Response;
  try {
    r = await fetch(path, { ...init, headers });
  } catch (e) {
    throw new NetworkError(String(e));
  }
  if (!r.ok) {
    let problem: Record<string, unknown> = {};
    try {
      problem = await r.json();
    } catch {
      /* not JSON */
    }
    const detail = typeof problem.detail === 'string' ? problem.detail : r.statusText;
    if (r.status === 401 && !path.endsWith('/auth/token')) onUnauthorized();
    throw new ApiError(r.status, detail, problem);
  }
  return r;
}

export async function getJson<T = any>(path: string): Promise<T> {
  return (await request(path)).json();
}

export async function postJson<T = any>(path: string, body: unknown, init: RequestInit = {}): Promise<T> {
  return (await request(path, { ...init, method: init.method ?? 'POST', body: JSON.stringify(body) })).json();
}

export async function login(username: string, password: string): Promise<Session> {
  const r = await fetch('/api/v1/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...languageHeader() },
    body: JSON.stringify({ username, password }),
  }).catch((e) => {
    throw new NetworkError(String(e));
  });
  if (!r.ok) {
    const p = await r.json().catch(() => ({}));
    throw new ApiError(r.status, p.detail ?? r.statusText, p);
  }
  const tok = (await r.json()) as { token: string; expires_at: string };
  const me = (await (
    await fetch('/api/v1/auth/me', { headers: { Authorization: 'Bearer ' + tok.token } })
  ).json()) as Me;
  const s = { token: tok.token, expires_at: tok.expires_at, me };
  saveSession(s);
  return s;
}

export async function logout(): Promise<void> {
  try {
    await request('/api/v1/auth/revoke', { method: 'POST', body: '{}' });
  } catch {
    /* offline: the token ends on its own */
  }
  saveSession(null);
}

/** Starts a job and waits for its result (plan, forecast, capacity…). */
export async function runJob<T = any>(kind: string, body: unknown, onProgress?: (f: number) => void): Promise<T> {
  const job = await postJson<{ id: string }>(`/api/v1/analyses/${kind}`, body);
  for (;;) {
    const v = await getJson<{ status: string; done: number; total: number; error?: { detail?: string } }>(
      `/api/v1/jobs/${job.id}`,
    );
    if (onProgress && v.total > 0) onProgress(v.done / v.total);
    if (v.status === 'done') break;
    if (v.status === 'failed') throw new ApiError(422, v.error?.detail ?? 'job failed', v.error ?? {});
    await new Promise((r) => setTimeout(r, 400));
  }
  return getJson<T>(`/api/v1/jobs/${job.id}/result`);
}
