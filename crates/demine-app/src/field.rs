//! Field work and quality: QA sampling plans, sample units over the cleared land, inspection
//! records, lanes, daily progress, productivity, residual risk and the release certificate.

use crate::actor::Act;
use crate::util::{parse_pairs, today};
use crate::{Actor, AppError, AppResult, Refusal, Registry};
use chrono::NaiveDate;
use demine_core::release::account_records;
use demine_core::spreadsheet::group_thousands;
use demine_core::{Activity, ActivityType, AnyRecord, DailyProgress, Find, Hazard, Outcome, QaInspection, RecordKind};
use demine_field::lanes::{grid_boxes_xy, plan_lanes_xy, Heading, LaneOptions};
use demine_field::plane::LocalPlane;
use demine_field::{progress, qa, residual};
use demine_io::field_export::{field_format, write_field_features, OutFeature};
use demine_store::{Changeset, HazardDossier, Query, Repository};
use geo::{BooleanOps, Coord, Geometry, MultiPolygon, Point};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Detection probability of QA inspectors, when not given.
pub const DEFAULT_QA_DETECTION: f64 = residual::DEFAULT_QA_DETECTION;

/// The largest QA lot considered (units): a lot of 10 × 10 m boxes this large is 10,000 km²,
/// far beyond any clearance task; larger asks exhaust memory and time, not a real lot.
pub const MAX_LOT_UNITS: u64 = 100_000_000;
/// The most sample units, lanes or boxes one request lays out.
pub const MAX_UNITS: u64 = 2_000_000;

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn ll(c: Coord<f64>) -> Value {
    json!([c.x, c.y])
}

// ---------------------------------------------------------------- QA plans

/// `qa plan`: the smallest sample, or the LQ a sample budget guarantees.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QaPlanRequest {
    pub lot_units: u64,
    pub lq: Option<f64>,
    pub beta: f64,
    #[serde(default)]
    pub c: u64,
    pub budget: Option<u64>,
}

/// A sampling plan: `mode` is `plan` (n for an LQ) or `budget` (the LQ an n guarantees).
#[derive(Debug, Clone, Serialize)]
pub struct QaPlanAnswer {
    pub mode: &'static str,
    pub lot_units: u64,
    pub lq: f64,
    pub beta: f64,
    pub defective_units: u64,
    pub n: u64,
    pub c: u64,
    pub p_accept_at_lq: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled_fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binomial_n_c0: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_lq: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_accept_at_requested_lq: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meets_requested_lq: Option<bool>,
    /// What the lot is, for the reader.
    pub lot: &'static str,
    pub oc: Vec<qa::OcPoint>,
}

const LOT_MEANING: &str =
    "units (boxes) of the cleared land only: land cancelled by NTS or reduced by TS is not inspected";

fn check_lot(lot_units: u64) -> AppResult<()> {
    if lot_units > MAX_LOT_UNITS {
        return Err(AppError::refused(format!(
            "--lot-units {lot_units}: a lot of more than {MAX_LOT_UNITS} units (10,000 km² of 10 m boxes) is not a clearance task; split the land into lots, or use larger units"
        )));
    }
    Ok(())
}

/// The sampling plan (exact hypergeometric OC).
pub fn qa_plan(r: &QaPlanRequest) -> AppResult<QaPlanAnswer> {
    check_lot(r.lot_units)?;
    if let Some(n) = r.budget {
        let a = qa::lq_for_budget(r.lot_units, n, r.beta, r.c).map_err(|e| AppError::refused(e.to_string()))?;
        let requested = match r.lq {
            Some(p) if !(p > 0.0 && p < 1.0) => return Err(AppError::refused(qa::QaError::Lq(p).to_string())),
            Some(p) => {
                let d = qa::defective_units(r.lot_units, p);
                Some((p, qa::p_accept(r.lot_units, d, n, r.c)))
            }
            None => None,
        };
        return Ok(QaPlanAnswer {
            mode: "budget",
            lot_units: r.lot_units,
            lq: a.lq,
            beta: r.beta,
            defective_units: a.defective_units,
            n: a.n,
            c: a.c,
            p_accept_at_lq: a.p_accept_at_lq,
            sampled_fraction: None,
            binomial_n_c0: None,
            requested_lq: requested.map(|x| x.0),
            p_accept_at_requested_lq: requested.map(|x| x.1),
            meets_requested_lq: requested.map(|x| x.1 <= r.beta),
            lot: LOT_MEANING,
            oc: a.oc,
        });
    }
    let Some(lq) = r.lq else {
        return Err(AppError::refused(
            "give --lq (the defect rate to reject) or --budget (the sample size you can afford)",
        ));
    };
    let p = qa::plan(&qa::PlanRequest {
        lot_units: r.lot_units,
        lq,
        beta: r.beta,
        c: r.c,
    })
    .map_err(|e| AppError::refused(e.to_string()))?;
    Ok(QaPlanAnswer {
        mode: "plan",
        lot_units: p.lot_units,
        lq: p.lq,
        beta: p.beta,
        defective_units: p.defective_units,
        n: p.n,
        c: p.c,
        p_accept_at_lq: p.p_accept_at_lq,
        sampled_fraction: Some(p.sampled_fraction),
        binomial_n_c0: Some(qa::binomial_n_c0(lq, r.beta)),
        requested_lq: None,
        p_accept_at_requested_lq: None,
        meets_requested_lq: None,
        lot: LOT_MEANING,
        oc: p.oc,
    })
}

// ---------------------------------------------------------------- the land of a hazard

/// The dossier of a hazard the actor may see, or "not found".
pub async fn dossier(reg: &Registry, actor: &Actor, id: &str) -> AppResult<HazardDossier> {
    actor.require(Act::Read)?;
    let q = Query::all().in_organisations(actor.scope());
    reg.store
        .dossier(id, &q)
        .await?
        .ok_or_else(|| unknown_hazard(id, &reg.name()))
}

pub(crate) fn unknown_hazard(id: &str, db: &str) -> AppError {
    AppError::NotFound(format!(
        "no hazard '{id}' in {db}; `demine export hazards FILE` lists them"
    ))
}

fn records<T: Clone>(v: &[demine_store::Stored<T>]) -> Vec<T> {
    v.iter().map(|s| s.record.clone()).collect()
}

/// Land of a hazard no activity has released yet.
pub fn unreleased(h: &Hazard, acts: &[Activity]) -> MultiPolygon<f64> {
    acts.iter()
        .fold(h.geometry.clone(), |rest, a| rest.difference(&a.geometry))
}

