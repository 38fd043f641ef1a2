// The application shell: header (menus that follow the role, language, unsent reports), the
// hash router, the service worker, and sync triggers (start, reconnect, every 30 s, Send now).
import './style.css';
import { h, clear } from './dom';
import { t, getLang, setLang, onLangChange, type Lang, type Params } from './i18n';
import { session, logout, setUnauthorizedHandler, type Me } from './api';
import { sync, unsentCount, onOutboxChange } from './outbox';
import { loginScreen } from './screens/login';
import { dossierScreen } from './screens/dossier';
import { dashboardScreen } from './screens/dashboard';
import { planningScreen } from './screens/planning';
import { reviewScreen } from './screens/review';
import { fieldScreen } from './screens/field';

export interface Screen {
  /** Called when the screen is left (maps, timers). */
  dispose?: () => void;
}

interface Route {
  path: string;
  label: string;
  allowed: (me: Me) => boolean;
  render: (main: HTMLElement, arg: string | undefined) => Screen | void | Promise<Screen | void>;
}

/** The map (MapLibre: most of the app's code) is its own chunk, fetched while the log-in form
 * shows, so the form appears sooner and the map is ready when the log-in is done. */
const loadMap = () => import('./screens/map');

const routes: Route[] = [
  { path: 'map', label: 'nav.map', allowed: (m) => m.may.read, render: async (main) => (await loadMap()).mapScreen(main) },
  { path: 'dashboard', label: 'nav.dashboard', allowed: (m) => m.may.aggregates, render: dashboardScreen },
  { path: 'planning', label: 'nav.planning', allowed: (m) => m.may.read, render: planningScreen },
  { path: 'review', label: 'nav.review', allowed: (m) => m.may.review, render: reviewScreen },
  { path: 'field', label: 'nav.field', allowed: (m) => m.may.progress || m.may.qa, render: fieldScreen },
  { path: 'hazard', label: '', allowed: (m) => m.may.read, render: dossierScreen },
];

function home(me: Me): string {
  if (me.role === 'team_leader' || me.role === 'qa_inspector') return 'field';
  if (!me.may.read) return 'dashboard';
  return 'map';
}

const app = document.getElementById('app')!;
let current: Screen | void = undefined;
let unsent = 0;
let lastSync: [string, Params] | null = null;

function parseHash(): [string, string | undefined] {
  const raw = location.hash.replace(/^#\/?/, '').split('?')[0];
  const [p, ...rest] = raw.split('/');
  return [p || '', rest.length ? decodeURIComponent(rest.join('/')) : undefined];
}

export function go(path: string): void {
  if (location.hash === '#/' + path) render();
  else location.hash = '#/' + path;
}

function header(me: Me, active: string): HTMLElement {
  const langSel = h(
    'select',
    {
      id: 'lang',
      'aria-label': t('app.language'),
      onchange: (e: Event) => setLang((e.target as HTMLSelectElement).value as Lang),
    },
    h('option', { value: 'en', selected: getLang() === 'en' }, 'English'),
    h('option', { value: 'uk', selected: getLang() === 'uk', lang: 'uk' }, 'Українська'),
  );
  const badge = h(
    'a',
    {
      href: '#/field',
      id: 'unsent',
      class: unsent > 0 ? 'badge warn' : 'badge',
      'aria-live': 'polite',
      'data-count': unsent,
    },
    t('outbox.unsent', { count: unsent }),
  );
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/' + home(me) }, h('img', { src: '/icon.svg', alt: '', width: 28, height: 28 }), 'demine'),
    h(
      'nav',
      { 'aria-label': t('nav.label') },
      h(
        'ul',
        {},
        routes
          .filter((r) => r.label && r.allowed(me))
          .map((r) =>
            h(
              'li',
              {},
              h('a', { href: '#/' + r.path, 'aria-current': r.path === active ? 'page' : undefined }, t(r.label)),
            ),
          ),
      ),
    ),
    h(
      'div',
      { class: 'tools' },
      me.synthetic ? h('span', { class: 'synthetic', title: t('app.synthetic_hint') }, t('app.synthetic')) : null,
      badge,
      !navigator.onLine ? h('span', { class: 'badge warn', id: 'offline' }, t('app.offline')) : null,
      langSel,
      h('span', { class: 'who' }, t('app.signed_in_as', { name: me.username, role: t('role.' + me.role) })),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            await logout();
            go('login');
          },
        },
        t('app.logout'),
      ),
    ),
  );
}

