// End-to-end tests of the web application in a real browser (Debian's chromium driven by
// playwright-core; axe-core for accessibility). Starts `demine serve` on a small SYNTHETIC demo
// registry with one account per role, and checks: menus per role, the map draws the demo
// hazards (pixels of a screenshot at a known hazard), the dossier, Ukrainian with no
// untranslated string, the offline outbox (server stopped, browser closed and reopened, server
// killed mid-upload, forced re-sends: exactly N reports on the server and the released area
// grown by their area), stale edits become visible conflicts, dashboard totals equal
// `demine release`, planning dates equal `demine forecast`, axe-core finds nothing serious, and
// no request leaves 127.0.0.1. Screenshots of every screen in both languages go to OUT.
//
// Usage: node tests/web/run.mjs  (env: DEMINE_BIN = demine built with --features web,
// DEMINE_WEB_OUT = screenshot folder, CHROMIUM = browser path)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { decodePng } from './png.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const en = JSON.parse(readFileSync(join(root, 'web/src/i18n/en.json'), 'utf8'));
const uk = JSON.parse(readFileSync(join(root, 'web/src/i18n/uk.json'), 'utf8'));

const BIN = process.env.DEMINE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'demine');
const OUT = process.env.DEMINE_WEB_OUT ?? join(tmpdir(), 'demine-web-screens');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'SYNTHETIC web test password';
const N_REPORTS = Number(process.env.DEMINE_WEB_REPORTS ?? 20);
mkdirSync(OUT, { recursive: true });
if (!existsSync(BIN)) {
  console.log(`no demine binary at ${BIN}: build it with \`cargo build -p demine --features web\` and set DEMINE_BIN (tests/web/run.sh does both)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// ---------------------------------------------------------------- harness
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    // A server that died on its own explains every failure after it: say how, once.
    if (serverExit) {
      console.log(`  the server exited by itself (code ${serverExit.code}, signal ${serverExit.signal}); its log ends:\n${serverLog.slice(-4000)}`);
      serverExit = null;
    }
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function near(a, b, rel, what) {
  assert(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1), `${what}: ${a} vs ${b}`);
}

function cli(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`demine ${args.join(' ')}: exit ${r.status ?? r.error}\n${r.stderr}`);
  return r.stdout;
}

async function freePort() {
  return new Promise((res) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

// ---------------------------------------------------------------- registry and server
const dir = mkdtempSync(join(tmpdir(), 'demine-web-'));
const db = join(dir, 'demine.gpkg');
console.log(`registry ${dir}; screenshots ${OUT}`);
const demo = JSON.parse(cli(['demo', '--out', dir, '--scale', 'small', '--seed', '7', '--json']));
const adminLogin = demo.login;
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let server = null;
let serverLog = '';
// Set when the server exits without stopServer asking it to.
let serverExit = null;

async function startServer() {
  const p = spawn(BIN, ['--db', db, 'serve', '--addr', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  server = p;
  p.stderr.on('data', (d) => (serverLog += d));
  p.once('exit', (code, signal) => {
    if (server === p) serverExit = { code, signal };
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(base + '/healthz')).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error('server did not start:\n' + serverLog);
}
async function stopServer(signal = 'SIGTERM') {
  if (!server) return;
  const p = server;
  server = null;
  const done = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await done;
}

async function api(token, path, init = {}) {
  const r = await fetch(base + path, { ...init, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: r.status, body, headers: r.headers };
}
async function token(user, password = PASSWORD) {
  const r = await fetch(base + '/api/v1/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
  assert(r.ok, `login ${user}: ${r.status}`);
  return (await r.json()).token;
}

await startServer();
const adminToken = await token(adminLogin.username, adminLogin.password);
const orgs = (await api(adminToken, '/api/v1/records/organisations?limit=100')).body.features.map((f) => f.properties.id);
const org = orgs[0];
assert(org, 'the demo has organisations');
const hz = (await api(adminToken, '/ogc/collections/hazards?f=json')).body;
const [bx0, by0, bx1, by1] = hz.extent.spatial.bbox[0];
await stopServer();

// Accounts (one per role) and a SYNTHETIC task of the team leader's organisation, away from
// the demo's hazards so that its release adds to the national totals by exactly its area.
const USERS = { analyst: 'analyst', planner: 'planner', team_leader: 'leader', qa_inspector: 'inspector', viewer: 'viewer' };
for (const [role, name] of Object.entries(USERS)) {
  const args = ['--db', db, 'user', 'add', name, '--role', role.replace('_', '-')];
  if (role === 'planner' || role === 'team_leader') args.push('--org', org);
  if (role === 'qa_inspector') args.push('--assigned', org);
  cli(args, PASSWORD + '\n');
}
const tx0 = bx1 + 0.05, ty0 = (by0 + by1) / 2, tx1 = tx0 + 0.01, ty1 = ty0 + 0.002;
const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
writeFileSync(join(dir, 'task.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'HZ-WEB-1', class: 'CHA', organisation: org, name: 'SYNTHETIC web test task' }, geometry: rect(tx0, ty0, tx1, ty1) }] }));
cli(['--db', db, 'import', 'hazards', join(dir, 'task.geojson')]);
await startServer();

// ---------------------------------------------------------------- browser
const launchArgs = ['--use-angle=swiftshader', '--use-gl=angle', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox', '--disable-dev-shm-usage'];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: launchArgs, headless: true });
const requests = [];
function watch(page) {
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.log('  page error:', e.message));
}
async function newPage(ctxOpts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', ...ctxOpts });
  const page = await ctx.newPage();
  watch(page);
  return { ctx, page };
}
async function login(page, user, password = PASSWORD, lang = 'en') {
  await page.goto(base + '/#/login');
  await page.evaluate((l) => localStorage.setItem('demine.lang', l), lang);
  await page.reload();
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await page.click('form button[type=submit]');
  await page.waitForSelector('header.top nav');
}
async function shot(page, name) {
  await page.screenshot({ path: join(OUT, name + '.png'), fullPage: true });
}
async function axe(page, label) {
  await page.evaluate(axeSource);
  const v = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id} (${x.impact}): ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert(v.length === 0, `axe on ${label}: ${v.join('; ')}`);
}
async function mapIdle(page) {
  await page.waitForFunction(() => window.demineMap && window.demineMap.loaded() && window.demineMap.areTilesLoaded() && !window.demineMap.isMoving(), null, { timeout: 60000 });
  await sleep(300);
}

const pip = (pt, ring) => {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if (yi > pt[1] !== yj > pt[1] && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};

// English catalog strings that differ in Ukrainian: none may show on a Ukrainian screen.
const english = new Set(Object.entries(en).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : Object.values(v).map((x) => [k, x]))).filter(([k, v]) => {
  const u = uk[k];
  return !(typeof u === 'string' ? u === v : u && Object.values(u).includes(v));
}).map(([, v]) => v.replace(/\{\w+\}/g, '').trim()).filter((v) => v.length >= 3));
async function untranslated(page) {
  return page.evaluate((eng) => {
      const set = new Set(eng);
      const out = [];
      const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const s = n.textContent.trim();
        if (!s || n.parentElement.closest('[lang=en], script, style, .maplibregl-ctrl-attrib')) continue;
        if (set.has(s) || /\{\w+\}/.test(s) || /^[a-z_]+\.[a-z_.]+$/.test(s)) out.push(s);
      }
      for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
        for (const a of ['placeholder', 'aria-label', 'title']) {
          const v = el.getAttribute(a);
          if (v && set.has(v.trim())) out.push(`${a}="${v}"`);
        }
      }
      return out;
  }, [...english]);
}

// ---------------------------------------------------------------- tests
await test('catalogs: same keys in English and Ukrainian, Ukrainian plurals have one/few/many', async () => {
  const a = Object.keys(en).sort(), b = Object.keys(uk).sort();
  assert(JSON.stringify(a) === JSON.stringify(b), `keys differ: ${a.filter((k) => !(k in uk)).concat(b.filter((k) => !(k in en))).join(', ')}`);
  for (const [k, v] of Object.entries(uk)) if (typeof v !== 'string') for (const f of ['one', 'few', 'many']) assert(v[f], `uk ${k} lacks ${f}`);
  const rules = new Intl.PluralRules('uk');
  const sel = (n) => rules.select(n);
  assert(sel(1) === 'one' && sel(3) === 'few' && sel(5) === 'many' && sel(21) === 'one', 'Intl.PluralRules(uk)');
});

await test('the app is served from the binary: SPA fallback, content types, cache headers, CSP', async () => {
  const index = await fetch(base + '/');
  assert(index.ok && index.headers.get('content-type').startsWith('text/html'), 'index.html');
  assert(index.headers.get('cache-control') === 'no-cache', 'index is revalidated');
  assert((index.headers.get('content-security-policy') ?? '').includes("default-src 'self'"), 'CSP');
  const html = await index.text();
  const js = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
  const a = await fetch(base + js);
  assert(a.headers.get('content-type').startsWith('text/javascript') && a.headers.get('cache-control').includes('immutable'), 'hashed asset');
  const again = await fetch(base + js, { headers: { 'If-None-Match': a.headers.get('etag') } });
  assert(again.status === 304, 'ETag revalidation');
  assert((await fetch(base + '/some/client/route')).headers.get('content-type').startsWith('text/html'), 'SPA fallback');
  const apiMiss = await fetch(base + '/api/v1/no-such-route');
  assert(apiMiss.status === 404 && apiMiss.headers.get('content-type').includes('problem+json'), 'API 404 stays a problem');
  assert((await fetch(base + '/missing.js')).status === 404, 'missing file is 404');
  assert((await fetch(base + '/sw.js')).headers.get('content-type').startsWith('text/javascript'), 'service worker');
});

const MENUS = {
  [adminLogin.username]: ['map', 'dashboard', 'planning', 'review', 'field'],
  analyst: ['map', 'dashboard', 'planning', 'review', 'field'],
  planner: ['map', 'dashboard', 'planning', 'field'],
  leader: ['map', 'dashboard', 'planning', 'field'],
  inspector: ['map', 'dashboard', 'planning', 'field'],
  viewer: ['dashboard'],
};
await test('log in as each role: the menus follow the role', async () => {
  for (const [user, expected] of Object.entries(MENUS)) {
    const { ctx, page } = await newPage();
    await login(page, user, user === adminLogin.username ? adminLogin.password : PASSWORD);
    const items = await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href').replace('#/', '')));
    assert(JSON.stringify(items) === JSON.stringify(expected), `${user}: menus ${items} (expected ${expected})`);
    await ctx.close();
  }
  const { ctx, page } = await newPage();
  await page.goto(base + '/#/login');
  await page.fill('input[name=username]', 'viewer');
  await page.fill('input[name=password]', 'wrong');
  await page.click('form button[type=submit]');
  await page.waitForSelector('#login-error:not(:empty)');
  await ctx.close();
});

// The admin's page, reused by the screen tests.
const { ctx: adminCtx, page } = await newPage();
await login(page, adminLogin.username, adminLogin.password);
const rel0 = (await api(adminToken, '/api/v1/release')).body;
const known = rel0.per_hazard.filter((x) => x.status === 'active').sort((a, b) => b.area_m2 - a.area_m2);

await test('the operations map draws the demo hazards where they are (pixel check)', async () => {
  let target = null;
  for (const c of known.slice(0, 20)) {
    const g = (await api(adminToken, `/api/v1/records/hazards/${encodeURIComponent(c.id)}`)).body.record.geometry;
    const ring = g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0];
    const n = ring.length - 1;
    const cx = ring.slice(0, n).reduce((s, p) => s + p[0], 0) / n, cy = ring.slice(0, n).reduce((s, p) => s + p[1], 0) / n;
    if (pip([cx, cy], ring)) { target = { id: c.id, ring, pt: [cx, cy], cls: c.class }; break; }
  }
  assert(target, 'an active demo hazard with its centre inside');
  await page.goto(base + '/#/map');
  await mapIdle(page);
  await shot(page, 'map-en');
  const xs = target.ring.map((p) => p[0]), ys = target.ring.map((p) => p[1]);
  await page.evaluate((b) => window.demineMap.fitBounds(b, { padding: 200, animate: false }), [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]]);
  await mapIdle(page);
  const px = await page.evaluate((pt) => {
    const p = window.demineMap.project(pt);
    const r = window.demineMap.getCanvas().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y, r.left + 5, r.top + r.height - 40];
  }, target.pt);
  const img = decodePng(await page.screenshot());
  const [r, g, b] = img.pixel(px[0], px[1]);
  // The fill of a CHA (#c4122f) or SHA (#e08a00) at 70 % over the background (#f3f1ea).
  // Overlapping hazards blend: accept the class colour, or any strongly red-orange fill (the
  // background, context layers and released land are grey, beige or green).
  const want = target.cls === 'CHA' ? [210, 85, 103] : [230, 169, 70];
  const d = Math.hypot(r - want[0], g - want[1], b - want[2]);
  assert(d < 45 || r - Math.max(g, b) > 40, `pixel at hazard ${target.id} is rgb(${r},${g},${b}), expected about rgb(${want})`);
  const bg = img.pixel(px[2], px[3]);
  console.log(`  hazard ${target.id} (${target.cls}) drawn as rgb(${r},${g},${b}); map corner rgb(${bg})`);
  // …and the hazard is clickable: its details name it.
  await page.mouse.click(px[0], px[1]);
  await page.waitForSelector('#details a.button');
  const text = await page.textContent('#details');
  assert(text.includes(target.id), `details show ${target.id}: ${text}`);
  await shot(page, 'map-details-en');
});

let dossierId = known[0]?.id;
await test('hazard dossier: release chain with areas, finds, change log', async () => {
  const withActs = rel0.per_hazard.filter((x) => x.status === 'partially_released').sort((a, b) => b.cleared_m2 - a.cleared_m2)[0];
  dossierId = withActs?.id ?? dossierId;
  const shown = (await api(adminToken, `/api/v1/records/hazards/${encodeURIComponent(dossierId)}`)).body;
  await page.goto(base + '/#/hazard/' + encodeURIComponent(dossierId));
  await page.waitForSelector('h1');
  const h1 = await page.textContent('h1');
  assert(h1.includes(dossierId), `heading: ${h1}`);
  const rows = await page.$$eval('section.card table tbody tr[tabindex]', (r) => r.length);
  assert(rows === shown.hazard.activities.length, `chain rows ${rows} vs ${shown.hazard.activities.length} activities`);
  const remaining = await page.textContent('#d-remaining');
  const expected = await page.evaluate((m2) => {
    // The same formatting as the app (en-GB).
    const u = m2 < 10000 ? 'm²' : m2 < 1e6 ? 'ha' : 'km²';
    const v = u === 'm²' ? m2 : u === 'ha' ? m2 / 1e4 : m2 / 1e6;
    const dg = u === 'm²' ? 0 : v < 10 ? 2 : 1;
    return `${new Intl.NumberFormat('en-GB', { maximumFractionDigits: dg }).format(v)} ${u}`;
  }, shown.hazard.remaining_m2);
  assert(remaining === expected, `remaining ${remaining} vs ${expected}`);
  await shot(page, 'dossier-en');
});

await test('dashboard totals equal `demine release`', async () => {
  const cliRel = JSON.parse(cli(['--db', db, 'release', '--json']));
  await page.goto(base + '/#/dashboard');
  await page.waitForSelector('#totals .value');
  const vals = Object.fromEntries(await page.$$eval('#totals .value', (els) => els.map((e) => [e.dataset.key, Number(e.dataset.value)])));
  for (const k of ['hazards', 'hazard_area_m2', 'cancelled_m2', 'reduced_m2', 'cleared_m2', 'released_m2', 'remaining_m2']) {
    assert(vals[k] === cliRel[k], `${k}: dashboard ${vals[k]} vs CLI ${cliRel[k]}`);
  }
  await page.waitForSelector('#release-chart canvas, #release-chart p');
  await shot(page, 'dashboard-en');
});

await test('planning: forecast dates equal `demine forecast` for the same start, runs and seed', async () => {
  const start = '2026-01-05';
  const cliF = JSON.parse(cli(['--db', db, 'forecast', '--json', '--start', start, '--runs', '100', '--seed', '3']));
  await page.goto(base + '/#/planning');
  await page.fill('#plan-start', start);
  await page.fill('#plan-runs', '100');
  await page.fill('#plan-seed', '3');
  await page.click('#run-forecast');
  await page.waitForSelector('#forecast-dates', { timeout: 180000 });
  const dates = await page.$$eval('#forecast-dates dd', (d) => d.map((x) => x.dataset.date));
  assert(dates[0] === cliF.p10 && dates[1] === cliF.p50 && dates[2] === cliF.p90, `web ${dates} vs CLI ${cliF.p10},${cliF.p50},${cliF.p90}`);
  await page.click('#run-plan');
  await page.waitForSelector('#gantt svg rect', { timeout: 180000 });
  assert((await page.$$eval('#gantt svg rect', (r) => r.length)) > 0, 'the Gantt chart has bars');
  await shot(page, 'planning-en');
});

await test('planning: the strategies compared equal `demine strategy` for the same start, runs and seed', async () => {
  const start = '2026-01-05';
  const cliS = JSON.parse(cli(['--db', db, 'strategy', '--json', '--start', start, '--runs', '50', '--seed', '3']));
  await page.goto(base + '/#/planning');
  await page.fill('#plan-start', start);
  await page.fill('#plan-runs', '50');
  await page.fill('#plan-seed', '3');
  await page.click('#run-strategies');
  await page.waitForSelector('#strategies tr[data-name]', { timeout: 180000 });
  const rows = await page.$$eval('#strategies tr[data-name]', (trs) =>
    trs.map((tr) => ({
      name: tr.dataset.name,
      dates: [...tr.querySelectorAll('td[data-date]')].map((d) => d.dataset.date),
      items: Number(tr.querySelector('td[data-items]').dataset.items),
    })),
  );
  assert(rows.length === 3, `three strategies: ${JSON.stringify(rows)}`);
  for (const s of cliS.strategies) {
    const r = rows.find((x) => x.name === s.name);
    const cliDates = [s.completion_p10, s.completion_p50, s.completion_p90].join();
    assert(r && r.dates.join() === cliDates, `${s.name}: web ${r?.dates} vs CLI ${cliDates}`);
    assert(Math.abs(r.items - s.expected_residual_items) < 1e-9, `${s.name}: web ${r.items} vs CLI ${s.expected_residual_items} items`);
  }
  await page.waitForSelector('#frontier');
  await shot(page, 'strategies-en');
});

await test('planning: the TS coverage and evidence-led thresholds set on the screen are what the strategies assume', async () => {
  const start = '2026-01-05';
  const cliS = JSON.parse(cli(['--db', db, 'strategy', '--json', '--start', start, '--runs', '30', '--seed', '3',
    '--ts-coverage', '0.1', '--cancel-below', '0', '--clear-above', '0']));
  await page.goto(base + '/#/planning');
  await page.fill('#plan-start', start);
  await page.fill('#plan-runs', '30');
  await page.fill('#plan-seed', '3');
  await page.fill('#strategy-ts-coverage', '10');
  await page.fill('#strategy-cancel-below', '0');
  await page.fill('#strategy-clear-above', '0');
  await page.click('#run-strategies');
  await page.waitForSelector('#strategies-assumed', { timeout: 180000 });
  const assumed = await page.$eval('#strategies-assumed', (p) => ({ ts: Number(p.dataset.tsCoverage), text: p.textContent }));
  assert(assumed.ts === 0.1 && assumed.text.includes('10'), `assumed: ${JSON.stringify(assumed)}`);
  const led = await page.$eval('#strategies tr[data-name="evidence-led"]', (tr) => ({
    dates: [...tr.querySelectorAll('td[data-date]')].map((d) => d.dataset.date).join(),
    items: Number(tr.querySelector('td[data-items]').dataset.items),
    cleared: Number(tr.querySelector('td[data-m2]').dataset.m2),
  }));
  const c = cliS.strategies.find((x) => x.name === 'evidence-led');
  assert(led.dates === [c.completion_p10, c.completion_p50, c.completion_p90].join(), `web ${led.dates} vs CLI`);
  assert(Math.abs(led.items - c.expected_residual_items) < 1e-9, `web ${led.items} vs CLI ${c.expected_residual_items} items`);
  // 0 and 0: everything still to release is cleared, as clear-all does.
  const all = cliS.strategies.find((x) => x.name === 'clear-all');
  assert(Math.abs(led.cleared - all.released_by_outcome_m2.cleared) <= 1e-6 * all.released_by_outcome_m2.cleared, `cleared ${led.cleared} vs ${all.released_by_outcome_m2.cleared}`);
});

await test('planning: a deadline no mix meets shows the earliest date and the teams `demine capacity` gives', async () => {
  const [start, deadline] = ['2026-01-05', '2026-02-01'];
  const cliC = JSON.parse(cli(['--db', db, 'capacity', '--json', '--start', start, '--runs', '30', '--seed', '3', '--confidence', '0.8', '--deadline', deadline]));
  assert(cliC.achievable === false && cliC.earliest_date_at_confidence > deadline, `CLI: ${JSON.stringify(cliC)}`);
  await page.goto(base + '/#/planning');
  await page.fill('#plan-start', start);
  await page.fill('#plan-runs', '30');
  await page.fill('#plan-seed', '3');
  await page.fill('#cap-deadline', deadline);
  await page.$eval('#cap-deadline', (el) => el.form.requestSubmit());
  await page.waitForSelector('#capacity-answer', { timeout: 120000 });
  const shown = await page.$eval('#capacity-out', (d) => ({
    earliest: d.querySelector('#capacity-answer').dataset.earliest,
    kinds: d.querySelectorAll('#capacity-extra li').length,
    notes: d.querySelectorAll('#capacity-notes li').length,
    text: d.textContent,
  }));
  const kinds = Object.values(cliC.extra_teams).filter((n) => n > 0).length;
  assert(shown.earliest === cliC.earliest_date_at_confidence, `web ${shown.earliest} vs CLI ${cliC.earliest_date_at_confidence}`);
  assert(shown.kinds === kinds && !/No extra teams needed/.test(shown.text), `teams: ${JSON.stringify(shown)} vs ${kinds} kinds`);
  // What the answer rests on (overlapping hazards, settings far from practice) is shown as the CLI gives it.
  assert(shown.notes === cliC.notes.length, `notes: web ${shown.notes} vs CLI ${JSON.stringify(cliC.notes)}`);
});

await test("a setting far from practice is taken, with the notes `demine strategy` gives, in the screen's language", async () => {
  const start = '2026-01-05';
  const cliS = JSON.parse(cli(['--db', db, 'strategy', '--json', '--start', start, '--runs', '30', '--seed', '3', '--ts-coverage', '0.01']));
  assert(cliS.notes.some((n) => n.startsWith('--ts-coverage 0.01 is far below')), `CLI notes: ${JSON.stringify(cliS.notes)}`);
  await page.evaluate(() => localStorage.setItem('demine.lang', 'uk'));
  await page.goto(base + '/#/planning');
  await page.reload();
  await page.waitForSelector('#strategy-ts-coverage');
  await page.fill('#plan-start', start);
  await page.fill('#plan-runs', '30');
  await page.fill('#plan-seed', '3');
  await page.fill('#strategy-ts-coverage', '1');
  await page.click('#run-strategies');
  await page.waitForSelector('#strategies-assumed', { timeout: 180000 });
  const notes = await page.$$eval('#strategies-notes li', (li) => li.map((x) => x.textContent));
  await page.evaluate(() => localStorage.setItem('demine.lang', 'en'));
  assert(notes.length === cliS.notes.length, `web notes ${JSON.stringify(notes)} vs CLI ${JSON.stringify(cliS.notes)}`);
  const caution = notes.find((n) => n.startsWith('--ts-coverage 0.01'));
  assert(caution && /набагато нижче/.test(caution) && !/far below/.test(caution), `caution: ${caution}`);
});

await test("the server's refusals read in the screen's language", async () => {
  await page.evaluate(() => localStorage.setItem('demine.lang', 'uk'));
  await page.goto(base + '/#/planning');
  await page.reload();
  await page.waitForSelector('#cap-deadline');
  await page.fill('#cap-deadline', '2001-01-01');
  await page.$eval('#cap-deadline', (el) => el.form.requestSubmit());
  await page.waitForSelector('#capacity-out .error', { timeout: 60000 });
  const shown = await page.textContent('#capacity-out .error');
  await page.evaluate(() => localStorage.setItem('demine.lang', 'en'));
  // The deadline and the server's words, in Ukrainian: the app sends Accept-Language.
  assert(shown.includes('2001-01-01') && /не пізніше/.test(shown) && !/is not after|give a future date/.test(shown), `refusal: ${shown}`);
});

await test('review workbench lists submissions with a diff; a rejection needs a reason', async () => {
  // The planner submits a correction of a hazard of their organisation.
  const plannerToken = await token('planner');
  const mine = (await api(plannerToken, '/api/v1/records/hazards?limit=5')).body.features.map((f) => f.properties.id).find((i) => i !== 'HZ-WEB-1');
  const r = await api(plannerToken, `/api/v1/records/hazards/${encodeURIComponent(mine)}`, { method: 'PATCH', body: JSON.stringify({ set: { name: 'SYNTHETIC renamed by planner' }, reason: 'web test' }) });
  assert(r.status === 200, `planner amend: ${r.status} ${JSON.stringify(r.body)}`);
  await page.goto(base + '/#/review');
  await page.waitForSelector(`#queue article[data-id="${mine}"]`);
  const item = page.locator(`#queue article[data-id="${mine}"]`);
  assert((await item.locator('tr.changed').count()) >= 1, 'the changed field is marked');
  await shot(page, 'review-en');
  await item.locator('button.danger').click();
  await item.locator('[role=alert]:not(:empty)').waitFor();
  await item.locator('input').fill('SYNTHETIC: not confirmed by survey');
  await item.locator('button.danger').click();
  await page.waitForSelector(`#queue article[data-id="${mine}"]`, { state: 'detached' });
  const shown = (await api(adminToken, `/api/v1/records/hazards/${encodeURIComponent(mine)}`)).body;
  assert(shown.review === 'rejected', `review state ${shown.review}`);
});