/// Land of a hazard cleared (released by clearance, not cancelled or reduced): the lot a
/// post-clearance inspection samples (IMAS 09.20).
pub fn cleared_land(h: &Hazard, acts: &[Activity]) -> MultiPolygon<f64> {
    let r = account_records(std::slice::from_ref(h), acts, None, true);
    let mut out = MultiPolygon::<f64>(vec![]);
    for p in r.per_hazard[0].pieces.iter().filter(|p| p.outcome == Outcome::Cleared) {
        out = if out.0.is_empty() {
            p.geometry.clone()
        } else {
            out.union(&p.geometry)
        };
    }
    out
}

/// Polygons of a GeoJSON file, validated at entry, as one multipolygon.
pub fn read_polygon_file(path: &Path) -> AppResult<MultiPolygon<f64>> {
    if !path.exists() {
        return Err(AppError::refused(format!("{}: no such file", path.display())));
    }
    let parsed = demine_io::parse_layer_file("polygon", path, false).map_err(|e| AppError::refused(e.to_string()))?;
    if let Some(p) = parsed.problems.first() {
        return Err(AppError::refused(format!(
            "{}: {p}; mend the polygon and try again",
            path.display()
        )));
    }
    let mut out = MultiPolygon::<f64>(vec![]);
    for f in parsed.records {
        let m = match f.geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(m) => m,
            _ => continue,
        };
        out = if out.0.is_empty() { m } else { out.union(&m) };
    }
    if out.0.is_empty() {
        return Err(AppError::refused(format!(
            "{}: holds no Polygon or MultiPolygon; give the land as polygons (lon/lat, GeoJSON)",
            path.display()
        )));
    }
    Ok(out)
}

/// Refuses a layout that would make more than [`MAX_UNITS`] pieces of `size_m` over `site`.
fn check_layout(site_area_m2: f64, extent_m: f64, size_m: f64, what: &str) -> AppResult<()> {
    if !(size_m.is_finite() && size_m > 0.0) {
        return Ok(()); // the engine names the bad size
    }
    let pieces = (site_area_m2 / (size_m * size_m)).max(extent_m / size_m);
    if pieces > MAX_UNITS as f64 {
        return Err(AppError::refused(format!(
            "{what} of {size_m} m over {site_area_m2:.0} m² would make about {pieces:.0} pieces (more than {MAX_UNITS}); use a larger size or a smaller site"
        )));
    }
    Ok(())
}

fn extent_m(plane_site: &MultiPolygon<f64>) -> f64 {
    use geo::BoundingRect;
    plane_site
        .bounding_rect()
        .map(|r| r.width().max(r.height()))
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------- QA sample and record

/// `qa sample`: sample units drawn over a hazard's cleared land (or a polygon).
#[derive(Debug, Clone)]
pub struct QaSampleRequest<'a> {
    pub hazard_id: Option<&'a str>,
    pub polygon: Option<&'a Path>,
    pub units: usize,
    pub box_m: f64,
    pub seed: u64,
    pub out: &'a Path,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleUnit {
    pub unit: usize,
    pub row: i64,
    pub col: i64,
    pub centre: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct QaSample {
    pub lot_units: usize,
    pub units: usize,
    pub box_m: f64,
    pub seed: u64,
    pub out: String,
    /// What was sampled, e.g. `the cleared land of hazard H1`.
    pub lot: String,
    pub lot_area_m2: f64,
    pub sample: Vec<SampleUnit>,
}

pub async fn qa_sample(reg: Option<&Registry>, actor: &Actor, r: &QaSampleRequest<'_>) -> AppResult<QaSample> {
    field_format(r.out).map_err(AppError::refused)?;
    let (site, label, synthetic) = match (r.hazard_id, r.polygon, reg) {
        (Some(_), Some(_), _) | (None, None, _) => {
            return Err(AppError::refused("give a HAZARD_ID or --polygon FILE (one of them)"))
        }
        (None, Some(p), _) => (read_polygon_file(p)?, p.display().to_string(), false),
        (Some(id), None, None) => {
            return Err(AppError::refused(format!(
                "no registry to read hazard '{id}' from; pass --db or --polygon FILE"
            )))
        }
        (Some(id), None, Some(reg)) => {
            let d = dossier(reg, actor, id).await?;
            let land = cleared_land(&d.hazard.record, &records(&d.activities));
            if demine_core::geodesy::area_m2(&land) < 1.0 {
                return Err(AppError::refused(format!(
                    "hazard {id} has no cleared land to inspect: a post-clearance inspection lot is cleared land only (land cancelled by NTS or reduced by TS is not inspected); record its clearance first, or pass --polygon FILE"
                )));
            }
            (land, format!("the cleared land of hazard {id}"), reg.synthetic().await?)
        }
    };
    let plane = LocalPlane::around(&site).ok_or_else(|| AppError::refused("the polygon has no extent"))?;
    let site_xy = plane.to_plane(&site);
    let area = geo::Area::unsigned_area(&site_xy);
    check_layout(area, extent_m(&site_xy), r.box_m, "a lot of boxes")?;
    if r.units as u64 > MAX_UNITS {
        return Err(AppError::refused(format!("--units {}: at most {MAX_UNITS}", r.units)));
    }
    let s = demine_field::sample::draw_sample(&site_xy, r.box_m, r.units, r.seed)
        .map_err(|e| AppError::refused(e.to_string()))?;
    let mut features = Vec::new();
    for (i, b) in s.sampled.iter().enumerate() {
        let centre = plane.to_lonlat(b.centre);
        features.push(OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Polygon(plane.polygon_to_lonlat(&b.outline)),
            properties: props(json!({"kind": "sample_box", "unit": i + 1, "row": b.row, "col": b.col, "box_m": r.box_m, "lot": label})),
        });
        features.push(OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Point(Point(centre)),
            properties: props(json!({"kind": "sample_centre", "unit": i + 1})),
        });
    }
    write_field_features(
        r.out,
        &format!(
            "QA sample of {label} (post-clearance inspection lot: cleared land only), seed {}",
            r.seed
        ),
        &features,
        synthetic,
    )?;
    Ok(QaSample {
        lot_units: s.lot.len(),
        units: r.units,
        box_m: r.box_m,
        seed: r.seed,
        out: r.out.display().to_string(),
        lot: label,
        lot_area_m2: area,
        sample: s
            .sampled
            .iter()
            .enumerate()
            .map(|(i, b)| SampleUnit {
                unit: i + 1,
                row: b.row as i64,
                col: b.col as i64,
                centre: ll(plane.to_lonlat(b.centre)),
            })
            .collect(),
    })
}

/// `qa record`: an inspection result.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QaRecordRequest {
    pub hazard_id: String,
    pub date: String,
    pub lot_units: u64,
    pub sample_units: u64,
    #[serde(default)]
    pub defects: u64,
    #[serde(default)]
    pub c: u64,
    pub box_m: f64,
    pub detection: f64,
    /// `SEVERITY:NOTE` (critical, major or minor).
    #[serde(default)]
    pub nonconformities: Vec<String>,
    pub inspector: Option<String>,
    pub id: Option<String>,
}

