// Operations map: hazards by class and status, released land by outcome, finds and accidents
// from the server's vector tiles (/tiles), over the registry's own context layers. No outside
// basemap, no glyphs, no sprites: nothing leaves the server.
import maplibregl, { type ExpressionSpecification, type StyleSpecification, type LayerSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { add, h, clear, field } from '../dom';
import { t, term, fmtArea, fmtDate, fmtNum } from '../i18n';
import { getJson, session } from '../api';
import { go, type Screen } from '../main';
import { COLORS } from '../colors';


interface Collection {
  id: string;
  extent?: { spatial?: { bbox?: number[][] } };
}

function tiles(layer: string): string[] {
  return [`${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt`];
}

/** Overview dots (points in a polygon layer) and the polygons themselves. */
const DOTS: ExpressionSpecification = ['==', ['geometry-type'], 'Point'];
const SHAPES: ExpressionSpecification = ['!=', ['geometry-type'], 'Point'];
/**
 * The same value for every feature, written as a per-feature expression. MapLibre compiles one
 * shader program per layer type and per choice of which paint properties vary by feature; with
 * software WebGL each costs tens of milliseconds before the first frame. So every layer of a type
 * varies the same properties by feature (colour, opacity, radius), and the map compiles one
 * program per type (fill, line, circle) instead of three or four.
 */
function perFeature(v: string | number): ExpressionSpecification {
  return ['case', ['has', 'id'], v, v];
}

/** A dot grows with the number of features it stands for. */
const DOT_RADIUS: ExpressionSpecification = ['interpolate', ['linear'], ['coalesce', ['get', 'count'], 1], 1, 2.5, 10, 4, 100, 6];

/** Which hazards are drawn: the classes and statuses ticked, recorded by the as-of date (if any). */
interface HazardChoice {
  classOn: Record<string, boolean>;
  statusOn: Record<string, boolean>;
  asOf: string;
}

/** The filter of a hazards layer drawing `shape` (DOTS or SHAPES) for `c`. */
function hazardFilter(shape: ExpressionSpecification, c: HazardChoice): ExpressionSpecification {
  const on = (m: Record<string, boolean>) => Object.entries(m).filter(([, v]) => v).map(([k]) => k);
  return [
    'all',
    shape,
    ['in', ['get', 'class'], ['literal', on(c.classOn)]],
    ['in', ['get', 'status'], ['literal', on(c.statusOn)]],
    ...(c.asOf ? [['<=', ['get', 'recorded_date'], c.asOf] as ExpressionSpecification] : []),
  ];
}

/**
 * The map's style. Its filters are those the screen's controls start with (`hazards`), so that
 * applying the controls when the map loads changes nothing: a changed filter makes MapLibre lay
 * out every loaded tile of the source again, and draw again, seconds with software WebGL.
 */
function style(ids: Set<string>, hazards: HazardChoice): StyleSpecification {
  const sources: StyleSpecification['sources'] = {};
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }];
  for (const id of ids) sources[id] = { type: 'vector', tiles: tiles(id), minzoom: 0, maxzoom: 16 };
  for (const id of [...ids].filter((i) => i.startsWith('context_'))) {
    const settlement = /settle|town|village|city|built/.test(id);
    layers.push(
      {
        id: id + '-fill',
        type: 'fill',
        source: id,
        'source-layer': id,
        filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': perFeature(settlement ? '#d9d4c7' : '#e6e3da'), 'fill-opacity': perFeature(settlement ? 0.9 : 0.3), 'fill-antialias': false },
      },
      {
        id: id + '-line',
        type: 'line',
        source: id,
        'source-layer': id,
        paint: {
          'line-color': perFeature(/road/.test(id) ? '#8c7b5b' : COLORS.context),
          'line-width': /road/.test(id) ? 1.5 : 0.8,
          ...(/bound|admin/.test(id) ? { 'line-dasharray': [3, 2] } : {}),
        },
      },
      {
        id: id + '-point',
        type: 'circle',
        source: id,
        'source-layer': id,
        filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-color': perFeature(COLORS.context), 'circle-opacity': perFeature(1), 'circle-radius': perFeature(3) },
      },
    );
  }
  if (ids.has('hazards')) {
    layers.push(
      {
        // Below zoom 10 the server sends hazards too small to see as dots (one per few pixels,
        // with a count): tens of thousands of specks would cost seconds to triangulate.
        id: 'hazards-dot',
        type: 'circle',
        source: 'hazards',
        'source-layer': 'hazards',
        filter: hazardFilter(DOTS, hazards),
        paint: {
          'circle-color': ['match', ['get', 'class'], 'CHA', COLORS.CHA, COLORS.SHA],
          'circle-opacity': ['match', ['get', 'status'], 'released', 0.25, 0.85],
          'circle-radius': DOT_RADIUS,
        },
      },
      {
        id: 'hazards-fill',
        type: 'fill',
        source: 'hazards',
        'source-layer': 'hazards',
        filter: hazardFilter(SHAPES, hazards),
        paint: {
          'fill-color': ['match', ['get', 'class'], 'CHA', COLORS.CHA, COLORS.SHA],
          'fill-opacity': ['match', ['get', 'status'], 'released', 0.12, 'partially_released', 0.55, 0.7],
          'fill-antialias': false,
        },
      },
      {
        // Outlines from zoom 8: below it a hazard drawn as a shape is a few pixels across, and
        // its outline doubles the cost of drawing the first, national view.
        id: 'hazards-line',
        type: 'line',
        source: 'hazards',
        'source-layer': 'hazards',
        minzoom: 8,
        filter: hazardFilter(SHAPES, hazards),
        paint: {
          'line-color': ['match', ['get', 'status'], 'released', COLORS.cleared, ['match', ['get', 'class'], 'CHA', COLORS.CHA, COLORS.SHA]],
          'line-width': 1.5,
        },
      },
    );
  }
  for (const [src, key] of [['released_land', 'outcome'], ['activities', 'outcome']] as const) {
    if (!ids.has(src)) continue;
    const color: ExpressionSpecification = ['match', ['get', key], 'cancelled', COLORS.cancelled, 'reduced', COLORS.reduced, COLORS.cleared];
    const visibility = src === 'released_land' ? 'visible' : 'none';
    layers.push(
      { id: src + '-dot', type: 'circle', source: src, 'source-layer': src, filter: DOTS, layout: { visibility }, paint: { 'circle-color': color, 'circle-opacity': perFeature(0.8), 'circle-radius': DOT_RADIUS } },
      { id: src + '-fill', type: 'fill', source: src, 'source-layer': src, filter: SHAPES, layout: { visibility }, paint: { 'fill-color': color, 'fill-opacity': perFeature(0.75), 'fill-antialias': false } },
    );
  }
  if (ids.has('finds'))
    layers.push({
      id: 'finds-point',
      type: 'circle',
      source: 'finds',
      'source-layer': 'finds',
      minzoom: 9,
      paint: { 'circle-color': perFeature(COLORS.find), 'circle-opacity': perFeature(1), 'circle-radius': perFeature(3.5), 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    });
  if (ids.has('accidents'))
    layers.push({
      id: 'accidents-point',
      type: 'circle',
      source: 'accidents',
      'source-layer': 'accidents',
      paint: { 'circle-color': perFeature(COLORS.accident), 'circle-opacity': perFeature(1), 'circle-radius': perFeature(5), 'circle-stroke-color': '#ffd400', 'circle-stroke-width': 2 },
    });
  return { version: 8, sources, layers };
}

