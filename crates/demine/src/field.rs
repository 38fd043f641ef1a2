//! `demine qa | lanes | progress | residual | certificate` and `import progress`: field work and
//! quality (issue 6). Wiring only: registry and files in, `demine-field` engines, files and
//! JSON out.

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use demine_core::release::account_records;
use demine_core::{Activity, ActivityType, DailyProgress, Hazard, Outcome, QaInspection};
use demine_field::lanes::{grid_boxes_xy, plan_lanes_xy, Heading, LaneOptions};
use demine_field::plane::LocalPlane;
use demine_field::{progress, qa, residual};
use demine_io::field_export::{field_format, write_field_features, OutFeature};
use demine_store::{Changeset, GeoPackageStore, Repository};
use geo::{BooleanOps, Coord, Geometry, MultiPolygon, Point};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status for refused input (as in commands.rs).
const EXIT_REFUSED: u8 = 2;

fn refuse(msg: impl std::fmt::Display) -> Result<ExitCode> {
    eprintln!("error: {msg}");
    Ok(ExitCode::from(EXIT_REFUSED))
}

macro_rules! or_refuse {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return refuse(e),
        }
    };
}

#[derive(Debug, Subcommand)]
pub enum QaCommand {
    /// The smallest inspection sample: n units with acceptance number c such that a lot whose
    /// defect rate is LQ is accepted with probability at most beta (exact hypergeometric OC).
    ///
    /// A lot of N units at LQ holds D = ⌈LQ·N⌉ defective units. With --budget, answers the
    /// reverse question: the LQ that a sample of that many units guarantees at beta.
    Plan {
        /// Units in the lot (e.g. 10 × 10 m boxes of the cleared land; `qa sample` counts them).
        #[arg(long, value_name = "N")]
        lot_units: u64,
        /// Limiting quality: the defect rate (0..1, exclusive) a lot must be rejected at, e.g. 0.05.
        #[arg(long, value_name = "P")]
        lq: Option<f64>,
        /// Consumer's risk: the largest acceptable probability of accepting a lot at LQ, e.g. 0.1.
        #[arg(long, value_name = "B")]
        beta: f64,
        /// Acceptance number: the most defective units in the sample that still accept the lot.
        #[arg(long, default_value_t = 0, value_name = "C")]
        c: u64,
        /// Sample budget in units: answer "which LQ does this sample guarantee?" instead.
        #[arg(long, value_name = "N")]
        budget: Option<u64>,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Draw sample units (boxes) inside the cleared land of a hazard, or a polygon, for inspectors.
    Sample {
        /// Hazard whose released land is the lot.
        #[arg(value_name = "HAZARD_ID")]
        hazard_id: Option<String>,
        /// A GeoJSON polygon file instead of a hazard.
        #[arg(long, value_name = "FILE")]
        polygon: Option<PathBuf>,
        /// Sample units to draw (n from `qa plan`).
        #[arg(long, value_name = "N")]
        units: usize,
        /// Side of a unit box, metres.
        #[arg(long, default_value_t = 10.0, value_name = "M")]
        box_m: f64,
        /// Random seed: the same seed draws the same units.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file: .geojson (boxes and centres) or .gpx (centres as waypoints) or .kml.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Record an inspection result: the lot is accepted when defects ≤ c.
    Record {
        #[arg(value_name = "HAZARD_ID")]
        hazard_id: String,
        /// Inspection date (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// Units in the lot.
        #[arg(long, value_name = "N")]
        lot_units: u64,
        /// Units inspected.
        #[arg(long, value_name = "N")]
        sample_units: u64,
        /// Defective units found (units where an item was missed).
        #[arg(long, default_value_t = 0)]
        defects: u64,
        /// Acceptance number of the plan.
        #[arg(long, default_value_t = 0)]
        c: u64,
        /// Side of a unit box, metres.
        #[arg(long, default_value_t = 10.0, value_name = "M")]
        box_m: f64,
        /// Detection probability of the inspectors (used by `residual`).
        #[arg(long, default_value_t = residual::DEFAULT_QA_DETECTION)]
        detection: f64,
        /// A nonconformity as SEVERITY:NOTE (severity critical|major|minor); repeat for several.
        #[arg(long, value_name = "SEVERITY:NOTE")]
        nonconformity: Vec<String>,
        /// Inspector's name.
        #[arg(long)]
        inspector: Option<String>,
        /// Record id (default QA-HAZARD-DATE).
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// `demine lanes`.
#[derive(Debug, Args)]
pub struct LanesArgs {
    /// Task (hazard) id: lanes over its land not yet released.
    #[arg(value_name = "TASK_ID")]
    pub task_id: Option<String>,
    /// A GeoJSON polygon file instead of a task (holes and multipolygons allowed).
    #[arg(long, value_name = "FILE")]
    pub polygon: Option<PathBuf>,
    /// Lane width, metres (1 for manual teams, the flail width for machines).
    #[arg(long, value_name = "M")]
    pub width: Option<f64>,
    /// Lane heading: degrees clockwise from north, or `auto` (fewest lanes, then fewest turns).
    #[arg(long, default_value = "auto", value_name = "auto|DEG")]
    pub heading: String,
    /// Where the team arrives, as LON,LAT: lane 1 starts nearest to it. Default for a task: the
    /// nearest point of the `roads` context layer, else the first vertex of the land.
    #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true)]
    pub access: Option<String>,
    /// Instead of lanes: a grid of boxes of this side (metres) covering the land, e.g. 10.
    #[arg(long, value_name = "M")]
    pub boxes: Option<f64>,
    /// Output file: .geojson, .gpx or .kml.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProgressCommand {
    /// Add one day's work of one team: checked, then recorded as a clearance activity.
    Add(Box<ProgressAddArgs>),
    /// Productivity per team kind and terrain, from the daily progress recorded.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProgressAddArgs {
    /// Date of the work (YYYY-MM-DD), not in the future.
    #[arg(long)]
    pub date: String,
    /// Task (hazard) id.
    #[arg(long, value_name = "HAZARD_ID")]
    pub task: String,
    /// Team id.
    #[arg(long)]
    pub team: String,
    /// Team kind (manual|mechanical|mdd|ts|nts); taken from the registry's team when known.
    #[arg(long)]
    pub team_kind: Option<String>,
    /// The land worked, as a GeoJSON polygon file.
    #[arg(long, value_name = "FILE")]
    pub polygon: Option<PathBuf>,
    /// Or lanes of a lane plan, e.g. 1-20 or 1-5,8 (with --lane-plan).
    #[arg(long, value_name = "RANGES")]
    pub lanes: Option<String>,
    /// The lane plan (.geojson written by `demine lanes`).
    #[arg(long, value_name = "FILE")]
    pub lane_plan: Option<PathBuf>,
    /// Hours worked on site.
    #[arg(long)]
    pub hours: f64,
    /// Hours lost (weather, medevac, equipment).
    #[arg(long, default_value_t = 0.0)]
    pub downtime_hours: f64,
    /// Why (required with downtime).
    #[arg(long)]
    pub downtime_reason: Option<String>,
    /// Items found that day.
    #[arg(long, default_value_t = 0)]
    pub finds: u32,
    /// Terrain or vegetation (for productivity statistics); the hazard's land use by default.
    #[arg(long)]
    pub terrain: Option<String>,
    /// Report id (default DP-TASK-DATE-TEAM).
    #[arg(long)]
    pub id: Option<String>,
    /// Ceilings in m² per team-hour, e.g. manual=150,mdd=400 (defaults per team kind).
    #[arg(long, value_name = "KIND=M2,...")]
    pub max_m2_per_hour: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// `demine residual`.
#[derive(Debug, Args)]
pub struct ResidualArgs {
    #[arg(value_name = "HAZARD_ID")]
    pub hazard_id: String,
    /// Prior item density, items/m² (default: from the risk map, else by class: CHA 1e-3, SHA 1e-4).
    #[arg(long, value_name = "ITEMS_PER_M2")]
    pub density_per_m2: Option<f64>,
    /// Gamma shape of the prior on density (> 0; smaller = less sure). `known` = density known.
    #[arg(long, default_value = "1", value_name = "K|known")]
    pub prior_shape: String,
    /// Detection probability per method, e.g. manual=0.99,mdd=0.9 (defaults in the output).
    #[arg(long, value_name = "METHOD=P,...")]
    pub detection: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// `demine certificate`.
#[derive(Debug, Args)]
pub struct CertificateArgs {
    #[arg(value_name = "HAZARD_ID")]
    pub hazard_id: String,
    /// Output: FILE.html, or FILE.pdf (printed by headless Chromium: scripts/install-chromium.sh).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Language of the certificate.
    #[arg(long, default_value = "en", value_parser = ["en", "uk"])]
    pub lang: String,
}

/// What `commands::run` hands over.
pub enum FieldCommand {
    Qa(QaCommand),
    Lanes(LanesArgs),
    Progress(ProgressCommand),
    Residual(ResidualArgs),
    Certificate(CertificateArgs),
}

pub async fn run(db: &Path, actor: &str, cmd: FieldCommand) -> Result<ExitCode> {
    match cmd {
        FieldCommand::Qa(QaCommand::Plan {
            lot_units,
            lq,
            beta,
            c,
            budget,
            json,
        }) => qa_plan(lot_units, lq, beta, c, budget, json),
        FieldCommand::Qa(QaCommand::Sample {
            hazard_id,
            polygon,
            units,
            box_m,
            seed,
            out,
            json,
        }) => {
            qa_sample(
                db,
                hazard_id.as_deref(),
                polygon.as_deref(),
                units,
                box_m,
                seed,
                &out,
                json,
            )
            .await
        }
        FieldCommand::Qa(cmd @ QaCommand::Record { .. }) => qa_record(db, actor, cmd).await,
        FieldCommand::Lanes(a) => lanes(db, &a).await,
        FieldCommand::Progress(ProgressCommand::Add(a)) => progress_add(db, actor, &a).await,
        FieldCommand::Progress(ProgressCommand::Stats { json }) => progress_stats(db, json).await,
        FieldCommand::Residual(a) => residual_cmd(db, &a).await,
        FieldCommand::Certificate(a) => certificate(db, &a).await,
    }
}

// ---------------------------------------------------------------- QA

fn qa_plan(lot_units: u64, lq: Option<f64>, beta: f64, c: u64, budget: Option<u64>, json: bool) -> Result<ExitCode> {
    let oc_json = |oc: &[qa::OcPoint]| serde_json::to_value(oc).unwrap_or(Value::Null);
    if let Some(n) = budget {
        let a = or_refuse!(qa::lq_for_budget(lot_units, n, beta, c));
        let requested = match lq {
            Some(p) if !(p > 0.0 && p < 1.0) => return refuse(qa::QaError::Lq(p)),
            Some(p) => {
                let d = qa::defective_units(lot_units, p);
                Some((p, qa::p_accept(lot_units, d, n, c)))
            }
            None => None,
        };
        if json {
            let mut v = json!({"mode": "budget", "lot_units": lot_units, "beta": beta, "n": a.n, "c": a.c,
                "lq": a.lq, "defective_units": a.defective_units, "p_accept_at_lq": a.p_accept_at_lq, "oc": oc_json(&a.oc)});
            if let Some((p, pa)) = requested {
                v["requested_lq"] = json!(p);
                v["p_accept_at_requested_lq"] = json!(pa);
                v["meets_requested_lq"] = json!(pa <= beta);
            }
            println!("{v}");
        } else {
            println!(
                "a sample of {} of {} units (accept with ≤ {} defective) rejects, with probability ≥ {:.1} %, every lot whose defect rate is ≥ {:.4} ({} defective units)",
                a.n,
                lot_units,
                a.c,
                100.0 * (1.0 - beta),
                a.lq,
                a.defective_units
            );
            if let Some((p, pa)) = requested {
                println!(
                    "at the requested LQ {p}: P(accept) = {pa:.6} ({} beta {beta})",
                    if pa <= beta { "meets" } else { "does NOT meet" }
                );
            }
            print_oc(&a.oc);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(lq) = lq else {
        return refuse("give --lq (the defect rate to reject) or --budget (the sample size you can afford)");
    };
    let p = or_refuse!(qa::plan(&qa::PlanRequest { lot_units, lq, beta, c }));
    if json {
        println!(
            "{}",
            json!({"mode": "plan", "lot_units": p.lot_units, "lq": p.lq, "beta": p.beta, "defective_units": p.defective_units,
                "n": p.n, "c": p.c, "p_accept_at_lq": p.p_accept_at_lq, "sampled_fraction": p.sampled_fraction,
                "binomial_n_c0": qa::binomial_n_c0(lq, beta), "oc": oc_json(&p.oc)})
        );
    } else {
        println!(
            "inspect n = {} of {} units ({:.1} %), accept the lot if at most c = {} are defective",
            p.n,
            p.lot_units,
            100.0 * p.sampled_fraction,
            p.c
        );
        println!(
            "a lot at LQ {} ({} defective units) is accepted with probability {:.6} (≤ beta {})",
            p.lq, p.defective_units, p.p_accept_at_lq, p.beta
        );
        print_oc(&p.oc);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_oc(oc: &[qa::OcPoint]) {
    println!("operating characteristic (exact hypergeometric):");
    println!("  {:>10} {:>10} {:>12}", "defect rate", "defective", "P(accept)");
    for o in oc {
        println!("  {:>10.4} {:>10} {:>12.6}", o.p, o.defective_units, o.p_accept);
    }
}

async fn open_existing(db: &Path) -> Result<GeoPackageStore> {
    if !db.exists() {
        bail!(
            "{}: no registry here; import hazards first or pass --db (or use --polygon FILE)",
            db.display()
        );
    }
    Ok(GeoPackageStore::open(db).await?)
}

async fn find_hazard(store: &GeoPackageStore, id: &str) -> Result<Option<(Hazard, Vec<Activity>)>> {
    let Some(h) = store.hazards().await?.into_iter().find(|h| h.id == id) else {
        return Ok(None);
    };
    let mut acts: Vec<Activity> = store
        .activities()
        .await?
        .into_iter()
        .filter(|a| a.hazard_id == id)
        .collect();
    acts.sort_by(|a, b| (a.end_date, &a.id).cmp(&(b.end_date, &b.id)));
    Ok(Some((h, acts)))
}

fn unknown_hazard(id: &str, db: &Path) -> String {
    format!(
        "no hazard '{id}' in {}; `demine export hazards FILE` lists them",
        db.display()
    )
}

/// Polygons of a GeoJSON file, validated at entry, as one multipolygon.
fn read_polygon_file(path: &Path) -> std::result::Result<MultiPolygon<f64>, String> {
    if !path.exists() {
        return Err(format!("{}: no such file", path.display()));
    }
    let parsed = demine_io::parse_layer_file("polygon", path, false).map_err(|e| e.to_string())?;
    if let Some(p) = parsed.problems.first() {
        return Err(format!("{}: {p}; mend the polygon and try again", path.display()));
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
        return Err(format!(
            "{}: holds no Polygon or MultiPolygon; give the land as polygons (lon/lat, GeoJSON)",
            path.display()
        ));
    }
    Ok(out)
}

/// Land of a hazard no activity has released yet.
fn unreleased(h: &Hazard, acts: &[Activity]) -> MultiPolygon<f64> {
    acts.iter()
        .fold(h.geometry.clone(), |rest, a| rest.difference(&a.geometry))
}

/// Land of a hazard released by its activities.
fn released(h: &Hazard, acts: &[Activity]) -> MultiPolygon<f64> {
    let mut all = MultiPolygon::<f64>(vec![]);
    for a in acts {
        all = all.union(&a.geometry);
    }
    all.intersection(&h.geometry)
}

/// The point of the `roads` context layer nearest to the site (teams arrive by road), with the
/// road's id.
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

fn parse_access(s: &str) -> std::result::Result<Coord<f64>, String> {
    let bad = || format!("--access '{s}': write LON,LAT in degrees, e.g. 36.25,50.01");
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

fn ll(c: Coord<f64>) -> Value {
    json!([c.x, c.y])
}

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn qa_sample(
    db: &Path,
    hazard_id: Option<&str>,
    polygon: Option<&Path>,
    units: usize,
    box_m: f64,
    seed: u64,
    out: &Path,
    json: bool,
) -> Result<ExitCode> {
    or_refuse!(field_format(out));
    let (site, label, synthetic) = match (hazard_id, polygon) {
        (Some(_), Some(_)) | (None, None) => return refuse("give a HAZARD_ID or --polygon FILE (one of them)"),
        (None, Some(p)) => (or_refuse!(read_polygon_file(p)), p.display().to_string(), false),
        (Some(id), None) => {
            let store = open_existing(db).await?;
            let synthetic = store.meta("synthetic").await?.as_deref() == Some("true");
            let Some((h, acts)) = find_hazard(&store, id).await? else {
                return refuse(unknown_hazard(id, db));
            };
            let land = released(&h, &acts);
            if demine_core::geodesy::area_m2(&land) < 1.0 {
                return refuse(format!(
                    "hazard {id} has no released land to inspect yet; record its clearance first, or pass --polygon FILE"
                ));
            }
            (land, format!("hazard {id}"), synthetic)
        }
    };
    let Some(plane) = LocalPlane::around(&site) else {
        return refuse("the polygon has no extent");
    };
    let s = or_refuse!(demine_field::sample::draw_sample(
        &plane.to_plane(&site),
        box_m,
        units,
        seed
    ));
    let mut features = Vec::new();
    for (i, b) in s.sampled.iter().enumerate() {
        let centre = plane.to_lonlat(b.centre);
        let p = props(json!({"kind": "sample_box", "unit": i + 1, "row": b.row, "col": b.col, "box_m": box_m}));
        features.push(OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Polygon(plane.polygon_to_lonlat(&b.outline)),
            properties: p.clone(),
        });
        features.push(OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Point(Point(centre)),
            properties: props(json!({"kind": "sample_centre", "unit": i + 1})),
        });
    }
    write_field_features(out, &format!("QA sample, {label}, seed {seed}"), &features, synthetic)?;
    if json {
        let list: Vec<Value> = s
            .sampled
            .iter()
            .enumerate()
            .map(|(i, b)| json!({"unit": i + 1, "row": b.row, "col": b.col, "centre": ll(plane.to_lonlat(b.centre))}))
            .collect();
        println!(
            "{}",
            json!({"lot_units": s.lot.len(), "units": units, "box_m": box_m, "seed": seed, "out": out.display().to_string(), "sample": list})
        );
    } else {
        println!(
            "{units} of {} units ({box_m} × {box_m} m boxes) drawn with seed {seed} inside {label}; written to {}",
            s.lot.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_date_arg(flag: &str, s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{flag} '{s}' is not a date; write it as YYYY-MM-DD"))
}

async fn qa_record(db: &Path, actor: &str, cmd: QaCommand) -> Result<ExitCode> {
    let QaCommand::Record {
        hazard_id,
        date,
        lot_units,
        sample_units,
        defects,
        c,
        box_m,
        detection,
        nonconformity,
        inspector,
        id,
        json,
    } = cmd
    else {
        unreachable!("qa_record is called for `qa record` only")
    };
    let date = or_refuse!(parse_date_arg("--date", &date));
    if date > chrono::Utc::now().date_naive() {
        return refuse(format!(
            "--date {date} is in the future; record inspections when they are done"
        ));
    }
    if lot_units == 0 || sample_units == 0 || sample_units > lot_units {
        return refuse(format!(
            "--sample-units {sample_units} must be between 1 and --lot-units {lot_units}"
        ));
    }
    if defects > sample_units {
        return refuse(format!(
            "--defects {defects} is more than the {sample_units} units inspected"
        ));
    }
    if !(box_m.is_finite() && box_m > 0.0 && (0.0..=1.0).contains(&detection)) {
        return refuse("--box-m must be > 0 metres and --detection in [0, 1]");
    }
    let mut ncs = Vec::new();
    for n in &nonconformity {
        match n.split_once(':') {
            Some((sev, note)) if ["critical", "major", "minor"].contains(&sev.trim().to_lowercase().as_str()) => {
                ncs.push(json!({"severity": sev.trim().to_lowercase(), "note": note.trim()}))
            }
            _ => {
                return refuse(format!(
                    "--nonconformity '{n}': write SEVERITY:NOTE with severity critical, major or minor"
                ))
            }
        }
    }
    let store = open_existing(db).await?;
    if find_hazard(&store, &hazard_id).await?.is_none() {
        return refuse(unknown_hazard(&hazard_id, db));
    }
    let id = id.unwrap_or_else(|| format!("QA-{hazard_id}-{date}"));
    if store.qa_inspections().await?.iter().any(|q| q.id == id) {
        return refuse(format!("inspection id '{id}' already exists; pass another --id"));
    }
    let rec = QaInspection {
        id: id.clone(),
        hazard_id,
        date,
        lot_units,
        sample_units,
        box_m,
        c,
        defects,
        accepted: defects <= c,
        detection,
        nonconformities: Value::Array(ncs),
        inspector,
    };
    let accepted = rec.accepted;
    store
        .apply(
            &Changeset {
                description: format!("qa record {id}"),
                qa_inspections: vec![rec.clone()],
                ..Default::default()
            },
            actor,
        )
        .await?;
    store.close().await?;
    if json {
        println!("{}", serde_json::to_value(&rec)?);
    } else {
        println!(
            "{id}: {defects} defective of {sample_units} units inspected (c = {c}): lot {}",
            if accepted { "ACCEPTED" } else { "REJECTED" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- lanes

async fn lanes(db: &Path, a: &LanesArgs) -> Result<ExitCode> {
    or_refuse!(field_format(&a.out));
    let mut road: Option<(Coord<f64>, String)> = None;
    let (site, label, synthetic) = match (&a.task_id, &a.polygon) {
        (Some(_), Some(_)) | (None, None) => return refuse("give a TASK_ID or --polygon FILE (one of them)"),
        (None, Some(p)) => (or_refuse!(read_polygon_file(p)), p.display().to_string(), false),
        (Some(id), None) => {
            let store = open_existing(db).await?;
            let synthetic = store.meta("synthetic").await?.as_deref() == Some("true");
            let Some((h, acts)) = find_hazard(&store, id).await? else {
                return refuse(unknown_hazard(id, db));
            };
            let rest = unreleased(&h, &acts);
            if demine_core::geodesy::area_m2(&rest) < 1.0 {
                return refuse(format!(
                    "task {id} has no land left to clear; pass --polygon FILE for other land"
                ));
            }
            if a.access.is_none() {
                road = nearest_road(&store.context_features(Some("roads")).await?, &rest);
            }
            (rest, format!("task {id}"), synthetic)
        }
    };
    let heading = match a.heading.trim() {
        "auto" => Heading::Auto,
        s => match s.parse::<f64>() {
            Ok(d) if d.is_finite() => Heading::Degrees(d),
            _ => {
                return refuse(format!(
                    "--heading '{s}': give degrees clockwise from north (e.g. 90) or auto"
                ))
            }
        },
    };
    let access = match &a.access {
        Some(s) => Some(or_refuse!(parse_access(s))),
        None => road.as_ref().map(|r| r.0),
    };
    let Some(plane) = LocalPlane::around(&site) else {
        return refuse("the polygon has no area");
    };
    let site_xy = plane.to_plane(&site);
    let title = |what: &str| format!("{what}, {label}");
    if let Some(box_m) = a.boxes {
        let h = match heading {
            Heading::Degrees(d) => d,
            Heading::Auto => 0.0,
        };
        let boxes = or_refuse!(grid_boxes_xy(&site_xy, box_m, h));
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
        write_field_features(&a.out, &title(&format!("{box_m} m boxes")), &features, synthetic)?;
        let inside: f64 = boxes.iter().map(|b| b.inside_share).sum::<f64>() * box_m * box_m;
        let site_area = geo::Area::unsigned_area(&site_xy);
        if a.json {
            println!(
                "{}",
                json!({"boxes": boxes.len(), "box_m": box_m, "heading_deg": h, "site_area_m2": site_area,
                    "covered_area_m2": inside, "coverage_pct": 100.0 * inside / site_area, "out": a.out.display().to_string()})
            );
        } else {
            println!(
                "{} boxes of {box_m} × {box_m} m cover {label} ({site_area:.0} m²); written to {}",
                boxes.len(),
                a.out.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(width) = a.width else {
        return refuse("give --width M (lane width in metres) or --boxes M");
    };
    let plan = or_refuse!(plan_lanes_xy(
        &site_xy,
        &LaneOptions {
            width_m: width,
            heading,
            access_xy: access.map(|c| plane.to_xy(c)),
        }
    ));
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
    write_field_features(&a.out, &title(&format!("{width} m lanes")), &features, synthetic)?;
    if a.json {
        let list: Vec<Value> = plan
            .lanes
            .iter()
            .map(|l| {
                json!({"lane": l.number, "strip": l.strip, "length_m": l.length_m, "area_m2": l.area_m2,
                    "start": ll(plane.to_lonlat(l.centre_line.0[0])), "end": ll(plane.to_lonlat(l.centre_line.0[1]))})
            })
            .collect();
        println!(
            "{}",
            json!({"task": a.task_id, "heading_deg": plan.heading_deg, "width_m": width, "lanes": plan.lanes.len(),
                "total_length_m": plan.total_length_m, "turns": plan.turns, "transit_m": plan.transit_m,
                "site_area_m2": plan.site_area_m2, "covered_area_m2": plan.covered_area_m2,
                "coverage_pct": 100.0 * plan.coverage_share, "headings_tried": plan.candidates,
                "access": access.map(ll), "access_from": match (&a.access, &road) {
                    (Some(_), _) => "--access".to_string(),
                    (None, Some((_, id))) => format!("nearest road {id}"),
                    (None, None) => "first vertex".to_string(),
                },
                "out": a.out.display().to_string(), "lane_list": list})
        );
    } else {
        println!(
            "{} lanes of {width} m at heading {:.1}° over {label}: {:.0} m of lanes, {} turns, {:.0} m² covered of {:.0} m² ({:.3} %); written to {}",
            plan.lanes.len(),
            plan.heading_deg,
            plan.total_length_m,
            plan.turns,
            plan.covered_area_m2,
            plan.site_area_m2,
            100.0 * plan.coverage_share,
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- progress

fn parse_pairs(flag: &str, s: &str) -> std::result::Result<Vec<(String, f64)>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("{flag} '{p}': write NAME=NUMBER, e.g. manual=0.99"))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("{flag} '{p}': '{v}' is not a number"))?;
            Ok((k.trim().to_lowercase(), v))
        })
        .collect()
}

fn ceilings(overrides: Option<&str>) -> std::result::Result<BTreeMap<String, f64>, String> {
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
fn lanes_from_plan(plan: &Path, ranges: &str) -> std::result::Result<MultiPolygon<f64>, String> {
    let wanted = progress::parse_lane_ranges(ranges)?;
    let text = std::fs::read_to_string(plan).map_err(|e| format!("{}: cannot read: {e}", plan.display()))?;
    let fc: geojson::FeatureCollection = text.parse().map_err(|e| {
        format!(
            "{}: not a GeoJSON FeatureCollection ({e}); give the .geojson that `demine lanes` wrote",
            plan.display()
        )
    })?;
    let mut found: BTreeMap<usize, MultiPolygon<f64>> = BTreeMap::new();
    for f in fc.features {
        let props = f.properties.unwrap_or_default();
        if props.get("kind").and_then(Value::as_str) != Some("lane") {
            continue;
        }
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
        return Err(format!(
            "{}: no lane {} in this plan (it has {} lanes); check --lanes",
            plan.display(),
            missing.join(", "),
            fc_lane_count(&text)
        ));
    }
    let mut out = MultiPolygon::<f64>(vec![]);
    for g in found.into_values() {
        out = out.union(&g);
    }
    Ok(out)
}

fn fc_lane_count(text: &str) -> usize {
    text.matches("\"kind\":\"lane\"").count()
}

/// Turns a checked report into the clearance activity that carries it into land release.
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

/// Checks reports against the registry and builds the changeset that records them (all or
/// nothing). Errors are messages naming the report and field.
pub async fn progress_changeset(
    store: &GeoPackageStore,
    reports: Vec<DailyProgress>,
    caps: &BTreeMap<String, f64>,
    today: NaiveDate,
    description: String,
) -> Result<std::result::Result<(Changeset, Vec<String>), Vec<String>>> {
    let hazards = store.hazards().await?;
    let mut activities = store.activities().await?;
    let existing: std::collections::HashSet<String> = activities.iter().map(|a| a.id.clone()).collect();
    let existing_dp: std::collections::HashSet<String> =
        store.daily_progress().await?.into_iter().map(|d| d.id).collect();
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut accepted = Vec::new();
    let mut new_acts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for mut r in reports {
        let Some(h) = hazards.iter().find(|h| h.id == r.hazard_id) else {
            errors.push(format!(
                "report {}: field `task`: no hazard '{}' in the registry",
                r.id, r.hazard_id
            ));
            continue;
        };
        if existing_dp.contains(&r.id) || existing.contains(&r.id) || !seen.insert(r.id.clone()) {
            errors.push(format!(
                "report {}: field `id`: already used; give each report its own id",
                r.id
            ));
            continue;
        }
        let mut cleared = MultiPolygon::<f64>(vec![]);
        for a in activities
            .iter()
            .chain(&new_acts)
            .filter(|a: &&Activity| a.hazard_id == h.id)
        {
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
            r.geometry = r.geometry.intersection(&h.geometry);
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
    let affected: std::collections::HashSet<&str> = accepted.iter().map(|r| r.hazard_id.as_str()).collect();
    let hs: Vec<Hazard> = hazards
        .iter()
        .filter(|h| affected.contains(h.id.as_str()))
        .cloned()
        .collect();
    activities.extend(new_acts.iter().cloned());
    let acts: Vec<Activity> = activities
        .into_iter()
        .filter(|a| affected.contains(a.hazard_id.as_str()))
        .collect();
    let r = account_records(&hs, &acts, None, true);
    let recomputed = hs.into_iter().map(|h| h.id).zip(r.per_hazard).collect();
    Ok(Ok((
        Changeset {
            description,
            activities: new_acts,
            daily_progress: accepted,
            recomputed,
            ..Default::default()
        },
        warnings,
    )))
}

async fn progress_add(db: &Path, actor: &str, a: &ProgressAddArgs) -> Result<ExitCode> {
    let date = or_refuse!(parse_date_arg("--date", &a.date));
    let caps = or_refuse!(ceilings(a.max_m2_per_hour.as_deref()));
    let geometry = match (&a.polygon, &a.lanes, &a.lane_plan) {
        (Some(p), None, None) => or_refuse!(read_polygon_file(p)),
        (None, Some(r), Some(plan)) => or_refuse!(lanes_from_plan(plan, r)),
        (None, Some(_), None) => return refuse("--lanes needs --lane-plan FILE (the .geojson `demine lanes` wrote)"),
        _ => return refuse("give the land worked: --polygon FILE, or --lanes RANGES with --lane-plan FILE"),
    };
    let store = open_existing(db).await?;
    let team_kind = match (&a.team_kind, store.teams().await?.into_iter().find(|t| t.id == a.team)) {
        (Some(k), _) => k.to_lowercase(),
        (None, Some(t)) => t.kind.as_str().to_string(),
        (None, None) => {
            return refuse(format!(
                "team '{}' is not in the registry; say its kind with --team-kind manual|mechanical|mdd|ts|nts",
                a.team
            ))
        }
    };
    let report = DailyProgress {
        id: a
            .id
            .clone()
            .unwrap_or_else(|| format!("DP-{}-{date}-{}", a.task, a.team)),
        date,
        hazard_id: a.task.clone(),
        team: a.team.clone(),
        team_kind,
        geometry,
        hours: a.hours,
        downtime_hours: a.downtime_hours,
        downtime_reason: a.downtime_reason.clone(),
        finds: a.finds,
        lanes: a.lanes.clone(),
        terrain: a.terrain.clone(),
        area_m2: 0.0,
        activity_id: None,
    };
    let id = report.id.clone();
    let today = chrono::Utc::now().date_naive();
    let desc = format!("progress add {id}");
    let (changes, warnings) = match progress_changeset(&store, vec![report], &caps, today, desc).await? {
        Ok(v) => v,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("nothing was written: the registry {} is unchanged", db.display());
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    store.apply(&changes, actor).await?;
    store.close().await?;
    let area = changes.daily_progress[0].area_m2;
    let remaining = changes
        .recomputed
        .first()
        .map(|(_, r)| r.remaining_m2)
        .unwrap_or(f64::NAN);
    if a.json {
        println!(
            "{}",
            json!({"ok": true, "id": id, "area_m2": area, "remaining_m2": remaining, "warnings": warnings})
        );
    } else {
        println!(
            "{id}: {area:.0} m² worked on {} ({} h); {remaining:.0} m² of it remain",
            a.task, a.hours
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `demine import progress FILE`: a GeoJSON FeatureCollection of reports, all or nothing.
pub async fn import_progress(db: &Path, actor: &str, file: &Path, json: bool) -> Result<ExitCode> {
    if !file.exists() {
        return refuse(format!("{}: no such file", file.display()));
    }
    let parsed = match demine_io::parse_layer_file("progress", file, false) {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    let mut errors: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    let mut reports = Vec::new();
    for (i, f) in parsed.records.into_iter().enumerate() {
        let rec = i + 1;
        let a = &f.attributes;
        let id = f.id.clone();
        let mut err = |field: &str, msg: String| {
            errors.push(format!(
                "{}: record {rec}{}, field `{field}`: {msg}",
                file.display(),
                id.as_ref().map(|i| format!(", id '{i}'")).unwrap_or_default()
            ))
        };
        let text = |k: &str| a.get(k).and_then(|v| v.as_str().map(str::to_string));
        let num = |k: &str| a.get(k).and_then(Value::as_f64);
        let geometry = match f.geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(m) => m,
            _ => {
                err("geometry", "the land worked must be a Polygon or MultiPolygon".into());
                continue;
            }
        };
        let Some(id) = f.id.clone() else {
            err("id", "missing; give every report an id".into());
            continue;
        };
        let date = match text("date").map(|d| parse_date_arg("date", &d)) {
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                err("date", e);
                continue;
            }
            None => {
                err("date", "missing (YYYY-MM-DD)".into());
                continue;
            }
        };
        let Some(hazard_id) = text("task").or_else(|| text("hazard_id")) else {
            err(
                "task",
                "missing: the hazard id the work was on (`task` or `hazard_id`)".into(),
            );
            continue;
        };
        let (Some(team), Some(team_kind)) = (text("team"), text("team_kind")) else {
            err(
                "team",
                "`team` and `team_kind` (manual|mechanical|mdd|ts|nts) are required".into(),
            );
            continue;
        };
        let Some(hours) = num("hours") else {
            err("hours", "missing or not a number".into());
            continue;
        };
        let finds = match a.get("finds") {
            None | Some(Value::Null) => 0,
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => n,
                None => {
                    err("finds", format!("{v} is not a count (0, 1, 2, …)"));
                    continue;
                }
            },
        };
        reports.push(DailyProgress {
            id,
            date,
            hazard_id,
            team,
            team_kind: team_kind.to_lowercase(),
            geometry,
            hours,
            downtime_hours: num("downtime_hours").unwrap_or(0.0),
            downtime_reason: text("downtime_reason"),
            finds,
            lanes: text("lanes"),
            terrain: text("terrain"),
            area_m2: 0.0,
            activity_id: None,
        });
    }
    let report_errors = |errors: &[String]| {
        for e in errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "{}: {} problem(s); nothing was written: the registry {} is unchanged",
            file.display(),
            errors.len(),
            db.display()
        );
        Ok(ExitCode::from(EXIT_REFUSED))
    };
    if !errors.is_empty() {
        return report_errors(&errors);
    }
    let store = open_existing(db).await?;
    let caps = or_refuse!(ceilings(None));
    let today = chrono::Utc::now().date_naive();
    let n = reports.len();
    let desc = format!("import progress from {}", file.display());
    let (changes, warnings) = match progress_changeset(&store, reports, &caps, today, desc).await? {
        Ok(v) => v,
        Err(errors) => {
            let errors: Vec<String> = errors.into_iter().map(|e| format!("{}: {e}", file.display())).collect();
            return report_errors(&errors);
        }
    };
    for w in &warnings {
        eprintln!("warning: {}: {w}", file.display());
    }
    store.apply(&changes, actor).await?;
    store.close().await?;
    if json {
        println!(
            "{}",
            json!({"ok": true, "file": file.display().to_string(), "written": n, "warnings": warnings})
        );
    } else {
        println!(
            "imported {n} daily progress reports from {} into {}",
            file.display(),
            db.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn progress_stats(db: &Path, json: bool) -> Result<ExitCode> {
    let store = open_existing(db).await?;
    let reports: Vec<(DailyProgress, f64)> = store
        .daily_progress()
        .await?
        .into_iter()
        .map(|r| {
            let a = r.area_m2;
            (r, a)
        })
        .collect();
    let stats = progress::productivity(&reports);
    if json {
        println!(
            "{}",
            json!({"reports": reports.len(), "area_m2": reports.iter().map(|r| r.1).sum::<f64>(),
                "hours": reports.iter().map(|r| r.0.hours).sum::<f64>(), "groups": stats})
        );
    } else if stats.is_empty() {
        println!("no daily progress recorded; add some with `demine progress add` or `demine import progress FILE`");
    } else {
        println!(
            "{:<11} {:<14} {:>7} {:>12} {:>9} {:>10} {:>14}",
            "team kind", "terrain", "reports", "area m²", "hours", "m²/hour", "m²/team-day"
        );
        for s in &stats {
            println!(
                "{:<11} {:<14} {:>7} {:>12.0} {:>9.1} {:>10.1} {:>8.0} ± {:<5.0}",
                s.team_kind,
                s.terrain,
                s.reports,
                s.area_m2,
                s.hours,
                s.m2_per_hour,
                s.m2_per_team_day,
                s.sd_m2_per_team_day
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- residual risk

/// Everything the residual estimate of one hazard rests on, read from the registry.
pub struct HazardEvidence {
    pub hazard: Hazard,
    pub activities: Vec<Activity>,
    pub finds: Vec<demine_core::Find>,
    pub progress: Vec<DailyProgress>,
    pub qa: Option<QaInspection>,
    pub risk: Option<demine_core::HazardRisk>,
    pub synthetic: bool,
}

pub async fn hazard_evidence(store: &GeoPackageStore, id: &str) -> Result<Option<HazardEvidence>> {
    let Some((hazard, activities)) = find_hazard(store, id).await? else {
        return Ok(None);
    };
    use geo::Contains;
    let finds = store
        .finds()
        .await?
        .into_iter()
        .filter(|f| {
            f.hazard_id.as_deref() == Some(id) || (f.hazard_id.is_none() && hazard.geometry.contains(&f.location))
        })
        .collect();
    let progress = store
        .daily_progress()
        .await?
        .into_iter()
        .filter(|p| p.hazard_id == id)
        .collect();
    let qa = store
        .qa_inspections()
        .await?
        .into_iter()
        .rev()
        .find(|q| q.hazard_id == id);
    Ok(Some(HazardEvidence {
        risk: store.hazard_risk(id).await?,
        synthetic: store.meta("synthetic").await?.as_deref() == Some("true"),
        hazard,
        activities,
        finds,
        progress,
        qa,
    }))
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

/// Residual risk of the released land of a hazard.
pub fn residual_of(
    ev: &HazardEvidence,
    density: Option<f64>,
    shape: Option<f64>,
    detection: &BTreeMap<String, f64>,
) -> std::result::Result<(residual::Residual, f64, Vec<Value>), String> {
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
        return Err(format!(
            "no detection probability for method(s) {}; give them with --detection {}=P",
            unknown.join(", "),
            unknown[0]
        ));
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
    let r = residual::residual_risk(&prior, &pieces, finds, qa.as_ref()).map_err(|e| e.to_string())?;
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
    Ok((r, area - released_m2, methods))
}

pub fn parse_shape(s: &str) -> std::result::Result<Option<f64>, String> {
    if s.trim().eq_ignore_ascii_case("known") {
        return Ok(None);
    }
    match s.trim().parse::<f64>() {
        Ok(k) if k.is_finite() && k > 0.0 => Ok(Some(k)),
        _ => Err(format!("--prior-shape '{s}': give a number > 0 (e.g. 1) or `known`")),
    }
}

/// The JSON of a residual estimate (shared by `residual --json` and the certificate).
pub fn residual_json(
    id: &str,
    r: &residual::Residual,
    unreleased_m2: f64,
    methods: &[Value],
    table: &BTreeMap<String, f64>,
) -> Value {
    json!({
        "hazard": id,
        "expected_remaining": r.expected_remaining,
        "p_any_remaining": r.p_any_remaining,
        "released_area_m2": r.area_m2,
        "unreleased_area_m2": unreleased_m2.max(0.0),
        "posterior_density_per_m2": r.posterior_density_per_m2,
        "miss_probability": r.miss_probability,
        "assumptions": {
            "model": "items ~ Poisson(λ·area), λ ~ Gamma(shape, shape/density) (or known); each method detects independently with p, miss = Π(1 − p); QA inspects its sample share with its detection; finds and QA defects update λ (conjugate), remaining ~ negative binomial (Poisson when λ known)",
            "prior": r.prior,
            "prior_expected_items": r.prior_expected_items,
            "methods": methods,
            "detection_table": table,
            "finds": r.finds,
            "qa": r.qa,
            "scope": "released land of the hazard only; land not yet released is not covered by this estimate",
        }
    })
}

async fn residual_cmd(db: &Path, a: &ResidualArgs) -> Result<ExitCode> {
    let shape = or_refuse!(parse_shape(&a.prior_shape));
    let overrides = match &a.detection {
        Some(s) => or_refuse!(parse_pairs("--detection", s)),
        None => Vec::new(),
    };
    let table = or_refuse!(residual::detection_table(&overrides));
    if let Some(d) = a.density_per_m2 {
        if !(d.is_finite() && d >= 0.0) {
            return refuse(format!("--density-per-m2 {d}: give items per m² ≥ 0, e.g. 0.001"));
        }
    }
    let store = open_existing(db).await?;
    let Some(ev) = hazard_evidence(&store, &a.hazard_id).await? else {
        return refuse(unknown_hazard(&a.hazard_id, db));
    };
    let (r, unreleased_m2, methods) = or_refuse!(residual_of(&ev, a.density_per_m2, shape, &table));
    if a.json {
        let mut v = residual_json(&a.hazard_id, &r, unreleased_m2, &methods, &table);
        if ev.synthetic {
            v["data"] = json!("SYNTHETIC");
        }
        println!("{v}");
    } else {
        if ev.synthetic {
            println!("*** SYNTHETIC DATA ***");
        }
        println!(
            "hazard {}: released {:.0} m² ({:.0} m² not released, not covered here)",
            a.hazard_id, r.area_m2, unreleased_m2
        );
        println!(
            "  expected items remaining {:.4}; P(at least one remains) = {:.2} %",
            r.expected_remaining,
            100.0 * r.p_any_remaining
        );
        println!(
            "  prior {:.2e} items/m² ({}), shape {}; {} finds; mean miss probability {:.4}",
            r.prior.density_per_m2,
            r.prior.source,
            r.prior.shape.map_or("known".into(), |k| k.to_string()),
            r.finds,
            r.miss_probability
        );
        for m in &methods {
            println!(
                "  {} over {:.0} m²",
                m["methods"].as_str().unwrap_or(""),
                m["area_m2"].as_f64().unwrap_or(0.0)
            );
        }
        match &r.qa {
            Some(q) => println!(
                "  QA: {:.2} % of the land inspected, {} defects, detection {}",
                100.0 * q.inspected_share,
                q.defects,
                q.detection
            ),
            None => println!("  QA: no inspection recorded"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- certificate

/// The certificate's values for one hazard.
pub fn certificate_input(
    ev: &HazardEvidence,
    lang: demine_report::certificate::Lang,
    r: &residual::Residual,
    generated_at: String,
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
    }
}

/// Writes the certificate of `id` to `out` (.html, or .pdf through headless Chromium).
pub async fn write_certificate(
    store: &GeoPackageStore,
    id: &str,
    out: &Path,
    lang: &str,
) -> Result<std::result::Result<(), String>> {
    let ext = out.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    if !matches!(ext.as_deref(), Some("html") | Some("htm") | Some("pdf")) {
        return Ok(Err(format!(
            "{}: write the certificate to a .html or .pdf file",
            out.display()
        )));
    }
    let Some(ev) = hazard_evidence(store, id).await? else {
        return Ok(Err(format!("no hazard '{id}' in the registry")));
    };
    let table = residual::detection_table(&[]).map_err(anyhow::Error::msg)?;
    let (r, _, _) = match residual_of(&ev, None, Some(1.0), &table) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let lang = if lang == "uk" {
        demine_report::certificate::Lang::Uk
    } else {
        demine_report::certificate::Lang::En
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let html = demine_report::certificate::render_certificate(&certificate_input(&ev, lang, &r, now));
    if ext.as_deref() == Some("pdf") {
        let tmp = out.with_extension("print.html");
        std::fs::write(&tmp, &html).with_context(|| format!("writing {}", tmp.display()))?;
        let res = print_pdf(&tmp, out);
        let _ = std::fs::remove_file(&tmp);
        return Ok(res);
    }
    std::fs::write(out, html).with_context(|| format!("writing {}", out.display()))?;
    Ok(Ok(()))
}

/// Prints an HTML file to PDF with headless Chromium (see ARCHITECTURE.md for why).
fn print_pdf(html: &Path, pdf: &Path) -> std::result::Result<(), String> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .ok_or("PDF output needs headless Chromium: run `bash scripts/install-chromium.sh` (Debian's chromium), or write a .html certificate and print it from a browser")?;
    let abs = std::fs::canonicalize(html).map_err(|e| format!("{}: {e}", html.display()))?;
    let profile = tempfile_dir().map_err(|e| format!("temporary folder: {e}"))?;
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", abs.display()))
        .output()
        .map_err(|e| format!("running {browser}: {e}"));
    let _ = std::fs::remove_dir_all(&profile);
    let out = out?;
    if !out.status.success() || !pdf.exists() {
        return Err(format!(
            "{browser} could not print {}: {}",
            pdf.display(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    Ok(())
}

fn tempfile_dir() -> std::io::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("demine-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

async fn certificate(db: &Path, a: &CertificateArgs) -> Result<ExitCode> {
    let store = open_existing(db).await?;
    match write_certificate(&store, &a.hazard_id, &a.out, &a.lang).await? {
        Ok(()) => {
            println!(
                "certificate of {} ({}) written to {}",
                a.hazard_id,
                a.lang,
                a.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refuse(e),
    }
}

// ---------------------------------------------------------------- demo

/// The demo's field work (SYNTHETIC): lanes over one confirmed hazard, a daily-progress history
/// of a manual team clearing them (through the same checks as `progress add`), a QA sample and
/// its clean result, and the release certificate in English and Ukrainian, written to `out`.
/// Problems are reported as notes: the rest of the demo stands without them.
pub async fn demo_field_work(db: &Path, out: &Path, seed: u64, actor: &str, json: bool) -> Result<()> {
    match demo_field_work_inner(db, out, seed, actor).await {
        Ok(lines) if !json => lines.iter().for_each(|l| println!("{l}")),
        Ok(_) => {}
        Err(e) => eprintln!("note: no field-work demo: {e:#}"),
    }
    Ok(())
}

async fn demo_field_work_inner(db: &Path, out: &Path, seed: u64, actor: &str) -> Result<Vec<String>> {
    use rand::{Rng, SeedableRng};
    let store = GeoPackageStore::open(db).await?;
    let hazards = store.hazards().await?;
    let activities = store.activities().await?;
    // A confirmed hazard with 5,000–25,000 m² still to clear: a few weeks for one manual team.
    let mut choice = None;
    let mut ids: Vec<&Hazard> = hazards
        .iter()
        .filter(|h| h.class == demine_core::HazardClass::Cha)
        .collect();
    ids.sort_by(|a, b| a.id.cmp(&b.id));
    for h in ids {
        let acts: Vec<Activity> = activities.iter().filter(|a| a.hazard_id == h.id).cloned().collect();
        let rest = unreleased(h, &acts);
        let a = demine_core::geodesy::area_m2(&rest);
        if (5_000.0..25_000.0).contains(&a) && rest.0.len() == 1 {
            choice = Some((h.clone(), acts, rest));
            break;
        }
    }
    let Some((hazard, acts, rest)) = choice else {
        bail!("no confirmed hazard with 5,000–25,000 m² left to clear");
    };
    let plane = LocalPlane::around(&rest).context("empty land")?;
    let plan = plan_lanes_xy(
        &plane.to_plane(&rest),
        &LaneOptions {
            width_m: 1.0,
            heading: Heading::Auto,
            access_xy: None,
        },
    )?;
    let lane_polys: Vec<MultiPolygon<f64>> = plan
        .lanes
        .iter()
        .map(|l| MultiPolygon(vec![plane.polygon_to_lonlat(&l.area)]))
        .collect();
    let lanes_path = out.join(format!("lanes-{}.geojson", hazard.id));
    let features: Vec<OutFeature> = plan
        .lanes
        .iter()
        .zip(&lane_polys)
        .map(|(l, g)| OutFeature {
            name: format!("Lane {}", l.number),
            geometry: Geometry::MultiPolygon(g.clone()),
            properties: props(json!({"kind": "lane", "lane": l.number, "length_m": l.length_m, "area_m2": l.area_m2})),
        })
        .collect();
    write_field_features(&lanes_path, &format!("1 m lanes, task {}", hazard.id), &features, true)?;

    let team = store
        .teams()
        .await?
        .into_iter()
        .find(|t| t.kind == demine_core::TeamKind::Manual)
        .map_or_else(|| "DEMO-MANUAL-1".to_string(), |t| t.id);
    let today = chrono::Utc::now().date_naive();
    let days_needed = (plan.covered_area_m2 / 700.0).ceil() as i64 + 10;
    let last_work = acts
        .iter()
        .map(|a| a.end_date)
        .max()
        .unwrap_or(today - chrono::Duration::days(365));
    let mut date = (last_work + chrono::Duration::days(7)).min(today - chrono::Duration::days(days_needed * 2));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xF1E1D);
    let mut reports = Vec::new();
    let mut next = 0;
    while next < lane_polys.len() {
        if date.format("%u").to_string() == "7" {
            date += chrono::Duration::days(1);
            continue;
        }
        let rain = rng.gen::<f64>() < 0.15;
        let hours: f64 = if rain { 5.0 } else { 7.5 };
        let target_m2 = hours * rng.gen_range(80.0..130.0);
        let first = next;
        let mut area = 0.0;
        let mut land = MultiPolygon::<f64>(vec![]);
        while next < lane_polys.len() && (area < target_m2 || next == first) {
            area += plan.lanes[next].area_m2;
            land = land.union(&lane_polys[next]);
            next += 1;
        }
        reports.push(DailyProgress {
            id: format!("DP-{}-{date}", hazard.id),
            date,
            hazard_id: hazard.id.clone(),
            team: team.clone(),
            team_kind: "manual".into(),
            geometry: land,
            hours,
            downtime_hours: if rain { 2.5 } else { 0.0 },
            downtime_reason: rain.then(|| "rain".to_string()),
            finds: u32::from(rng.gen::<f64>() < 0.2),
            lanes: Some(format!("{}-{}", first + 1, next)),
            terrain: None,
            area_m2: 0.0,
            activity_id: None,
        });
        date += chrono::Duration::days(1);
    }
    let days = reports.len();
    let mut caps = ceilings(None).map_err(anyhow::Error::msg)?;
    // The lanes of one day may overlap the edge of a lane a little beyond the day's target.
    caps.insert("manual".into(), 200.0);
    let changes = match progress_changeset(
        &store,
        reports,
        &caps,
        today,
        format!("demo: SYNTHETIC daily progress on {}", hazard.id),
    )
    .await?
    {
        Ok((c, _)) => c,
        Err(errors) => bail!("demo progress refused: {}", errors.join("; ")),
    };
    store.apply(&changes, actor).await?;

    // QA: the lot is the cleared land in 10 m boxes; LQ 5 % at beta 10 %.
    let (_, acts_now) = find_hazard(&store, &hazard.id).await?.context("hazard vanished")?;
    let cleared = released(&hazard, &acts_now);
    let cplane = LocalPlane::around(&cleared).context("no cleared land")?;
    let lot = demine_field::sample::draw_sample(&cplane.to_plane(&cleared), 10.0, 1, seed)?
        .lot
        .len() as u64;
    let qa_plan = qa::plan(&qa::PlanRequest {
        lot_units: lot,
        lq: 0.05,
        beta: 0.1,
        c: 0,
    })?;
    let s = demine_field::sample::draw_sample(&cplane.to_plane(&cleared), 10.0, qa_plan.n as usize, seed)?;
    let sample_path = out.join(format!("qa-sample-{}.gpx", hazard.id));
    let pts: Vec<OutFeature> = s
        .sampled
        .iter()
        .enumerate()
        .map(|(i, b)| OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Point(Point(cplane.to_lonlat(b.centre))),
            properties: props(json!({"unit": i + 1})),
        })
        .collect();
    write_field_features(&sample_path, &format!("QA sample, hazard {}", hazard.id), &pts, true)?;
    let qa_date = date + chrono::Duration::days(3);
    let inspection = QaInspection {
        id: format!("QA-{}-{qa_date}", hazard.id),
        hazard_id: hazard.id.clone(),
        date: qa_date.min(today),
        lot_units: lot,
        sample_units: qa_plan.n,
        box_m: 10.0,
        c: 0,
        defects: 0,
        accepted: true,
        detection: residual::DEFAULT_QA_DETECTION,
        nonconformities: json!([{"severity": "minor", "note": "lane markings missing on two boxes (SYNTHETIC)"}]),
        inspector: Some("DEMO-QA-1".into()),
    };
    store
        .apply(
            &Changeset {
                description: format!("demo: SYNTHETIC QA inspection of {}", hazard.id),
                qa_inspections: vec![inspection],
                ..Default::default()
            },
            actor,
        )
        .await?;
    let mut certs = Vec::new();
    for lang in ["en", "uk"] {
        let p = out.join(format!("certificate-{}-{lang}.html", hazard.id));
        if let Err(e) = write_certificate(&store, &hazard.id, &p, lang).await? {
            bail!("certificate: {e}");
        }
        certs.push(p.display().to_string());
    }
    let ev = hazard_evidence(&store, &hazard.id).await?.context("hazard vanished")?;
    let table = residual::detection_table(&[]).map_err(anyhow::Error::msg)?;
    let (r, _, _) = residual_of(&ev, None, Some(1.0), &table).map_err(anyhow::Error::msg)?;
    store.close().await?;
    Ok(vec![
        format!(
            "field work (SYNTHETIC): {} lanes of 1 m over {} ({}), {days} daily progress reports by team {team}; QA: {} of {lot} boxes of 10 × 10 m inspected, 0 defects, lot accepted",
            plan.lanes.len(),
            hazard.id,
            lanes_path.display(),
            qa_plan.n
        ),
        format!(
            "residual risk of {}: {:.4} items expected, P(any remains) {:.2} %; certificates: {}",
            hazard.id,
            r.expected_remaining,
            100.0 * r.p_any_remaining,
            certs.join(", ")
        ),
    ])
}

/// `demine export progress FILE`: daily progress reports as GeoJSON (or GPX/KML) features.
pub async fn export_progress(db: &Path, file: &Path) -> Result<ExitCode> {
    or_refuse!(field_format(file));
    let store = open_existing(db).await?;
    let synthetic = store.meta("synthetic").await?.as_deref() == Some("true");
    let reports = store.daily_progress().await?;
    let features: Vec<OutFeature> = reports
        .iter()
        .map(|r| OutFeature {
            name: r.id.clone(),
            geometry: Geometry::MultiPolygon(r.geometry.clone()),
            properties: props(serde_json::to_value(r).unwrap_or(Value::Null)),
        })
        .collect();
    write_field_features(file, "daily_progress", &features, synthetic)?;
    eprintln!(
        "exported {} daily progress reports to {}",
        reports.len(),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