pub async fn qa_record(reg: &Registry, actor: &Actor, r: &QaRecordRequest) -> AppResult<QaInspection> {
    actor.require(Act::Qa)?;
    let date = crate::util::parse_date("--date", &r.date)?;
    if date > today() {
        return Err(AppError::refused(format!(
            "--date {date} is in the future; record inspections when they are done"
        )));
    }
    check_lot(r.lot_units)?;
    if r.lot_units == 0 || r.sample_units == 0 || r.sample_units > r.lot_units {
        return Err(AppError::refused(format!(
            "--sample-units {} must be between 1 and --lot-units {}",
            r.sample_units, r.lot_units
        )));
    }
    if r.defects > r.sample_units {
        return Err(AppError::refused(format!(
            "--defects {} is more than the {} units inspected",
            r.defects, r.sample_units
        )));
    }
    if !(r.box_m.is_finite() && r.box_m > 0.0 && (0.0..=1.0).contains(&r.detection)) {
        return Err(AppError::refused(
            "--box-m must be > 0 metres and --detection in [0, 1]",
        ));
    }
    let mut ncs = Vec::new();
    for n in &r.nonconformities {
        match n.split_once(':') {
            Some((sev, note)) if ["critical", "major", "minor"].contains(&sev.trim().to_lowercase().as_str()) => {
                ncs.push(json!({"severity": sev.trim().to_lowercase(), "note": note.trim()}))
            }
            _ => {
                return Err(AppError::refused(format!(
                    "--nonconformity '{n}': write SEVERITY:NOTE with severity critical, major or minor"
                )))
            }
        }
    }
    dossier(reg, actor, &r.hazard_id).await?;
    let id = r.id.clone().unwrap_or_else(|| format!("QA-{}-{date}", r.hazard_id));
    if reg.store.record(RecordKind::Qa, &id).await?.is_some() {
        return Err(AppError::refused(format!(
            "inspection id '{id}' already exists; pass another --id"
        )));
    }
    let rec = QaInspection {
        id: id.clone(),
        hazard_id: r.hazard_id.clone(),
        date,
        lot_units: r.lot_units,
        sample_units: r.sample_units,
        box_m: r.box_m,
        c: r.c,
        defects: r.defects,
        accepted: r.defects <= r.c,
        detection: r.detection,
        nonconformities: Value::Array(ncs),
        inspector: r.inspector.clone(),
    };
    reg.apply(
        &Changeset {
            qa_inspections: vec![rec.clone()],
            review_state: crate::shared::review_state_for(actor),
            ..Changeset::new(format!("qa record {id}"))
        },
        actor,
    )
    .await?;
    Ok(rec)
}

// ---------------------------------------------------------------- lanes

/// `lanes`: clearance lanes (or boxes) over a task's land not yet released, or a polygon.
#[derive(Debug, Clone)]
pub struct LanesRequest<'a> {
    pub task_id: Option<&'a str>,
    pub polygon: Option<&'a Path>,
    pub width_m: Option<f64>,
    /// `auto` or degrees clockwise from north.
    pub heading: &'a str,
    /// `LON,LAT`.
    pub access: Option<&'a str>,
    pub boxes_m: Option<f64>,
    pub out: &'a Path,
}

/// Lanes or boxes laid out, as `lanes --json` prints them.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Layout {
    Lanes(Value),
    Boxes(Value),
}

/// A human summary line and the JSON of a layout.
#[derive(Debug, Clone)]
pub struct LanesAnswer {
    pub summary: String,
    pub json: Value,
}

/// The point of the `roads` context layer nearest to the site (teams arrive by road).
fn nearest_road(roads: &[demine_core::ContextFeature], site: &MultiPolygon<f64>) -> Option<(Coord<f64>, String)> {
    use geo::{Centroid, Closest, ClosestPoint};
    let c = site.centroid()?;
    roads
        .iter()
        .filter_map(|r| {
            let p = match r.geometry.closest_point(&c) {
                Closest::SinglePoint(p) | Closest::Intersection(p) => p,
                Closest::Indeterminate => return None,
            };
            Some((
                demine_core::geodesy::distance_m(p, c),
                p.0,
                r.id.clone().unwrap_or_default(),
            ))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, p, id)| (p, id))
}