function swatch(color: string, shape: 'fill' | 'dot' = 'fill'): HTMLElement {
  return h('span', { class: 'swatch ' + shape, style: `background:${color}`, 'aria-hidden': 'true' });
}

let warm = false;

/**
 * Starts MapLibre's tile worker before the first map, e.g. while the log-in form is shown: a
 * worker takes a few hundred milliseconds to start, and the first view's tiles wait for it. (One
 * worker, MapLibre's default: a second one, tried on 2 cores with software WebGL, drew the first
 * view later, not sooner.)
 */
export function warmUp(): void {
  if (warm) return;
  warm = true;
  maplibregl.prewarm();
}

export async function mapScreen(main: HTMLElement): Promise<Screen> {
  warmUp();
  main.classList.add('map-layout');
  const cols = await getJson<{ collections: Collection[] }>('/ogc/collections?f=json');
  const ids = new Set(cols.collections.map((c) => c.id).filter((i) => i !== 'risk_cells'));
  const hz = cols.collections.find((c) => c.id === 'hazards');
  const bbox = hz?.extent?.spatial?.bbox?.[0];

  const mapEl = h('div', { id: 'map', role: 'region', 'aria-label': t('map.region') });
  const details = h('section', { id: 'details', 'aria-live': 'polite', class: 'card' }, h('p', {}, t('map.click_hint')));
  const figures = h('div', { id: 'asof-figures' });
  const asOf = h('input', { type: 'date', id: 'asof', max: new Date().toISOString().slice(0, 10) });
  const gotoInput = h('input', { id: 'goto', autocomplete: 'off', placeholder: 'HZ-…' });

  const classOn = { SHA: true, CHA: true };
  const statusOn = { active: true, partially_released: true, released: true };
  const choice = (): HazardChoice => ({ classOn, statusOn, asOf: asOf.value });

  const map = new maplibregl.Map({
    container: mapEl,
    style: style(ids, choice()),
    bounds: bbox ? [bbox[0], bbox[1], bbox[2], bbox[3]] : undefined,
    fitBoundsOptions: { padding: 20 },
    center: bbox ? undefined : [31, 49],
    zoom: bbox ? undefined : 5,
    attributionControl: false,
    // No labels fade in or out here: the map is ready (idle) as soon as its tiles are drawn.
    fadeDuration: 0,
    locale: {
      'Map.Title': t('map.region'),
      'NavigationControl.ZoomIn': t('map.zoom_in'),
      'NavigationControl.ZoomOut': t('map.zoom_out'),
      'NavigationControl.ResetBearing': t('map.reset_bearing'),
      'AttributionControl.ToggleAttribution': t('map.toggle_attribution'),
      'ScaleControl.Meters': t('map.m'),
      'ScaleControl.Kilometers': t('map.km'),
    },
    transformRequest: (url) => ({ url, headers: url.startsWith(location.origin) ? { Authorization: 'Bearer ' + (session()?.token ?? '') } : {} }),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  (window as unknown as { demineMap: maplibregl.Map }).demineMap = map;

  /** Sets a layer's filter if it differs (MapLibre lays the source out again on every set). */
  function setFilter(layer: string, filter: ExpressionSpecification | null): void {
    if (map.getLayer(layer) && JSON.stringify(map.getFilter(layer) ?? null) !== JSON.stringify(filter)) map.setFilter(layer, filter);
  }

  function applyFilters(): void {
    const d = asOf.value;
    for (const [l, shape] of [['hazards-fill', SHAPES], ['hazards-line', SHAPES], ['hazards-dot', DOTS]] as const) setFilter(l, hazardFilter(shape, choice()));
    setFilter('finds-point', d ? ['<=', ['get', 'date'], d] : null);
    setFilter('accidents-point', d ? ['<=', ['get', 'date'], d] : null);
    // As of a date, land released is drawn from the activities that ended by then.
    for (const shape of ['fill', 'dot'] as const) {
      const [released, activities] = ['released_land-' + shape, 'activities-' + shape];
      const own = shape === 'fill' ? SHAPES : DOTS;
      if (map.getLayer(released)) map.setLayoutProperty(released, 'visibility', d ? 'none' : 'visible');
      if (map.getLayer(activities)) map.setLayoutProperty(activities, 'visibility', d ? 'visible' : 'none');
      setFilter(activities, d ? ['all', own, ['<=', ['get', 'end_date'], d]] : own);
    }
  }

  async function loadFigures(): Promise<void> {
    clear(figures);
    const q = '?per_hazard=false' + (asOf.value ? `&as_of=${asOf.value}` : '');
    try {
      const r = await getJson<Record<string, number>>('/api/v1/release' + q);
      figures.append(
        h(
          'dl',
          { class: 'figures' },
          h('dt', {}, t('figures.hazards')),
          h('dd', {}, fmtNum(r.hazards)),
          h('dt', {}, t('figures.hazard_area')),
          h('dd', {}, fmtArea(r.hazard_area_m2)),
          h('dt', {}, t('figures.released')),
          h('dd', {}, fmtArea(r.cancelled_m2 + r.reduced_m2 + r.cleared_m2)),
          h('dt', {}, t('figures.remaining')),
          h('dd', {}, fmtArea(r.remaining_m2)),
        ),
      );
    } catch (e) {
      figures.append(h('p', { class: 'error' }, t('app.error', { detail: (e as Error).message })));
    }
  }

  function showFeature(f: maplibregl.MapGeoJSONFeature): void {
    clear(details);
    const p = f.properties as Record<string, string | number>;
    const layer = f.sourceLayer ?? f.source;
    const rows: [string, string][] = [];
    const count = Number(p.count ?? 1);
    if (count > 1 && f.geometry.type === 'Point') {
      // A dot standing for several features: how many, their area, and a way in to see each.
      const at = f.geometry.coordinates as [number, number];
      add(
        details,
        h('h2', {}, t('layer.' + layer)),
        h('p', {}, t('map.dot_count', { count })),
        h('dl', { class: 'figures' }, h('dt', {}, t('hazard.area')), h('dd', {}, fmtArea(Number(p.area_m2)))),
        h('button', { type: 'button', onclick: () => map.easeTo({ center: at, zoom: Math.max(map.getZoom() + 3, 10) }) }, t('map.zoom_here')),
      );
      return;
    }
    if (layer === 'hazards') {
      rows.push(
        [t('hazard.class'), term('class', String(p.class))],
        [t('hazard.status'), term('status', String(p.status))],
        [t('hazard.organisation'), String(p.organisation ?? '—')],
        [t('hazard.area'), fmtArea(Number(p.area_m2))],
        [t('hazard.remaining'), fmtArea(Number(p.remaining_m2))],
        [t('hazard.recorded'), fmtDate(String(p.recorded_date ?? ''))],
      );
    } else if (layer === 'finds') {
      rows.push([t('find.category'), term('category', String(p.category))], [t('find.date'), fmtDate(String(p.date))], [t('find.hazard'), String(p.hazard_id ?? '—')]);
    } else if (layer === 'released_land' || layer === 'activities') {
      rows.push([t('release.outcome'), term('outcome', String(p.outcome))], [t('release.activity'), String(p.activity_id ?? p.id)], [t('hazard.area'), fmtArea(Number(p.area_m2))]);
    } else if (layer === 'accidents') {
      rows.push([t('accident.date'), fmtDate(String(p.date))], [t('accident.killed'), String(p.killed)], [t('accident.injured'), String(p.injured)]);
    }
    const hazardId = layer === 'hazards' ? String(p.id) : p.hazard_id ? String(p.hazard_id) : null;
    add(details, 
      h('h2', {}, t('layer.' + layer), ' ', h('span', { class: 'mono' }, String(p.id ?? ''))),
      h('dl', { class: 'figures' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      hazardId ? h('a', { class: 'button', href: '#/hazard/' + encodeURIComponent(hazardId) }, t('map.open_dossier', { id: hazardId })) : null,
    );
  }

  const clickable = ['accidents-point', 'finds-point', 'released_land-fill', 'released_land-dot', 'activities-fill', 'activities-dot', 'hazards-fill', 'hazards-dot'];
  map.on('click', (e) => {
    const layers = clickable.filter((l) => map.getLayer(l));
    const hit = map.queryRenderedFeatures(e.point, { layers });
    if (hit.length) showFeature(hit[0]);
  });
  for (const l of clickable) {
    map.on('mouseenter', l, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', l, () => (map.getCanvas().style.cursor = ''));
  }
  map.on('load', () => {
    applyFilters();
    mapEl.dataset.loaded = 'true';
  });
  map.on('idle', () => (mapEl.dataset.idle = 'true'));
  map.on('movestart', () => (mapEl.dataset.idle = 'false'));

  const check = (label: string, color: string, on: () => boolean, set: (v: boolean) => void, shape: 'fill' | 'dot' = 'fill') => {
    const box = h('input', { type: 'checkbox', checked: on(), onchange: (e: Event) => (set((e.target as HTMLInputElement).checked), applyFilters()) });
    return h('li', {}, h('label', { class: 'check' }, box, swatch(color, shape), label));
  };
  const layerToggle = (layerIds: string[], label: string, color: string, shape: 'fill' | 'dot' = 'fill') => {
    if (!layerIds.some((l) => ids.has(l.replace(/-(fill|point|line|dot)$/, '')))) return null;
    return check(label, color, () => true, (v) => {
      for (const l of layerIds) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', v ? 'visible' : 'none');
    }, shape);
  };

  const legend = h(
    'section',
    { class: 'card legend', 'aria-labelledby': 'legend-h' },
    h('h2', { id: 'legend-h' }, t('map.legend')),
    h('h3', {}, t('hazard.class')),
    h('ul', {}, check(t('class.SHA'), COLORS.SHA, () => classOn.SHA, (v) => (classOn.SHA = v)), check(t('class.CHA'), COLORS.CHA, () => classOn.CHA, (v) => (classOn.CHA = v))),
    h('h3', {}, t('hazard.status')),
    h(
      'ul',
      {},
      (['active', 'partially_released', 'released'] as const).map((s) =>
        check(term('status', s), s === 'released' ? COLORS.cleared : '#777', () => statusOn[s], (v) => (statusOn[s] = v)),
      ),
    ),
    h('h3', {}, t('map.layers')),
    h(
      'ul',
      {},
      layerToggle(['released_land-fill', 'released_land-dot'], t('layer.released_land'), COLORS.cleared),
      h('li', { class: 'sub' }, swatch(COLORS.cancelled), term('outcome', 'cancelled'), ' ', swatch(COLORS.reduced), term('outcome', 'reduced'), ' ', swatch(COLORS.cleared), term('outcome', 'cleared')),
      layerToggle(['finds-point'], t('layer.finds'), COLORS.find, 'dot'),
      layerToggle(['accidents-point'], t('layer.accidents'), COLORS.accident, 'dot'),
      ...[...ids].filter((i) => i.startsWith('context_')).map((i) => layerToggle([i + '-fill', i + '-line', i + '-point'], t('map.context', { name: i.slice(8) }), COLORS.context)),
    ),
  );

  const controls = h(
    'section',
    { class: 'card' },
    h('h2', {}, t('map.as_of')),
    field(t('map.as_of_date'), asOf, t('map.as_of_hint')),
    h('button', { type: 'button', class: 'secondary', onclick: () => ((asOf.value = ''), applyFilters(), void loadFigures()) }, t('map.today')),
    figures,
    h(
      'form',
      { onsubmit: (e: Event) => (e.preventDefault(), gotoInput.value.trim() && go('hazard/' + encodeURIComponent(gotoInput.value.trim()))) },
      field(t('map.goto'), gotoInput),
      h('button', { type: 'submit' }, t('map.open')),
    ),
  );
  asOf.addEventListener('change', () => {
    applyFilters();
    void loadFigures();
  });

  add(main, h('h1', { class: 'visually-hidden' }, t('nav.map')), h('div', { class: 'map-wrap' }, mapEl), h('aside', { class: 'side' }, details, controls, legend));
  // The map was made before its container was in the page: size it to the container now.
  map.resize();
  if (bbox) map.fitBounds([bbox[0], bbox[1], bbox[2], bbox[3]], { padding: 20, animate: false });
  void loadFigures();
  return { dispose: () => map.remove() };
}
