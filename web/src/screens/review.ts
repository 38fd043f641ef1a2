// Review workbench: records operators submitted, each compared field by field with the version
// before it, with a drawing of both; approve, or reject with a reason. Open conflicts (edits
// based on a replaced version) are shown with both versions; nothing is overwritten silently.
import { add, h, clear, field } from '../dom';
import { t, term, fmtDateTime } from '../i18n';
import { getJson, postJson, ApiError } from '../api';
import { diffTable, diffDrawing } from '../diff';
import type { Screen } from '../main';

interface Queued {
  kind: string;
  id: string;
  version: number;
  submitted_at: string;
  record: any;
  previous: any;
}

export async function reviewScreen(main: HTMLElement): Promise<Screen> {
  const queueEl = h('div', { id: 'queue' });
  const conflictsEl = h('div', { id: 'conflicts' });
  add(main, 
    h('h1', {}, t('review.title')),
    h('section', { class: 'card' }, h('h2', {}, t('review.queue')), queueEl),
    h('section', { class: 'card' }, h('h2', {}, t('review.conflicts')), conflictsEl),
  );

  async function loadQueue(): Promise<void> {
    clear(queueEl);
    const q = await getJson<Queued[]>('/api/v1/review');
    if (!q.length) {
      add(queueEl, h('p', { class: 'muted' }, t('review.empty')));
      return;
    }
    add(queueEl, h('p', {}, t('review.count', { count: q.length })));
    for (const item of q.slice(0, 50)) {
      const reason = h('input', { autocomplete: 'off' });
      const msg = h('p', { role: 'alert', class: 'error' });
      const decide = async (decision: 'approve' | 'reject') => {
        msg.textContent = '';
        if (decision === 'reject' && !reason.value.trim()) {
          msg.textContent = t('review.reason_needed');
          reason.focus();
          return;
        }
        try {
          await postJson(`/api/v1/review/${item.kind}/${encodeURIComponent(item.id)}`, { decision, reason: reason.value.trim() || undefined });
          await loadQueue();
        } catch (e) {
          msg.textContent = t('app.error', { detail: e instanceof ApiError ? e.message : String(e) });
        }
      };
      add(queueEl, 
        h(
          'article',
          { class: 'review-item', 'data-id': item.id },
          h('h3', {}, term('kind', item.kind), ' ', h('span', { class: 'mono' }, item.id), ' · ', t('review.submitted_at', { at: fmtDateTime(item.submitted_at) })),
          h('div', { class: 'grid2' }, diffTable(item.previous, item.record, item.previous ? t('review.stored') : t('review.new_record'), t('review.submitted')), item.record?.geometry ? diffDrawing(item.previous, item.record, t('review.stored'), t('review.submitted')) : null),
          field(t('review.reason'), reason, t('review.reason_hint')),
          msg,
          h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => decide('approve') }, t('review.approve')), h('button', { type: 'button', class: 'danger', onclick: () => decide('reject') }, t('review.reject'))),
        ),
      );
    }
  }

  async function loadConflicts(): Promise<void> {
    clear(conflictsEl);
    const cs = await getJson<any[]>('/api/v1/conflicts');
    if (!cs.length) {
      add(conflictsEl, h('p', { class: 'muted' }, t('review.no_conflicts')));
      return;
    }
    for (const c of cs) {
      let stored: any = null;
      try {
        stored = (await getJson(`/api/v1/records/${c.kind}/${encodeURIComponent(c.record_id)}`)).record;
      } catch {
        /* retired since */
      }
      const note = h('input', { autocomplete: 'off' });
      add(conflictsEl, 
        h(
          'article',
          { class: 'review-item conflict', 'data-id': c.record_id },
          h('h3', {}, t('review.conflict_heading', { id: c.record_id, user: c.username, based: c.based_on, stored: c.stored_version })),
          h('p', {}, t('review.conflict_at', { at: fmtDateTime(c.created_at) })),
          h('div', { class: 'grid2' }, diffTable(stored, c.proposed, t('review.stored_now'), t('review.proposed')), c.proposed?.geometry && stored?.geometry ? diffDrawing(stored, c.proposed, t('review.stored_now'), t('review.proposed')) : null),
          field(t('review.resolution'), note),
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                await postJson(`/api/v1/conflicts/${c.fid}/resolve`, { resolution: note.value.trim() || t('review.resolved_default') });
                await loadConflicts();
              },
            },
            t('review.resolve'),
          ),
        ),
      );
    }
  }

  await Promise.all([loadQueue(), loadConflicts()]);
  return {};
}