fn parse_access(s: &str) -> AppResult<Coord<f64>> {
    let bad = || AppError::refused(format!("--access '{s}': write LON,LAT in degrees, e.g. 36.25,50.01"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let (x, y): (f64, f64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if !(x.abs() <= 180.0 && y.abs() <= 90.0) {
        return Err(bad());
    }
    Ok(Coord { x, y })
}

pub async fn lanes(reg: Option<&Registry>, actor: &Actor, a: &LanesRequest<'_>) -> AppResult<LanesAnswer> {
    field_format(a.out).map_err(AppError::refused)?;
    let mut road: Option<(Coord<f64>, String)> = None;
    let (site, label, synthetic) = match (a.task_id, a.polygon, reg) {
        (Some(_), Some(_), _) | (None, None, _) => {
            return Err(AppError::refused("give a TASK_ID or --polygon FILE (one of them)"))
        }
        (None, Some(p), _) => (read_polygon_file(p)?, p.display().to_string(), false),
        (Some(id), None, None) => {
            return Err(AppError::refused(format!(
                "no registry to read task '{id}' from; pass --db or --polygon FILE"
            )))
        }
        (Some(id), None, Some(reg)) => {
            let d = dossier(reg, actor, id).await?;
            let rest = unreleased(&d.hazard.record, &records(&d.activities));
            if demine_core::geodesy::area_m2(&rest) < 1.0 {
                return Err(AppError::refused(format!(
                    "task {id} has no land left to clear; pass --polygon FILE for other land"
                )));
            }
            if a.access.is_none() {
                road = nearest_road(&reg.store.context_features(Some("roads")).await?, &rest);
            }
            (rest, format!("task {id}"), reg.synthetic().await?)
        }
    };
    let heading = match a.heading.trim() {
        "auto" => Heading::Auto,
        s => match s.parse::<f64>() {
            Ok(d) if d.is_finite() => Heading::Degrees(d),
            _ => {
                return Err(AppError::refused(format!(
                    "--heading '{s}': give degrees clockwise from north (e.g. 90) or auto"
                )))
            }
        },
    };
    let access = match a.access {
        Some(s) => Some(parse_access(s)?),
        None => road.as_ref().map(|r| r.0),
    };
    let plane = LocalPlane::around(&site).ok_or_else(|| AppError::refused("the polygon has no area"))?;
    let site_xy = plane.to_plane(&site);
    let site_area = geo::Area::unsigned_area(&site_xy);
    let title = |what: &str| format!("{what}, {label}");
    if let Some(box_m) = a.boxes_m {
        check_layout(site_area, extent_m(&site_xy), box_m, "boxes")?;
        let h = match heading {
            Heading::Degrees(d) => d,
            Heading::Auto => 0.0,
        };
        let boxes = grid_boxes_xy(&site_xy, box_m, h).map_err(|e| AppError::refused(e.to_string()))?;
        let features: Vec<OutFeature> = boxes
            .iter()
            .enumerate()
            .map(|(i, b)| OutFeature {
                name: format!("Box {}", i + 1),
                geometry: Geometry::Polygon(plane.polygon_to_lonlat(&b.outline)),
                properties: props(json!({"kind": "box", "box": i + 1, "row": b.row, "col": b.col,
                    "inside_share": b.inside_share, "centre": ll(plane.to_lonlat(b.centre))})),
            })
            .collect();
        write_field_features(a.out, &title(&format!("{box_m} m boxes")), &features, synthetic)?;
        let inside: f64 = boxes.iter().map(|b| b.inside_share).sum::<f64>() * box_m * box_m;
        return Ok(LanesAnswer {
            summary: format!(
                "{} boxes of {box_m} × {box_m} m cover {label} ({site_area:.0} m²); written to {}",
                boxes.len(),
                a.out.display()
            ),
            json: json!({"boxes": boxes.len(), "box_m": box_m, "heading_deg": h, "site_area_m2": site_area,
                "covered_area_m2": inside, "coverage_pct": 100.0 * inside / site_area, "out": a.out.display().to_string()}),
        });
    }
    let Some(width) = a.width_m else {
        return Err(AppError::refused("give --width M (lane width in metres) or --boxes M"));
    };
    check_layout(0.0, extent_m(&site_xy), width, "lanes")?;
    let plan = plan_lanes_xy(
        &site_xy,
        &LaneOptions {
            width_m: width,
            heading,
            access_xy: access.map(|c| plane.to_xy(c)),
        },
    )
    .map_err(|e| AppError::refused(e.to_string()))?;
    let mut features = Vec::with_capacity(plan.lanes.len() * 2);
    for l in &plan.lanes {
        let p = json!({"lane": l.number, "strip": l.strip, "length_m": l.length_m, "area_m2": l.area_m2,
            "width_m": width, "heading_deg": plan.heading_deg});
        let mut area_props = props(p.clone());
        area_props.insert("kind".into(), "lane".into());
        features.push(OutFeature {
            name: format!("Lane {}", l.number),
            geometry: Geometry::Polygon(plane.polygon_to_lonlat(&l.area)),
            properties: area_props,
        });
        let mut line_props = props(p);
        line_props.insert("kind".into(), "centre_line".into());
        features.push(OutFeature {
            name: format!("Lane {}", l.number),
            geometry: Geometry::LineString(plane.line_to_lonlat(&l.centre_line)),
            properties: line_props,
        });
    }
    write_field_features(a.out, &title(&format!("{width} m lanes")), &features, synthetic)?;
    let list: Vec<Value> = plan
        .lanes
        .iter()
        .map(|l| {
            json!({"lane": l.number, "strip": l.strip, "length_m": l.length_m, "area_m2": l.area_m2,
                "start": ll(plane.to_lonlat(l.centre_line.0[0])), "end": ll(plane.to_lonlat(l.centre_line.0[1]))})
        })
        .collect();
    Ok(LanesAnswer {
        summary: format!(
            "{} lanes of {width} m at heading {:.1}° over {label}: {} m of lanes, {} turns, {} m² covered of {} m² ({:.3} %); written to {}",
            plan.lanes.len(),
            plan.heading_deg,
            group_thousands(plan.total_length_m),
            plan.turns,
            group_thousands(plan.covered_area_m2),
            group_thousands(plan.site_area_m2),
            100.0 * plan.coverage_share,
            a.out.display()
        ),
        json: json!({"task": a.task_id, "heading_deg": plan.heading_deg, "width_m": width, "lanes": plan.lanes.len(),
            "total_length_m": plan.total_length_m, "turns": plan.turns, "transit_m": plan.transit_m,
            "site_area_m2": plan.site_area_m2, "covered_area_m2": plan.covered_area_m2,
            "coverage_pct": 100.0 * plan.coverage_share, "headings_tried": plan.candidates,
            "access": access.map(ll), "access_from": match (a.access, &road) {
                (Some(_), _) => "--access".to_string(),
                (None, Some((_, id))) => format!("nearest road {id}"),
                (None, None) => "first vertex".to_string(),
            },
            "out": a.out.display().to_string(), "lane_list": list}),
    })
}

// ---------------------------------------------------------------- daily progress

/// Ceilings of m² per team-hour: the defaults per team kind, with `KIND=M2,...` overrides.
pub fn ceilings(overrides: Option<&str>) -> Result<BTreeMap<String, f64>, String> {
    let mut t: BTreeMap<String, f64> = progress::DEFAULT_MAX_M2_PER_HOUR
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    if let Some(s) = overrides {
        for (k, v) in parse_pairs("--max-m2-per-hour", s)? {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("--max-m2-per-hour {k}={v}: a ceiling must be > 0 m² per hour"));
            }
            t.insert(k, v);
        }
    }
    Ok(t)
}

/// Lanes `ranges` of a lane plan file, as one multipolygon.
pub fn lanes_from_plan(plan: &Path, ranges: &str) -> AppResult<MultiPolygon<f64>> {
    let wanted = progress::parse_lane_ranges(ranges).map_err(AppError::refused)?;
    let text = std::fs::read_to_string(plan)
        .map_err(|e| AppError::refused(format!("{}: cannot read: {e}", plan.display())))?;
    let fc: geojson::FeatureCollection = text.parse().map_err(|e| {
        AppError::refused(format!(
            "{}: not a GeoJSON FeatureCollection ({e}); give the .geojson that `demine lanes` wrote",
            plan.display()
        ))
    })?;
    let mut found: BTreeMap<usize, MultiPolygon<f64>> = BTreeMap::new();
    let mut lanes_in_plan = 0;
    for f in fc.features {
        let props = f.properties.unwrap_or_default();
        if props.get("kind").and_then(Value::as_str) != Some("lane") {
            continue;
        }
        lanes_in_plan += 1;
        let Some(n) = props.get("lane").and_then(Value::as_u64) else {
            continue;
        };
        if !wanted.contains(&(n as usize)) {
            continue;
        }
        let Some(g) = f.geometry else { continue };
        if let Ok(Geometry::Polygon(p)) = Geometry::<f64>::try_from(g) {
            found.insert(n as usize, MultiPolygon(vec![p]));
        }
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|n| !found.contains_key(n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(AppError::refused(format!(
            "{}: no lane {} in this plan (it has {lanes_in_plan} lanes); check --lanes",
            plan.display(),
            missing.join(", ")
        )));
    }
    let mut out = MultiPolygon::<f64>(vec![]);
    for g in found.into_values() {
        out = out.union(&g);
    }
    Ok(out)
}

/// Turns a checked report into the activity that carries it into land release.
pub fn progress_activity(r: &DailyProgress, organisation: Option<String>) -> Activity {
    let (activity_type, outcome) = match r.team_kind.as_str() {
        "nts" => (ActivityType::Nts, Outcome::Cancelled),
        "ts" => (ActivityType::Ts, Outcome::Reduced),
        _ => (ActivityType::Clearance, Outcome::Cleared),
    };
    let mut attributes = demine_core::Attributes::new();
    attributes.insert("daily_progress".into(), r.id.clone().into());
    Activity {
        id: r.activity_id.clone().unwrap_or_else(|| r.id.clone()),
        hazard_id: r.hazard_id.clone(),
        activity_type,
        outcome,
        start_date: r.date,
        end_date: r.date,
        geometry: r.geometry.clone(),
        organisation,
        team: Some(r.team.clone()),
        method: Some(r.team_kind.clone()),
        depth_cm: None,
        attributes,
    }
}

/// Checks reports against the registry (the hazards they are on, only) and builds the
/// changeset that records them, all or nothing. `Err` lists every problem, naming the report
/// and field.
pub async fn progress_changeset(
    reg: &Registry,
    reports: Vec<DailyProgress>,
    caps: &BTreeMap<String, f64>,
    today: NaiveDate,
    description: String,
) -> AppResult<Result<(Changeset, Vec<String>), Vec<String>>> {
    let mut hazard_ids: Vec<String> = reports.iter().map(|r| r.hazard_id.clone()).collect();
    hazard_ids.sort();
    hazard_ids.dedup();
    let q = Query {
        ids: Some(hazard_ids.clone()),
        ..Query::default()
    };
    let hazards = reg.store.hazards(&q).await?;
    let mut activities = reg
        .store
        .activities(&Query {
            hazard_ids: Some(hazard_ids),
            ..Query::default()
        })
        .await?;
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut accepted = Vec::new();
    let mut new_acts: Vec<Activity> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for mut r in reports {
        let Some(h) = hazards.iter().find(|h| h.id == r.hazard_id) else {
            errors.push(format!(
                "report {}: field `task`: no hazard '{}' in the registry",
                r.id, r.hazard_id
            ));
            continue;
        };
        let taken = reg.store.record(RecordKind::Progress, &r.id).await?.is_some()
            || reg.store.record(RecordKind::Activities, &r.id).await?.is_some();
        if taken || !seen.insert(r.id.clone()) {
            errors.push(format!(
                "report {}: field `id`: already used; give each report its own id",
                r.id
            ));
            continue;
        }
        let mut cleared = MultiPolygon::<f64>(vec![]);
        for a in activities.iter().chain(&new_acts).filter(|a| a.hazard_id == h.id) {
            cleared = cleared.union(&a.geometry);
        }
        let check = progress::check_report(&r, &h.geometry, &cleared, today, caps);
        for e in &check.errors {
            errors.push(format!("report {}: field `{}`: {}", r.id, e.field, e.message));
        }
        for w in &check.warnings {
            warnings.push(format!("report {}: {}", r.id, w.message));
        }
        if check.errors.is_empty() {
            r.area_m2 = check.area_m2;
            // Lanes that share an edge can leave zero-width slits and dust after the union and
            // the clip.
            let clipped = r.geometry.intersection(&h.geometry);
            r.geometry = demine_core::spikes::without_spikes(&demine_core::spikes::without_dust(&clipped));
            if r.terrain.is_none() {
                r.terrain = h.land_use.clone();
            }
            r.activity_id = Some(r.id.clone());
            new_acts.push(progress_activity(&r, h.organisation.clone()));
            accepted.push(r);
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    activities.clear();
    Ok(Ok((
        Changeset {
            activities: new_acts,
            daily_progress: accepted,
            ..Changeset::new(description)
        },
        warnings,
    )))
}

/// `progress add`: one team's day.
#[derive(Debug, Clone)]
pub struct ProgressAddRequest<'a> {
    pub date: &'a str,
    /// The land worked, when given directly (a field form) rather than as a file.
    pub geometry: Option<MultiPolygon<f64>>,
    pub task: &'a str,
    pub team: &'a str,
    pub team_kind: Option<&'a str>,
    pub polygon: Option<&'a Path>,
    pub lanes: Option<&'a str>,
    pub lane_plan: Option<&'a Path>,
    pub hours: f64,
    pub downtime_hours: f64,
    pub downtime_reason: Option<&'a str>,
    pub finds: u32,
    pub terrain: Option<&'a str>,
    pub id: Option<&'a str>,
    pub max_m2_per_hour: Option<&'a str>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressAdded {
    pub ok: bool,
    pub id: String,
    pub area_m2: f64,
    pub remaining_m2: f64,
    pub warnings: Vec<String>,
    pub dry_run: bool,
}

pub async fn progress_add(reg: &Registry, actor: &Actor, a: &ProgressAddRequest<'_>) -> AppResult<ProgressAdded> {
    let (mut changes, answer) = progress_add_changes(reg, actor, a).await?;
    if !a.dry_run {
        changes.review_state = crate::shared::review_state_for(actor);
        reg.apply(&changes, actor).await?;
    }
    Ok(answer)
}

/// A day's progress checked against the registry: the changeset that records it and the answer
/// (the remaining land is accounted as it will be once written).
pub async fn progress_add_changes(
    reg: &Registry,
    actor: &Actor,
    a: &ProgressAddRequest<'_>,
) -> AppResult<(Changeset, ProgressAdded)> {
    actor.require(Act::Progress)?;
    let date = crate::util::parse_date("--date", a.date)?;
    let caps = ceilings(a.max_m2_per_hour).map_err(AppError::refused)?;
    let geometry = match (&a.geometry, a.polygon, a.lanes, a.lane_plan) {
        (Some(g), None, None, None) => g.clone(),
        (None, Some(p), None, None) => read_polygon_file(p)?,
        (None, None, Some(r), Some(plan)) => lanes_from_plan(plan, r)?,
        (None, None, Some(_), None) => {
            return Err(AppError::refused(
                "--lanes needs --lane-plan FILE (the .geojson `demine lanes` wrote)",
            ))
        }
        _ => {
            return Err(AppError::refused(
                "give the land worked: --polygon FILE, or --lanes RANGES with --lane-plan FILE",
            ))
        }
    };
    let hazard = dossier(reg, actor, a.task).await?;
    let team_kind = match (a.team_kind, reg.store.record(RecordKind::Teams, a.team).await?) {
        (Some(k), _) => k.to_lowercase(),
        (
            None,
            Some(demine_store::Stored {
                record: AnyRecord::Team(t),
                ..
            }),
        ) => t.kind.as_str().to_string(),
        _ => {
            return Err(AppError::refused(format!(
                "team '{}' is not in the registry; say its kind with --team-kind manual|mechanical|mdd|ts|nts",
                a.team
            )))
        }
    };
    let report = DailyProgress {
        id: a
            .id
            .map(str::to_string)
            .unwrap_or_else(|| format!("DP-{}-{date}-{}", a.task, a.team)),
        date,
        hazard_id: a.task.to_string(),
        team: a.team.to_string(),
        team_kind,
        geometry,
        hours: a.hours,
        downtime_hours: a.downtime_hours,
        downtime_reason: a.downtime_reason.map(str::to_string),
        finds: a.finds,
        lanes: a.lanes.map(str::to_string),
        terrain: a.terrain.map(str::to_string),
        area_m2: 0.0,
        activity_id: None,
    };
    let id = report.id.clone();
    let desc = format!("progress add {id}");
    let (changes, warnings) = progress_changeset(reg, vec![report], &caps, today(), desc)
        .await?
        .map_err(|errors| {
            AppError::Refused(Box::new(Refusal {
                problems: errors,
                hint: Some(format!("nothing was written: the registry {} is unchanged", reg.name())),
                ..Refusal::default()
            }))
        })?;
    let area = changes.daily_progress[0].area_m2;
    let mut acts = records(&hazard.activities);
    acts.extend(changes.activities.iter().cloned());
    let remaining =
        account_records(std::slice::from_ref(&hazard.hazard.record), &acts, None, false).per_hazard[0].remaining_m2;
    Ok((
        changes,
        ProgressAdded {
            ok: true,
            id,
            area_m2: area,
            remaining_m2: remaining,
            warnings,
            dry_run: a.dry_run,
        },
    ))
}

/// Productivity per team kind and terrain from the daily progress recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressStats {
    pub reports: usize,
    pub area_m2: f64,
    pub hours: f64,
    pub groups: Vec<progress::Productivity>,
}

pub async fn progress_stats(reg: &Registry, actor: &Actor) -> AppResult<ProgressStats> {
    actor.require(Act::Read)?;
    let q = Query::all().in_organisations(actor.scope());
    let reports: Vec<(DailyProgress, f64)> = reg
        .store
        .daily_progress(&q)
        .await?
        .into_iter()
        .map(|r| {
            let a = r.area_m2;
            (r, a)
        })
        .collect();
    Ok(ProgressStats {
        reports: reports.len(),
        area_m2: reports.iter().map(|r| r.1).sum(),
        hours: reports.iter().map(|r| r.0.hours).sum(),
        groups: progress::productivity(&reports),
    })
}

/// `export progress FILE`: daily progress reports as GeoJSON (or GPX/KML) features.
pub async fn export_progress(reg: &Registry, actor: &Actor, file: &Path) -> AppResult<usize> {
    actor.require(Act::Read)?;
    field_format(file).map_err(AppError::refused)?;
    let synthetic = reg.synthetic().await?;
    let q = Query::all().in_organisations(actor.scope());
    let reports = reg.store.daily_progress(&q).await?;
    let features: Vec<OutFeature> = reports
        .iter()
        .map(|r| OutFeature {
            name: r.id.clone(),
            geometry: Geometry::MultiPolygon(r.geometry.clone()),
            properties: props(serde_json::to_value(r).unwrap_or(Value::Null)),
        })
        .collect();
    write_field_features(file, "daily_progress", &features, synthetic)?;
    Ok(reports.len())
}

// ---------------------------------------------------------------- residual risk

/// Everything the residual estimate of one hazard rests on.
pub struct HazardEvidence {
    pub hazard: Hazard,
    pub activities: Vec<Activity>,
    pub finds: Vec<Find>,
    pub progress: Vec<DailyProgress>,
    pub qa: Option<QaInspection>,
    pub risk: Option<demine_core::HazardRisk>,
    pub synthetic: bool,
}

impl HazardEvidence {
    pub fn from_dossier(d: &HazardDossier, synthetic: bool) -> HazardEvidence {
        let mut activities = records(&d.activities);
        activities.sort_by(|a, b| (a.end_date, &a.id).cmp(&(b.end_date, &b.id)));
        HazardEvidence {
            hazard: d.hazard.record.clone(),
            activities,
            finds: records(&d.finds),
            progress: records(&d.progress),
            qa: d.qa.last().map(|q| q.record.clone()),
            risk: d.risk.clone(),
            synthetic,
        }
    }
}

pub async fn hazard_evidence(reg: &Registry, actor: &Actor, id: &str) -> AppResult<HazardEvidence> {
    let d = dossier(reg, actor, id).await?;
    Ok(HazardEvidence::from_dossier(&d, reg.synthetic().await?))
}

/// Below this density (items/m²) a risk-map prior is not used (see `residual_of`).
const MIN_RISK_DENSITY_PER_M2: f64 = 1e-7;

/// The method name an activity is looked up by in the detection table: its `method` when the
/// table knows it (manual, mechanical, mdd, …), else its activity type (clearance, TS, NTS, …),
/// because operators write free text in `method` ("TS: manual sampling lanes").
fn method_of(a: &Activity, table: &BTreeMap<String, f64>) -> String {
    match a.method.as_deref().map(|m| m.trim().to_lowercase()) {
        Some(m) if table.contains_key(&m) => m,
        _ => a.activity_type.as_str().to_lowercase(),
    }
}

/// A residual estimate with what it rests on.
pub struct ResidualEstimate {
    pub residual: residual::Residual,
    pub unreleased_m2: f64,
    pub methods: Vec<Value>,
}

/// Residual risk of the released land of a hazard.
pub fn residual_of(
    ev: &HazardEvidence,
    density: Option<f64>,
    shape: Option<f64>,
    detection: &BTreeMap<String, f64>,
) -> AppResult<ResidualEstimate> {
    let area = demine_core::geodesy::area_m2(&ev.hazard.geometry);
    let prior = match (density, &ev.risk) {
        (Some(d), _) => residual::Prior {
            density_per_m2: d,
            shape,
            source: "given (--density-per-m2)".into(),
        },
        // A risk map that says "no item at all" is extrapolation, not evidence: a zero prior
        // could never be moved by finds, so the class default is used instead.
        (None, Some(r))
            if residual::density_from_p_any(r.p_any, area).is_some_and(|d| d >= MIN_RISK_DENSITY_PER_M2) =>
        {
            residual::Prior {
                density_per_m2: residual::density_from_p_any(r.p_any, area).unwrap_or(0.0),
                shape,
                source: format!(
                    "risk map: P(any item) = {:.4} over {area:.0} m², λ = −ln(1 − P)/A",
                    r.p_any
                ),
            }
        }
        _ => {
            let class = ev.hazard.class.as_str();
            let d = residual::DEFAULT_DENSITY_PER_M2
                .iter()
                .find(|(c, _)| *c == class)
                .map_or(1e-4, |x| x.1);
            residual::Prior {
                density_per_m2: d,
                shape,
                source: format!("class default for {class}"),
            }
        }
    };
    let mut unknown = Vec::new();
    let works: Vec<(MultiPolygon<f64>, String)> = ev
        .activities
        .iter()
        .map(|a| {
            let m = method_of(a, detection);
            if !detection.contains_key(&m) {
                unknown.push(m.clone());
            }
            (a.geometry.clone(), m)
        })
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        return Err(AppError::refused(format!(
            "no detection probability for method(s) {}; give them with --detection {}=P",
            unknown.join(", "),
            unknown[0]
        )));
    }
    let pieces: Vec<residual::Piece> = demine_field::coverage::method_pieces(&ev.hazard.geometry, &works)
        .into_iter()
        .map(|(area_m2, ms)| residual::Piece {
            area_m2,
            methods: ms.into_iter().map(|m| (m.clone(), detection[&m])).collect(),
        })
        .collect();
    let released_m2: f64 = pieces.iter().map(|p| p.area_m2).sum();
    // The same items are often reported both as find records and in daily progress counts:
    // the larger of the two, so that none is lost and none counted twice.
    let progress_finds: u64 = ev.progress.iter().map(|p| u64::from(p.finds)).sum();
    let finds = (ev.finds.len() as u64).max(progress_finds);
    let qa = ev.qa.as_ref().map(|q| residual::QaResult {
        inspected_share: if released_m2 > 0.0 {
            (q.sample_units as f64 * q.box_m * q.box_m / released_m2).min(1.0)
        } else {
            0.0
        },
        defects: q.defects,
        detection: q.detection,
    });
    let r =
        residual::residual_risk(&prior, &pieces, finds, qa.as_ref()).map_err(|e| AppError::refused(e.to_string()))?;
    let methods: Vec<Value> = r
        .area_by_methods_m2
        .iter()
        .map(|(k, a)| {
            let ps: Vec<Value> = k
                .split('+')
                .map(|m| json!({"method": m, "p_detect": detection.get(m).copied().unwrap_or(0.0)}))
                .collect();
            json!({"methods": k, "area_m2": a, "detection": ps})
        })
        .collect();
    Ok(ResidualEstimate {
        residual: r,
        unreleased_m2: area - released_m2,
        methods,
    })
}

/// `--prior-shape`: a number > 0, or `known`.
pub fn parse_shape(s: &str) -> AppResult<Option<f64>> {
    if s.trim().eq_ignore_ascii_case("known") {
        return Ok(None);
    }
    match s.trim().parse::<f64>() {
        Ok(k) if k.is_finite() && k > 0.0 => Ok(Some(k)),
        _ => Err(AppError::refused(format!(
            "--prior-shape '{s}': give a number > 0 (e.g. 1) or `known`"
        ))),
    }
}

/// The JSON of a residual estimate (shared by `residual --json` and the API).
pub fn residual_json(id: &str, e: &ResidualEstimate, table: &BTreeMap<String, f64>) -> Value {
    let r = &e.residual;
    json!({
        "hazard": id,
        "expected_remaining": r.expected_remaining,
        "p_any_remaining": r.p_any_remaining,
        "released_area_m2": r.area_m2,
        "unreleased_area_m2": e.unreleased_m2.max(0.0),
        "posterior_density_per_m2": r.posterior_density_per_m2,
        "miss_probability": r.miss_probability,
        "assumptions": {
            "model": "items ~ Poisson(λ·area), λ ~ Gamma(shape, shape/density) (or known); each method detects independently with p, miss = Π(1 − p); QA inspects its sample share with its detection; finds and QA defects update λ (conjugate), remaining ~ negative binomial (Poisson when λ known)",
            "prior": r.prior,
            "prior_expected_items": r.prior_expected_items,
            "methods": e.methods,
            "detection_table": table,
            "finds": r.finds,
            "qa": r.qa,
            "scope": "released land of the hazard only; land not yet released is not covered by this estimate",
        }
    })
}

/// `residual`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ResidualRequest {
    pub density_per_m2: Option<f64>,
    /// A number > 0, or `known`.
    pub prior_shape: Option<String>,
    /// `METHOD=P,...`
    pub detection: Option<String>,
}

