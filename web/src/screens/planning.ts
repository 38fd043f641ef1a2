// Planning: the Monte Carlo forecast of the registry's plan (the jobs API runs what `demine
// forecast` runs: same start, runs and seed give the same dates), its P10–P90 band of released
// area, what-if extra teams, and "how many teams to finish by D" (capacity).
import { add, h, clear, field } from '../dom';
import { t, fmtArea, fmtDate, fmtNum, fmtPct, term, areaUnit } from '../i18n';
import { runJob, ApiError } from '../api';
import { timeChart } from '../chart';
import { gantt } from '../gantt';
import type { Screen } from '../main';

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
      add(capOut, 
        h('p', {}, c.achievable ? t('planning.capacity_yes', { date: fmtDate(c.deadline), p: fmtPct(c.probability ?? 0) }) : t('planning.capacity_no', { date: fmtDate(c.deadline) })),
        extra.length
          ? h('ul', {}, extra.map(([k, n]) => h('li', {}, t('planning.extra_teams', { count: n, kind: term('team_kind', k) }))))
          : h('p', {}, t('planning.no_extra')),
        c.completion_date_at_confidence ? h('p', {}, t('planning.date_at_confidence', { date: fmtDate(c.completion_date_at_confidence) })) : null,
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
      ganttOut.append(h('p', {}, t('planning.plan_text', { date: fmtDate(p.completion_date), tasks: p.tasks, teams: p.teams })), gantt(p));
    } catch (err) {
      clear(ganttOut);
      ganttOut.append(h('p', { class: 'error', role: 'alert' }, t('app.error', { detail: err instanceof ApiError ? err.message : String(err) })));
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