async function render(): Promise<void> {
  current?.dispose?.();
  current = undefined;
  clear(app);
  const [path, arg] = parseHash();
  const s = session();
  if (!s || path === 'login') {
    document.title = t('login.title') + ' · demine';
    const main = h('main', { id: 'main', class: 'narrow' });
    app.append(main);
    loginScreen(main, (me) => go(home(me)));
    // Once the form has been drawn (evaluating MapLibre holds the page for a moment), fetch the
    // map and start its workers while the user types.
    requestAnimationFrame(() => setTimeout(() => void loadMap().then((m) => m.warmUp()), 0));
    return;
  }
  const route = routes.find((r) => r.path === path && r.allowed(s.me));
  if (!route) {
    go(home(s.me));
    return;
  }
  const main = h('main', { id: 'main', tabindex: -1 });
  app.append(
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, t('app.skip')),
    header(s.me, path === 'hazard' ? 'map' : path),
    h('div', { id: 'status', role: 'status', 'aria-live': 'polite', class: 'status' }, lastSync ? t(...lastSync) : ''),
    main,
  );
  document.title = t(route.label || 'dossier.title') + ' · demine';
  try {
    current = await route.render(main, arg);
  } catch (e) {
    main.append(h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: String((e as Error).message ?? e) })));
  }
}

async function refreshBadge(): Promise<void> {
  unsent = await unsentCount();
  const b = document.getElementById('unsent');
  if (b) {
    b.textContent = t('outbox.unsent', { count: unsent });
    b.className = unsent > 0 ? 'badge warn' : 'badge';
    b.dataset.count = String(unsent);
  }
}

function setStatus(key: string, params: Params = {}): void {
  lastSync = [key, params];
  const el = document.getElementById('status');
  if (el) el.textContent = t(key, params);
}

let syncing: Promise<void> | null = null;

/** Sends what waits, and says how it went (within seconds: each request times out at 15 s).
 * One sync at a time: a call while one runs waits for it, so two never send the same report
 * at once or overwrite each other's status line. */
export function syncNow(): Promise<void> {
  if (!syncing) syncing = syncOnce().finally(() => (syncing = null));
  return syncing;
}

async function syncOnce(): Promise<void> {
  if (!session()) return;
  if ((await unsentCount()) === 0) return;
  setStatus('outbox.sending');
  const r = await sync();
  await refreshBadge();
  if (r.stopped === 'network') setStatus('outbox.stopped_network', { count: unsent });
  else if (r.stopped === 'login') setStatus('outbox.stopped_login');
  else if (r.failed || r.conflicts) setStatus('outbox.some_failed', { count: r.failed + r.conflicts });
  else setStatus('outbox.all_sent', { count: r.sent });
}

setUnauthorizedHandler(() => {
  // A token that expired or was revoked: log in again; the outbox stays.
  localStorage.removeItem('demine.session');
  go('login');
});
window.addEventListener('hashchange', () => void render());
onLangChange(() => void render());
onOutboxChange(() => void refreshBadge());
window.addEventListener('online', () => {
  void render();
  void syncNow();
});
window.addEventListener('offline', () => void render());
setInterval(() => void syncNow(), 30000);

if ('serviceWorker' in navigator && (location.protocol === 'https:' || location.hostname === '127.0.0.1' || location.hostname === 'localhost')) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker', e));
}

void refreshBadge().then(render).then(syncNow);
