// Field-by-field comparison of two versions of a record (GeoJSON features), and a drawing of
// both geometries: what the review workbench and conflicts show.
import { h } from './dom';
import { t, has, term } from './i18n';
import { polygons, frame, path, svg } from './geo';

type Feature = { properties?: Record<string, unknown>; geometry?: { type: string; coordinates: unknown } | null } | null | undefined;

// Values of these fields are enumerations with words in the catalogs.
const TERMS: Record<string, string> = { class: 'class', status: 'status', outcome: 'outcome', category: 'category', type: 'activity', review: 'review', team_kind: 'team_kind', disposition: 'disposition' };

function show(v: unknown, key = ''): string {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'string' && TERMS[key]) return term(TERMS[key], v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function label(k: string): string {
  return has('field.' + k) ? t('field.' + k) : k;
}

export function diffTable(a: Feature, b: Feature, labelA: string, labelB: string): HTMLElement {
  const pa = a?.properties ?? {};
  const pb = b?.properties ?? {};
  const keys = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort();
  const geomChanged = JSON.stringify(a?.geometry ?? null) !== JSON.stringify(b?.geometry ?? null);
  const rows = keys.map((k) => {
    const changed = show(pa[k]) !== show(pb[k]);
    return h('tr', { class: changed ? 'changed' : undefined }, h('th', { scope: 'row' }, label(k)), h('td', {}, show(pa[k], k)), h('td', {}, show(pb[k], k)), h('td', {}, changed ? t('diff.changed') : ''));
  });
  rows.push(h('tr', { class: geomChanged ? 'changed' : undefined }, h('th', { scope: 'row' }, t('diff.geometry')), h('td', {}, a?.geometry ? a.geometry.type : '—'), h('td', {}, b?.geometry ? b.geometry.type : '—'), h('td', {}, geomChanged ? t('diff.changed') : '')));
  return h(
    'table',
    { class: 'diff' },
    h('caption', {}, t('diff.caption')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('diff.field')), h('th', { scope: 'col' }, labelA), h('th', { scope: 'col' }, labelB), h('th', { scope: 'col' }, t('diff.change')))),
    h('tbody', {}, rows),
  );
}

/** Both geometries on one small drawing: A dashed, B filled. */
export function diffDrawing(a: Feature, b: Feature, labelA: string, labelB: string): HTMLElement {
  const pa = polygons(a?.geometry ?? null);
  const pb = polygons(b?.geometry ?? null);
  const W = 260, H = 180;
  const fr = frame([...pa, ...pb], W, H);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'drawing' });
  const title = svg('title', {});
  title.textContent = t('diff.drawing', { a: labelA, b: labelB });
  s.append(title);
  if (pb.length) s.append(svg('path', { d: path(pb, fr), fill: '#1e88a8', 'fill-opacity': 0.4, stroke: '#1e88a8' }));
  if (pa.length) s.append(svg('path', { d: path(pa, fr), fill: 'none', stroke: '#c4122f', 'stroke-width': 2, 'stroke-dasharray': '5 3' }));
  return h('figure', { class: 'preview' }, s as unknown as HTMLElement, h('figcaption', {}, t('diff.legend', { a: labelA, b: labelB })));
}