await test('no silent overwrites: the second of two edits from the same version is a visible conflict', async () => {
  const { ctx: c2, page: p2 } = await newPage();
  await login(p2, 'analyst');
  const id = known[1]?.id ?? known[0].id;
  await page.goto(base + '/#/hazard/' + encodeURIComponent(id));
  await p2.goto(base + '/#/hazard/' + encodeURIComponent(id));
  await page.waitForSelector('#edit-form');
  await p2.waitForSelector('#edit-form');
  await page.fill('#e-name', 'SYNTHETIC name by admin');
  await page.fill('#e-reason', 'first edit');
  await page.click('#edit-submit');
  await page.waitForSelector('#edit-msg .ok');
  await p2.fill('#e-name', 'SYNTHETIC name by analyst');
  await p2.fill('#e-reason', 'second edit');
  await p2.click('#edit-submit');
  await p2.waitForSelector('#conflict-msg');
  assert((await p2.locator('#edit-msg table tr.changed').count()) >= 1, 'both versions shown');
  await shot(p2, 'conflict-en');
  const stored = (await api(adminToken, `/api/v1/records/hazards/${encodeURIComponent(id)}`)).body.record.properties.name;
  assert(stored === 'SYNTHETIC name by admin', `stored name ${stored}`);
  await p2.goto(base + '/#/review');
  await p2.waitForSelector(`#conflicts article[data-id="${id}"]`);
  await c2.close();
});