/// A hazard's residual risk: the estimate, its JSON, and whether the data are SYNTHETIC.
pub struct ResidualAnswer {
    pub estimate: ResidualEstimate,
    pub json: Value,
    pub synthetic: bool,
}

pub async fn residual(reg: &Registry, actor: &Actor, id: &str, r: &ResidualRequest) -> AppResult<ResidualAnswer> {
    let shape = parse_shape(r.prior_shape.as_deref().unwrap_or("1"))?;
    let overrides = match &r.detection {
        Some(s) => parse_pairs("--detection", s).map_err(AppError::refused)?,
        None => Vec::new(),
    };
    let table = residual::detection_table(&overrides).map_err(|e| AppError::refused(e.to_string()))?;
    if let Some(d) = r.density_per_m2 {
        if !(d.is_finite() && d >= 0.0) {
            return Err(AppError::refused(format!(
                "--density-per-m2 {d}: give items per m² ≥ 0, e.g. 0.001"
            )));
        }
    }
    let ev = hazard_evidence(reg, actor, id).await?;
    let estimate = residual_of(&ev, r.density_per_m2, shape, &table)?;
    let mut json = residual_json(id, &estimate, &table);
    if ev.synthetic {
        json["data"] = json!("SYNTHETIC");
    }
    Ok(ResidualAnswer {
        estimate,
        json,
        synthetic: ev.synthetic,
    })
}

