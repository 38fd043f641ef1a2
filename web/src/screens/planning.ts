// Planning: the Monte Carlo forecast of the registry's plan (the jobs API runs what `demine
// forecast` runs: same start, runs and seed give the same dates), its P10–P90 band of released
// area, what-if extra teams, "how many teams to finish by D" (capacity), and the release
// strategies compared (the jobs API runs what `demine strategy` runs).
import { add, h, clear, field } from '../dom';
import { t, fmtArea, fmtDate, fmtNum, fmtPct, term, areaUnit } from '../i18n';
import { runJob, ApiError } from '../api';
import { timeChart } from '../chart';
import { gantt } from '../gantt';
import type { Screen } from '../main';

// A job's `notes` (what its figures rest on: settings far from practice, a missing risk map),
// in the language the result was asked in; nothing when it has none.
function notesOf(result: { notes?: string[] }, id: string): HTMLElement | null {
  const notes = result.notes ?? [];
  return notes.length
    ? h('div', { class: 'warn', id }, h('p', {}, t('planning.notes')), h('ul', {}, notes.map((n) => h('li', {}, n))))
    : null;
}

export async function planningScreen(main: HTMLElement): Promise<Screen> {
  const today = new Date().toISOString().slice(0, 10);
  const start = h('input', { type: 'date', id: 'plan-start', value: today, required: true });
  const runs = h('input', { type: 'number', id: 'plan-runs', value: '200', min: '10', max: '5000', step: '10', inputmode: 'numeric' });
  const seed = h('input', { type: 'number', id: 'plan-seed', value: '1', min: '0', inputmode: 'numeric' });
  const addTeams = h('input', { id: 'plan-add', placeholder: 'manual:2,mdd:1', autocomplete: 'off' });
  const strategy = h(
    'select',
    { id: 'plan-strategy' },
    h('option', { value: '' }, t('planning.strategy_default')),
    ['evidence-led', 'survey-led', 'clear-all'].map((s) => h('option', { value: s }, term('strategy', s))),
  );
  const out = h('div', { id: 'forecast-out', 'aria-live': 'polite' });
  const deadline = h('input', { type: 'date', id: 'cap-deadline', required: true });
  const confidence = h('input', { type: 'number', id: 'cap-confidence', value: '0.8', min: '0.5', max: '0.99', step: '0.05' });
  const capOut = h('div', { id: 'capacity-out', 'aria-live': 'polite' });

  const input = () => ({
    start: start.value || undefined,
    strategy: strategy.value || undefined,
    runs: Number(runs.value),
    seed: Number(seed.value),
    add_teams: addTeams.value.trim() || undefined,
  });

  async function forecast(e: Event): Promise<void> {
    e.preventDefault();
    clear(out);
    const busy = h('p', { role: 'status' }, t('planning.running'));
    add(out, busy);
    try {
      const f = await runJob<any>('forecast', input(), (x) => (busy.textContent = t('planning.running_pct', { pct: fmtPct(x) })));
      clear(out);
      add(out, 
        h(
          'dl',
          { class: 'figures big', id: 'forecast-dates' },
          h('dt', {}, 'P10'), h('dd', { 'data-date': f.p10 }, fmtDate(f.p10)),
          h('dt', {}, 'P50'), h('dd', { 'data-date': f.p50 }, fmtDate(f.p50)),
          h('dt', {}, 'P90'), h('dd', { 'data-date': f.p90 }, fmtDate(f.p90)),
          h('dt', {}, t('planning.plan_date')), h('dd', { 'data-date': f.plan_completion_date }, fmtDate(f.plan_completion_date)),
        ),
        h('p', {}, t('planning.forecast_text', { runs: f.runs, teams: f.teams, sigma: fmtNum(f.productivity_sigma ?? 0, 2) })),
        notesOf(f, 'forecast-notes'),
        f.synthetic ? h('p', { class: 'warn' }, t('app.synthetic_hint')) : null,
      );
      const curve = (f.released_curve ?? []) as { month: string; p10: number; p50: number; p90: number }[];
      if (curve.length) {
        const chart = h('div', { class: 'chart', id: 'forecast-chart' });
        add(out, chart);
        timeChart(
          chart,
          t('planning.band'),
          curve.map((m) => Date.parse(m.month + '-01T00:00:00Z') / 1000),
          [
            { label: 'P10', values: curve.map((m) => m.p10), color: '#1e88a8', dash: [4, 4] },
            { label: 'P50', values: curve.map((m) => m.p50), color: '#0b3d2e' },
            { label: 'P90', values: curve.map((m) => m.p90), color: '#1e88a8', dash: [4, 4] },
          ],
          ((u) => (v: number) => fmtArea(v, u))(areaUnit(Math.max(...curve.map((m) => m.p90)))),
          [0, 2],
        );
      }
    } catch (err) {
      clear(out);
      add(out, h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
    }
  }

  async function capacity(e: Event): Promise<void> {
    e.preventDefault();
    clear(capOut);
    add(capOut, h('p', { role: 'status' }, t('planning.running')));
    try {
      const c = await runJob<any>('capacity', { ...input(), deadline: deadline.value, confidence: Number(confidence.value) });
      clear(capOut);
      const extra = Object.entries(c.extra_teams as Record<string, number>).filter(([, n]) => n > 0);
      // Not achievable: the mix that finished soonest, which may be the teams there are.
      const earliest = c.earliest_date_at_confidence ?? c.completion_date_at_confidence;
      add(capOut,
        h('p', { id: 'capacity-answer', 'data-earliest': c.achievable ? '' : earliest }, c.achievable
          ? t('planning.capacity_yes', { date: fmtDate(c.deadline), p: fmtPct(c.probability ?? 0) })
          : t('planning.capacity_no', { date: fmtDate(c.deadline), earliest: fmtDate(earliest) })),
        extra.length
          ? h('ul', { id: 'capacity-extra' }, extra.map(([k, n]) => h('li', {}, t('planning.extra_teams', { count: n, kind: term('team_kind', k) }))))
          : h('p', {}, t(c.achievable ? 'planning.no_extra' : 'planning.capacity_as_is')),
        c.achievable && c.completion_date_at_confidence
          ? h('p', {}, t('planning.date_at_confidence', { date: fmtDate(c.completion_date_at_confidence) }))
          : null,
        notesOf(c, 'capacity-notes'),
      );
    } catch (err) {
      clear(capOut);
      add(capOut, h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
    }
  }

  const ganttOut = h('div', { id: 'gantt-out', 'aria-live': 'polite' });
  async function schedule(e: Event): Promise<void> {
    e.preventDefault();
    clear(ganttOut);
    ganttOut.append(h('p', { role: 'status' }, t('planning.running')));
    try {
      const p = await runJob<any>('plan', { start: start.value || undefined, strategy: strategy.value || undefined, seed: Number(seed.value) });
      clear(ganttOut);
      add(ganttOut, h('p', {}, t('planning.plan_text', { date: fmtDate(p.completion_date), tasks: p.tasks, teams: p.teams })), notesOf(p, 'plan-notes'), gantt(p));
    } catch (err) {
      clear(ganttOut);
      ganttOut.append(h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
    }
  }

  const stratDeadline = h('input', { type: 'date', id: 'strategy-deadline' });
  const stratCap = h('input', { type: 'number', id: 'strategy-cap', min: '0', step: '1', inputmode: 'decimal' });
  // The evidence-led thresholds and the TS coverage are parameters (`demine strategy
  // --ts-coverage --cancel-below --clear-above`); empty takes the defaults.
  const tsCoverage = h('input', { type: 'number', id: 'strategy-ts-coverage', min: '1', max: '100', step: '1', placeholder: '20', inputmode: 'decimal' });
  const cancelBelow = h('input', { type: 'number', id: 'strategy-cancel-below', min: '0', step: 'any', placeholder: '0.02', inputmode: 'decimal' });
  const clearAbove = h('input', { type: 'number', id: 'strategy-clear-above', min: '0', step: 'any', placeholder: '0.5', inputmode: 'decimal' });
  const optional = (el: HTMLInputElement, scale = 1) => (el.value === '' ? undefined : Number(el.value) * scale);
  const stratOut = h('div', { id: 'strategies-out', 'aria-live': 'polite' });
  async function strategies(e: Event): Promise<void> {
    e.preventDefault();
    clear(stratOut);
    const busy = h('p', { role: 'status' }, t('planning.running'));
    add(stratOut, busy);
    try {
      const r = await runJob<any>(
        'strategy',
        {
          start: start.value || undefined,
          runs: Number(runs.value),
          seed: Number(seed.value),
          deadline: stratDeadline.value || undefined,
          max_residual_items: optional(stratCap),
          ts_coverage: optional(tsCoverage, 0.01),
          cancel_below_items_per_ha: optional(cancelBelow),
          clear_above_items_per_ha: optional(clearAbove),
          hazards: 0,
        },
        (x) => (busy.textContent = t('planning.running_pct', { pct: fmtPct(x) })),
      );
      clear(stratOut);
      const rows = r.strategies as any[];
      const truth = rows.some((x) => typeof x.true_residual_items === 'number');
      // How many times sooner evidence-led finishes than clearing everything (P50 from the start).
      const days = (x: any) => x && (Date.parse(x.completion_p50) - Date.parse(r.start_date)) / 86400000;
      const [all, led] = [days(rows.find((x) => x.name === 'clear-all')), days(rows.find((x) => x.name === 'evidence-led'))];
      const speedup = all > 0 && led > 0 ? all / led : 0;
      add(stratOut,
        h(
          'table',
          { id: 'strategies' },
          h('caption', {}, t('planning.strategies_caption')),
          h(
            'tr',
            {},
            [t('planning.strategy'), 'P10', 'P50', 'P90', t('planning.team_days'), t('planning.cleared'), t('planning.items_left')]
              .concat(truth ? [t('planning.true_items_left')] : [])
              .map((c) => h('th', { scope: 'col' }, c)),
          ),
          rows.map((x) =>
            h(
              'tr',
              { 'data-name': x.name },
              h('th', { scope: 'row' }, term('strategy', x.name)),
              h('td', { 'data-date': x.completion_p10 }, fmtDate(x.completion_p10)),
              h('td', { 'data-date': x.completion_p50 }, fmtDate(x.completion_p50)),
              h('td', { 'data-date': x.completion_p90 }, fmtDate(x.completion_p90)),
              h('td', { class: 'num' }, fmtNum(x.team_days)),
              h('td', { class: 'num', 'data-m2': x.released_by_outcome_m2.cleared }, fmtArea(x.released_by_outcome_m2.cleared, areaUnit(x.released_m2))),
              h('td', { class: 'num', 'data-items': x.expected_residual_items }, fmtNum(x.expected_residual_items, 1)),
              truth ? h('td', { class: 'num' }, fmtNum(x.true_residual_items)) : null,
            ),
          ),
        ),
        speedup ? h('p', { id: 'strategies-speedup' }, t('planning.sooner', { x: fmtNum(speedup, 1) })) : null,
        r.methods
          ? h(
              'p',
              { id: 'strategies-assumed', 'data-ts-coverage': r.methods.ts_coverage },
              t('planning.assumed', {
                ts: fmtPct(r.methods.ts_coverage),
                det: fmtPct(r.methods.ts_detection),
                clear: fmtPct(r.methods.clearance_detection),
                r: fmtNum(r.methods.evidence_radius_m),
              }),
            )
          : null,
        (r.frontier ?? []).length
          ? h(
              'p',
              { id: 'frontier' },
              t('planning.frontier', { p: fmtPct(r.confidence ?? 0.9) }) + ' ',
              (r.frontier as any[])
                .map((f) => `${fmtDate(f.completion_at_confidence)} → ${fmtNum(f.expected_residual_items, 1)}`)
                .join(' · '),
            )
          : null,
        notesOf(r, 'strategies-notes'),
        r.synthetic ? h('p', { class: 'warn' }, t('app.synthetic_hint')) : null,
      );
    } catch (err) {
      clear(stratOut);
      add(stratOut, h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
    }
  }

  add(main,
    h('h1', {}, t('planning.title')),
    h('p', {}, t('planning.intro')),
    h(
      'form',
      { class: 'card', onsubmit: forecast },
      h('h2', {}, t('planning.forecast')),
      h('div', { class: 'row' }, field(t('planning.start'), start), field(t('planning.runs'), runs), field(t('planning.seed'), seed)),
      h('div', { class: 'row' }, field(t('planning.strategy'), strategy), field(t('planning.add_teams'), addTeams, t('planning.add_teams_hint'))),
      h('button', { type: 'submit', id: 'run-forecast' }, t('planning.run')),
      out,
    ),
    h(
      'form',
      { class: 'card', onsubmit: strategies },
      h('h2', {}, t('planning.strategies')),
      h('p', {}, t('planning.strategies_intro')),
      h('div', { class: 'row' }, field(t('planning.deadline_optional'), stratDeadline), field(t('planning.max_residual'), stratCap)),
      h(
        'div',
        { class: 'row' },
        field(t('planning.ts_coverage'), tsCoverage),
        field(t('planning.cancel_below'), cancelBelow),
        field(t('planning.clear_above'), clearAbove, t('planning.settings_hint')),
      ),
      h('button', { type: 'submit', id: 'run-strategies' }, t('planning.run_strategies')),
      stratOut,
    ),
    h('form', { class: 'card', onsubmit: schedule }, h('h2', {}, t('planning.gantt')), h('button', { type: 'submit', id: 'run-plan' }, t('planning.gantt_run')), ganttOut),
    h(
      'form',
      { class: 'card', onsubmit: capacity },
      h('h2', {}, t('planning.capacity')),
      h('div', { class: 'row' }, field(t('planning.deadline'), deadline), field(t('planning.confidence'), confidence)),
      h('button', { type: 'submit' }, t('planning.run_capacity')),
      capOut,
    ),
  );
  return {};
}
