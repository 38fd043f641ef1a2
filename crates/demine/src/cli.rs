//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// demine: from evidence to safe land.
///
/// Keeps a registry of hazardous areas (SHA/CHA), validates what operators import, computes
/// land release (cancelled, reduced, cleared, remaining m², geodesic on WGS84) from polygons,
/// maps risk, plans teams, forecasts completion, guides field work and QA, and reports it. The
/// registry is one GeoPackage file that QGIS and GDAL open directly.
#[derive(Debug, Parser)]
#[command(name = "demine", version, propagate_version = true, max_term_width = 110)]
pub struct Cli {
    /// The registry: a GeoPackage file, or a postgres://USER@HOST:PORT/DB URL (builds with the
    /// `postgres` feature). Commands that only read refuse one that does not exist; `init`, an
    /// import and the demo create a file; `init` creates the schema in a database.
    #[arg(
        long,
        global = true,
        env = "DEMINE_DB",
        default_value = "demine.gpkg",
        value_name = "PATH"
    )]
    pub db: String,

    /// Who makes the change, for the change log (defaults to $USER).
    #[arg(long, global = true, env = "DEMINE_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    /// Language of what demine prints, this help included, and of reports, certificates and
    /// Gantt charts: en (English) or uk (Ukrainian). Without it: $DEMINE_LANG, else the locale
    /// ($LC_ALL, then $LC_MESSAGES, then $LANG: uk… is Ukrainian), else English. JSON and CSV
    /// stay as they are; ids and names stay as recorded; error messages are translated where a
    /// template matches.
    #[arg(long, global = true, env = "DEMINE_LANG", value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,

    #[command(subcommand)]
    pub command: Command,
}

/// A language of the text: `--lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Ukrainian (українська).
    #[value(alias = "ua")]
    Uk,
}

impl Cli {
    /// The language asked for: `--lang` or $DEMINE_LANG, else the locale's.
    pub fn lang(&self) -> demine_app::text::Lang {
        match self.lang {
            Some(LangArg::En) => demine_app::text::Lang::En,
            Some(LangArg::Uk) => demine_app::text::Lang::Uk,
            None => locale_lang(|v| std::env::var(v).ok()),
        }
    }
}

/// The language of the locale: the first of LC_ALL, LC_MESSAGES and LANG that is set and not
/// empty decides (as POSIX has it), Ukrainian when it starts with `uk`, else English.
pub fn locale_lang(var: impl Fn(&str) -> Option<String>) -> demine_app::text::Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| var(v).filter(|x| !x.is_empty()));
    match locale {
        Some(l) if l.to_ascii_lowercase().starts_with("uk") => demine_app::text::Lang::Uk,
        _ => demine_app::text::Lang::En,
    }
}

/// What a file holds, or what a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Hazards,
    Activities,
    Finds,
    Accidents,
    /// Operators and the authority (id, name, kind: CSV, or GeoJSON on import).
    Organisations,
    /// Teams and assets (teams.csv of the planning contract; on import also GeoJSON points for
    /// bases).
    Teams,
    /// Daily progress reports (import: GeoJSON features with id, date, task, team, team_kind,
    /// hours; export: .geojson/.gpx/.kml).
    Progress,
    /// Post-clearance inspections (QA records).
    Qa,
    /// A context layer (roads, settlements, land cover, lines of contact): `layer NAME FILE`.
    Layer,
}

