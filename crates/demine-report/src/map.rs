//! The inline SVG map: hazards by status and class, released pieces by outcome, finds,
//! accidents, context, legend, scale bar and north arrow.
//!
//! Projection: equirectangular, centred on the hazards' bounding box, with longitudes scaled by
//! the cosine of the centre latitude so that shapes keep their proportions (the scale is true
//! at that latitude). North is up.
//!
//! Size is bounded whatever the input: coordinates are written with one decimal of an SVG unit
//! (a pixel at 1000 px wide) after Douglas–Peucker simplification to a third of a pixel; points
//! that fall on the same pixel cell are drawn once; above [`FULL_DETAIL_MAX_HAZARDS`] hazards
//! (or when the detailed layer would exceed [`FULL_DETAIL_MAX_BYTES`]) hazards are drawn as a
//! density of small squares instead of outlines, and the caption says so.

use crate::lang::{tr, tr_fill, Lang};
use crate::text::{escape, grouped, push_coord, thousands, unit_km2, unit_m2, with_decimal_mark};
use crate::ReportInput;
use demine_core::release::HazardRelease;
use demine_core::{Hazard, HazardClass, HazardStatus, Outcome};
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Rect, Simplify};
use std::collections::HashSet;
use std::fmt::Write;

/// Width of the SVG viewBox, in SVG units (pixels at 100 %).
pub const WIDTH: f64 = 1000.0;
/// Height of the SVG viewBox: the map frame above, the legend strip below.
pub const HEIGHT: f64 = 700.0;
/// Height of the map frame (the legend strip takes the rest).
pub const MAP_HEIGHT: f64 = 620.0;
/// Margin kept between the hazards' bounding box and the frame.
const PAD: f64 = 36.0;
/// Above this many hazards (national scale) the map shows a density of squares, not outlines.
pub const FULL_DETAIL_MAX_HAZARDS: usize = 20_000;
/// Budget for the detailed hazard and piece layers; beyond it the density view is used.
pub const FULL_DETAIL_MAX_BYTES: usize = 20_000_000;
/// Douglas–Peucker tolerance for outlines, in SVG units.
const SIMPLIFY_PX: f64 = 0.3;
/// Side of a density square, in SVG units.
const DENSITY_CELL_PX: f64 = 6.0;
/// Above this many points of one kind, points are merged on a coarser cell.
const POINTS_FINE_MAX: usize = 20_000;
/// How many context points get a label.
const MAX_LABELS: usize = 12;
/// Budget for context line vertices (after clipping and simplification).
const CONTEXT_MAX_VERTICES: usize = 400_000;

/// The map and the caption that explains it (HTML, already escaped).
pub(crate) struct Map {
    pub svg: String,
    pub caption: String,
}

/// Equirectangular projection fitted to a lon/lat box.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    lon_c: f64,
    lat_c: f64,
    /// cos(centre latitude): longitudes are multiplied by it.
    kx: f64,
    /// SVG units per degree of latitude.
    scale: f64,
}

impl Projection {
    /// Fits `bounds` (lon/lat) into the map frame, less the margin, keeping proportions.
    pub(crate) fn fit(bounds: Rect<f64>) -> Projection {
        let (min, max) = (bounds.min(), bounds.max());
        let lat_c = (min.y + max.y) / 2.0;
        let lon_c = (min.x + max.x) / 2.0;
        let kx = lat_c.to_radians().cos().max(0.01);
        // A single point or a line still gets a frame of about 10 m.
        let dx = ((max.x - min.x) * kx).max(1e-4);
        let dy = (max.y - min.y).max(1e-4);
        let scale = ((WIDTH - 2.0 * PAD) / dx).min((MAP_HEIGHT - 2.0 * PAD) / dy);
        Projection {
            lon_c,
            lat_c,
            kx,
            scale,
        }
    }

    /// SVG coordinates of a lon/lat position (y grows downwards).
    pub(crate) fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            WIDTH / 2.0 + (lon - self.lon_c) * self.kx * self.scale,
            MAP_HEIGHT / 2.0 - (lat - self.lat_c) * self.scale,
        )
    }

    fn coord(&self, c: Coord<f64>) -> Coord<f64> {
        let (x, y) = self.xy(c.x, c.y);
        Coord { x, y }
    }

    /// Metres per SVG unit at the centre latitude.
    fn metres_per_unit(&self) -> f64 {
        // Length of a degree of latitude on the WGS84 ellipsoid.
        let phi = self.lat_c.to_radians();
        let m_per_deg = 111_132.954 - 559.822 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
        m_per_deg / self.scale
    }
}

fn inside_frame(x: f64, y: f64) -> bool {
    (0.0..=WIDTH).contains(&x) && (0.0..=MAP_HEIGHT).contains(&y)
}

fn union_rect(a: Option<Rect<f64>>, b: Rect<f64>) -> Option<Rect<f64>> {
    Some(match a {
        None => b,
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        ),
    })
}

/// Bounding box of all hazards, ignoring non-finite coordinates.
pub(crate) fn hazard_bounds(hazards: &[Hazard]) -> Option<Rect<f64>> {
    hazards
        .iter()
        .filter_map(|h| h.geometry.bounding_rect())
        .filter(|r| r.min().x.is_finite() && r.min().y.is_finite() && r.max().x.is_finite() && r.max().y.is_finite())
        .fold(None, union_rect)
}

