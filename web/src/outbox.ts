// The field outbox: reports wait in IndexedDB, each under the client UUID it was created with,
// until the server has them. Sending is idempotent (the server answers a resend of the same
// UUID and body with the original answer), so sync may repeat at will: on start, on reconnect,
// on "Send now" and every 30 seconds while anything waits. The body is stored as the exact
// string sent, so a resend is byte for byte the first send.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { authHeader, languageHeader, session } from './api';

export type ItemState = 'pending' | 'failed' | 'conflict';

export interface OutboxItem {
  client_id: string;
  kind: 'progress' | 'finds';
  /** The JSON text sent (never rebuilt: resends are identical). */
  body: string;
  /** Who wrote it: a report is only sent with its author's session. */
  user: string;
  /** What it is, as a catalog key and its parameters (shown in the language of the moment). */
  summary: { key: string; params: Record<string, string | number> };
  created_at: string;
  state: ItemState;
  attempts: number;
  /** Why the last attempt did not land (the server's words, or the network). */
  error?: string;
  /** For a conflict: the copy the server holds under this UUID. */
  stored?: unknown;
}

export interface SentItem {
  client_id: string;
  kind: string;
  summary: OutboxItem['summary'];
  sent_at: string;
  answer: unknown;
  user: string;
}

interface Schema extends DBSchema {
  outbox: { key: string; value: OutboxItem; indexes: { created_at: string } };
  sent: { key: string; value: SentItem };
  cache: { key: string; value: { key: string; value: unknown; at: string } };
}

let dbp: Promise<IDBPDatabase<Schema>> | null = null;
export function db(): Promise<IDBPDatabase<Schema>> {
  dbp ??= openDB<Schema>('demine', 1, {
    upgrade(d) {
      const o = d.createObjectStore('outbox', { keyPath: 'client_id' });
      o.createIndex('created_at', 'created_at');
      d.createObjectStore('sent', { keyPath: 'client_id' });
      d.createObjectStore('cache', { keyPath: 'key' });
    },
  });
  return dbp;
}

const listeners: (() => void)[] = [];
export function onOutboxChange(f: () => void): void {
  listeners.push(f);
}
function changed(): void {
  listeners.forEach((f) => f());
}

export function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export async function enqueue(kind: OutboxItem['kind'], body: Record<string, unknown>, summary: OutboxItem['summary']): Promise<OutboxItem> {
  const client_id = uuid();
  const item: OutboxItem = {
    client_id,
    kind,
    body: JSON.stringify({ ...body, client_id }),
    user: session()?.me.username ?? '',
    summary,
    created_at: new Date().toISOString(),
    state: 'pending',
    attempts: 0,
  };
  await (await db()).put('outbox', item);
  changed();
  return item;
}

export async function items(): Promise<OutboxItem[]> {
  return (await db()).getAllFromIndex('outbox', 'created_at');
}

export async function sentItems(): Promise<SentItem[]> {
  const all = await (await db()).getAll('sent');
  return all.sort((a, b) => b.sent_at.localeCompare(a.sent_at));
}

export async function unsentCount(): Promise<number> {
  return (await db()).count('outbox');
}

export async function remove(client_id: string): Promise<void> {
  await (await db()).delete('outbox', client_id);
  changed();
}

export async function cachePut(key: string, value: unknown): Promise<void> {
  await (await db()).put('cache', { key, value, at: new Date().toISOString() });
}

export async function cacheGet<T>(key: string): Promise<{ value: T; at: string } | undefined> {
  const v = await (await db()).get('cache', key);
  return v ? { value: v.value as T, at: v.at } : undefined;
}

export interface SyncResult {
  sent: number;
  failed: number;
  conflicts: number;
  /** Why sync stopped early (network down, logged out), if it did. */
  stopped?: 'network' | 'login';
}

let running: Promise<SyncResult> | null = null;

/** Sends every waiting report once; one sync at a time. */
export function sync(): Promise<SyncResult> {
  running ??= doSync().finally(() => {
    running = null;
  });
  return running;
}

async function doSync(): Promise<SyncResult> {
  const res: SyncResult = { sent: 0, failed: 0, conflicts: 0 };
  const s = session();
  if (!s) return { ...res, stopped: 'login' };
  const d = await db();
  for (const item of await items()) {
    if (item.user && item.user !== s.me.username) continue;
    if (item.state === 'conflict') {
      res.conflicts += 1;
      continue;
    }
    let r: Response;
    try {
      r = await fetch(`/api/v1/submissions/${item.kind}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...authHeader(), ...languageHeader() },
        body: item.body,
        signal: AbortSignal.timeout(15000),
      });
    } catch (e) {
      await d.put('outbox', { ...item, attempts: item.attempts + 1, error: 'network' });
      changed();
      return { ...res, stopped: 'network' };
    }
    const answer = await r.json().catch(() => ({}));
    if (r.ok) {
      const tx = d.transaction(['outbox', 'sent'], 'readwrite');
      await tx.objectStore('sent').put({
        client_id: item.client_id,
        kind: item.kind,
        summary: item.summary,
        sent_at: new Date().toISOString(),
        answer,
        user: item.user,
      });
      await tx.objectStore('outbox').delete(item.client_id);
      await tx.done;
      res.sent += 1;
    } else if (r.status === 401) {
      await d.put('outbox', { ...item, attempts: item.attempts + 1, error: 'login' });
      changed();
      return { ...res, stopped: 'login' };
    } else if (r.status === 409) {
      await d.put('outbox', {
        ...item,
        state: 'conflict',
        attempts: item.attempts + 1,
        error: String(answer.detail ?? r.statusText),
        stored: answer.stored ?? null,
      });
      res.conflicts += 1;
    } else if (r.status >= 500 || r.status === 429) {
      // The server is there but not answering well: try again later, in order.
      await d.put('outbox', { ...item, attempts: item.attempts + 1, error: String(answer.detail ?? r.statusText) });
      changed();
      return { ...res, stopped: 'network' };
    } else {
      const problems = Array.isArray(answer.problems) ? ': ' + answer.problems.join('; ') : '';
      await d.put('outbox', {
        ...item,
        state: 'failed',
        attempts: item.attempts + 1,
        error: String(answer.detail ?? r.statusText) + problems,
      });
      res.failed += 1;
    }
    changed();
  }
  return res;
}

/** Puts a failed report back in line (after the cause was fixed on the server). */
export async function retry(client_id: string): Promise<void> {
  const d = await db();
  const item = await d.get('outbox', client_id);
  if (item) await d.put('outbox', { ...item, state: 'pending', error: undefined });
  changed();
}
