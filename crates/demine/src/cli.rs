//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// demine: from evidence to safe land.
///
/// Keeps a registry of hazardous areas (SHA/CHA), validates what operators import, computes
/// land release (cancelled, reduced, cleared, remaining m², geodesic on WGS84) from polygons,
/// and reports it. The registry is one GeoPackage file that QGIS and GDAL open directly.
#[derive(Debug, Parser)]
#[command(name = "demine", version, propagate_version = true, max_term_width = 110)]
pub struct Cli {
    /// The registry file (a GeoPackage), created on first use.
    #[arg(
        long,
        global = true,
        env = "DEMINE_DB",
        default_value = "demine.gpkg",
        value_name = "PATH"
    )]
    pub db: PathBuf,

    /// Who makes the change, for the change log (defaults to $USER).
    #[arg(long, global = true, env = "DEMINE_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Hazards,
    Activities,
    Finds,
    Accidents,
    /// A context layer (roads, settlements, land cover, lines of contact): `layer NAME FILE`.
    Layer,
    /// Daily progress reports (import: GeoJSON features with id, date, task, team, team_kind, hours;
    /// export: .geojson/.gpx/.kml).
    Progress,
}

impl Kind {
    /// The registry record kind, or `None` for a context layer.
    pub fn record_kind(self) -> Option<demine_core::RecordKind> {
        match self {
            Kind::Hazards => Some(demine_core::RecordKind::Hazards),
            Kind::Activities => Some(demine_core::RecordKind::Activities),
            Kind::Finds => Some(demine_core::RecordKind::Finds),
            Kind::Accidents => Some(demine_core::RecordKind::Accidents),
            Kind::Layer | Kind::Progress => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// ~10 × 10 km, a few dozen hazards: seconds.
    Small,
    /// A region the size of the 2024 Kursk operation: 1,000–2,000 km² of suspected land.
    Region,
    /// ~100,000 hazards over ~170,000 km², for benchmarks.
    National,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import records from GeoJSON or CSV, validated at entry: all or nothing.
    ///
    /// GeoJSON: a FeatureCollection in WGS84 lon/lat (RFC 7946). CSV: a `wkt` column (or `lon`,`lat`
    /// for points). Required fields: hazards `id`,`class` (SHA|CHA); activities `id`,`hazard_id`,
    /// `type` (NTS|TS|clearance|BAC|EOD), `outcome` (cancelled|reduced|cleared), `start_date`,
    /// `end_date`; finds `id`,`date`,`category`; accidents `id`,`date`,`killed`,`injured`.
    /// If any record is bad, nothing is written and every problem is listed.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: Kind,
        /// The file (.geojson/.json or .csv); for `layer`, the layer's NAME, then the file.
        #[arg(value_name = "FILE | NAME")]
        target: String,
        /// For `layer`: the file.
        #[arg(value_name = "FILE")]
        layer_file: Option<PathBuf>,
        /// For `layer`: replace the layer's existing features instead of refusing.
        #[arg(long)]
        replace: bool,
        /// Repair what is safely repairable (ring orientation, closing rings, repeated vertices)
        /// and say what was changed.
        #[arg(long)]
        fix: bool,
        /// Check only: validate and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print at most this many problems.
        #[arg(long, default_value_t = 100, value_name = "N")]
        max_problems: usize,
        /// Machine-readable result on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Export records to GeoJSON (exact coordinates) or CSV (WKT geometry).
    Export {
        #[arg(value_enum)]
        kind: Kind,
        /// Output file (.geojson/.json or .csv); for `layer`, the layer's NAME, then the file.
        #[arg(value_name = "FILE | NAME")]
        target: String,
        /// For `layer`: the output file.
        #[arg(value_name = "FILE")]
        layer_file: Option<PathBuf>,
    },
    /// Context layers in the registry, with feature counts.
    Layers {
        #[arg(long)]
        json: bool,
    },
    /// Land release: per hazard and over the union of hazards, computed from polygons.
    Release {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// What was released by the end of this day (YYYY-MM-DD): activities ending later are left out.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Write load and accounting times (seconds) to this JSON file (for bench/).
        #[arg(long, value_name = "FILE", hide = true)]
        timings_json: Option<std::path::PathBuf>,
    },
    /// What the registry holds: records per layer.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Data-quality report: invalid polygons, spikes, long edges, overlapping hazards,
    /// activities outside their hazard, finds outside every hazard.
    Check {
        #[arg(long)]
        json: bool,
        /// Exit with status 1 if any issue (not only errors) is found.
        #[arg(long)]
        strict: bool,
    },
    /// The change log, newest first.
    Log {
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Generate a SYNTHETIC campaign, load it into DIR/demine.gpkg, print the land release and
    /// write DIR/report.html.
    ///
    /// With the default DIR (the current folder) the demo fills the default registry
    /// ./demine.gpkg, so that `demine status`, `release`, `check` and `export` work on it next.
    /// A registry that does not hold demo data is never replaced (unless --force).
    Demo {
        /// Output folder (created if missing; its demine.gpkg and report.html are replaced).
        #[arg(long, default_value = ".", value_name = "DIR")]
        out: PathBuf,
        /// Replace DIR/demine.gpkg even if it holds real (non-demo) data.
        #[arg(long)]
        force: bool,
        /// Random seed: the same seed gives the same campaign.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Scale::Region)]
        scale: Scale,
        /// Print the land-release summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Team schedule minimising Σ value × release time (NTS → TS → clearance, travel,
    /// calendar), from tasks.csv/teams.csv or the registry; text, JSON, CSV, Gantt chart.
    Plan(crate::plan::PlanArgs),
    /// Monte Carlo completion forecast of the plan (P10/P50/P90 dates, released-area band);
    /// what-if with --add-teams.
    Forecast(crate::plan::ForecastArgs),
    /// The cheapest extra teams that finish by --deadline with --confidence.
    Capacity(crate::plan::CapacityArgs),
    /// Contamination risk models on a CSV of cells: spatial cross-validation, training, scoring.
    Risk {
        #[command(subcommand)]
        command: crate::risk::RiskCommand,
    },
    /// Rank hazards with land left by a transparent multi-criteria score, with its breakdown,
    /// and suggest SHA → CHA from weighted evidence.
    ///
    /// Score 0–100 = Σ weight × criterion / Σ weights over: risk (P(any item) from `risk build`,
    /// else a class default), farmland, roads, infrastructure (land use and distance to the
    /// `roads` layer), settlements (population nearby, from the `settlements` layer), expected
    /// beneficiaries, accidents. The weights file (TOML) sets any of:
    /// [weights] risk, farmland, roads, infrastructure, settlements, beneficiaries, accidents;
    /// [parameters] road_scale_m, settlement_scale_m, settlement_max_m, accident_radius_m,
    /// persons_per_household, sha_default_risk, cha_default_risk, roads_layer,
    /// settlements_layer, line_of_contact_layer, population_attribute;
    /// [evidence] find_inside, accident_inside, find_nearby, accident_nearby, nearby_m,
    /// nearby_cap, risk, front, front_scale_m, cha_threshold.
    Priority {
        /// Weights and parameters (TOML); unset keys keep their defaults.
        #[arg(long, value_name = "FILE.toml")]
        weights: Option<PathBuf>,
        /// Everything (every hazard, every criterion and evidence term) as one JSON object.
        #[arg(long)]
        json: bool,
        /// Hazards shown in the text output.
        #[arg(long, default_value_t = 20, value_name = "N")]
        top: usize,
        /// Also write the full ranked list with per-criterion points to this CSV file.
        #[arg(long, value_name = "FILE.csv")]
        csv: Option<PathBuf>,
    },
    /// Post-clearance inspection (QA): sampling plans (exact hypergeometric), sample units, results.
    Qa {
        #[command(subcommand)]
        command: crate::field::QaCommand,
    },
    /// Clearance lanes (or a grid of search boxes) over a task or a polygon, for teams.
    Lanes(crate::field::LanesArgs),
    /// Daily progress: add a team's day of work (checked), productivity statistics.
    Progress {
        #[command(subcommand)]
        command: crate::field::ProgressCommand,
    },
    /// Residual risk of a hazard's released land: expected items remaining, P(any remains).
    Residual(crate::field::ResidualArgs),
    /// Land release certificate of a hazard (HTML or PDF, English or Ukrainian).
    Certificate(crate::field::CertificateArgs),
}