fn point_bounds(input: &ReportInput) -> Option<Rect<f64>> {
    let points = input
        .finds
        .iter()
        .map(|f| f.location)
        .chain(input.accidents.iter().map(|a| a.location))
        .chain(input.context_points.iter().map(|(_, p)| *p))
        .filter(|p| p.x().is_finite() && p.y().is_finite());
    points.fold(None, |acc, p| union_rect(acc, Rect::new(p.0, p.0)))
}

const STYLE: &str = "\
.dm-map text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;\
font-size:12px;fill:#222}\
.dm-map .frame{fill:#fbfbf7}\
.dm-map .strip{fill:#fff}\
.dm-map .rule{stroke:#bbb;stroke-width:1}\
.dm-map .hazards path,.dm-map .sw{stroke-width:.8;stroke-linejoin:round;stroke-linecap:round}\
.dm-map .active{fill:#e34a33;fill-opacity:.65;stroke:#a50f15}\
.dm-map .partially_released{fill:#fd8d3c;fill-opacity:.75;stroke:#a63603}\
.dm-map .released{fill:#c7e9c0;fill-opacity:.45;stroke:#31a354}\
.dm-map .outline{fill:none;stroke:#333;stroke-width:1.2}\
.dm-map .sha{stroke-dasharray:3 2}\
.dm-map .pieces path{stroke:none}\
.dm-map .cancelled{fill:#9ecae1}\
.dm-map .reduced{fill:#ffe34d}\
.dm-map .cleared{fill:#41ab5d}\
.dm-map .d1{fill:#fee5d9}.dm-map .d2{fill:#fcae91}.dm-map .d3{fill:#fb6a4a}.dm-map .d4{fill:#de2d26}\
.dm-map .d5{fill:#a50f15}.dm-map .dr{fill:#a1d99b}\
.dm-map .extent{fill:none;stroke:#777;stroke-width:.8;stroke-dasharray:6 4}\
.dm-map .finds{fill:none;stroke:#1a1a1a;stroke-width:3.2;stroke-linecap:round}\
.dm-map .accidents{fill:none;stroke:#d7191c;stroke-width:1.8;stroke-linecap:round}\
.dm-map .ctx{fill:none;stroke:#9a9a9a;stroke-width:.8;stroke-linejoin:round}\
.dm-map .ctxpt{fill:#fff;stroke:#444;stroke-width:1.2}\
.dm-map .label{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\
.dm-map .small{font-size:10px;fill:#555}\
.dm-map .watermark{font-size:84px;font-weight:800;fill:#b00020;fill-opacity:.09;letter-spacing:6px}\
.dm-map .bar-b{fill:#222}.dm-map .bar-w{fill:#fff;stroke:#222;stroke-width:1}\
.dm-map .arrow{fill:#222}\
";

/// Renders the map of `input`.
pub(crate) fn render(input: &ReportInput) -> Map {
    let lang = input.lang;
    let mut svg = String::with_capacity(64 * 1024);
    let mut caption: Vec<String> = Vec::new();
    let _ = write!(
        svg,
        "<svg class=\"dm-map\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"dm-map-title\">\
         <title id=\"dm-map-title\">{}</title><style>{STYLE}</style>\
         <defs><clipPath id=\"dm-map-clip\"><rect width=\"{WIDTH}\" height=\"{MAP_HEIGHT}\"/></clipPath></defs>\
         <rect class=\"frame\" width=\"{WIDTH}\" height=\"{MAP_HEIGHT}\"/>",
        tr(lang, "Map of hazards and land released")
    );

    let hazard_box = hazard_bounds(input.hazards);
    let Some(bounds) = hazard_box.or_else(|| point_bounds(input)) else {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            WIDTH / 2.0,
            MAP_HEIGHT / 2.0,
            tr(lang, "Nothing to map: no hazards and no points.")
        );
        write_watermark(&mut svg, lang, input.synthetic);
        svg.push_str("</svg>");
        caption.push(tr(lang, "Nothing to map: the input has no hazards and no points.").into());
        synthetic_caption(&mut caption, lang, input.synthetic);
        return Map {
            svg,
            caption: caption.join(" "),
        };
    };
    let proj = Projection::fit(bounds);
    projection_caption(&mut caption, lang, &proj, hazard_box);

    svg.push_str("<g clip-path=\"url(#dm-map-clip)\">");
    write_context_lines(&mut svg, &mut caption, lang, input.context_lines, &proj);

    let pairs: Vec<(&Hazard, &HazardRelease)> = input.hazards.iter().zip(&input.release.per_hazard).collect();
    let mut legend = Vec::new();
    let detailed = if pairs.len() > FULL_DETAIL_MAX_HAZARDS {
        None
    } else {
        render_detailed(lang, &pairs, &proj, FULL_DETAIL_MAX_BYTES)
    };
    match detailed {
        Some((layer, pieces)) => {
            svg.push_str(&layer);
            detailed_caption(&mut caption, lang, pairs.len(), pieces, &pairs);
            detailed_legend(&mut legend, lang);
        }
        None => {
            let classes = write_density(&mut svg, lang, &pairs, &proj);
            density_caption(&mut caption, lang, pairs.len(), &proj);
            density_legend(&mut legend, lang, &classes);
        }
    }
    if let Some(b) = hazard_box {
        write_extent(&mut svg, lang, &proj, b);
    }
    point_layers(&mut svg, &mut caption, &mut legend, input, &proj);
    write_watermark(&mut svg, lang, input.synthetic);
    svg.push_str("</g>");

    write_north_arrow(&mut svg, lang);
    write_scale_bar(&mut svg, lang, &proj);
    write_legend(&mut svg, &legend);
    svg.push_str("</svg>");
    synthetic_caption(&mut caption, lang, input.synthetic);
    Map {
        svg,
        caption: caption.join(" "),
    }
}

