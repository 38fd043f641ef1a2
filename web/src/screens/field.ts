// Field forms, offline first: daily progress and find reports go to the IndexedDB outbox with
// a client UUID and are sent when the server answers (idempotent: resending is safe). The
// unsent count is always in the header; a failed report says why; a conflict shows both the
// report and the copy the server holds. The task list and team list are kept for offline use.
import { add, h, clear, field } from '../dom';
import { t, term, fmtArea, fmtDateTime, fmtNum } from '../i18n';
import { getJson, postJson, session, ApiError, NetworkError } from '../api';
import { enqueue, items, remove, retry, cachePut, cacheGet, sentItems, onOutboxChange, type OutboxItem } from '../outbox';
import { polygons, frame, path, svg, type Polys } from '../geo';
import { COLORS } from '../colors';
import { diffTable } from '../diff';
import { syncNow, type Screen } from '../main';

interface Task {
  id: string;
  class: string;
  status: string;
  remaining_m2: number;
  geometry: Polys;
}
interface Team {
  id: string;
  kind: string;
}

const CATEGORIES = ['AP_mine', 'AT_mine', 'UXO', 'AXO', 'IED', 'submunition', 'other'];
const KINDS = ['manual', 'mechanical', 'mdd', 'ts', 'nts'];

async function cached<T>(key: string, load: () => Promise<T>): Promise<{ value: T; at?: string }> {
  try {
    const value = await load();
    await cachePut(key, value);
    return { value };
  } catch (e) {
    const c = await cacheGet<T>(key);
    if (c) return c;
    throw e;
  }
}

async function loadTasks(): Promise<{ value: Task[]; at?: string }> {
  const user = session()?.me.username ?? '';
  return cached('tasks:' + user, async () => {
    const out: Task[] = [];
    let after: number | null = null;
    for (let page = 0; page < 20; page++) {
      const r: any = await getJson(`/api/v1/records/hazards?limit=1000${after ? '&after=' + after : ''}`);
      for (const f of r.features ?? []) {
        const p = f.properties ?? {};
        out.push({ id: String(p.id), class: String(p.class), status: String(p.status ?? ''), remaining_m2: Number(p.remaining_m2 ?? 0), geometry: polygons(f.geometry) });
      }
      after = r.next ?? null;
      if (!after) break;
    }
    return out;
  });
}

async function loadTeams(): Promise<Team[]> {
  const user = session()?.me.username ?? '';
  try {
    return (
      await cached('teams:' + user, async () => {
        const r: any = await getJson('/api/v1/records/teams?limit=1000');
        return (r.features ?? []).map((f: any) => ({ id: String(f.properties?.id), kind: String(f.properties?.kind ?? '') })) as Team[];
      })
    ).value;
  } catch {
    return [];
  }
}

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function summary(s: OutboxItem['summary'] | string): string {
  if (typeof s === 'string') return s;
  const p = { ...s.params };
  if (typeof p.category === 'string') p.category = term('category', p.category);
  return t(s.key, p);
}

function outboxPanel(): { el: HTMLElement; refresh: () => Promise<void> } {
  const list = h('div', { id: 'outbox-list' });
  const count = h('p', { id: 'outbox-count', 'aria-live': 'polite' });
  const sentList = h('details', { id: 'sent' });
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'outbox-h' },
    h('h2', { id: 'outbox-h' }, t('outbox.title')),
    count,
    h('button', { type: 'button', id: 'send-now', onclick: () => void syncNow().then(refresh) }, t('outbox.send_now')),
    list,
    sentList,
  );
  async function refresh(): Promise<void> {
    const all = await items();
    count.textContent = t('outbox.unsent', { count: all.length });
    count.dataset.count = String(all.length);
    clear(list);
    if (all.length) {
      add(list, 
        h(
          'ul',
          { class: 'outbox' },
          all.map((it: OutboxItem) =>
            h(
              'li',
              { class: 'state-' + it.state, 'data-client-id': it.client_id },
              h('strong', {}, summary(it.summary)),
              ' ',
              h('span', { class: 'tag' }, t('outbox.state_' + it.state)),
              ' ',
              h('small', {}, fmtDateTime(it.created_at)),
              it.error ? h('p', { class: it.state === 'pending' ? 'hint' : 'error' }, it.error === 'network' ? t('outbox.err_network') : it.error === 'login' ? t('outbox.stopped_login') : t('outbox.err_server', { detail: it.error })) : null,
              it.state === 'conflict'
                ? h('div', {}, h('p', {}, t('outbox.conflict_text')), diffTable({ properties: it.stored as Record<string, unknown> }, { properties: JSON.parse(it.body) }, t('outbox.server_copy'), t('outbox.this_report')))
                : null,
              it.state !== 'pending'
                ? h(
                    'div',
                    { class: 'actions' },
                    h('button', { type: 'button', class: 'secondary', onclick: () => void retry(it.client_id).then(() => syncNow()).then(refresh) }, t('outbox.retry')),
                    h('button', { type: 'button', class: 'danger', onclick: () => confirm(t('outbox.discard_confirm')) && void remove(it.client_id).then(refresh) }, t('outbox.discard')),
                  )
                : null,
            ),
          ),
        ),
      );
    }
    clear(sentList);
    const sent = (await sentItems()).slice(0, 20);
    add(sentList, h('summary', {}, t('outbox.sent', { count: sent.length })), h('ul', {}, sent.map((s) => h('li', {}, summary(s.summary), ' · ', fmtDateTime(s.sent_at)))));
  }
  return { el, refresh };
}

