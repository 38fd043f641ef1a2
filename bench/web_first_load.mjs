// First load of the web application on a national registry, in Debian's chromium
// (playwright-core), and whether panning the map back fetches tiles it already has.
// Not a test (timings never are): bench/web_first_load.sh runs it and prints the figures.
//
// env: DEMINE_BIN (demine built with --features web), DB (the registry), USER/PASSWORD (an
// account there), RUNS (cold loads to time, default 5), WAIT_OVERVIEW (default 1: time the loads
// once the server has made the national overview ahead; 0: start loading as soon as it answers).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const { DEMINE_BIN, DB, USER, PASSWORD } = process.env;
const RUNS = Number(process.env.RUNS ?? 5);
const port = await new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const base = `http://127.0.0.1:${port}`;
const started = Date.now();
const server = spawn(DEMINE_BIN, ['--db', DB, 'serve', '--addr', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn,demine_server::overview=info' } });
let overviewMade = null;
const overview = new Promise((resolve) => {
  let pending = '';
  server.stderr.on('data', (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (line.includes('national overview made ahead')) {
        if (overviewMade === null) overviewMade = Date.now() - started;
        resolve();
      } else process.stderr.write(line + '\n');
    }
  });
});
for (let i = 0; i < 300; i++) {
  try { if ((await fetch(base + '/healthz')).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
const answering = Date.now() - started;
if (process.env.WAIT_OVERVIEW !== '0') await overview;
console.log(`server answering ${answering} ms after start; national overview made ahead ${overviewMade ?? '(not yet)'} ms after start`);
const launchArgs = ['--use-angle=swiftshader', '--use-gl=angle', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox', '--disable-dev-shm-usage'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: launchArgs, headless: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const shell = [], toMap = [], total = [];
let repeated = 0, pannedTiles = 0, outside = 0;
for (let run = 0; run < RUNS; run++) {
  // A fresh context each time: no HTTP cache, no service worker, no session.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const seen = new Map();
  const finished = [];
  page.on('requestfinished', async (r) => {
    const tm = r.timing();
    const size = await r.sizes().then((z) => z.responseBodySize).catch(() => 0);
    finished.push({ url: r.url().replace(base, ''), start: tm.startTime, end: tm.startTime + tm.responseEnd, size });
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!/^(data:|blob:)/.test(u) && new URL(u).host !== `127.0.0.1:${port}`) outside++;
    seen.set(u, (seen.get(u) ?? 0) + 1);
  });
  const t0 = Date.now();
  await page.goto(base + '/#/login');
  await page.waitForSelector('input[name=username]');
  const t1 = Date.now();
  await page.fill('input[name=username]', USER);
  await page.fill('input[name=password]', PASSWORD);
  const t2 = Date.now();
  await page.click('form button[type=submit]');
  await page.waitForSelector('header.top nav');
  if (!page.url().includes('#/map')) await page.goto(base + '/#/map');
  await page.waitForSelector('#map[data-idle=true], [data-idle=true]', { timeout: 60000 });
  const t3 = Date.now();
  if (process.env.DETAIL) {
    // Where the time went: each request's start and end after the click on "log in", and size.
    const rows = finished.filter((f) => f.end >= t2).sort((a, b) => a.start - b.start);
    console.log(`run ${run + 1}: map idle at ${t3 - t2} ms after the log-in click; requests after it:`);
    for (const f of rows) console.log(`  ${String(Math.round(f.start - t2)).padStart(6)} → ${String(Math.round(f.end - t2)).padStart(6)} ms  ${String(f.size).padStart(9)} B  ${f.url}`);
  }
  shell.push(t1 - t0); toMap.push(t3 - t2); total.push(t1 - t0 + t3 - t2);
  if (run === RUNS - 1) {
    // Pan away and back: the tiles already loaded must not be fetched again.
    const tiles = () => [...seen.entries()].filter(([u]) => u.includes('/tiles/'));
    const before = new Map(tiles());
    const box = await page.locator('.maplibregl-canvas').boundingBox();
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    for (const [dx, dy] of [[300, 0], [-300, 0]]) {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx + dx, cy + dy, { steps: 10 });
      await page.mouse.up();
      await page.waitForSelector('[data-idle=true]', { timeout: 60000 });
    }
    for (const [u, n] of tiles()) {
      if (n > 1) repeated++;
      if (!before.has(u)) pannedTiles++;
    }
  }
  await ctx.close();
}
await browser.close();
server.kill('SIGTERM');
console.log(`runs: ${RUNS} cold loads (fresh browser context each)`);
console.log(`app shell to login form: median ${median(shell)} ms (min ${Math.min(...shell)}, max ${Math.max(...shell)})`);
console.log(`log in to the map drawn (MapLibre idle): median ${median(toMap)} ms (min ${Math.min(...toMap)}, max ${Math.max(...toMap)})`);
console.log(`first load, shell + log in to map drawn: median ${median(total)} ms (target < 3,000 ms)`);
console.log(`pan away and back: ${pannedTiles} new tile request(s), ${repeated} tile(s) fetched twice (target 0)`);
console.log(`requests leaving 127.0.0.1: ${outside}`);