/// A latitude with its hemisphere: `50.250° N`, `50,250° пн. ш.`.
fn lat_text(lang: Lang, lat: f64) -> String {
    let hemisphere = match (lang, lat < 0.0) {
        (Lang::En, false) => "N",
        (Lang::En, true) => "S",
        (Lang::Uk, false) => "пн.\u{a0}ш.",
        (Lang::Uk, true) => "пд.\u{a0}ш.",
    };
    format!("{}° {hemisphere}", grouped(lang, lat.abs(), 3))
}

/// A longitude with its hemisphere: `30.500° E`, `30,500° сх. д.`.
fn lon_text(lang: Lang, lon: f64) -> String {
    let hemisphere = match (lang, lon < 0.0) {
        (Lang::En, false) => "E",
        (Lang::En, true) => "W",
        (Lang::Uk, false) => "сх.\u{a0}д.",
        (Lang::Uk, true) => "зх.\u{a0}д.",
    };
    format!("{}° {hemisphere}", grouped(lang, lon.abs(), 3))
}

fn projection_caption(caption: &mut Vec<String>, lang: Lang, proj: &Projection, hazard_box: Option<Rect<f64>>) {
    caption.push(tr_fill(
        lang,
        "Equirectangular projection, north up, longitudes scaled by cos({}) = {} so that shapes keep their proportions; the scale bar is true at that latitude.",
        &[&lat_text(lang, proj.lat_c), &grouped(lang, proj.kx, 3)],
    ));
    if let Some(b) = hazard_box {
        caption.push(tr_fill(
            lang,
            "Dashed frame: bounding box of all hazards, {} to {}, {} to {}.",
            &[
                &lon_text(lang, b.min().x),
                &lon_text(lang, b.max().x),
                &lat_text(lang, b.min().y),
                &lat_text(lang, b.max().y),
            ],
        ));
    }
}

fn synthetic_caption(caption: &mut Vec<String>, lang: Lang, synthetic: bool) {
    if synthetic {
        caption.push(
            tr(
                lang,
                "<strong>SYNTHETIC DATA</strong>: generated for demonstration and testing; not a real contamination picture.",
            )
            .into(),
        );
    }
}

/// Writes one multipolygon as path data (`M x y x y … Z` per ring), projected and simplified.
/// Returns the number of vertices written.
fn write_path_data(out: &mut String, mp: &MultiPolygon<f64>, proj: &Projection) -> usize {
    let mut written = 0;
    for polygon in &mp.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            if ring.0.is_empty() {
                continue;
            }
            let projected = LineString::new(ring.0.iter().map(|c| proj.coord(*c)).collect());
            let simple = projected.simplify(SIMPLIFY_PX);
            let mut last: Option<(i64, i64)> = None;
            for c in &simple.0 {
                let key = ((c.x * 10.0).round() as i64, (c.y * 10.0).round() as i64);
                if last == Some(key) {
                    continue;
                }
                out.push(if last.is_none() { 'M' } else { ' ' });
                push_coord(out, c.x);
                out.push(' ');
                push_coord(out, c.y);
                last = Some(key);
                written += 1;
            }
            out.push('Z');
        }
    }
    written
}

fn class_css(class: HazardClass) -> &'static str {
    match class {
        HazardClass::Sha => "sha",
        HazardClass::Cha => "cha",
    }
}

fn status_label(lang: Lang, status: HazardStatus) -> &'static str {
    tr(
        lang,
        match status {
            HazardStatus::Active => "active",
            HazardStatus::PartiallyReleased => "partially released",
            HazardStatus::Released => "released",
        },
    )
}

fn outcome_label(lang: Lang, outcome: Outcome) -> &'static str {
    tr(
        lang,
        match outcome {
            Outcome::Cancelled => "cancelled",
            Outcome::Reduced => "reduced",
            Outcome::Cleared => "cleared",
        },
    )
}

