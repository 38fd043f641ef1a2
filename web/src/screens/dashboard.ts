// Donor and authority dashboard: land-release totals (the very endpoint `demine release`
// reads: the figures are the CLI's), released area by month with the cumulative curve, by
// organisation and by class; CSV export and print.
import { add, h } from '../dom';
import { t, term, fmtArea, fmtNum, fmtDate, areaUnit } from '../i18n';
import { getJson } from '../api';
import { timeChart } from '../chart';
import { COLORS } from '../colors';
import type { Screen } from '../main';

interface Group {
  key: string;
  hazards: number;
  area_m2: number;
  cancelled_m2: number;
  reduced_m2: number;
  cleared_m2: number;
  released_m2: number;
  remaining_m2: number;
  cumulative_released_m2?: number;
}

function csv(rows: (string | number)[][]): string {
  return rows.map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\n') + '\n';
}

function download(name: string, text: string): void {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

export async function dashboardScreen(main: HTMLElement): Promise<Screen> {
  const approved = new URLSearchParams(location.hash.split('?')[1] ?? '').get('approved') === '1';
  // Totals and groups only: the figures of every hazard are megabytes on a national registry.
  const q = '&per_hazard=false' + (approved ? '&approved_only=true' : '');
  const [tot, month, org, cls] = await Promise.all([
    getJson('/api/v1/release?' + q.slice(1)),
    getJson('/api/v1/release?by=month' + q),
    getJson('/api/v1/release?by=organisation' + q),
    getJson('/api/v1/release?by=class' + q),
  ]);
  const totals: [string, string, number][] = [
    ['hazard_area_m2', t('figures.hazard_area'), tot.hazard_area_m2],
    ['cancelled_m2', term('outcome', 'cancelled'), tot.cancelled_m2],
    ['reduced_m2', term('outcome', 'reduced'), tot.reduced_m2],
    ['cleared_m2', term('outcome', 'cleared'), tot.cleared_m2],
    ['released_m2', t('figures.released'), tot.released_m2],
    ['remaining_m2', t('figures.remaining'), tot.remaining_m2],
  ];
  const months = (month.groups ?? []) as Group[];
  const chartEl = h('div', { class: 'chart', id: 'release-chart' });
  const groupTable = (groups: Group[], keyLabel: string, keyTerm?: string) =>
    h(
      'table',
      {},
      h('caption', {}, keyLabel),
      h('thead', {}, h('tr', {}, [keyLabel, t('figures.hazards'), t('figures.hazard_area'), t('figures.released'), t('figures.remaining')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, groups.map((g) => h('tr', {}, h('th', { scope: 'row' }, keyTerm ? term(keyTerm, g.key) : g.key || '—'), h('td', {}, fmtNum(g.hazards)), h('td', {}, fmtArea(g.area_m2)), h('td', {}, fmtArea(g.released_m2)), h('td', {}, fmtArea(g.remaining_m2))))),
    );
  const exportCsv = () =>
    download(
      'demine-release-by-month.csv',
      csv([
        ['month', 'cancelled_m2', 'reduced_m2', 'cleared_m2', 'released_m2', 'cumulative_released_m2', ...(tot.data ? ['data'] : [])],
        ...months.map((g) => [g.key, g.cancelled_m2, g.reduced_m2, g.cleared_m2, g.released_m2, g.cumulative_released_m2 ?? '', ...(tot.data ? [tot.data] : [])]),
      ]),
    );
  add(main, 
    h('h1', {}, t('dashboard.title')),
    tot.data === 'SYNTHETIC' ? h('p', { class: 'warn' }, t('app.synthetic_hint')) : null,
    h('p', {}, t('dashboard.intro'), ' ', approved ? t('dashboard.approved_only') : t('dashboard.with_submissions'), ' ', h('a', { href: approved ? '#/dashboard' : '#/dashboard?approved=1' }, approved ? t('dashboard.show_all') : t('dashboard.show_approved'))),
    h(
      'div',
      { class: 'totals', id: 'totals' },
      h('div', { class: 'total' }, h('span', { class: 'label' }, t('figures.hazards')), h('span', { class: 'value', 'data-key': 'hazards', 'data-value': tot.hazards }, fmtNum(tot.hazards))),
      totals.map(([k, label, v]) => h('div', { class: 'total' }, h('span', { class: 'label' }, label), h('span', { class: 'value', 'data-key': k, 'data-value': v }, fmtArea(v)))),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: exportCsv }, t('dashboard.export')), h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, t('dashboard.print'))),
    h('section', { class: 'card' }, h('h2', {}, t('dashboard.by_month')), chartEl, h('p', { class: 'hint' }, t('dashboard.by_month_hint'))),
    h('div', { class: 'grid2' }, h('section', { class: 'card' }, h('h2', {}, t('dashboard.by_organisation')), groupTable(org.groups ?? [], t('hazard.organisation'))), h('section', { class: 'card' }, h('h2', {}, t('dashboard.by_class')), groupTable(cls.groups ?? [], t('hazard.class'), 'class'))),
    tot.as_of ? h('p', {}, t('dashboard.as_of', { date: fmtDate(tot.as_of) })) : null,
  );
  if (months.length) {
    const x = months.map((g) => Date.parse(g.key.length === 7 ? g.key + '-01T00:00:00Z' : g.key) / 1000);
    timeChart(
      chartEl,
      t('dashboard.by_month'),
      x,
      [
        { label: t('dashboard.released_in_month'), values: months.map((g) => g.released_m2), color: COLORS.reduced, fill: 'rgba(30,136,168,0.35)', bars: true },
        { label: t('dashboard.cumulative'), values: months.map((g) => g.cumulative_released_m2 ?? null), color: COLORS.cleared },
      ],
      ((u) => (v: number) => fmtArea(v, u))(areaUnit(Math.max(...months.map((g) => g.cumulative_released_m2 ?? g.released_m2)))),
    );
  } else chartEl.append(h('p', { class: 'muted' }, t('dashboard.no_months')));
  return {};
}