impl Kind {
    /// The registry record kind, or `None` for a context layer.
    pub fn record_kind(self) -> Option<demine_app::RecordKind> {
        use demine_app::RecordKind as R;
        Some(match self {
            Kind::Hazards => R::Hazards,
            Kind::Activities => R::Activities,
            Kind::Finds => R::Finds,
            Kind::Accidents => R::Accidents,
            Kind::Organisations => R::Organisations,
            Kind::Teams => R::Teams,
            Kind::Progress => R::Progress,
            Kind::Qa => R::Qa,
            Kind::Layer => return None,
        })
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

/// How to break figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    Organisation,
    Month,
    Class,
}

impl From<ByArg> for demine_app::release::By {
    fn from(b: ByArg) -> Self {
        match b {
            ByArg::Organisation => demine_app::release::By::Organisation,
            ByArg::Month => demine_app::release::By::Month,
            ByArg::Class => demine_app::release::By::Class,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty registry (a GeoPackage file) at --db.
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Import records from GeoJSON, CSV, Shapefile, KML/KMZ, GPX, FlatGeobuf or a GeoPackage
    /// layer, validated at entry: all or nothing.
    ///
    /// GeoJSON: a FeatureCollection in WGS84 lon/lat (RFC 7946). CSV: a `wkt` column (or `lon`,`lat`
    /// for points). Other coordinate systems are read from the file (.prj, srs_id, crs) or
    /// --crs, and transformed to WGS84. Required fields: hazards `id`,`class` (SHA|CHA) (optional `recorded_date`, by
    /// default the day of import); activities `id`,`hazard_id`, `type` (NTS|TS|clearance|BAC|EOD),
    /// `outcome` (cancelled|reduced|cleared), `start_date`, `end_date`; finds `id`,`date`,`category`;
    /// accidents `id`,`date`,`killed`,`injured`; organisations `id`,`name`; teams `id`,`kind`,
    /// `productivity_m2_per_day`. If any record is bad, nothing is written and every problem is listed.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: Kind,
        /// The file (.geojson/.json, .csv, .shp/.zip, .kml, .kmz, .gpx, .fgb, .gpkg); for
        /// `layer`, the layer's NAME, then the file.
        #[arg(value_name = "FILE | NAME")]
        target: String,
        /// For `layer`: the file.
        #[arg(value_name = "FILE")]
        layer_file: Option<PathBuf>,
        /// For `layer`: replace the layer's existing features instead of refusing.
        #[arg(long)]
        replace: bool,
        /// Records whose id is already in the registry replace the stored ones (a re-survey),
        /// the others are added; all in one transaction, each replaced version kept in history.
        #[arg(long)]
        upsert: bool,
        /// Why (kept in the change log), e.g. with --upsert "re-survey of March 2026".
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Repair what is safely repairable (ring orientation, closing rings, repeated vertices)
        /// and say what was changed.
        #[arg(long)]
        fix: bool,
        /// Check only: validate and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The file's format: geojson, csv, shp (a .shp or a .zip of its parts), kml, kmz, gpx,
        /// fgb, gpkg. By default from the extension, else from the first bytes.
        #[arg(long, value_name = "F")]
        format: Option<String>,
        /// Which layer of the file: a GeoPackage table, a KML Folder, a shapefile in a zip, a GPX
        /// part (waypoints, tracks, routes).
        #[arg(long = "layer", value_name = "NAME")]
        source_layer: Option<String>,
        /// A shapefile's text encoding (cp1251, utf-8, cp866, …), overriding its .cpg and
        /// language driver byte.
        #[arg(long, value_name = "E")]
        encoding: Option<String>,
        /// The coordinate system of the file (EPSG:NNNN), overriding what it declares (.prj,
        /// GeoPackage srs_id, GeoJSON crs). Transformed to WGS84 at import: WGS 84 / UTM,
        /// Pulkovo 1942 / Gauss-Krüger, UCS-2000, Web Mercator.
        #[arg(long, value_name = "EPSG:N")]
        crs: Option<String>,
        /// A field-mapping profile (a shipped name such as imsma-hazards, or a TOML file) that
        /// renames fields and maps code lists to the import contract.
        #[arg(long, value_name = "NAME|FILE")]
        profile: Option<String>,
        /// Refuse the import when a plausibility check warns (activities outside their hazard,
        /// spikes, long edges, finds outside every hazard, far-away coordinates).
        #[arg(long)]
        strict: bool,
        /// Records read, checked and written at a time when finds or accidents are streamed from
        /// a Shapefile or GeoPackage (fewer: less memory; more: fewer statements).
        #[arg(long, default_value_t = demine_app::import_stream::CHUNK_ROWS as u64, value_name = "N",
              value_parser = clap::value_parser!(u64).range(1..))]
        chunk_rows: u64,
        /// Print at most this many problems.
        #[arg(long, default_value_t = 100, value_name = "N")]
        max_problems: usize,
        /// Machine-readable result on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Correct one record: fields (--set) or geometry (--geometry), validated exactly as an
    /// import; land release recomputed; the change log keeps before, after and the reason.
    Amend {
        #[arg(value_enum)]
        kind: Kind,
        /// The record's id.
        id: String,
        /// FIELD=VALUE (repeatable); an empty VALUE clears an optional field;
        /// attributes.NAME=VALUE sets a free attribute.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// A GeoJSON or CSV file whose one feature holds the corrected geometry.
        #[arg(long, value_name = "FILE")]
        geometry: Option<PathBuf>,
        /// Why the record is corrected (required; kept in the change log).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The version you read (`demine show`): refused if someone changed it since.
        #[arg(long, value_name = "N")]
        if_version: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Retire one record: out of the registry from now on, kept in its history; land release
    /// recomputed; `--as-of` an earlier day still sees it.
    Retire {
        #[arg(value_enum)]
        kind: Kind,
        id: String,
        /// Why (required; kept in the change log).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Also retire what depends on it (a hazard's activities, daily progress and QA; an
        /// activity's progress report); finds and accidents are kept and unlinked.
        #[arg(long)]
        cascade: bool,
        /// The version you read: refused if someone changed it since.
        #[arg(long, value_name = "N")]
        if_version: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// One record in full: fields, version history, change-log entries; for a hazard also its
    /// status, land-release figures, activities, finds, QA, residual risk and certificate state.
    Show {
        #[arg(value_enum)]
        kind: Kind,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Export records to GeoJSON (exact coordinates), CSV (WKT geometry), Shapefile, KML/KMZ,
    /// GPX, FlatGeobuf, GeoPackage or GeoParquet.
    Export {
        #[arg(value_enum)]
        kind: Kind,
        /// Output file (.geojson/.json, .csv, .shp, .zip, .kml, .kmz, .gpx, .fgb, .gpkg, .parquet); for `layer`,
        /// the layer's NAME, then the file.
        #[arg(value_name = "FILE | NAME")]
        target: String,
        /// For `layer`: the output file.
        #[arg(value_name = "FILE")]
        layer_file: Option<PathBuf>,
        /// The records as they stood at the end of this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// geojson, csv, shp (a .zip holds its parts), kml, kmz, gpx, fgb, gpkg, parquet
        /// (GeoParquet 1.0, WGS 84); else from the extension.
        #[arg(long, value_name = "F")]
        format: Option<String>,
        /// Write coordinates in this system (EPSG:NNNN: UTM, Pulkovo 1942 GK, UCS-2000, Web
        /// Mercator); Shapefile and FlatGeobuf only. Default WGS 84.
        #[arg(long, value_name = "EPSG:N")]
        crs: Option<String>,
        /// A shapefile's .dbf text encoding (default utf-8; cp1251 for older ArcGIS/MapInfo).
        #[arg(long, value_name = "E")]
        encoding: Option<String>,
    },
    /// Context layers in the registry, with feature counts.
    Layers {
        #[arg(long)]
        json: bool,
    },
    /// Land release: per hazard and over the union of hazards, computed from polygons; by
    /// organisation, month or class over a period.
    Release {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// The breakdown (with --by) as CSV on stdout.
        #[arg(long, requires = "by")]
        csv: bool,
        /// What existed and was known at the end of this day (YYYY-MM-DD): records recorded
        /// later, and corrections made later, are left out; records retired later are in.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Break down by organisation, month or class.
        #[arg(long, value_enum)]
        by: Option<ByArg>,
        /// Released land from this day (by the releasing activity's end date).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// … to this day.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Only records the authority approved (leave out operators' submissions awaiting review).
        #[arg(long)]
        approved_only: bool,
        /// Write load and accounting times (seconds) to this JSON file (for bench/).
        #[arg(long, value_name = "FILE", hide = true)]
        timings_json: Option<PathBuf>,
    },
    /// The land-release report of the registry as one HTML page (or PDF): totals, map, released
    /// area by month and organisation, risk map, priorities, plan and forecast; in the
    /// language of `--lang`.
    Report {
        /// Output: FILE.html, or FILE.pdf (headless Chromium).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Breakdowns (repeatable; default month and organisation).
        #[arg(long, value_enum)]
        by: Vec<ByArg>,
        /// Leave out the plan and forecast (which take a few seconds).
        #[arg(long)]
        no_plan: bool,
        /// The report's title (as given, whatever `--lang`; as ids and names are).
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
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
        /// Only entries about this record id.
        #[arg(long, value_name = "ID")]
        id: Option<String>,
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
    Plan(PlanArgs),
    /// Monte Carlo completion forecast of the plan (P10/P50/P90 dates, released-area band);
    /// what-if with --add-teams.
    Forecast(ForecastArgs),
    /// The cheapest extra teams that finish by --deadline with --confidence.
    Capacity(CapacityArgs),
    /// Release strategies compared: clear-all, survey-led, evidence-led — completion
    /// P10/P50/P90, team-days, cost, released land by outcome, expected items left; the
    /// frontier of completion against residual items; per hazard the action and why.
    Strategy(StrategyArgs),
    /// Contamination risk models on a CSV of cells: spatial cross-validation, training, scoring.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
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
    /// Post-clearance inspection (QA): sampling plans (exact hypergeometric), sample units over
    /// the cleared land, results.
    Qa {
        #[command(subcommand)]
        command: QaCommand,
    },
    /// Clearance lanes (or a grid of search boxes) over a task or a polygon, for teams.
    Lanes(LanesArgs),
    /// Daily progress: add a team's day of work (checked), productivity statistics.
    Progress {
        #[command(subcommand)]
        command: ProgressCommand,
    },
    /// Residual risk of a hazard's released land: expected items remaining, P(any remains).
    Residual(ResidualArgs),
    /// Land release certificate of a hazard (HTML or PDF, in English or Ukrainian: `--lang`):
    /// issued only when all its land is released and its latest QA lot was accepted (--draft: a
    /// copy watermarked NOT VALID).
    Certificate(CertificateArgs),
    /// Serve the registry over HTTP to many users: REST API (/api/v1, Swagger UI at
    /// /api/v1/docs), accounts and roles, review and approval, field submissions; /healthz,
    /// /metrics. Stops gracefully on Ctrl-C or SIGTERM. Create accounts with `demine user add`.
    Serve {
        /// Address and port to listen on (127.0.0.1: this machine only; 0.0.0.0: the network,
        /// then give --tls-cert and --tls-key).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        addr: String,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, value_name = "PEM", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A hot standby of --db (postgres:// URL) for reads that may lag; writes, accounts and
        /// reads that must see this server's latest write go to --db.
        #[arg(long, value_name = "URL", env = "DEMINE_READ_REPLICA")]
        read_replica: Option<String>,
    },
    /// Accounts of the shared registry (`demine serve`): add, list, disable, enable, passwd.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Field-mapping profiles (TOML) for `import --profile`: check one, or list those shipped.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// The tamper-evident audit log: verify the hash chain, or export a signed checkpoint.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A consistent copy of the registry in FILE, safe while `demine serve` runs.
    Backup {
        /// The new file (never overwritten).
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Put a backup in place of --db, after checking its audit log. Stop the server first; the
    /// replaced registry is kept beside it as *.gpkg.before-restore.
    Restore {
        /// A file written by `demine backup`.
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Move a whole registry between stores (GeoPackage ⇄ PostgreSQL + PostGIS): records,
    /// versions, change log and audit chain, accounts. The target must be new or empty; the
    /// copy is checked (audit chain and land-release figures equal) before this succeeds.
    ///
    /// Example: demine migrate --from registry.gpkg --to postgres://demine@db/registry
    Migrate {
        /// The registry to copy: a GeoPackage file or a postgres:// URL.
        #[arg(long, value_name = "FILE|URL")]
        from: String,
        /// The new registry: a GeoPackage file (created) or a postgres:// URL of an empty database.
        #[arg(long, value_name = "FILE|URL")]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

/// Roles of the shared registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Everything, including accounts and the audit log.
    Admin,
    /// The authority: reads every organisation, approves submissions.
    Analyst,
    /// An operator's planner: writes and plans for their organisation.
    Planner,
    /// Submits progress and finds for their organisation's tasks.
    TeamLeader,
    /// Records QA for the organisations assigned.
    QaInspector,
    /// Published aggregates only (e.g. donors).
    Viewer,
}

impl From<RoleArg> for demine_app::Role {
    fn from(r: RoleArg) -> Self {
        use demine_app::Role as R;
        match r {
            RoleArg::Admin => R::Admin,
            RoleArg::Analyst => R::Analyst,
            RoleArg::Planner => R::Planner,
            RoleArg::TeamLeader => R::TeamLeader,
            RoleArg::QaInspector => R::QaInspector,
            RoleArg::Viewer => R::Viewer,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// A new account; the password is read from standard input (at least 10 characters).
    Add {
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The organisation the user works for (planners and team leaders need one).
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        /// QA inspectors: the organisations they inspect (comma-separated).
        #[arg(long, value_name = "ORG,...", value_delimiter = ',')]
        assigned: Vec<String>,
    },
    /// Every account: role, organisation, state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and revoke its tokens.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// A new password (from standard input); unlocks the account and revokes its tokens.
    Passwd { username: String },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Check a profile: TOML syntax, record kind, every mapped field in the import contract,
    /// date formats. Errors name the profile line.
    Check {
        /// A TOML file, or the name of a shipped profile.
        file: String,
        #[arg(long)]
        json: bool,
    },
    /// The profiles shipped with demine.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain of the change log: names the first altered, deleted or reordered
    /// entry and exits 3. With --checkpoint, also proves the log up to a signed head.
    Verify {
        /// A checkpoint written by `demine audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Sign the head of the chain with an Ed25519 key and write the checkpoint: keep it outside
    /// the registry.
    Checkpoint {
        /// Where to write the checkpoint (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The signing key (PKCS#8 PEM; created, mode 0600, if missing). Keep it away from the
        /// registry's machine if you can.
        #[arg(long, env = "DEMINE_AUDIT_KEY", value_name = "PEM")]
        key: Option<PathBuf>,
    },
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
    /// One JSON object on stdout.
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
    /// Issue a draft even when the hazard cannot be certified yet: watermarked NOT VALID, with
    /// the reasons on the page.
    #[arg(long)]
    pub draft: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum QaCommand {
    /// The smallest inspection sample: n units with acceptance number c such that a lot whose
    /// defect rate is LQ is accepted with probability at most beta (exact hypergeometric OC).
    ///
    /// A lot of N units at LQ holds D = ⌈LQ·N⌉ defective units. With --budget, answers the
    /// reverse question: the LQ that a sample of that many units guarantees at beta.
    Plan {
        /// Units in the lot: boxes (e.g. 10 × 10 m) of the cleared land only, not of cancelled or
        /// reduced land (`qa sample` counts them).
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
    ///
    /// The lot of a post-clearance inspection is the hazard's cleared land only: land cancelled
    /// by non-technical survey or reduced by technical survey is not part of it.
    Sample {
        /// Hazard whose cleared land is the lot.
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
        #[arg(long, default_value_t = demine_app::field::DEFAULT_QA_DETECTION)]
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
    /// Check only: say what would be recorded, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarArg {
    /// Monday–Friday, machines stop December–February (frozen ground), dogs stop July–August
    /// (above 30 °C), a share of days lost to weather (--downtime-rate).
    Working,
    /// Continuous days from the start: duration = area / productivity; `start`/`end` in JSON
    /// are numbers of days.
    None,
}

/// Where tasks and teams come from, and the planning assumptions.
#[derive(Debug, Clone, Args)]
pub struct PlanInput {
    /// Tasks CSV (id, area_m2, value; optional lon, lat, stage, methods, terrain, ready_date,
    /// splittable). Without it, tasks are the registry's hazards with land still to release.
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,
    /// Teams CSV (id, kind, productivity_m2_per_day; optional base_lon, base_lat, start_date,
    /// end_date, cost_per_day, all in one currency). Without it, the registry's teams.
    #[arg(long, value_name = "FILE")]
    pub teams: Option<PathBuf>,
    /// First day of the plan (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Working calendar, or `none` for continuous days.
    #[arg(long, value_enum, default_value_t = CalendarArg::Working)]
    pub calendar: CalendarArg,
    /// Share of working days lost to weather (0–1), working calendar only.
    #[arg(long, value_name = "SHARE", default_value_t = 0.1)]
    pub downtime_rate: f64,
    /// Share of surveyed area NTS cancels (0–1); default learned from the registry, else 0.5.
    #[arg(long, value_name = "SHARE")]
    pub nts_cancel_share: Option<f64>,
    /// Share of what is left after NTS that TS reduces (0–1); default learned, else 0.5.
    #[arg(long, value_name = "SHARE")]
    pub ts_reduce_share: Option<f64>,
    /// Road distance over great-circle distance.
    #[arg(long, value_name = "RATIO", default_value_t = 1.4)]
    pub road_factor: f64,
    /// Average road speed, km/h (8 working hours a day).
    #[arg(long, value_name = "KM_PER_H", default_value_t = 40.0)]
    pub speed_km_per_h: f64,
    /// How the registry's hazards become stage tasks: clear-all, survey-led (today's chain,
    /// shares learned from the registry) or evidence-led (default; see `demine strategy`).
    #[arg(long, value_name = "NAME", value_parser = ["clear-all", "survey-led", "evidence-led"])]
    pub strategy: Option<String>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// The help's heading of [`EvidenceArgs`] (per argument: a `next_help_heading` would also put
/// the arguments that follow the flattened group under it).
const METHODS_HEADING: &str = "Methods and thresholds";

/// How well the methods find items, and evidence-led thresholds fixed instead of searched for.
#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Share of a technical survey's ground its sampling lanes cover (0–1; default 0.2, IMAS
    /// practice 0.1–0.2).
    #[arg(
        long,
        value_name = "SHARE",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub ts_coverage: Option<f64>,
    /// Share of the items in a technical survey's lanes it detects (0–1; default 0.95).
    #[arg(
        long,
        value_name = "SHARE",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub ts_detection: Option<f64>,
    /// Share of the items clearance detects, to depth (0–1; default 0.99).
    #[arg(
        long,
        value_name = "SHARE",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub clearance_detection: Option<f64>,
    /// Radius cleared around a find or an accident, metres (0–1,000; default 100).
    #[arg(
        long,
        value_name = "M",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub evidence_radius_m: Option<f64>,
    /// Evidence-led: non-technical survey cancels land with fewer expected items per hectare
    /// than this (default 0.02, one item in 50 ha), instead of the thresholds the teams can
    /// finish soonest.
    #[arg(
        long,
        value_name = "ITEMS_PER_HA",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub cancel_below: Option<f64>,
    /// Evidence-led: land with at least this many expected items per hectare is cleared
    /// outright; between the two thresholds technical survey samples it (default 0.5).
    #[arg(
        long,
        value_name = "ITEMS_PER_HA",
        allow_hyphen_values = true,
        help_heading = METHODS_HEADING
    )]
    pub clear_above: Option<f64>,
}

impl EvidenceArgs {
    /// The settings as the application takes them.
    pub fn settings(&self) -> demine_app::strategy::EvidenceSettings {
        demine_app::strategy::EvidenceSettings {
            ts_coverage: self.ts_coverage,
            ts_detection: self.ts_detection,
            clearance_detection: self.clearance_detection,
            evidence_radius_m: self.evidence_radius_m,
            cancel_below_items_per_ha: self.cancel_below,
            clear_above_items_per_ha: self.clear_above,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct StrategyArgs {
    /// Evidence-led thresholds that finish by this date (YYYY-MM-DD) at --confidence, leaving
    /// the fewest expected items.
    #[arg(long, value_name = "DATE")]
    pub deadline: Option<String>,
    /// Evidence-led thresholds that leave at most N expected items in released land, soonest.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_residual_items: Option<f64>,
    /// Teams CSV instead of the registry's teams.
    #[arg(long, value_name = "FILE")]
    pub teams: Option<PathBuf>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// First day of the plans (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Probability of finishing by --deadline (0–1).
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub confidence: f64,
    /// Monte Carlo runs per strategy.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub runs: usize,
    /// Random seed (plan search and Monte Carlo): the same seed gives the same result.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Plan search budget per strategy, in seconds of search on the reference machine (counted
    /// work, not the clock: the same seed gives the same result on any machine).
    #[arg(long, visible_alias = "time-limit", value_name = "S", default_value_t = 3.0)]
    pub search_budget: f64,
    /// Hazards listed with their actions (text output).
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub hazards: usize,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Search budget, in seconds of search on the reference machine. The search counts its work
    /// instead of reading the clock, and stops early at a local optimum.
    #[arg(long, visible_alias = "time-limit", value_name = "S", default_value_t = 10.0)]
    pub search_budget: f64,
    /// Random seed of the search: the same seed and budget give the same plan on any machine.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the assignments as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write a Gantt chart (.svg, or .html around it, in the language of `--lang`) to this
    /// file.
    #[arg(long, value_name = "FILE")]
    pub gantt: Option<PathBuf>,
    /// Large-neighbourhood steps per piece of work (the deterministic search budget).
    #[arg(long, value_name = "N", default_value_t = 30, hide = true)]
    pub lns_steps: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Monte Carlo runs.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub runs: usize,
    /// Random seed (plan search and Monte Carlo): the same seed gives the same forecast.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What-if: extra teams, e.g. `manual:20,mechanical:5` (each like the median team of its kind).
    #[arg(long, value_name = "KIND:N,...")]
    pub add_teams: Option<String>,
    /// Plan search budget, in seconds of search on the reference machine (counted work, not the
    /// clock: the same seed gives the same forecast on any machine and under any load).
    #[arg(long, visible_alias = "time-limit", value_name = "S", default_value_t = 5.0)]
    pub search_budget: f64,
    /// σ of the log time factor of each piece of work (lognormal, mean 1): how much productivity
    /// varies from site to site. Default: 0.3, or fitted from past activities when there are no
    /// daily progress reports; the day-to-day σ those reports show is added over each piece's
    /// working days (σ² ÷ days). Given, it is the whole σ.
    #[arg(long, value_name = "SIGMA")]
    pub productivity_sigma: Option<f64>,
    /// Forecast from a programme's monthly history instead of a plan: a CSV with `month`
    /// (YYYY-MM), `organisation` (optional: without it each row is the whole programme's month),
    /// `area_m2` (or `area_ha`, `area_km2`), a workbook (.xlsx, .xls, .ods; --sheet) holding such
    /// a table, or `registry` for the registry's activities. Comma,
    /// semicolon or tab separated (sniffed); decimal commas, thousands grouped by spaces, dots or
    /// quoted commas, and months as 03.2024, 202403, Mar-24, березень 2024, dates 01/03/2024 (the
    /// day or the month first, as the file's dates tell), spreadsheet date serials (45382) or
    /// 1–12 beside a `year` column are read
    /// too; column names in any case; a total row
    /// (Total, Всього, Разом) is skipped when it is the sum of the rows above, refused otherwise;
    /// a pivot table that names each organisation on its first row only is read so, and so are
    /// months across the header (a row per organisation or per year; --columns area_ha=months
    /// for hectares).
    /// The forecast follows the history's trend when its own hindcasts say that helps. A month
    /// over 3 times the median of the 12 around it (a large area cancelled at once) is taken as
    /// exceptional: it sets neither the season nor the level, and recurs only as a rare draw.
    #[arg(
        long,
        value_name = "FILE.csv|registry",
        conflicts_with_all = [
            "tasks", "teams", "add_teams", "strategy", "productivity_sigma", "nts_cancel_share",
            "ts_reduce_share", "ts_coverage", "ts_detection", "clearance_detection",
            "evidence_radius_m", "cancel_below", "clear_above"
        ]
    )]
    pub history: Option<String>,
    /// The history's columns: month=COL,organisation=COL,area_m2=COL (area_ha=COL or area_km2=COL for
    /// an area in hectares or km²; area_m2=A+B+C adds up several columns, such as cancelled,
    /// reduced and cleared; year=COL when the month column holds the month of the year alone).
    #[arg(long, value_name = "MAP", requires = "history")]
    pub columns: Option<String>,
    /// Add up the history's rows of one organisation and month, for an export with a row per
    /// activity or per site (dated 2024-03-05, 2024-03-17, …); without it a month given twice
    /// is refused.
    #[arg(long, requires = "history")]
    pub sum_rows: bool,
    /// The history's areas are totals released to date (a dashboard's cumulative figures): each
    /// organisation's month is read as the difference from its month before, its first month
    /// being the baseline.
    #[arg(long, requires = "history", conflicts_with = "sum_rows")]
    pub cumulative: bool,
    /// The sheet of a workbook history (.xlsx, .xls, .ods) to read; default the first that holds
    /// a table.
    #[arg(long, value_name = "NAME", requires = "history")]
    pub sheet: Option<String>,
    /// The text encoding of a CSV history (cp1251, utf-8, koi8-u, …); default UTF-8, else
    /// Windows-1251, as spreadsheets in Ukraine save CSV.
    #[arg(long, value_name = "ENCODING", requires = "history")]
    pub encoding: Option<String>,
    /// Area still to release, m² (with --history), as it is at --start (default today; a history
    /// that ends before it is carried on to it); default the registry's.
    #[arg(long, value_name = "M2", requires = "history", allow_hyphen_values = true)]
    pub remaining_m2: Option<f64>,
    /// Hindcast: fit on the history up to this month (YYYY-MM), score the months after.
    #[arg(long, value_name = "YYYY-MM", requires = "history", conflicts_with = "remaining_m2")]
    pub fit_until: Option<String>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CapacityArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Date everything must be released by (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub deadline: String,
    /// Probability of meeting the deadline (0–1).
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub confidence: f64,
    /// Monte Carlo runs per trial mix.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub runs: usize,
    /// Random seed (plan search and Monte Carlo): the same seed gives the same result.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Plan search budget per trial mix, in seconds of search on the reference machine
    /// (counted work, not the clock).
    #[arg(long, visible_alias = "time-limit", value_name = "S", default_value_t = 1.0)]
    pub search_budget: f64,
    /// At most this many rounds of adding teams.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_rounds: usize,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Logistic regression (median imputation, missing indicators, standardised, L2).
    Lr,
    /// Gradient-boosted trees (histograms, native missing values, grouped early stopping).
    Gbt,
}

impl From<ModelArg> for demine_app::risk::ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Lr => demine_app::risk::ModelKind::Logistic,
            ModelArg::Gbt => demine_app::risk::ModelKind::Gbt,
        }
    }
}

/// Which columns of the cells CSV play which part.
#[derive(Debug, Args)]
pub struct CellsArgs {
    /// The cells: a CSV with a header, one row per cell. Numeric columns are features; others
    /// are ignored (and listed).
    #[arg(long, value_name = "FILE.csv")]
    pub cells: PathBuf,
    /// Label column: 1/0 (also true/false, yes/no); empty = unlabelled.
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Columns that are not features (ids, coordinates…), comma-separated.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
    pub model: ModelArg,
    /// Random seed: the same seed gives the same folds, models and figures.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// A label value meaning "unlabelled" besides an empty cell, e.g. -1 (scikit-learn's
    /// convention for semi-supervised data).
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub unlabelled_value: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Build the risk map of the registry: features on H3 cells over the hazards (with a
    /// margin), a model trained on cells with finds or accidents (positive) and cells searched
    /// clean (negative), scored by spatial cross-validation; saved as the `risk_cells` layer and
    /// per hazard as expected contaminated share and P(any item).
    Build {
        /// H3 resolution, 7 (~5 km² cells) to 11 (~2,150 m²); 9 is ~0.1 km².
        #[arg(long, default_value_t = 9)]
        res: u8,
        #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
        model: ModelArg,
        /// Random seed: the same seed gives the same map.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Kernel bandwidth for find and accident densities, in metres.
        #[arg(long, default_value_t = 1000.0, value_name = "M")]
        bandwidth_m: f64,
        /// Margin the grid adds around the hazards, in metres (whole H3 rings). Cells there carry
        /// no labels (nothing was searched), so their risk is the model's extrapolation: read it
        /// as a lead for non-technical survey, not as evidence.
        #[arg(long, default_value_t = 0.0, value_name = "M")]
        margin_m: f64,
        /// Map this region instead of the hazards: a GeoJSON or CSV (`wkt` column) file of
        /// Polygon/MultiPolygon features, WGS84. The grid is every cell whose centre lies in it
        /// (`--margin-m` is then ignored).
        #[arg(long, value_name = "FILE")]
        region: Option<PathBuf>,
        /// Folds of the spatial cross-validation reported with the map.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Cross-validate on at most about this many labelled cells (whole groups drawn by seed).
        #[arg(long, default_value_t = 200_000, value_name = "N")]
        cv_max_rows: usize,
        /// Train the map's model on at most about this many labelled cells (whole groups drawn by
        /// seed); 0 = every labelled cell. Every cell is still scored.
        #[arg(long, default_value_t = demine_app::risk::TRAIN_MAX_ROWS, value_name = "N")]
        train_max_rows: usize,
        #[arg(long)]
        json: bool,
    },
    /// Suggest new SHAs: high-risk land outside every hazard, for non-technical survey.
    ///
    /// A model trained on the labelled cells (with features that mean the same outside hazards)
    /// scores the land around the hazards (or in --region); finds and accidents outside every
    /// hazard count as direct evidence. Neighbouring cells above the threshold become one area;
    /// areas are ranked by expected contaminated cells. Nothing is written to the registry:
    /// --out writes a GeoJSON file that `demine import hazards` takes as it is.
    Suggest(SuggestArgs),
    /// Spatial cross-validation on a CSV of cells: ROC-AUC, PR-AUC, Brier, recall in the top 10/20/30 %.
    ///
    /// Cells of one group (a municipality, an H3 parent cell…) always fall in the same fold.
    /// Folds whose held-out cells are all of one class are left out of the AUC means and counted.
    Evaluate {
        #[command(flatten)]
        cells: CellsArgs,
        /// Group column: cells of a group are held out together.
        #[arg(long, value_name = "COL")]
        group: String,
        /// Number of folds (leave-one-group-out when there are no more groups than this).
        #[arg(long, default_value_t = 5, value_name = "K")]
        folds: usize,
        /// Write each row's fold and out-of-fold probability to this CSV
        /// (`row,group,label,fold,risk_oof`; row is the 0-based data row, fold is 1-based).
        #[arg(long, value_name = "FILE.csv")]
        folds_out: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Fit a calibrated model on all labelled cells and write it as JSON.
    Train {
        #[command(flatten)]
        cells: CellsArgs,
        /// Group column (optional): used for the inner held-out split (early stopping, calibration).
        #[arg(long, value_name = "COL")]
        group: Option<String>,
        /// The model file to write.
        #[arg(long, value_name = "MODEL.json")]
        out: PathBuf,
    },
    /// Score cells with a trained model: writes the CSV with a `risk` column (probability 0..1) added.
    Score {
        /// The cells: a CSV with the model's feature columns.
        #[arg(long, value_name = "FILE.csv")]
        cells: PathBuf,
        /// A model written by `demine risk train`.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// The scored CSV to write (all input columns, then `risk`).
        #[arg(long, value_name = "SCORED.csv")]
        out: PathBuf,
    },
}

/// Arguments of `demine risk suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// H3 resolution, 7 (~5 km² cells) to 11 (~2,150 m²); 9 is ~0.1 km².
    #[arg(long, default_value_t = 9)]
    pub res: u8,
    /// How far around the hazards to look, in metres (whole H3 rings). Ignored with --region.
    #[arg(long, default_value_t = 2000.0, value_name = "M")]
    pub margin_m: f64,
    /// Look inside this region instead: a GeoJSON or CSV (`wkt` column) file of polygons.
    #[arg(long, value_name = "FILE")]
    pub region: Option<PathBuf>,
    /// Keep cells at or above this risk (0..1). Default: the median out-of-fold risk of the
    /// cells with finds or accidents (land at least as risky as half the places ordnance was found).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Suggest at most N areas (the highest ranked by expected contaminated cells).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// Drop areas of fewer than K cells, unless a find or accident lies in them.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub min_cells: usize,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
    pub model: ModelArg,
    /// Random seed: the same seed gives the same suggestions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Kernel bandwidth for find and accident densities, in metres.
    #[arg(long, default_value_t = 1000.0, value_name = "M")]
    pub bandwidth_m: f64,
    /// Write the suggested areas to this GeoJSON file, importable with `demine import hazards`.
    #[arg(long, value_name = "FILE.geojson")]
    pub out: Option<PathBuf>,
    /// Machine-readable summary: one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use demine_app::text::Lang;

    fn locale(vars: &[(&str, &str)]) -> Lang {
        locale_lang(|v| vars.iter().find(|(k, _)| *k == v).map(|(_, x)| x.to_string()))
    }

    #[test]
    fn the_locale_decides_without_lang() {
        assert_eq!(locale(&[]), Lang::En);
        assert_eq!(locale(&[("LANG", "uk_UA.UTF-8")]), Lang::Uk);
        assert_eq!(locale(&[("LANG", "en_GB.UTF-8"), ("LC_MESSAGES", "uk_UA")]), Lang::Uk);
        // LC_ALL first; an empty one is not set.
        assert_eq!(locale(&[("LC_ALL", "C"), ("LANG", "uk_UA.UTF-8")]), Lang::En);
        assert_eq!(locale(&[("LC_ALL", ""), ("LANG", "uk_UA.UTF-8")]), Lang::Uk);
    }

    #[test]
    fn lang_is_global_and_checked() {
        let lang = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.lang);
        assert_eq!(lang(&["demine", "--lang", "uk", "status"]).unwrap(), Some(LangArg::Uk));
        assert_eq!(lang(&["demine", "status", "--lang", "uk"]).unwrap(), Some(LangArg::Uk));
        assert_eq!(
            lang(&["demine", "certificate", "H", "--out", "c.html", "--lang", "ua"]).unwrap(),
            Some(LangArg::Uk)
        );
        let e = lang(&["demine", "report", "--out", "r.html", "--lang", "fr"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'fr'") && e.contains("en, uk"), "{e}");
    }

    #[test]
    fn every_phrase_the_binary_prints_has_its_ukrainian() {
        let source = include_str!("run.rs");
        assert!(
            source.contains("tr_fill(") && demine_app::text::untranslated(source).is_empty(),
            "{:?}",
            demine_app::text::untranslated(source)
        );
    }
}