/// One `<path>` per hazard, then one per released piece. `None` when over the byte budget.
fn render_detailed(
    lang: Lang,
    pairs: &[(&Hazard, &HazardRelease)],
    proj: &Projection,
    max_bytes: usize,
) -> Option<(String, usize)> {
    let mut out = String::with_capacity(pairs.len() * 256);
    out.push_str("<g class=\"hazards\" fill-rule=\"evenodd\">");
    for (h, r) in pairs {
        let _ = write!(out, "<path class=\"{} {}\" d=\"", r.status.as_str(), class_css(h.class));
        write_path_data(&mut out, &h.geometry, proj);
        let _ = write!(
            out,
            "\"><title>{}</title></path>",
            tr_fill(
                lang,
                "{} · {} · {} · {} remaining",
                &[
                    &escape(&h.id),
                    &h.class,
                    &status_label(lang, r.status),
                    &area_m2_text(lang, r.remaining_m2)
                ]
            )
        );
        if out.len() > max_bytes {
            return None;
        }
    }
    out.push_str("</g><g class=\"pieces\" fill-rule=\"evenodd\">");
    let mut pieces = 0;
    for (h, r) in pairs {
        for p in &r.pieces {
            let _ = write!(out, "<path class=\"{}\" d=\"", p.outcome.as_str());
            write_path_data(&mut out, &p.geometry, proj);
            let _ = write!(
                out,
                "\"><title>{}</title></path>",
                tr_fill(
                    lang,
                    "{} {} by {} · {}",
                    &[
                        &escape(&h.id),
                        &outcome_label(lang, p.outcome),
                        &escape(&p.activity_id),
                        &area_m2_text(lang, p.area_m2)
                    ]
                )
            );
            pieces += 1;
        }
        if out.len() > max_bytes {
            return None;
        }
    }
    out.push_str("</g>");
    Some((out, pieces))
}

fn detailed_caption(
    caption: &mut Vec<String>,
    lang: Lang,
    hazards: usize,
    pieces: usize,
    pairs: &[(&Hazard, &HazardRelease)],
) {
    caption.push(tr_fill(
        lang,
        "Each of the {} hazards is drawn as its outline: fill by status, solid outline CHA, dashed outline SHA; {} released pieces are drawn over them, coloured by outcome.",
        &[&thousands(lang, hazards as u64), &thousands(lang, pieces as u64)],
    ));
    let released_without_pieces = pairs.iter().any(|(_, r)| r.released_m2() > 0.0 && r.pieces.is_empty());
    if released_without_pieces {
        caption.push(
            tr(
                lang,
                "Some hazards have released land but no released pieces were supplied, so their released land is shown by status colour only.",
            )
            .into(),
        );
    }
}

fn detailed_legend(legend: &mut Vec<LegendItem>, lang: Lang) {
    let fill = |class, label| LegendItem::fill(class, tr(lang, label));
    legend.extend([
        fill("active sw", "Active"),
        fill("partially_released sw", "Partially released"),
        fill("released sw", "Released"),
        fill("outline cha", "CHA (solid outline)"),
        fill("outline sha", "SHA (dashed outline)"),
        fill("extent", "Extent of hazards"),
        fill("cancelled", "Cancelled (NTS)"),
        fill("reduced", "Reduced (TS)"),
        fill("cleared", "Cleared"),
    ]);
}

