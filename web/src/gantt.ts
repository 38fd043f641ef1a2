// The team schedule as a Gantt chart (SVG): one row per team, one bar per piece of work,
// coloured by stage; the same assignments as a table for keyboard and screen-reader use.
import { h } from './dom';
import { t, term, fmtArea, fmtDate, locale } from './i18n';
import { svg } from './geo';

export interface Assignment {
  task: string;
  team: string;
  stage: string;
  start: string | number;
  end: string | number;
  area_m2: number;
}

const STAGE_COLORS: Record<string, string> = { nts: '#8bc34a', ts: '#1e88a8', preparation: '#8c7b5b', clearance: '#2e7d32' };

function day(v: string | number, start: string): number {
  const s0 = Date.parse(start + 'T00:00:00Z');
  return typeof v === 'number' ? v : (Date.parse(v + 'T00:00:00Z') - s0) / 86400000;
}

export function gantt(plan: { start_date: string; assignments: Assignment[] }): HTMLElement {
  const as = plan.assignments;
  const teams = [...new Set(as.map((a) => a.team))].sort();
  const end = Math.max(1, ...as.map((a) => day(a.end, plan.start_date)));
  const rowH = 22, left = 110, W = 960, top = 24;
  const H = top + teams.length * rowH + 8;
  const x = (d: number) => left + (d / end) * (W - left - 10);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'gantt' });
  const title = svg('title', {});
  title.textContent = t('planning.gantt_title', { teams: teams.length, tasks: new Set(as.map((a) => a.task)).size });
  s.append(title);
  // Month ticks.
  const s0 = new Date(plan.start_date + 'T00:00:00Z');
  const fmt = new Intl.DateTimeFormat(locale(), { month: 'short', year: '2-digit', timeZone: 'UTC' });
  const step = Math.max(1, Math.ceil(end / 30 / 12));
  for (let m = 0; ; m += step) {
    const d = new Date(Date.UTC(s0.getUTCFullYear(), s0.getUTCMonth() + m, 1));
    const dd = (d.getTime() - s0.getTime()) / 86400000;
    if (dd > end) break;
    if (dd < 0) continue;
    s.append(svg('line', { x1: x(dd), x2: x(dd), y1: top - 4, y2: H, stroke: '#ccc' }));
    const label = svg('text', { x: x(dd) + 2, y: 14, 'font-size': 11, fill: '#333' });
    label.textContent = fmt.format(d);
    s.append(label);
  }
  teams.forEach((team, i) => {
    const y = top + i * rowH;
    const name = svg('text', { x: 4, y: y + 15, 'font-size': 12, fill: '#111' });
    name.textContent = team;
    s.append(name);
    for (const a of as.filter((a) => a.team === team)) {
      const a0 = day(a.start, plan.start_date), a1 = day(a.end, plan.start_date);
      const r = svg('rect', { x: x(a0), y: y + 3, width: Math.max(1, x(a1) - x(a0)), height: rowH - 6, fill: STAGE_COLORS[a.stage] ?? '#555' });
      const tip = svg('title', {});
      tip.textContent = `${a.task} · ${term('stage', a.stage)} · ${fmtArea(a.area_m2)}`;
      r.append(tip);
      s.append(r);
    }
  });
  const legend = h('p', { class: 'hint' }, Object.entries(STAGE_COLORS).map(([k, c]) => [h('span', { class: 'swatch', style: `background:${c}`, 'aria-hidden': 'true' }), ' ', term('stage', k), ' ']));
  const dateOf = (v: string | number) => (typeof v === 'number' ? t('planning.day_n', { n: Math.round(v) }) : fmtDate(v));
  const table = h(
    'details',
    {},
    h('summary', {}, t('planning.assignments', { count: as.length })),
    h(
      'table',
      {},
      h('caption', {}, t('planning.gantt')),
      h('thead', {}, h('tr', {}, [t('release.team'), t('progress.task'), t('planning.stage'), t('planning.from'), t('planning.to'), t('hazard.area')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, as.slice(0, 500).map((a) => h('tr', {}, h('td', {}, a.team), h('td', {}, a.task), h('td', {}, term('stage', a.stage)), h('td', {}, dateOf(a.start)), h('td', {}, dateOf(a.end)), h('td', {}, fmtArea(a.area_m2))))),
    ),
  );
  return h('div', { class: 'chart', id: 'gantt' }, s as unknown as HTMLElement, legend, table);
}