function drawingPad(geomOut: HTMLTextAreaElement): { el: HTMLElement; setTask: (t: Task | undefined) => void } {
  const W = 360, H = 260;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'drawing pad', role: 'img', 'aria-label': t('progress.draw_label') });
  let task: Task | undefined;
  let pts: [number, number][] = [];
  let fr = frame([], W, H);
  const redraw = () => {
    while (s.firstChild) s.firstChild.remove();
    if (!task) return;
    s.append(svg('path', { d: path(task.geometry, fr), fill: task.class === 'CHA' ? COLORS.CHA : COLORS.SHA, 'fill-opacity': 0.3, stroke: '#333' }));
    if (pts.length) {
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${fr.x(x)},${fr.y(y)}`).join('') + (pts.length > 2 ? 'Z' : '');
      s.append(svg('path', { d, fill: COLORS.cleared, 'fill-opacity': 0.5, stroke: COLORS.cleared, 'stroke-width': 2 }));
      for (const [x, y] of pts) s.append(svg('circle', { cx: fr.x(x), cy: fr.y(y), r: 4, fill: '#000' }));
    }
  };
  const write = () => {
    geomOut.value = pts.length > 2 ? JSON.stringify({ type: 'Polygon', coordinates: [[...pts, pts[0]].map(([x, y]) => [+x.toFixed(7), +y.toFixed(7)])] }) : '';
    geomOut.dispatchEvent(new Event('input'));
  };
  s.addEventListener('click', (e) => {
    if (!task) return;
    const r = (s as unknown as SVGSVGElement).getBoundingClientRect();
    const x = ((e as MouseEvent).clientX - r.left) * (W / r.width);
    const y = ((e as MouseEvent).clientY - r.top) * (H / r.height);
    pts.push([fr.lon(x), fr.lat(y)]);
    redraw();
    write();
  });
  const el = h(
    'div',
    { class: 'pad-wrap' },
    s as unknown as HTMLElement,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => (pts.pop(), redraw(), write()) }, t('progress.undo_point')), h('button', { type: 'button', class: 'secondary', onclick: () => ((pts = []), redraw(), write()) }, t('progress.clear_drawing'))),
  );
  return {
    el,
    setTask: (tk) => {
      task = tk;
      pts = [];
      fr = frame(tk?.geometry ?? [], W, H);
      redraw();
    },
  };
}

export async function fieldScreen(main: HTMLElement): Promise<Screen> {
  const me = session()!.me;
  const panel = outboxPanel();
  add(main, h('h1', {}, t('field.title')), panel.el);
  onOutboxChange(() => void panel.refresh());
  await panel.refresh();

  let tasks: Task[] = [];
  let tasksAt: string | undefined;
  try {
    const r = await loadTasks();
    tasks = r.value;
    tasksAt = r.at;
  } catch {
    add(main, h('p', { class: 'error' }, t('field.no_tasks_offline')));
  }
  const teams = await loadTeams();
  if (tasksAt) add(main, h('p', { class: 'warn', id: 'offline-cache' }, t('field.cached', { at: fmtDateTime(tasksAt) })));

  if (me.may.progress) {
    const open = tasks.filter((x) => x.status !== 'released');
    const task = h('select', { id: 'p-task', required: true }, h('option', { value: '' }, t('progress.choose_task')), open.map((x) => h('option', { value: x.id }, `${x.id} · ${term('class', x.class)} · ${t('progress.remaining', { area: fmtArea(x.remaining_m2) })}`)));
    const teamIn = h('input', { id: 'p-team', list: 'p-teams', required: true, autocomplete: 'off' });
    const teamList = h('datalist', { id: 'p-teams' }, teams.map((x) => h('option', { value: x.id }, `${x.id} (${term('team_kind', x.kind)})`)));
    const kind = h('select', { id: 'p-kind' }, h('option', { value: '' }, t('progress.kind_from_team')), KINDS.map((k) => h('option', { value: k }, term('team_kind', k))));
    const date = h('input', { id: 'p-date', type: 'date', value: today(), max: today(), required: true });
    const hours = h('input', { id: 'p-hours', type: 'number', min: '0', max: '24', step: '0.5', value: '6', required: true, inputmode: 'decimal' });
    const down = h('input', { id: 'p-down', type: 'number', min: '0', max: '24', step: '0.5', value: '0', inputmode: 'decimal' });
    const downReason = h('input', { id: 'p-down-reason', autocomplete: 'off' });
    const finds = h('input', { id: 'p-finds', type: 'number', min: '0', step: '1', value: '0', inputmode: 'numeric' });
    const terrain = h('input', { id: 'p-terrain', autocomplete: 'off' });
    const geom = h('textarea', { id: 'p-geometry', rows: 3, spellcheck: false }) as HTMLTextAreaElement;
    const pad = drawingPad(geom);
    const areaOut = h('p', { id: 'p-area', 'aria-live': 'polite' });
    const msg = h('p', { role: 'alert', id: 'p-msg' });
    task.addEventListener('change', () => pad.setTask(tasks.find((x) => x.id === task.value)));
    geom.addEventListener('input', () => {
      try {
        const g = JSON.parse(geom.value);
        areaOut.textContent = t('progress.area_drawn', { area: fmtArea(ringArea(polygons(g))) });
      } catch {
        areaOut.textContent = '';
      }
    });
    const form = h(
      'form',
      {
        class: 'card',
        id: 'progress-form',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          msg.textContent = '';
          msg.className = '';
          let g: any;
          try {
            g = JSON.parse(geom.value);
            if (!polygons(g).length) throw new Error();
          } catch {
            msg.className = 'error';
            msg.textContent = t('progress.need_geometry');
            geom.focus();
            return;
          }
          const team = teamIn.value.trim();
          const body: Record<string, unknown> = {
            id: `DP-${task.value}-${date.value}-${team}-${Math.random().toString(36).slice(2, 8)}`,
            date: date.value,
            task: task.value,
            team,
            hours: Number(hours.value),
            downtime_hours: Number(down.value || 0),
            finds: Number(finds.value || 0),
            geometry: g,
          };
          if (kind.value) body.team_kind = kind.value;
          if (downReason.value.trim()) body.downtime_reason = downReason.value.trim();
          if (terrain.value.trim()) body.terrain = terrain.value.trim();
          await enqueue('progress', body, { key: 'progress.summary', params: { task: task.value, team, date: date.value } });
          msg.className = 'ok';
          msg.textContent = t('progress.queued');
          geom.value = '';
          pad.setTask(tasks.find((x) => x.id === task.value));
          areaOut.textContent = '';
          void syncNow();
        },
      },
      h('h2', {}, t('progress.title')),
      field(t('progress.task'), task),
      h('div', { class: 'row' }, field(t('progress.team'), teamIn), teamList, field(t('progress.team_kind'), kind, t('progress.team_kind_hint'))),
      h('div', { class: 'row' }, field(t('progress.date'), date), field(t('progress.hours'), hours), field(t('progress.downtime'), down), field(t('progress.downtime_reason'), downReason)),
      h('div', { class: 'row' }, field(t('progress.finds'), finds), field(t('progress.terrain'), terrain)),
      h('fieldset', {}, h('legend', {}, t('progress.land')), h('p', { class: 'hint' }, t('progress.draw_hint')), pad.el, field(t('progress.geometry'), geom, t('progress.geometry_hint')), areaOut),
      msg,
      h('button', { type: 'submit', id: 'p-submit' }, t('progress.submit')),
    );
    add(main, form);

    // Find report.
    const fHazard = h('select', { id: 'f-hazard' }, h('option', { value: '' }, t('find.no_hazard')), tasks.map((x) => h('option', { value: x.id }, x.id)));
    const fLon = h('input', { id: 'f-lon', type: 'number', step: 'any', required: true, inputmode: 'decimal' });
    const fLat = h('input', { id: 'f-lat', type: 'number', step: 'any', required: true, inputmode: 'decimal' });
    const fAcc = h('p', { id: 'f-accuracy', 'aria-live': 'polite' });
    const fCat = h('select', { id: 'f-category', required: true }, CATEGORIES.map((c) => h('option', { value: c }, term('category', c))));
    const fCond = h('input', { id: 'f-condition', autocomplete: 'off' });
    const fDepth = h('input', { id: 'f-depth', type: 'number', min: '0', step: '1', inputmode: 'numeric' });
    const fDisp = h('select', { id: 'f-disposition' }, ['', 'destroyed_in_situ', 'removed', 'rendered_safe', 'marked'].map((d) => h('option', { value: d }, d ? term('disposition', d) : t('find.disposition_unknown'))));
    const fDate = h('input', { id: 'f-date', type: 'date', value: today(), max: today(), required: true });
    const fMsg = h('p', { role: 'alert' });
    const gnss = () => {
      if (!navigator.geolocation) {
        fAcc.textContent = t('find.no_gnss');
        return;
      }
      fAcc.textContent = t('find.locating');
      navigator.geolocation.getCurrentPosition(
        (p) => {
          fLon.value = p.coords.longitude.toFixed(7);
          fLat.value = p.coords.latitude.toFixed(7);
          fAcc.textContent = t('find.accuracy', { m: fmtNum(p.coords.accuracy, 1) });
          fAcc.dataset.m = String(p.coords.accuracy);
        },
        (err) => (fAcc.textContent = t('find.gnss_failed', { detail: err.message })),
        { enableHighAccuracy: true, timeout: 20000 },
      );
    };
    add(main, 
      h(
        'form',
        {
          class: 'card',
          id: 'find-form',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const props: Record<string, unknown> = {
              id: `F-${fDate.value}-${Math.random().toString(36).slice(2, 8)}`,
              date: fDate.value,
              category: fCat.value,
            };
            if (fHazard.value) props.hazard_id = fHazard.value;
            if (fCond.value.trim()) props.condition = fCond.value.trim();
            if (fDepth.value) props.depth_cm = Number(fDepth.value);
            if (fDisp.value) props.disposition = fDisp.value;
            if (fAcc.dataset.m) props.accuracy_m = Number(fAcc.dataset.m);
            await enqueue('finds', { feature: { type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: [Number(fLon.value), Number(fLat.value)] } } }, { key: 'find.summary', params: { category: fCat.value, date: fDate.value } });
            fMsg.className = 'ok';
            fMsg.textContent = t('progress.queued');
            void syncNow();
          },
        },
        h('h2', {}, t('find.title')),
        h('div', { class: 'row' }, field(t('find.date'), fDate), field(t('find.hazard'), fHazard), field(t('find.category'), fCat)),
        h('div', { class: 'row' }, field(t('find.lon'), fLon), field(t('find.lat'), fLat), h('button', { type: 'button', class: 'secondary', onclick: gnss }, t('find.use_gnss'))),
        fAcc,
        h('div', { class: 'row' }, field(t('find.condition'), fCond), field(t('find.depth'), fDepth), field(t('find.disposition'), fDisp)),
        fMsg,
        h('button', { type: 'submit' }, t('find.submit')),
      ),
    );
  }

  if (me.may.qa) add(main, qaForm(tasks));
  return {};
}

function qaForm(tasks: Task[]): HTMLElement {
  const hz = h('select', { id: 'q-hazard', required: true }, h('option', { value: '' }, t('progress.choose_task')), tasks.filter((x) => x.status === 'released' || x.status === 'partially_released').map((x) => h('option', { value: x.id }, x.id)));
  const date = h('input', { id: 'q-date', type: 'date', value: today(), max: today(), required: true });
  const lot = h('input', { id: 'q-lot', type: 'number', min: '1', step: '1', required: true, inputmode: 'numeric' });
  const lq = h('input', { id: 'q-lq', type: 'number', min: '0.001', max: '0.5', step: '0.001', value: '0.01' });
  const sample = h('input', { id: 'q-sample', type: 'number', min: '1', step: '1', required: true, inputmode: 'numeric' });
  const defects = h('input', { id: 'q-defects', type: 'number', min: '0', step: '1', value: '0', inputmode: 'numeric' });
  const box = h('input', { id: 'q-box', type: 'number', min: '1', step: '0.5', value: '10' });
  const detection = h('input', { id: 'q-detection', type: 'number', min: '0.01', max: '1', step: '0.01', value: '0.9' });
  const sev = h('select', { id: 'q-severity' }, ['critical', 'major', 'minor'].map((s) => h('option', { value: s }, term('severity', s))));
  const note = h('input', { id: 'q-note', autocomplete: 'off' });
  const ncList = h('ul', { id: 'q-ncs' });
  const ncs: string[] = [];
  const planOut = h('p', { 'aria-live': 'polite' });
  const msg = h('p', { role: 'alert' });
  return h(
    'form',
    {
      class: 'card',
      id: 'qa-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        msg.textContent = '';
        try {
          await postJson('/api/v1/qa/inspections', {
            hazard_id: hz.value,
            date: date.value,
            lot_units: Number(lot.value),
            sample_units: Number(sample.value),
            defects: Number(defects.value || 0),
            box_m: Number(box.value),
            detection: Number(detection.value),
            nonconformities: ncs,
          });
          msg.className = 'ok';
          msg.textContent = t('qa.recorded');
        } catch (err) {
          msg.className = 'error';
          msg.textContent = err instanceof NetworkError ? t('qa.needs_network') : t('app.error', { detail: err instanceof ApiError ? err.message : String(err) });
        }
      },
    },
    h('h2', {}, t('qa.title')),
    h('div', { class: 'row' }, field(t('qa.hazard'), hz), field(t('qa.date'), date)),
    h('div', { class: 'row' }, field(t('qa.lot_units'), lot), field(t('qa.lq'), lq)),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          try {
            const p = await postJson('/api/v1/qa/plan', { lot_units: Number(lot.value), lq: Number(lq.value), beta: 0.05 });
            sample.value = String(p.n ?? p.sample_units ?? '');
            planOut.textContent = t('qa.plan_text', { n: p.n ?? p.sample_units, c: p.c ?? 0 });
          } catch (err) {
            planOut.textContent = t('app.error', { detail: String((err as Error).message) });
          }
        },
      },
      t('qa.compute_plan'),
    ),
    planOut,
    h('div', { class: 'row' }, field(t('qa.sample_units'), sample), field(t('qa.defects'), defects), field(t('qa.box'), box), field(t('qa.detection'), detection)),
    h(
      'fieldset',
      {},
      h('legend', {}, t('qa.nonconformities')),
      h('div', { class: 'row' }, field(t('qa.severity'), sev), field(t('qa.note'), note)),
      h('button', { type: 'button', class: 'secondary', onclick: () => note.value.trim() && (ncs.push(`${sev.value}:${note.value.trim()}`), ncList.append(h('li', {}, `${term('severity', sev.value)}: ${note.value.trim()}`)), (note.value = '')) }, t('qa.add_nc')),
      ncList,
    ),
    msg,
    h('button', { type: 'submit' }, t('qa.submit')),
  );
}

/** Geodesic-enough area (spherical excess on the mean Earth radius) for feedback while drawing. */
function ringArea(p: Polys): number {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  let total = 0;
  for (const poly of p)
    poly.forEach((ring, i) => {
      let s = 0;
      for (let k = 0; k < ring.length - 1; k++) {
        const [x1, y1] = ring[k];
        const [x2, y2] = ring[k + 1];
        s += (x2 - x1) * rad * (2 + Math.sin(y1 * rad) + Math.sin(y2 * rad));
      }
      total += (i === 0 ? 1 : -1) * Math.abs((s * R * R) / 2);
    });
  return total;
}