/// Density classes: CSS class and legend label.
type DensityClasses = Vec<(&'static str, String)>;

/// National scale: remaining hazard area per square, by quantile class; released-only squares green.
fn write_density(
    out: &mut String,
    lang: Lang,
    pairs: &[(&Hazard, &HazardRelease)],
    proj: &Projection,
) -> DensityClasses {
    let cols = (WIDTH / DENSITY_CELL_PX).ceil() as usize;
    let rows = (MAP_HEIGHT / DENSITY_CELL_PX).ceil() as usize;
    // (remaining m², hazard area m²) per square.
    let mut cells = vec![(0.0f64, 0.0f64); cols * rows];
    for (h, r) in pairs {
        let Some(b) = h.geometry.bounding_rect() else { continue };
        let c = b.center();
        let (x, y) = proj.xy(c.x, c.y);
        if !inside_frame(x, y) {
            continue;
        }
        let (i, j) = (
            ((x / DENSITY_CELL_PX) as usize).min(cols - 1),
            ((y / DENSITY_CELL_PX) as usize).min(rows - 1),
        );
        let cell = &mut cells[j * cols + i];
        cell.0 += r.remaining_m2.max(0.0);
        cell.1 += r.area_m2.max(0.0);
    }
    let mut values: Vec<f64> = cells.iter().map(|c| c.0).filter(|v| *v > 0.0).collect();
    values.sort_by(f64::total_cmp);
    const NAMES: [&str; 5] = ["d1", "d2", "d3", "d4", "d5"];
    let breaks: Vec<f64> = (1..=5)
        .map(|k| {
            if values.is_empty() {
                0.0
            } else {
                values[(values.len() * k / 5).saturating_sub(1).min(values.len() - 1)]
            }
        })
        .collect();
    let class_of = |v: f64| -> usize { breaks.iter().position(|b| v <= *b).unwrap_or(4) };
    out.push_str("<g class=\"density\">");
    let mut classes: DensityClasses = Vec::new();
    for (k, name) in NAMES.iter().enumerate() {
        let mut d = String::new();
        for (idx, cell) in cells.iter().enumerate() {
            if cell.0 > 0.0 && class_of(cell.0) == k {
                write_square(&mut d, idx % cols, idx / cols);
            }
        }
        if !d.is_empty() {
            let _ = write!(out, "<path class=\"{name}\" d=\"{d}\"/>");
            classes.push((name, format!("≤ {}", area_short(lang, breaks[k]))));
        }
    }
    let mut d = String::new();
    for (idx, cell) in cells.iter().enumerate() {
        if cell.0 <= 0.0 && cell.1 > 0.0 {
            write_square(&mut d, idx % cols, idx / cols);
        }
    }
    if !d.is_empty() {
        let _ = write!(out, "<path class=\"dr\" d=\"{d}\"/>");
        classes.push(("dr", tr(lang, "none (all released)").into()));
    }
    out.push_str("</g>");
    classes
}

fn write_square(d: &mut String, i: usize, j: usize) {
    let s = DENSITY_CELL_PX;
    d.push('M');
    push_coord(d, i as f64 * s);
    d.push(' ');
    push_coord(d, j as f64 * s);
    let _ = write!(d, "h{s}v{s}h-{s}z");
}

/// A short area for legends: m² below 1 km², km² above.
fn area_short(lang: Lang, m2: f64) -> String {
    if m2 >= 1e6 {
        format!("{} {}", grouped(lang, m2 / 1e6, 2), unit_km2(lang))
    } else {
        area_m2_text(lang, m2)
    }
}

/// Whole square metres with their unit, for SVG text (no HTML entities there).
fn area_m2_text(lang: Lang, m2: f64) -> String {
    format!("{} {}", grouped(lang, m2, 0), unit_m2(lang))
}

fn density_caption(caption: &mut Vec<String>, lang: Lang, hazards: usize, proj: &Projection) {
    caption.push(tr_fill(
        lang,
        "National scale: the {} hazards are too many to draw one by one (more than {} hazards, or too much detail for a printable file), so each {} px square (about {} km across) shows the remaining hazard area of the hazards whose bounding-box centre lies in it; green squares hold only released hazards. Released pieces are not drawn at this scale.",
        &[
            &thousands(lang, hazards as u64),
            &thousands(lang, FULL_DETAIL_MAX_HAZARDS as u64),
            &DENSITY_CELL_PX,
            &grouped(lang, DENSITY_CELL_PX * proj.metres_per_unit() / 1000.0, 2),
        ],
    ));
}

fn density_legend(legend: &mut Vec<LegendItem>, lang: Lang, classes: &DensityClasses) {
    legend.push(LegendItem {
        swatch: Swatch::Heading,
        label: tr(lang, "Remaining per square:").into(),
    });
    for (class, label) in classes {
        legend.push(LegendItem::fill(class, label));
    }
    legend.push(LegendItem::fill("extent", tr(lang, "Extent of hazards")));
}

fn write_extent(out: &mut String, lang: Lang, proj: &Projection, b: Rect<f64>) {
    let (x0, y0) = proj.xy(b.min().x, b.max().y);
    let (x1, y1) = proj.xy(b.max().x, b.min().y);
    out.push_str("<path class=\"extent\" d=\"M");
    for (i, (x, y)) in [(x0, y0), (x1, y0), (x1, y1), (x0, y1)].into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_coord(out, x);
        out.push(' ');
        push_coord(out, y);
    }
    out.push_str("Z\"/>");
    // Corner coordinates: north-west above the box, south-east below it.
    let _ = write!(out, "<text class=\"small\" x=\"");
    push_coord(out, x0);
    out.push_str("\" y=\"");
    push_coord(out, y0 - 5.0);
    let _ = write!(
        out,
        "\">{}, {}</text>",
        lat_text(lang, b.max().y),
        lon_text(lang, b.min().x)
    );
    out.push_str("<text class=\"small\" text-anchor=\"end\" x=\"");
    push_coord(out, x1);
    out.push_str("\" y=\"");
    push_coord(out, y1 + 13.0);
    let _ = write!(
        out,
        "\">{}, {}</text>",
        lat_text(lang, b.min().y),
        lon_text(lang, b.max().x)
    );
}

/// Writes points as one path of zero-length segments (drawn as round dots by the stroke),
/// merging points that fall in the same `cell`-unit square. Returns how many were drawn.
fn write_points(
    out: &mut String,
    class: &str,
    points: impl Iterator<Item = (f64, f64)>,
    proj: &Projection,
    cell: f64,
    mark: fn(&mut String, f64, f64),
) -> usize {
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    let mut d = String::new();
    for (lon, lat) in points {
        let (x, y) = proj.xy(lon, lat);
        if !inside_frame(x, y) || !seen.insert(((x / cell).floor() as i64, (y / cell).floor() as i64)) {
            continue;
        }
        mark(&mut d, x, y);
    }
    if !d.is_empty() {
        let _ = write!(out, "<path class=\"{class}\" d=\"{d}\"/>");
    }
    seen.len()
}

fn dot(d: &mut String, x: f64, y: f64) {
    d.push('M');
    push_coord(d, x);
    d.push(' ');
    push_coord(d, y);
    d.push_str("h0");
}

/// A hollow 6-unit square centred on the point: settlements, distinct from the dots of finds.
fn square(d: &mut String, x: f64, y: f64) {
    d.push('M');
    push_coord(d, x - 3.0);
    d.push(' ');
    push_coord(d, y - 3.0);
    d.push_str("h6v6h-6z");
}