// ---------------------------------------------------------------- certificate

/// Why a hazard cannot be certified yet: its land is not all released, or its latest QA lot
/// was rejected, or none was inspected. Empty: it can be.
pub fn certificate_blockers(ev: &HazardEvidence) -> Vec<String> {
    let r = account_records(std::slice::from_ref(&ev.hazard), &ev.activities, None, false);
    let hr = &r.per_hazard[0];
    let mut why = Vec::new();
    if hr.status != demine_core::HazardStatus::Released {
        why.push(format!(
            "hazard {} is not fully released: {} m² of {:.0} m² remain (status {}); record the survey or clearance of the rest first",
            ev.hazard.id,
            if hr.remaining_m2 < 10.0 {
                format!("{:.2}", hr.remaining_m2)
            } else {
                format!("{:.0}", hr.remaining_m2)
            },
            hr.area_m2,
            hr.status.as_str()
        ));
    }
    match &ev.qa {
        None => why.push(format!(
            "hazard {} has no post-clearance inspection recorded; record one with `demine qa record`",
            ev.hazard.id
        )),
        Some(q) if !q.accepted => why.push(format!(
            "the latest QA lot of hazard {} ({}, {}) was rejected: {} defective units found, acceptance number {}; re-clear and inspect again",
            ev.hazard.id, q.id, q.date, q.defects, q.c
        )),
        Some(_) => {}
    }
    why
}