await test('Ukrainian: no untranslated string on any screen', async () => {
  await page.selectOption('#lang', 'uk');
  for (const [route, name] of [['map', 'map'], ['hazard/' + encodeURIComponent(dossierId), 'dossier'], ['dashboard', 'dashboard'], ['planning', 'planning'], ['review', 'review'], ['field', 'field']]) {
    await page.goto(base + '/#/' + route);
    await page.waitForSelector('main h1');
    if (name === 'map') await mapIdle(page);
    await sleep(300);
    const bad = await untranslated(page);
    assert(bad.length === 0, `${name}: untranslated ${JSON.stringify(bad.slice(0, 10))}`);
    assert((await page.getAttribute('html', 'lang')) === 'uk', 'html lang=uk');
    await shot(page, name + '-uk');
  }
  await page.selectOption('#lang', 'en');
});

await test('accessibility: axe-core finds no serious or critical violation, in English and Ukrainian', async () => {
  for (const lang of ['en', 'uk']) {
    await page.evaluate((l) => localStorage.setItem('demine.lang', l), lang);
    for (const route of ['map', 'hazard/' + encodeURIComponent(dossierId), 'dashboard', 'planning', 'review', 'field']) {
      await page.goto(base + '/#/' + route);
      await page.reload();
      await page.waitForSelector('main h1');
      if (route === 'map') await mapIdle(page);
      await axe(page, `${route} (${lang})`);
    }
  }
  const { ctx, page: p } = await newPage();
  await p.goto(base + '/#/login');
  await p.waitForSelector('form');
  await axe(p, 'login');
  await shot(p, 'login-en');
  await p.selectOption('#lang', 'uk');
  await axe(p, 'login (uk)');
  await shot(p, 'login-uk');
  await ctx.close();
  await page.evaluate(() => localStorage.setItem('demine.lang', 'en'));
});