fn cross(d: &mut String, x: f64, y: f64) {
    d.push('M');
    push_coord(d, x - 3.5);
    d.push(' ');
    push_coord(d, y - 3.5);
    d.push_str("l7 7m0-7l-7 7");
}

fn point_cell(n: usize) -> f64 {
    if n > POINTS_FINE_MAX {
        3.0
    } else {
        1.0
    }
}

/// Context points (with a few labels), finds and accidents.
fn point_layers(
    svg: &mut String,
    caption: &mut Vec<String>,
    legend: &mut Vec<LegendItem>,
    input: &ReportInput,
    proj: &Projection,
) {
    let lang = input.lang;
    let ctx = input.context_points;
    if !ctx.is_empty() {
        let pts = ctx.iter().map(|(_, p)| (p.x(), p.y()));
        write_points(svg, "ctxpt", pts, proj, point_cell(ctx.len()), square);
        legend.push(LegendItem {
            swatch: Swatch::Square,
            label: tr(lang, "Settlement").into(),
        });
    }
    let finds = input.finds;
    let drawn_finds = write_points(
        svg,
        "finds",
        finds.iter().map(|f| (f.location.x(), f.location.y())),
        proj,
        point_cell(finds.len()),
        dot,
    );
    let accidents = input.accidents;
    let drawn_accidents = write_points(
        svg,
        "accidents",
        accidents.iter().map(|a| (a.location.x(), a.location.y())),
        proj,
        point_cell(accidents.len()),
        cross,
    );
    // Labels last, so that no mark hides them.
    write_labels(svg, ctx, proj);
    legend.push(LegendItem {
        swatch: Swatch::Dot("finds"),
        label: tr(lang, "EO find").into(),
    });
    legend.push(LegendItem {
        swatch: Swatch::Cross,
        label: tr(lang, "Accident").into(),
    });
    let mut text = tr_fill(
        lang,
        "{} finds (dark dots) and {} accidents (red crosses)",
        &[
            &thousands(lang, finds.len() as u64),
            &thousands(lang, accidents.len() as u64),
        ],
    );
    if drawn_finds < finds.len() || drawn_accidents < accidents.len() {
        text.push_str(&tr_fill(
            lang,
            "; points outside the frame are not drawn and points on the same pixel are drawn once ({} find marks, {} accident marks)",
            &[&thousands(lang, drawn_finds as u64), &thousands(lang, drawn_accidents as u64)],
        ));
    }
    text.push('.');
    caption.push(text);
    if !input.context_lines.is_empty() {
        legend.push(LegendItem {
            swatch: Swatch::Line("ctx"),
            label: tr(lang, "Road / line").into(),
        });
    }
}

/// Labels the first few context points (callers list the largest first), skipping overlaps.
fn write_labels(svg: &mut String, points: &[(String, geo::Point<f64>)], proj: &Projection) {
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (name, p) in points {
        if placed.len() >= MAX_LABELS {
            break;
        }
        let (x, y) = proj.xy(p.x(), p.y());
        let w = name.chars().count() as f64 * 6.2;
        let bx = (x + 5.0, y - 10.0, x + 5.0 + w, y + 3.0);
        let fits = inside_frame(bx.0, bx.1) && inside_frame(bx.2, bx.3);
        let overlaps = placed
            .iter()
            .any(|o| bx.0 < o.2 && o.0 < bx.2 && bx.1 < o.3 && o.1 < bx.3);
        if name.trim().is_empty() || !fits || overlaps {
            continue;
        }
        placed.push(bx);
        svg.push_str("<text class=\"label\" x=\"");
        push_coord(svg, bx.0);
        svg.push_str("\" y=\"");
        push_coord(svg, y);
        let _ = write!(svg, "\">{}</text>", escape(name));
    }
}

/// Context lines, clipped to the neighbourhood of the frame and simplified, as one path.
fn write_context_lines(
    svg: &mut String,
    caption: &mut Vec<String>,
    lang: Lang,
    lines: &[LineString<f64>],
    proj: &Projection,
) {
    if lines.is_empty() {
        return;
    }
    const M: f64 = 50.0;
    let near = |a: Coord<f64>, b: Coord<f64>| {
        a.x.max(b.x) >= -M && a.x.min(b.x) <= WIDTH + M && a.y.max(b.y) >= -M && a.y.min(b.y) <= MAP_HEIGHT + M
    };
    let mut d = String::new();
    let mut vertices = 0;
    let mut truncated = false;
    'lines: for line in lines {
        let pts: Vec<Coord<f64>> = line.0.iter().map(|c| proj.coord(*c)).collect();
        // Runs of consecutive segments near the frame.
        let mut run: Vec<Coord<f64>> = Vec::new();
        let flush = |run: &mut Vec<Coord<f64>>, d: &mut String| -> usize {
            if run.len() < 2 {
                run.clear();
                return 0;
            }
            let simple = LineString::new(std::mem::take(run)).simplify(0.5);
            for (i, c) in simple.0.iter().enumerate() {
                d.push(if i == 0 { 'M' } else { ' ' });
                push_coord(d, c.x);
                d.push(' ');
                push_coord(d, c.y);
            }
            simple.0.len()
        };
        for w in pts.windows(2) {
            if near(w[0], w[1]) {
                if run.is_empty() {
                    run.push(w[0]);
                }
                run.push(w[1]);
            } else {
                vertices += flush(&mut run, &mut d);
            }
        }
        vertices += flush(&mut run, &mut d);
        if vertices > CONTEXT_MAX_VERTICES {
            truncated = true;
            break 'lines;
        }
    }
    if !d.is_empty() {
        let _ = write!(svg, "<path class=\"ctx\" d=\"{d}\"/>");
    }
    if truncated {
        caption.push(
            tr(
                lang,
                "Context lines were too detailed to draw in full; some are left out.",
            )
            .into(),
        );
    }
}

