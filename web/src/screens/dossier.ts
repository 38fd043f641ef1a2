// Hazard dossier: the record, the land-release chain with areas (each row traces to its
// polygon on the drawing), finds, QA, residual risk, certificate state, versions and change log.
import { add, h, clear } from '../dom';
import { t, term, fmtArea, fmtDate, fmtDateTime, fmtNum, fmtPct } from '../i18n';
import { getJson, request, session, ApiError } from '../api';
import { field } from '../dom';
import { diffTable } from '../diff';
import { polygons, frame, path, svg, type Polys } from '../geo';
import { COLORS } from '../colors';
import { cachePut, cacheGet } from '../outbox';
import type { Screen } from '../main';

interface Shown {
  id: string;
  version: number;
  review: string;
  record: { geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> };
  hazard: any;
  change_log: { seq: number; at: string; actor: string; action: string; reason: string | null }[];
  versions: { version: number; valid_to: string | null; ended_by: string | null; reason: string | null }[];
}

function table(caption: string, head: string[], rows: (string | Node)[][], empty: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
  );
}

export async function dossierScreen(main: HTMLElement, id: string | undefined): Promise<Screen> {
  if (!id) throw new Error('no hazard');
  let s: Shown;
  let acts: { features: { properties: Record<string, unknown>; geometry: any }[] };
  let offline = '';
  try {
    s = await getJson<Shown>(`/api/v1/records/hazards/${encodeURIComponent(id)}`);
    acts = await getJson(`/api/v1/records/activities?hazard_id=${encodeURIComponent(id)}&limit=1000`);
    await cachePut('dossier:' + id, { s, acts });
  } catch (e) {
    const c = await cacheGet<{ s: Shown; acts: typeof acts }>('dossier:' + id);
    if (!c) throw e;
    ({ s, acts } = c.value);
    offline = t('dossier.cached', { at: fmtDateTime(c.at) });
  }
  const d = s.hazard;
  const p = s.record.properties;
  const hz = polygons(s.record.geometry);
  const byActivity = new Map<string, number>();
  for (const piece of d.released as { activity_id: string; area_m2: number }[]) {
    byActivity.set(piece.activity_id, (byActivity.get(piece.activity_id) ?? 0) + piece.area_m2);
  }
  const actGeom = new Map<string, Polys>();
  for (const f of acts.features) actGeom.set(String(f.properties.id), polygons(f.geometry));

  // The drawing: hazard, each activity's land by outcome, finds.
  const W = 420, H = 300;
  const fr = frame(hz, W, H);
  const drawing = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'dossier-drawing-title', class: 'drawing' });
  const title = svg('title', { id: 'dossier-drawing-title' });
  title.textContent = t('dossier.drawing', { id: s.id });
  drawing.append(title);
  drawing.append(svg('path', { d: path(hz, fr), fill: p.class === 'CHA' ? COLORS.CHA : COLORS.SHA, 'fill-opacity': 0.35, stroke: '#333', 'stroke-width': 1.5 }));
  const actPaths = new Map<string, SVGElement>();
  for (const a of d.activities as { id: string; outcome: string }[]) {
    const g = actGeom.get(a.id);
    if (!g) continue;
    const el = svg('path', { d: path(g, fr), fill: (COLORS as Record<string, string>)[a.outcome] ?? COLORS.cleared, 'fill-opacity': 0.6, stroke: '#fff', 'stroke-width': 0.5, 'data-activity': a.id });
    actPaths.set(a.id, el);
    drawing.append(el);
  }
  for (const f of d.finds as { lon: number; lat: number }[]) {
    drawing.append(svg('circle', { cx: fr.x(f.lon), cy: fr.y(f.lat), r: 4, fill: COLORS.find, stroke: '#fff' }));
  }
  const highlight = (aid: string | null) => {
    for (const [k, el] of actPaths) el.setAttribute('stroke', k === aid ? '#000' : '#fff'), el.setAttribute('stroke-width', k === aid ? '3' : '0.5');
  };

  const chain = (d.activities as any[]).map((a) => {
    const row = [
      h('span', { class: 'mono' }, a.id),
      term('activity', a.type),
      term('outcome', a.outcome),
      `${fmtDate(a.start_date)} – ${fmtDate(a.end_date)}`,
      a.team ?? '—',
      fmtArea(byActivity.get(a.id) ?? 0),
    ];
    return row;
  });

  const res = d.residual;
  add(main, 
    h('p', {}, h('a', { href: '#/map' }, t('dossier.back'))),
    h('h1', {}, t('dossier.heading', { id: s.id }), ' ', h('span', { class: 'tag' }, term('class', String(p.class))), ' ', h('span', { class: 'tag' }, term('status', d.status))),
    offline ? h('p', { class: 'warn' }, offline) : null,
    s.review !== 'approved' ? h('p', { class: 'warn' }, t('review.state', { state: term('review', s.review) })) : null,
    h(
      'div',
      { class: 'grid2' },
      h('figure', { class: 'card' }, drawing, h('figcaption', {}, t('dossier.drawing_caption'))),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('dossier.release')),
        h(
          'dl',
          { class: 'figures' },
          p.name ? [h('dt', {}, t('hazard.name')), h('dd', {}, String(p.name))] : null,
          h('dt', {}, t('hazard.area')), h('dd', { id: 'd-area' }, fmtArea(d.area_m2)),
          h('dt', {}, term('outcome', 'cancelled')), h('dd', {}, fmtArea(d.cancelled_m2)),
          h('dt', {}, term('outcome', 'reduced')), h('dd', {}, fmtArea(d.reduced_m2)),
          h('dt', {}, term('outcome', 'cleared')), h('dd', {}, fmtArea(d.cleared_m2)),
          h('dt', {}, t('hazard.remaining')), h('dd', { id: 'd-remaining' }, fmtArea(d.remaining_m2)),
          h('dt', {}, t('hazard.organisation')), h('dd', {}, String(p.organisation ?? '—')),
          h('dt', {}, t('hazard.recorded')), h('dd', {}, fmtDate(String(p.recorded_date ?? ''))),
          h('dt', {}, t('dossier.version')), h('dd', {}, fmtNum(s.version)),
        ),
        h('h3', {}, t('dossier.residual')),
        res
          ? h('p', {}, t('dossier.residual_text', { items: fmtNum(res.expected_remaining, 3), p: fmtPct(res.p_any_remaining), area: fmtArea(res.released_area_m2) }))
          : h('p', { class: 'muted' }, t('dossier.no_residual')),
        h('h3', {}, t('dossier.certificate')),
        d.certificate?.can_issue
          ? h('p', {}, t('dossier.certificate_ready'))
          : h('div', {}, h('p', {}, t('dossier.certificate_blocked')), h('ul', {}, ((d.certificate?.not_yet_because ?? []) as string[]).map((b) => h('li', { lang: 'en' }, b)))),
      ),
    ),
  );
  const chainTable = table(t('dossier.chain'), [t('release.activity'), t('release.type'), t('release.outcome'), t('release.dates'), t('release.team'), t('release.released_here')], chain, t('dossier.no_activities'));
  chainTable.querySelectorAll('tbody tr').forEach((tr, i) => {
    const aid = (d.activities as any[])[i].id;
    tr.setAttribute('tabindex', '0');
    tr.addEventListener('mouseenter', () => highlight(aid));
    tr.addEventListener('focus', () => highlight(aid));
    tr.addEventListener('mouseleave', () => highlight(null));
    tr.addEventListener('blur', () => highlight(null));
  });
  add(main, 
    h('section', { class: 'card' }, h('h2', {}, t('dossier.chain')), h('p', { class: 'hint' }, t('dossier.chain_hint')), chainTable),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('dossier.finds')),
      table(t('dossier.finds'), [t('find.id'), t('find.date'), t('find.category')], (d.finds as any[]).map((f) => [h('span', { class: 'mono' }, f.id), fmtDate(f.date), term('category', f.category)]), t('dossier.no_finds')),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('dossier.progress')),
      table(t('dossier.progress'), [t('progress.date'), t('progress.team'), t('progress.hours'), t('hazard.area'), t('progress.finds')], (d.daily_progress as any[]).map((r) => [fmtDate(r.date), r.team, fmtNum(r.hours, 1), fmtArea(r.area_m2), fmtNum(r.finds)]), t('dossier.no_progress')),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('dossier.qa')),
      table(t('dossier.qa'), [t('qa.date'), t('qa.result')], (d.qa as any[]).map((q) => [fmtDate(q.date), q.accepted ? t('qa.accepted') : t('qa.rejected')]), t('dossier.no_qa')),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('dossier.log')),
      table(t('dossier.log'), [t('log.at'), t('log.actor'), t('log.action'), t('log.reason')], s.change_log.map((e) => [fmtDateTime(e.at), e.actor, term('action', e.action), e.reason ?? '—']), t('dossier.no_log')),
    ),
  );
  if (session()?.me.may.write && !offline) add(main, editForm(s));
  return {};
}

