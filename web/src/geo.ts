// Small geometry helpers for SVG drawings of one hazard (dossier, field form): an
// equirectangular projection around the hazard, good to well under a pixel at that size.
export type Ring = [number, number][];
export type Polys = Ring[][]; // polygons, each a list of rings

export function polygons(g: { type: string; coordinates: unknown } | null | undefined): Polys {
  if (!g) return [];
  if (g.type === 'Polygon') return [g.coordinates as Ring[]];
  if (g.type === 'MultiPolygon') return g.coordinates as Ring[][];
  return [];
}

export interface Frame {
  x: (lon: number) => number;
  y: (lat: number) => number;
  lon: (x: number) => number;
  lat: (y: number) => number;
  width: number;
  height: number;
}

export function frame(p: Polys, width: number, height: number, pad = 12): Frame {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of p) for (const ring of poly) for (const [x, y] of ring) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (!isFinite(x0)) [x0, y0, x1, y1] = [0, 0, 1, 1];
  const k = Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
  const w = Math.max((x1 - x0) * k, 1e-9);
  const hgt = Math.max(y1 - y0, 1e-9);
  const s = Math.min((width - 2 * pad) / w, (height - 2 * pad) / hgt);
  const ox = pad + ((width - 2 * pad) - w * s) / 2;
  const oy = pad + ((height - 2 * pad) - hgt * s) / 2;
  return {
    x: (lon) => ox + (lon - x0) * k * s,
    y: (lat) => oy + (y1 - lat) * s,
    lon: (x) => x0 + (x - ox) / (k * s),
    lat: (y) => y1 - (y - oy) / s,
    width,
    height,
  };
}

export function path(p: Polys, f: Frame): string {
  return p
    .map((poly) => poly.map((ring) => ring.map(([x, y], i) => `${i ? 'L' : 'M'}${f.x(x).toFixed(1)},${f.y(y).toFixed(1)}`).join('') + 'Z').join(''))
    .join('');
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