fn write_watermark(svg: &mut String, lang: Lang, synthetic: bool) {
    if synthetic {
        let text = tr(lang, "SYNTHETIC DATA");
        let (cx, cy) = (WIDTH / 2.0, MAP_HEIGHT / 2.0);
        let _ = write!(
            svg,
            "<text class=\"watermark\" x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" dominant-baseline=\"middle\" \
             transform=\"rotate(-20 {cx} {cy})\" pointer-events=\"none\" style=\"font-size:{size:.0}px\">{text}</text>",
            // The longer the words, the smaller, so that they stay inside the frame.
            size = (84.0 * 14.0 / text.chars().count() as f64).min(84.0)
        );
    }
}

fn write_north_arrow(svg: &mut String, lang: Lang) {
    let (x, y) = (WIDTH - 22.0, 30.0);
    let _ = write!(
        svg,
        "<g transform=\"translate({x} {y})\"><circle r=\"17\" fill=\"#fff\" fill-opacity=\".8\"/>\
         <path class=\"arrow\" d=\"M0-13L6 8 0 3-6 8Z\"/>\
         <text y=\"-1\" x=\"0\" text-anchor=\"middle\" dy=\"23\" class=\"small\">{}</text></g>",
        tr(lang, "N")
    );
}

/// A length of 1, 2 or 5 × 10ⁿ metres close to `target_m`, not above it.
fn nice_length(target_m: f64) -> f64 {
    if !(target_m.is_finite() && target_m > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(target_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|l| *l <= target_m)
        .unwrap_or(p)
}

fn write_scale_bar(svg: &mut String, lang: Lang, proj: &Projection) {
    let mpu = proj.metres_per_unit();
    let length_m = nice_length(160.0 * mpu);
    let w = length_m / mpu;
    let (x, y) = (14.0, MAP_HEIGHT - 16.0);
    let _ = write!(
        svg,
        "<g class=\"scale\"><rect x=\"{}\" y=\"{}\" width=\"",
        x - 6.0,
        y - 20.0
    );
    push_coord(svg, w + 48.0);
    svg.push_str("\" height=\"30\" fill=\"#fff\" fill-opacity=\".8\"/>");
    let half = w / 2.0;
    for (k, class) in ["bar-b", "bar-w"].iter().enumerate() {
        svg.push_str("<rect class=\"");
        svg.push_str(class);
        svg.push_str("\" x=\"");
        push_coord(svg, x + k as f64 * half);
        let _ = write!(svg, "\" y=\"{y}\" height=\"5\" width=\"");
        push_coord(svg, half);
        svg.push_str("\"/>");
    }
    let km = length_m / 1000.0;
    let _ = write!(svg, "<text class=\"small\" x=\"{x}\" y=\"{}\">0</text>", y - 4.0);
    svg.push_str("<text class=\"small\" text-anchor=\"middle\" x=\"");
    push_coord(svg, x + w);
    let km = with_decimal_mark(lang, &km.to_string());
    let _ = write!(svg, "\" y=\"{}\">{km} {}</text></g>", y - 4.0, tr(lang, "km"));
}

enum Swatch {
    /// No swatch: the label heads the items that follow.
    Heading,
    /// A filled (or outlined) rectangle with these CSS classes.
    Fill(&'static str),
    Dot(&'static str),
    Square,
    Cross,
    Line(&'static str),
}

struct LegendItem {
    swatch: Swatch,
    label: String,
}

impl LegendItem {
    fn fill(class: &'static str, label: &str) -> LegendItem {
        LegendItem {
            swatch: Swatch::Fill(class),
            label: label.to_string(),
        }
    }
}

fn write_legend(svg: &mut String, items: &[LegendItem]) {
    let _ = write!(
        svg,
        "<g class=\"legend\"><rect class=\"strip\" y=\"{MAP_HEIGHT}\" width=\"{WIDTH}\" height=\"{}\"/>\
         <path class=\"rule\" d=\"M0 {MAP_HEIGHT}H{WIDTH}\"/>",
        HEIGHT - MAP_HEIGHT
    );
    // As many columns as the longest label leaves room for (Ukrainian labels run longer),
    // from three (three rows fit the strip) to six.
    let longest = items
        .iter()
        .filter(|i| !matches!(i.swatch, Swatch::Heading))
        .map(|i| i.label.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let per_row = (((WIDTH - 20.0) / (30.0 + 6.4 * longest)).floor() as usize).clamp(3, 6);
    let col_w = (WIDTH - 20.0) / per_row as f64;
    for (i, item) in items.iter().enumerate() {
        let x = 10.0 + (i % per_row) as f64 * col_w;
        let y = MAP_HEIGHT + 20.0 + (i / per_row) as f64 * 24.0;
        match item.swatch {
            Swatch::Heading => {
                let _ = write!(
                    svg,
                    "<text x=\"{x}\" y=\"{y}\" font-weight=\"600\">{}</text>",
                    escape(&item.label)
                );
                continue;
            }
            Swatch::Fill(class) => {
                let _ = write!(
                    svg,
                    "<rect class=\"{class}\" x=\"{x}\" y=\"{}\" width=\"18\" height=\"12\"/>",
                    y - 10.0
                );
            }
            Swatch::Dot(class) => {
                let _ = write!(svg, "<path class=\"{class}\" d=\"M{} {}h0\"/>", x + 9.0, y - 4.0);
            }
            Swatch::Square => {
                svg.push_str("<path class=\"ctxpt\" d=\"");
                square(svg, x + 9.0, y - 4.0);
                svg.push_str("\"/>");
            }
            Swatch::Cross => {
                svg.push_str("<path class=\"accidents\" d=\"");
                cross(svg, x + 9.0, y - 4.0);
                svg.push_str("\"/>");
            }
            Swatch::Line(class) => {
                let _ = write!(svg, "<path class=\"{class}\" d=\"M{x} {}h18\"/>", y - 4.0);
            }
        }
        let _ = write!(svg, "<text x=\"{}\" y=\"{y}\">{}</text>", x + 24.0, escape(&item.label));
    }
    svg.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon};

    #[test]
    fn projection_keeps_proportions_and_puts_north_east_top_right() {
        let b = Rect::new(coord! { x: 30.0, y: 50.0 }, coord! { x: 31.0, y: 50.5 });
        let p = Projection::fit(b);
        // A box 1 km east–west and 1 km north–south at the centre is square on the map.
        let (lat, lon): (f64, f64) = (50.25, 30.5);
        let dlat = 1000.0 / 111_200.0;
        let dlon = dlat / lat.to_radians().cos();
        let (x0, y0) = p.xy(lon, lat);
        let (x1, y1) = p.xy(lon + dlon, lat + dlat);
        assert!(((x1 - x0) / (y0 - y1) - 1.0).abs() < 1e-9, "{x0} {y0} {x1} {y1}");
        // Corners land inside the frame, north-east top-right.
        let (xne, yne) = p.xy(31.0, 50.5);
        let (xsw, ysw) = p.xy(30.0, 50.0);
        assert!(xne > xsw && yne < ysw);
        assert!(inside_frame(xne, yne) && inside_frame(xsw, ysw));
        assert!((xne - (WIDTH - PAD)).abs() < 1e-6 || (yne - PAD).abs() < 1e-6);
    }

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(nice_length(1234.0), 1000.0);
        assert_eq!(nice_length(2600.0), 2000.0);
        assert_eq!(nice_length(7.3), 5.0);
        assert_eq!(nice_length(0.0), 1.0);
        // At 50° N a degree of latitude is about 111.2 km.
        let p = Projection::fit(Rect::new(coord! { x: 30.0, y: 49.5 }, coord! { x: 30.0, y: 50.5 }));
        let m = p.metres_per_unit() * (MAP_HEIGHT - 2.0 * PAD);
        assert!((m - 111_229.0).abs() < 100.0, "{m}");
    }

    #[test]
    fn detailed_layer_gives_up_over_its_byte_budget() {
        use demine_core::release::{account_registry, HazardWithActivities};
        let geometry = MultiPolygon::new(vec![polygon![
            (x: 30.0, y: 50.0), (x: 30.01, y: 50.0), (x: 30.01, y: 50.01), (x: 30.0, y: 50.01)]]);
        let hazards: Vec<Hazard> = (0..20)
            .map(|i| Hazard::new(format!("H{i}"), HazardClass::Cha, geometry.clone()))
            .collect();
        let with: Vec<HazardWithActivities> = hazards
            .iter()
            .map(|h| HazardWithActivities {
                id: &h.id,
                geometry: &h.geometry,
                activities: vec![],
            })
            .collect();
        let release = account_registry(&with, true);
        let pairs: Vec<(&Hazard, &HazardRelease)> = hazards.iter().zip(&release.per_hazard).collect();
        let proj = Projection::fit(geometry.bounding_rect().unwrap());
        let (layer, _) = render_detailed(Lang::En, &pairs, &proj, FULL_DETAIL_MAX_BYTES).unwrap();
        assert_eq!(layer.matches("<path ").count(), 20);
        assert!(render_detailed(Lang::En, &pairs, &proj, layer.len() / 2).is_none());
    }

    #[test]
    fn degenerate_bounds_do_not_divide_by_zero() {
        let p = Projection::fit(Rect::new(coord! { x: 30.0, y: 50.0 }, coord! { x: 30.0, y: 50.0 }));
        let (x, y) = p.xy(30.0, 50.0);
        assert_eq!((x, y), (WIDTH / 2.0, MAP_HEIGHT / 2.0));
    }
}
