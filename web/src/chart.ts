// uPlot charts (a 50 KB canvas chart library: fast, no dependencies, no DOM per point).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { locale } from './i18n';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  fill?: string;
  dash?: number[];
  bars?: boolean;
}

/** A time chart (x in seconds since 1970) with a band between two series when `band` names them. */
export function timeChart(
  el: HTMLElement,
  title: string,
  x: number[],
  series: Series[],
  yFormat: (v: number) => string,
  band?: [number, number],
): uPlot {
  const width = Math.max(320, Math.min(el.clientWidth || 720, 960));
  const opts: uPlot.Options = {
    title,
    width,
    height: 300,
    fmtDate: (tpl: string) => {
      const monthly = !tpl.includes('{D}');
      const f = new Intl.DateTimeFormat(locale(), monthly ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { dateStyle: 'medium', timeZone: 'UTC' });
      return (d: Date) => f.format(d);
    },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    axes: [{ space: 90 }, { values: (_u, vals) => vals.map((v) => yFormat(v)), size: 90 }],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        fill: s.fill,
        dash: s.dash,
        value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : yFormat(v)),
        paths: s.bars ? uPlot.paths.bars!({ size: [0.6, 40] }) : undefined,
      })),
    ],
    bands: band ? [{ series: [band[1] + 1, band[0] + 1], fill: 'rgba(30,136,168,0.18)' }] : undefined,
    legend: { live: false },
  };
  return new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
}