await test('touch targets: every button, link and field of the field forms is at least 44 px high', async () => {
  await page.goto(base + '/#/field');
  await page.reload(); // in English again
  await page.waitForSelector('#progress-form');
  const small = await page.$$eval('button, header a, nav a, input:not([type=checkbox]), select, textarea', (els) =>
    els.filter((e) => e.offsetParent !== null).map((e) => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height]).filter(([, hgt]) => hgt < 44));
  assert(small.length === 0, `small targets: ${JSON.stringify(small.slice(0, 5))}`);
  await shot(page, 'field-en');
});
await adminCtx.close();

await test(`offline: ${N_REPORTS} daily reports survive a stopped server, a closed browser and a killed upload; exactly ${N_REPORTS} on the server`, async () => {
  const profile = mkdtempSync(join(tmpdir(), 'demine-web-profile-'));
  const open = async () => {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: launchArgs, headless: true, viewport: { width: 1100, height: 900 } });
    const p = ctx.pages()[0] ?? (await ctx.newPage());
    watch(p);
    return { ctx, p };
  };
  const before = (await api(adminToken, '/api/v1/release')).body;
  const taskArea = (await api(adminToken, '/api/v1/records/hazards/HZ-WEB-1')).body.hazard.area_m2;
  const mineBefore = (await api(await token('leader'), '/api/v1/release')).body;
  let { ctx, p } = await open();
  await login(p, 'leader');
  await p.goto(base + '/#/field');
  await p.waitForSelector('#p-task option[value="HZ-WEB-1"]', { state: 'attached' });
  await p.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return true;
  });
  await p.reload(); // now controlled by the service worker
  await p.waitForSelector('#p-task option[value="HZ-WEB-1"]', { state: 'attached' });
  assert(await p.evaluate(() => navigator.serviceWorker.controller !== null), 'the service worker controls the page');

  await stopServer();
  await p.reload(); // the shell from the service worker, the tasks from IndexedDB
  await p.waitForSelector('#offline-cache');
  const w = (tx1 - tx0) / N_REPORTS;
  for (let i = 0; i < N_REPORTS; i++) {
    await p.selectOption('#p-task', 'HZ-WEB-1');
    await p.fill('#p-team', 'WEB-T1');
    await p.selectOption('#p-kind', 'mechanical');
    await p.fill('#p-hours', '8');
    await p.fill('#p-geometry', JSON.stringify(rect(tx0 + i * w, ty0, tx0 + (i + 1) * w, ty1)));
    await p.click('#p-submit');
    await p.waitForFunction((n) => document.getElementById('unsent')?.dataset.count === String(n), i + 1);
  }
  await p.click('#send-now');
  // The status line ends on the reason (read in the page, so a later periodic retry cannot
  // change it between the wait and the read).
  const why = await (await p.waitForFunction(() => {
    const text = document.getElementById('status')?.textContent ?? '';
    return /does not answer/.test(text) ? text : null;
  }, null, { timeout: 20000 }).catch(async () => ({ jsonValue: async () => p.textContent('#status') }))).jsonValue();
  assert(/does not answer/.test(why ?? ''), `a failed sync says why: "${why}"`);
  await shot(p, 'outbox-offline-en');
  await p.selectOption('#lang', 'uk');
  const ukBad = await untranslated(p);
  assert(ukBad.length === 0, `outbox in Ukrainian: untranslated ${JSON.stringify(ukBad.slice(0, 5))}`);
  const ukBadge = await p.textContent('#unsent');
  assert(ukBadge === `${N_REPORTS} ${new Intl.PluralRules('uk').select(N_REPORTS) === 'many' ? 'невідправлених звітів' : new Intl.PluralRules('uk').select(N_REPORTS) === 'few' ? 'невідправлені звіти' : 'невідправлений звіт'}`, `uk badge: ${ukBadge}`);
  await shot(p, 'outbox-offline-uk');
  await p.selectOption('#lang', 'en');
  const queued = await p.evaluate(() => new Promise((res) => {
    const rq = indexedDB.open('demine');
    rq.onsuccess = () => { const g = rq.result.transaction('outbox').objectStore('outbox').getAll(); g.onsuccess = () => res(g.result.map((x) => ({ kind: x.kind, body: x.body }))); };
  }));
  await ctx.close();

  ({ ctx, p } = await open());
  await p.goto(base + '/#/field');
  await p.waitForSelector('#outbox-count');
  const count = await p.getAttribute('#outbox-count', 'data-count');
  assert(count === String(N_REPORTS), `after reopening: ${count} in the outbox`);

  // The server comes back, and is killed in the middle of the upload.
  await startServer();
  await p.click('#send-now');
  await p.waitForFunction((n) => Number(document.getElementById('unsent')?.dataset.count) < n, N_REPORTS, { timeout: 30000 });
  await stopServer('SIGKILL');
  const left = Number(await p.getAttribute('#unsent', 'data-count'));
  await startServer();
  await p.reload(); // sync on start
  await p.waitForFunction(() => document.getElementById('unsent')?.dataset.count === '0', null, { timeout: 60000 });
  console.log(`  killed with ${left} of ${N_REPORTS} unsent`);

  // Forced re-sends of every report: the server answers with the originals.
  const leaderToken = await token('leader');
  for (const q of queued) {
    const r = await fetch(`${base}/api/v1/submissions/${q.kind}`, { method: 'POST', headers: { Authorization: 'Bearer ' + leaderToken, 'Content-Type': 'application/json' }, body: q.body });
    assert(r.status === 200 && r.headers.get('x-demine-replayed') === 'true', `resend answered ${r.status}`);
  }
  const list = (await api(adminToken, '/api/v1/records/progress?hazard_id=HZ-WEB-1&limit=1000')).body;
  assert(list.features.length === N_REPORTS, `${list.features.length} reports on the server, expected ${N_REPORTS}`);
  const after = (await api(adminToken, '/api/v1/release')).body;
  near(after.cleared_m2 - before.cleared_m2, taskArea, 1e-4, 'cleared area grew by the reports\' area');
  await p.goto(base + '/#/dashboard');
  await p.waitForSelector('#totals .value');
  // The team leader's dashboard: their organisation's figures, grown by the same area.
  const mineAfter = (await api(leaderToken, '/api/v1/release')).body;
  const cleared = Number(await p.getAttribute('#totals [data-key=cleared_m2]', 'data-value'));
  assert(cleared === mineAfter.cleared_m2, `dashboard cleared ${cleared} vs ${mineAfter.cleared_m2}`);
  near(mineAfter.cleared_m2 - mineBefore.cleared_m2, taskArea, 1e-4, 'the organisation\'s cleared area grew by the reports\' area');
  await shot(p, 'dashboard-after-sync-en');
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
});

await test('no request left 127.0.0.1', async () => {
  const outside = requests.filter((u) => !/^(data:|blob:)/.test(u) && new URL(u).host !== `127.0.0.1:${port}`);
  assert(requests.length > 50, `only ${requests.length} requests seen`);
  assert(outside.length === 0, `outside requests: ${[...new Set(outside)].slice(0, 5)}`);
});

await browser.close();
await stopServer();
const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
if (failed) console.log('server log (tail):\n' + serverLog.split('\n').slice(-15).join('\n'));
else rmSync(dir, { recursive: true, force: true });
console.log(`screenshots: ${OUT}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