/** A correction of the hazard's descriptive fields, based on the version shown (If-Match): if
 * someone changed it since, the edit is kept as a conflict and both versions are shown. */
function editForm(s: Shown): HTMLElement {
  const p = s.record.properties;
  const inputs: Record<string, HTMLInputElement> = {};
  for (const k of ['name', 'land_use', 'contamination']) inputs[k] = h('input', { id: 'e-' + k, value: String(p[k] ?? ''), autocomplete: 'off' });
  const reason = h('input', { id: 'e-reason', required: true, autocomplete: 'off' });
  const msg = h('div', { role: 'alert', id: 'edit-msg' });
  return h(
    'form',
    {
      class: 'card',
      id: 'edit-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clear(msg);
        const set: Record<string, string> = {};
        for (const [k, el] of Object.entries(inputs)) if (el.value !== String(p[k] ?? '')) set[k] = el.value;
        try {
          await request(`/api/v1/records/hazards/${encodeURIComponent(s.id)}`, {
            method: 'PATCH',
            headers: { 'If-Match': `"${s.version}"` },
            body: JSON.stringify({ set, reason: reason.value.trim() }),
          });
          add(msg, h('p', { class: 'ok' }, t('edit.saved')));
          setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 800);
        } catch (err) {
          if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
            let now: any = null;
            try {
              now = (await getJson(`/api/v1/records/hazards/${encodeURIComponent(s.id)}`)).record;
            } catch {
              /* retired */
            }
            const mine = { properties: { ...p, ...set }, geometry: s.record.geometry };
            add(msg, 
              h('p', { class: 'error', id: 'conflict-msg' }, t('edit.conflict', { version: s.version })),
              diffTable(now, mine, t('review.stored_now'), t('review.proposed')),
            );
          } else {
            add(msg, h('p', { class: 'error' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
          }
        }
      },
    },
    h('h2', {}, t('edit.title')),
    h('p', { class: 'hint' }, t('edit.hint', { version: s.version })),
    h('div', { class: 'row' }, field(t('hazard.name'), inputs.name), field(t('hazard.land_use'), inputs.land_use), field(t('hazard.contamination'), inputs.contamination)),
    field(t('edit.reason'), reason),
    msg,
    h('button', { type: 'submit', id: 'edit-submit' }, t('edit.save')),
  );
}

export function clearDossier(el: HTMLElement): void {
  clear(el);
}