/// The certificate's values for one hazard.
pub fn certificate_input(
    ev: &HazardEvidence,
    lang: demine_report::certificate::Lang,
    r: &residual::Residual,
    generated_at: String,
    draft_reasons: Vec<String>,
) -> demine_report::certificate::CertificateInput {
    use demine_report::certificate::{CertificateInput, QaLine, ReleaseLine};
    let release = account_records(std::slice::from_ref(&ev.hazard), &ev.activities, None, true);
    let hr = &release.per_hazard[0];
    let by_id: BTreeMap<&str, &Activity> = ev.activities.iter().map(|a| (a.id.as_str(), a)).collect();
    let lines: Vec<ReleaseLine> = hr
        .pieces
        .iter()
        .filter_map(|p| {
            let a = by_id.get(p.activity_id.as_str())?;
            Some(ReleaseLine {
                activity_id: a.id.clone(),
                method: a
                    .method
                    .clone()
                    .unwrap_or_else(|| a.activity_type.as_str().to_lowercase()),
                outcome: a.outcome.as_str().to_string(),
                date: a.end_date,
                team: a.team.clone().unwrap_or_default(),
                area_m2: p.area_m2,
            })
        })
        .collect();
    let mut teams: Vec<String> = ev.activities.iter().filter_map(|a| a.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let mut finds_by_category: BTreeMap<String, u64> = BTreeMap::new();
    for f in &ev.finds {
        *finds_by_category.entry(f.category.as_str().to_string()).or_default() += 1;
    }
    CertificateInput {
        lang,
        synthetic: ev.synthetic,
        generated_at,
        hazard_id: ev.hazard.id.clone(),
        hazard_name: ev.hazard.name.clone(),
        hazard_class: ev.hazard.class.as_str().to_string(),
        organisation: ev.hazard.organisation.clone(),
        area_m2: hr.area_m2,
        remaining_m2: hr.remaining_m2,
        status: hr.status.as_str().to_string(),
        released: lines,
        teams,
        finds: r.finds,
        finds_by_category,
        qa: ev.qa.as_ref().map(|q| QaLine {
            id: q.id.clone(),
            date: q.date,
            lot_units: q.lot_units,
            sample_units: q.sample_units,
            box_m: q.box_m,
            c: q.c,
            defects: q.defects,
            accepted: q.accepted,
            nonconformities: q
                .nonconformities
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|n| {
                            format!(
                                "{}: {}",
                                n["severity"].as_str().unwrap_or(""),
                                n["note"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }),
        expected_remaining: r.expected_remaining,
        p_any_remaining: r.p_any_remaining,
        prior_density_per_m2: r.prior.density_per_m2,
        prior_source: r.prior.source.clone(),
        hazard_geometry: ev.hazard.geometry.clone(),
        released_geometry: hr
            .pieces
            .iter()
            .map(|p| (p.outcome.as_str().to_string(), p.geometry.clone()))
            .collect(),
        find_points: ev.finds.iter().map(|f| f.location).collect(),
        draft_reasons,
    }
}

/// A certificate issued.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub hazard_id: String,
    pub lang: String,
    /// A draft (watermarked NOT VALID), with why.
    pub draft: bool,
    pub not_valid_because: Vec<String>,
    #[serde(skip)]
    pub html: String,
}

/// The land release certificate of a hazard, as HTML. Issued only when all its land is released
/// and its latest QA lot was accepted; otherwise refused with the reasons, or, with `draft`,
/// issued watermarked NOT VALID.
pub async fn certificate(reg: &Registry, actor: &Actor, id: &str, lang: &str, draft: bool) -> AppResult<Certificate> {
    let lang_code = crate::util::report_lang(lang)?;
    let ev = hazard_evidence(reg, actor, id).await?;
    let blockers = certificate_blockers(&ev);
    if !blockers.is_empty() && !draft {
        return Err(AppError::Refused(Box::new(Refusal {
            problems: blockers.iter().map(|b| format!("no certificate: {b}")).collect(),
            hint: Some(
                "a land release certificate needs all the hazard's land released and its latest QA lot accepted; pass --draft for a copy watermarked NOT VALID".into(),
            ),
            ..Refusal::default()
        })));
    }
    let table = residual::detection_table(&[]).map_err(|e| AppError::refused(e.to_string()))?;
    let est = residual_of(&ev, None, Some(1.0), &table)?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let html = demine_report::certificate::render_certificate(&certificate_input(
        &ev,
        lang_code,
        &est.residual,
        now,
        blockers.clone(),
    ));
    Ok(Certificate {
        hazard_id: id.to_string(),
        lang: lang.to_string(),
        draft: !blockers.is_empty(),
        not_valid_because: blockers,
        html,
    })
}

/// Writes a certificate to `.html`, or `.pdf` through headless Chromium.
pub fn write_certificate(c: &Certificate, out: &Path) -> AppResult<()> {
    let ext = out.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html") | Some("htm") => Ok(demine_io::write_atomically(out, c.html.as_bytes())?),
        Some("pdf") => {
            let pdf = crate::report::print_pdf(&c.html)?;
            Ok(demine_io::write_atomically(out, &pdf)?)
        }
        _ => Err(AppError::refused(format!(
            "{}: write the certificate to a .html or .pdf file",
            out.display()
        ))),
    }
}

/// A GeoJSON Polygon or MultiPolygon (a form's land worked), validated as an import validates
/// polygons; `what` names it in messages.
pub fn polygons_from_geojson(what: &str, v: &Value) -> AppResult<MultiPolygon<f64>> {
    let raw = demine_io::raw::geometry_from_geojson(v)
        .map_err(|e| AppError::refused(format!("{what}, field `geometry`: {e}")))?;
    match raw {
        demine_io::raw::RawGeometry::Polygons(p) => demine_core::validate::validate_polygons(&p, false)
            .map(|v| v.geometry)
            .map_err(|errors| AppError::refused(format!("{what}, field `geometry`: {}", errors.join("; ")))),
        other => Err(AppError::refused(format!(
            "{what}, field `geometry`: {}: the land worked must be a Polygon or MultiPolygon",
            other.type_name()
        ))),
    }
}
