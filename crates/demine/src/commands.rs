//! One function per subcommand; each wires io → core → store → output.

use crate::cli::{Cli, Command, Kind, Scale};
use crate::output;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use demine_core::release::{account_records, HazardRelease};
use demine_core::{Activity, Hazard, RecordKind};
use demine_io::{parse_file, Known, ParsedFile};
use demine_store::{Changeset, GeoPackageStore, Repository};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Exit status for input that was refused (bad data): nothing was written.
pub(crate) const EXIT_REFUSED: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let actor = cli
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    match cli.command {
        Command::Import {
            kind,
            target,
            layer_file,
            replace,
            fix,
            dry_run,
            max_problems,
            json,
        } => {
            if kind == Kind::Progress {
                return crate::field::import_progress(&cli.db, &actor, Path::new(&target), json).await;
            }
            let opts = ImportOptions {
                fix,
                dry_run,
                max_problems,
                json,
                replace,
            };
            match (kind.record_kind(), layer_target(kind, &target, layer_file)?) {
                (Some(rk), (_, file)) => import(&cli.db, &actor, rk, &file, &opts).await,
                (None, (name, file)) => import_layer(&cli.db, &actor, &name, &file, &opts).await,
            }
        }
        Command::Export {
            kind: Kind::Progress,
            target,
            ..
        } => crate::field::export_progress(&cli.db, Path::new(&target)).await,
        Command::Export {
            kind,
            target,
            layer_file,
        } => match (kind.record_kind(), layer_target(kind, &target, layer_file)?) {
            (Some(rk), (_, file)) => export(&cli.db, rk, &file).await,
            (None, (name, file)) => export_layer(&cli.db, &name, &file).await,
        },
        Command::Layers { json } => layers(&cli.db, json).await,
        Command::Release {
            json,
            as_of,
            timings_json,
        } => release(&cli.db, json, as_of.as_deref(), timings_json.as_deref()).await,
        Command::Status { json } => status(&cli.db, json).await,
        Command::Check { json, strict } => check(&cli.db, json, strict).await,
        Command::Log { limit, json } => log(&cli.db, limit, json).await,
        Command::Demo {
            out,
            force,
            seed,
            scale,
            json,
        } => demo(&out, force, seed, scale, json, &actor).await,
        Command::Risk {
            command:
                crate::risk::RiskCommand::Build {
                    res,
                    model,
                    seed,
                    bandwidth_m,
                    margin_m,
                    region,
                    folds,
                    cv_max_rows,
                    train_max_rows,
                    json,
                },
        } => {
            if let Err(why) = crate::risk_build::check_grid_args(res, bandwidth_m, margin_m) {
                eprintln!("error: {why}; nothing was written");
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            let region = match region.as_deref().map(crate::risk_build::read_region).transpose() {
                Ok(r) => r,
                Err(why) => {
                    eprintln!(
                        "error: {why}\nnothing was written: the registry {} is unchanged",
                        cli.db.display()
                    );
                    return Ok(ExitCode::from(EXIT_REFUSED));
                }
            };
            let opts = crate::risk_build::BuildOptions {
                resolution: res,
                model: model.into(),
                seed,
                bandwidth_m,
                margin_m,
                region,
                folds,
                cv_max_rows,
                train_max_rows,
                json,
            };
            crate::risk_build::risk_build(open(&cli.db).await?, &actor, &opts).await
        }
        Command::Risk {
            command: crate::risk::RiskCommand::Suggest(args),
        } => crate::risk_suggest::run(&cli.db, &args).await,
        Command::Risk { command } => crate::risk::run(command),
        Command::Priority {
            weights,
            json,
            top,
            csv,
        } => {
            let o = crate::priority::PriorityOptions {
                weights: weights.as_deref(),
                json,
                top,
                csv: csv.as_deref(),
            };
            crate::priority::priority(&cli.db, &o).await
        }
        Command::Qa { command } => crate::field::run(&cli.db, &actor, crate::field::FieldCommand::Qa(command)).await,
        Command::Lanes(a) => crate::field::run(&cli.db, &actor, crate::field::FieldCommand::Lanes(a)).await,
        Command::Progress { command } => {
            crate::field::run(&cli.db, &actor, crate::field::FieldCommand::Progress(command)).await
        }
        Command::Residual(a) => crate::field::run(&cli.db, &actor, crate::field::FieldCommand::Residual(a)).await,
        Command::Certificate(a) => crate::field::run(&cli.db, &actor, crate::field::FieldCommand::Certificate(a)).await,
        Command::Plan(args) => crate::plan::plan(&cli.db, args).await,
        Command::Forecast(args) => crate::plan::forecast(&cli.db, args).await,
        Command::Capacity(args) => crate::plan::capacity(&cli.db, args).await,
    }
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

pub(crate) async fn open(db: &Path) -> Result<GeoPackageStore> {
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            bail!(
                "{}: folder {} does not exist; create it or pass another --db",
                db.display(),
                parent.display()
            );
        }
    }
    Ok(GeoPackageStore::open(db).await?)
}

pub(crate) async fn is_synthetic(store: &GeoPackageStore) -> Result<bool> {
    Ok(store.meta("synthetic").await?.as_deref() == Some("true"))
}

/// Accounts the hazards whose ids are in `affected`, with every activity on them (stored and
/// new), so that the stored computed columns stay true.
fn recompute(hazards: &[Hazard], activities: &[Activity], affected: &HashSet<&str>) -> Vec<(String, HazardRelease)> {
    let hs: Vec<Hazard> = hazards
        .iter()
        .filter(|h| affected.contains(h.id.as_str()))
        .cloned()
        .collect();
    let acts: Vec<Activity> = activities
        .iter()
        .filter(|a| affected.contains(a.hazard_id.as_str()))
        .cloned()
        .collect();
    let r = account_records(&hs, &acts, None, true);
    hs.into_iter().map(|h| h.id).zip(r.per_hazard).collect()
}

/// Options shared by every import.
struct ImportOptions {
    fix: bool,
    dry_run: bool,
    max_problems: usize,
    json: bool,
    replace: bool,
}

/// `import layer NAME FILE` takes two positionals, the other kinds one.
fn layer_target(
    kind: Kind,
    target: &str,
    layer_file: Option<std::path::PathBuf>,
) -> Result<(String, std::path::PathBuf)> {
    match (kind, layer_file) {
        (Kind::Layer, Some(file)) => {
            demine_core::check_layer_name(target).map_err(anyhow::Error::msg)?;
            Ok((target.to_string(), file))
        }
        (Kind::Layer, None) => bail!("`layer` needs a NAME and a FILE, e.g. `demine import layer roads roads.geojson`"),
        (_, Some(extra)) => bail!(
            "unexpected second file {}: only `layer` takes a NAME and a FILE",
            extra.display()
        ),
        (_, None) => Ok((String::new(), std::path::PathBuf::from(target))),
    }
}

/// Prints notes and problems; true when the file is refused (nothing is then written).
fn report_problems(
    db: &Path,
    file: &Path,
    problems: &[demine_io::Problem],
    notes: &[demine_io::Problem],
    opts: &ImportOptions,
) -> bool {
    if opts.json && !problems.is_empty() {
        println!(
            "{}",
            serde_json::json!({"ok": false, "file": file.display().to_string(), "problems": problems, "notes": notes, "written": 0})
        );
    }
    for n in notes.iter().take(opts.max_problems) {
        eprintln!("note: {}: {n}", file.display());
    }
    if problems.is_empty() {
        return false;
    }
    for p in problems.iter().take(opts.max_problems) {
        eprintln!("error: {}: {p}", file.display());
    }
    if problems.len() > opts.max_problems {
        eprintln!(
            "… and {} more problems (raise --max-problems to see them)",
            problems.len() - opts.max_problems
        );
    }
    eprintln!(
        "{}: {} problem(s) in {} record(s); nothing was written: the registry {} is unchanged. Mend the file and import it again{}",
        file.display(),
        problems.len(),
        problems.iter().map(|p| p.index).collect::<HashSet<_>>().len(),
        db.display(),
        if opts.fix { "" } else { " (--fix repairs ring orientation, unclosed rings and repeated vertices)" }
    );
    true
}

fn refuse_file(db: &Path, file: &Path, e: &demine_io::FileError, json: bool) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": false, "file": file.display().to_string(), "error": e.to_string(), "written": 0})
        );
    }
    eprintln!("error: {e}");
    eprintln!("nothing was written: the registry {} is unchanged", db.display());
    ExitCode::from(EXIT_REFUSED)
}

async fn import_layer(db: &Path, actor: &str, name: &str, file: &Path, opts: &ImportOptions) -> Result<ExitCode> {
    if !file.exists() {
        bail!("{}: no such file", file.display());
    }
    let parsed = match demine_io::parse_layer_file(name, file, opts.fix) {
        Ok(p) => p,
        Err(e) => return Ok(refuse_file(db, file, &e, opts.json)),
    };
    if report_problems(db, file, &parsed.problems, &parsed.notes, opts) {
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let store = if db.exists() { Some(open(db).await?) } else { None };
    let existing = match &store {
        Some(s) => s
            .context_layers()
            .await?
            .into_iter()
            .find(|(l, _)| l == name)
            .map_or(0, |(_, n)| n),
        None => 0,
    };
    if existing > 0 && !opts.replace {
        bail!(
            "layer '{name}' already has {existing} features in {}; pass --replace to replace them, or choose another name",
            db.display()
        );
    }
    let n = parsed.records.len();
    let changes = Changeset {
        description: format!("import layer {name} from {}", file.display()),
        replace_layers: if existing > 0 {
            vec![name.to_string()]
        } else {
            Vec::new()
        },
        context_features: parsed.records,
        ..Default::default()
    };
    if opts.dry_run {
        eprintln!("{}: {n} features valid; --dry-run: nothing written", file.display());
    } else {
        match store {
            Some(store) => {
                store.apply(&changes, actor).await?;
                store.close().await?;
            }
            None => create_with(db, &changes, actor).await?,
        }
    }
    if opts.json {
        println!(
            "{}",
            serde_json::json!({"ok": true, "file": file.display().to_string(), "layer": name, "written": if opts.dry_run { 0 } else { n }, "replaced": existing})
        );
    } else if !opts.dry_run {
        println!(
            "imported {n} features into layer {name} of {}{}",
            db.display(),
            if existing > 0 {
                format!(" (replacing {existing})")
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn export_layer(db: &Path, name: &str, file: &Path) -> Result<ExitCode> {
    let store = open(db).await?;
    let synthetic = is_synthetic(&store).await?;
    let features = store.context_features(Some(name)).await?;
    if features.is_empty() {
        let known: Vec<String> = store.context_layers().await?.into_iter().map(|(l, _)| l).collect();
        bail!(
            "no layer '{name}' in {}; layers: {}",
            db.display(),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        );
    }
    demine_io::export::write_records(file, name, &features, synthetic)?;
    eprintln!(
        "exported {} features of layer {name} to {}",
        features.len(),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn layers(db: &Path, json: bool) -> Result<ExitCode> {
    let store = open(db).await?;
    let layers = store.context_layers().await?;
    if json {
        let v: Vec<_> = layers
            .iter()
            .map(|(l, n)| serde_json::json!({"layer": l, "features": n}))
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if layers.is_empty() {
        println!("no context layers; add one with `demine import layer NAME FILE`");
    } else {
        for (l, n) in &layers {
            println!("{l:<24} {n:>9} features");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import(db: &Path, actor: &str, kind: RecordKind, file: &Path, opts: &ImportOptions) -> Result<ExitCode> {
    if !file.exists() {
        bail!("{}: no such file", file.display());
    }
    // A registry that does not exist yet is only created once the file has passed validation,
    // under a temporary name renamed at the end: a refused or killed first import leaves no file.
    let store = if db.exists() { Some(open(db).await?) } else { None };
    let pb = spinner(&format!("reading and validating {}", file.display()));
    let ids = |k: RecordKind| {
        let store = store.as_ref();
        async move {
            match store {
                Some(s) => s.ids(k).await,
                None => Ok(HashSet::new()),
            }
        }
    };
    let existing = ids(kind).await?;
    let hazard_ids = ids(RecordKind::Hazards).await?;
    let activity_ids = ids(RecordKind::Activities).await?;
    let known = Known {
        existing_ids: &existing,
        hazard_ids: &hazard_ids,
        activity_ids: &activity_ids,
    };
    let parsed = parse_file(kind, file, &known, opts.fix);
    pb.finish_and_clear();
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return Ok(refuse_file(db, file, &e, opts.json)),
    };
    let problems: Vec<demine_io::Problem> = parsed.problems().into_iter().cloned().collect();
    let notes: Vec<demine_io::Problem> = parsed.notes().to_vec();
    if report_problems(db, file, &problems, &notes, opts) {
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let n = parsed.len();
    let mut changes = Changeset {
        description: format!("import {} from {}", kind, file.display()),
        ..Default::default()
    };
    match parsed {
        ParsedFile::Hazards(p) => {
            let ids: HashSet<&str> = p.records.iter().map(|h| h.id.as_str()).collect();
            changes.recomputed = recompute(&p.records, &[], &ids);
            changes.hazards = p.records;
        }
        ParsedFile::Activities(p) => {
            let affected: HashSet<&str> = p.records.iter().map(|a| a.hazard_id.as_str()).collect();
            let Some(store) = store.as_ref() else {
                bail!("{}: activities need hazards; import hazards first", db.display())
            };
            let hazards = store.hazards().await?;
            let mut activities = store.activities().await?;
            activities.extend(p.records.iter().cloned());
            changes.recomputed = recompute(&hazards, &activities, &affected);
            changes.activities = p.records;
        }
        ParsedFile::Finds(p) => changes.finds = p.records,
        ParsedFile::Accidents(p) => changes.accidents = p.records,
    }
    if opts.dry_run {
        eprintln!("{}: {n} {kind} valid; --dry-run: nothing written", file.display());
    } else {
        let pb = spinner(&format!("writing {n} {kind} to {}", db.display()));
        match store {
            Some(store) => {
                store
                    .apply(&changes, actor)
                    .await
                    .with_context(|| format!("writing {} to {}", file.display(), db.display()))?;
                store.close().await?;
            }
            None => create_with(db, &changes, actor)
                .await
                .with_context(|| format!("creating {}", db.display()))?,
        }
        pb.finish_and_clear();
    }
    if opts.json {
        println!(
            "{}",
            serde_json::json!({"ok": true, "file": file.display().to_string(), "kind": kind.as_str(), "written": if opts.dry_run { 0 } else { n }, "valid": n, "notes": notes})
        );
    } else if !opts.dry_run {
        println!("imported {n} {kind} from {} into {}", file.display(), db.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates a registry holding `changes`, atomically: written under a temporary name in the
/// same folder, then renamed.
async fn create_with(db: &Path, changes: &Changeset, actor: &str) -> Result<()> {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demine.gpkg".into());
    let tmp = db.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let sidecars =
        |p: &Path| ["-wal", "-shm", "-journal"].map(|s| std::path::PathBuf::from(format!("{}{s}", p.display())));
    let _ = std::fs::remove_file(&tmp);
    let store = open(&tmp).await?;
    store.apply(changes, actor).await?;
    store.close().await?;
    std::fs::rename(&tmp, db)?;
    for p in sidecars(&tmp) {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

async fn export(db: &Path, kind: RecordKind, file: &Path) -> Result<ExitCode> {
    let store = open(db).await?;
    let synthetic = is_synthetic(&store).await?;
    let layer = kind.as_str();
    let n = match kind {
        RecordKind::Hazards => {
            let r = store.hazards().await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Activities => {
            let r = store.activities().await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Finds => {
            let r = store.finds().await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Accidents => {
            let r = store.accidents().await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
    };
    eprintln!(
        "exported {n} {kind} to {}{}",
        file.display(),
        if synthetic { " (SYNTHETIC data)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_as_of(as_of: Option<&str>) -> Result<Option<NaiveDate>> {
    as_of
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .with_context(|| format!("--as-of '{s}' is not a date; write it as YYYY-MM-DD, e.g. 2025-06-30"))
        })
        .transpose()
}

async fn release(db: &Path, json: bool, as_of: Option<&str>, timings: Option<&Path>) -> Result<ExitCode> {
    let date = parse_as_of(as_of)?;
    let t0 = std::time::Instant::now();
    let store = open(db).await?;
    let synthetic = is_synthetic(&store).await?;
    let hazards = store.hazards().await?;
    let activities = store.activities().await?;
    let load_s = t0.elapsed().as_secs_f64();
    let pb = spinner(&format!("accounting land release of {} hazards", hazards.len()));
    let t1 = std::time::Instant::now();
    let r = account_records(&hazards, &activities, date, false);
    let accounting_s = t1.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if let Some(path) = timings {
        let t = serde_json::json!({"load_s": load_s, "accounting_s": accounting_s, "threads": rayon_threads()});
        std::fs::write(path, t.to_string()).with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{}", output::release_json(&hazards, &r, as_of, synthetic));
    } else {
        print!("{}", output::release_text(&hazards, &r, as_of, synthetic));
    }
    Ok(ExitCode::SUCCESS)
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

async fn status(db: &Path, json: bool) -> Result<ExitCode> {
    let store = open(db).await?;
    let c = store.counts().await?;
    let synthetic = is_synthetic(&store).await?;
    if json {
        let mut v = serde_json::to_value(&c)?;
        v["db"] = serde_json::json!(db.display().to_string());
        if synthetic {
            v["data"] = serde_json::json!("SYNTHETIC");
        }
        println!("{v}");
    } else {
        if synthetic {
            println!("*** SYNTHETIC DATA ***");
        }
        println!("registry {}", db.display());
        println!("  hazards        {:>9}", c.hazards);
        println!("  activities     {:>9}", c.activities);
        println!("  finds          {:>9}", c.finds);
        println!("  accidents      {:>9}", c.accidents);
        println!("  released land  {:>9} pieces", c.released_land);
        println!("  organisations  {:>9}", c.organisations);
        println!("  teams          {:>9}", c.teams);
        println!("  change log     {:>9} entries", c.change_log);
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(db: &Path, json: bool, strict: bool) -> Result<ExitCode> {
    let store = open(db).await?;
    let hazards = store.hazards().await?;
    let activities = store.activities().await?;
    let finds = store.finds().await?;
    let pb = spinner("checking data quality");
    let issues = demine_core::quality::check_registry(&hazards, &activities, &finds);
    pb.finish_and_clear();
    let errors = issues.iter().filter(|i| i.severity == "error").count();
    if json {
        println!(
            "{}",
            serde_json::json!({"errors": errors, "warnings": issues.len() - errors, "issues": issues})
        );
    } else {
        for i in &issues {
            println!("{}: {} {}: [{}] {}", i.severity, i.layer, i.id, i.check, i.message);
        }
        let mut by_check: std::collections::BTreeMap<&str, usize> = Default::default();
        for i in &issues {
            *by_check.entry(i.check).or_default() += 1;
        }
        println!(
            "{} issue(s): {errors} error(s), {} warning(s) over {} hazards, {} activities, {} finds{}",
            issues.len(),
            issues.len() - errors,
            hazards.len(),
            activities.len(),
            finds.len(),
            if by_check.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    by_check
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    Ok(if errors > 0 || (strict && !issues.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn log(db: &Path, limit: u32, json: bool) -> Result<ExitCode> {
    let store = open(db).await?;
    let entries = store.change_log(limit).await?;
    if json {
        println!("{}", serde_json::to_string(&entries)?);
    } else {
        for e in &entries {
            println!(
                "#{:<7} {} {:<10} {:<9} {:<10} {:<14} {}",
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.entity,
                e.entity_id.as_deref().unwrap_or("-"),
                e.batch.as_deref().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's context layers: settlements, roads and the former line of contact.
fn demo_context_layers(c: &demine_demo::Campaign) -> Vec<demine_core::ContextFeature> {
    let synthetic = |mut a: demine_core::Attributes| {
        a.insert("synthetic".into(), true.into());
        a
    };
    let mut out = Vec::new();
    for (i, s) in c.settlements.iter().enumerate() {
        let mut a = demine_core::Attributes::new();
        a.insert("name".into(), s.name.clone().into());
        a.insert("population".into(), s.population.into());
        out.push(demine_core::ContextFeature {
            layer: "settlements".into(),
            id: Some(format!("SET-{:04}", i + 1)),
            geometry: geo::Geometry::Point(s.location),
            attributes: synthetic(a),
        });
    }
    for (i, r) in c.roads.iter().enumerate() {
        out.push(demine_core::ContextFeature {
            layer: "roads".into(),
            id: Some(format!("RD-{:04}", i + 1)),
            geometry: geo::Geometry::LineString(r.clone()),
            attributes: synthetic(demine_core::Attributes::new()),
        });
    }
    out.push(demine_core::ContextFeature {
        layer: "line_of_contact".into(),
        id: Some("LOC-1".into()),
        geometry: geo::Geometry::LineString(c.line_of_contact.clone()),
        attributes: synthetic(demine_core::Attributes::new()),
    });
    out
}

/// Writes the demo's hidden ground truth as CSV (`lon`, `lat`, `hazard_id`, `category`,
/// `depth_cm`, `found`), through a temporary file so a half-written file is never left.
fn write_ground_truth(path: &Path, items: &[demine_demo::TrueItem]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("csv.tmp");
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(w, "lon,lat,hazard_id,category,depth_cm,found,synthetic")?;
        for t in items {
            writeln!(
                w,
                "{},{},{},{},{},{},true",
                t.location.x(),
                t.location.y(),
                t.hazard_id.as_deref().unwrap_or(""),
                t.category.as_str(),
                t.depth_cm,
                t.found
            )?;
        }
        w.flush()
    };
    write().with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn demo(out: &Path, force: bool, seed: u64, scale: Scale, json: bool, actor: &str) -> Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("creating output folder {}", out.display()))?;
    let db = out.join("demine.gpkg");
    if db.exists() && !force {
        let demo_data = match GeoPackageStore::open(&db).await {
            Ok(store) => {
                let synthetic = is_synthetic(&store).await.unwrap_or(false);
                let empty = store
                    .counts()
                    .await
                    .map(|c| c.hazards == 0 && c.change_log == 0)
                    .unwrap_or(false);
                store.close().await?;
                synthetic || empty
            }
            Err(_) => false,
        };
        if !demo_data {
            bail!(
                "{} holds data that is not from `demine demo`; refusing to replace it. \
                 Pass --out OTHER_DIR for the demo, or --force to replace it",
                db.display()
            );
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("replacing {}", p.display()))?;
        }
    }
    let demo_scale = match scale {
        Scale::Small => demine_demo::Scale::Small,
        Scale::Region => demine_demo::Scale::Region,
        Scale::National => demine_demo::Scale::National,
    };
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(format!("generating SYNTHETIC {demo_scale} campaign (seed {seed})"));
    let progress = |done: u64, total: u64| {
        pb.set_length(total);
        pb.set_position(done);
    };
    let campaign = demine_demo::generate_with_progress(demo_scale, seed, &progress);
    pb.finish_and_clear();

    let spin = spinner(&format!(
        "accounting land release of {} hazards",
        campaign.hazards.len()
    ));
    let release = account_records(&campaign.hazards, &campaign.activities, None, true);
    spin.finish_and_clear();

    let store = GeoPackageStore::open(&db).await?;
    let spin = spinner(&format!("writing {}", db.display()));
    let changes = Changeset {
        description: format!("demo: SYNTHETIC {demo_scale} campaign, seed {seed}"),
        meta: vec![
            ("synthetic".into(), "true".into()),
            ("demo".into(), format!("{demo_scale} seed {seed}")),
        ],
        organisations: campaign.organisations.clone(),
        teams: campaign.teams.clone(),
        hazards: campaign.hazards.clone(),
        activities: campaign.activities.clone(),
        finds: campaign.finds.clone(),
        accidents: campaign.accidents.clone(),
        context_features: demo_context_layers(&campaign),
        recomputed: campaign
            .hazards
            .iter()
            .map(|h| h.id.clone())
            .zip(release.per_hazard.iter().cloned())
            .collect(),
        ..Default::default()
    };
    store.apply(&changes, actor).await?;
    spin.finish_and_clear();

    // The risk map (issue 4) for the smaller scales; national scale has its own bench.
    let risk_map = if matches!(scale, Scale::National) {
        None
    } else {
        let spin = spinner("building the risk map on H3 cells");
        let opts = crate::risk_build::BuildOptions {
            resolution: 9,
            model: demine_risk::ModelKind::Gbt,
            seed,
            bandwidth_m: 1000.0,
            // Inside hazards only: outside them nothing is labelled, and the model extrapolates.
            margin_m: 0.0,
            region: None,
            folds: 5,
            cv_max_rows: 200_000,
            train_max_rows: crate::risk_build::TRAIN_MAX_ROWS,
            json: false,
        };
        let map = crate::risk_build::compute_risk_map(
            &campaign.hazards,
            &campaign.activities,
            &campaign.finds,
            &campaign.accidents,
            &changes.context_features,
            &opts,
        );
        spin.finish_and_clear();
        match map {
            Ok(m) => {
                let save = Changeset {
                    description: format!("demo: risk map, H3 resolution 9, gbt, seed {seed}"),
                    risk_map: Some((m.cells.clone(), m.hazards.clone())),
                    ..Default::default()
                };
                store.apply(&save, actor).await?;
                Some(m)
            }
            Err(e) => {
                eprintln!("note: no risk map for this campaign: {e:#}");
                None
            }
        }
    };
    store.close().await?;
    // Field work (daily progress, QA) changes the registry: priorities, the report and the
    // printed figures read it back, so that they show the land as it stands after that work.
    let after_field_work = if matches!(scale, Scale::National) {
        None
    } else {
        crate::field::demo_field_work(&db, out, seed, actor, json).await?;
        let store = GeoPackageStore::open(&db).await?;
        let registry = (store.hazards().await?, store.activities().await?, store.finds().await?);
        store.close().await?;
        Some(registry)
    };
    let (hazards, activities, finds): (&[demine_core::Hazard], &[demine_core::Activity], &[demine_core::Find]) =
        match &after_field_work {
            Some((h, a, f)) => (h, a, f),
            None => (&campaign.hazards, &campaign.activities, &campaign.finds),
        };
    let release = match after_field_work {
        Some(_) => account_records(hazards, activities, None, true),
        None => release,
    };
    let spin = spinner("suggesting new SHAs outside the hazards");
    let suggested = risk_map
        .as_ref()
        .and_then(|_| crate::risk_suggest::DemoSuggestions::compute(&campaign, &changes.context_features, seed));
    spin.finish_and_clear();

    // The hidden ground truth stays out of the registry: a separate file, and the risk map's
    // score against it.
    let truth_path = out.join("ground_truth.SYNTHETIC.csv");
    write_ground_truth(&truth_path, &campaign.ground_truth)?;
    let truth_points: Vec<geo::Point<f64>> = campaign.ground_truth.iter().map(|t| t.location).collect();
    let truth_score = risk_map
        .as_ref()
        .map(|m| demine_risk::truth::score_against_truth(&m.cells, &truth_points, 0.2));

    // Priorities with the default weights, on the risk map just built.
    let hazard_risks: Vec<demine_core::HazardRisk> = risk_map.as_ref().map(|m| m.hazards.clone()).unwrap_or_default();
    let priorities = crate::priority::compute_priorities(
        hazards,
        &release,
        finds,
        &campaign.accidents,
        &changes.context_features,
        &hazard_risks,
        &demine_priority::Config::default(),
    )?;
    let priority_rows: Vec<demine_report::PriorityRow> = priorities
        .hazards
        .iter()
        .take(demine_report::priority::TOP_PRIORITY_HAZARDS)
        .map(|h| demine_report::PriorityRow {
            rank: h.rank,
            hazard_id: h.hazard_id.clone(),
            class: h.class.to_string(),
            suggested_class: h.classification.suggested.to_string(),
            score: h.score,
            remaining_m2: h.remaining_m2,
            points: h.breakdown.iter().map(|c| c.points).collect(),
        })
        .collect();
    let priority_section = Some((priority_rows, &priorities));

    let report_path = out.join("report.html");
    // The report labels the first settlements given: largest first.
    let mut by_size: Vec<&demine_demo::Settlement> = campaign.settlements.iter().collect();
    by_size.sort_by_key(|s| std::cmp::Reverse(s.population));
    let settlements: Vec<(String, geo::Point<f64>)> = by_size.iter().map(|s| (s.name.clone(), s.location)).collect();
    let mut lines = campaign.roads.clone();
    lines.push(campaign.line_of_contact.clone());
    let plan_section = crate::plan::demo_plan(&db, seed, matches!(scale, Scale::National)).await;
    let html = demine_report::render_html(&demine_report::ReportInput {
        title: format!("Land release — {}", campaign.name),
        synthetic: true,
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        as_of: None,
        hazards,
        release: &release,
        finds,
        accidents: &campaign.accidents,
        context_lines: &lines,
        context_points: &settlements,
        risk: risk_map.as_ref().map(|m| demine_report::RiskSection {
            cells: &m.cells,
            hazards: &m.hazards,
            auc: m.cv.auc_mean,
            model: "gbt".into(),
            truth_note: truth_score.as_ref().map(|t| {
                format!(
                    "Against the demo's hidden ground truth (SYNTHETIC): the riskiest 20 % of cells hold {:.0} % of the \
                     {} cells that really hold ordnance ({:.1}× random); among cells with no finds and no survey, {:.0} % \
                     ({:.1}× random).",
                    100.0 * t.recall.unwrap_or(0.0),
                    t.contaminated_cells,
                    t.lift.unwrap_or(0.0),
                    100.0 * t.unlabelled_recall.unwrap_or(0.0),
                    t.unlabelled_lift.unwrap_or(0.0)
                )
            }),
            suggested: suggested.as_ref().map(|s| s.section()),
        }),
        priorities: priority_section.as_ref().map(|(rows, p)| demine_report::PrioritySection {
            rows,
            criteria: p.config.weights.entries().iter().map(|(c, w)| (c.to_string(), *w)).collect(),
            suggested_cha: p.suggested_cha().count(),
            ranked: p.hazards.len(),
        }),
        plan: plan_section,
    });
    std::fs::write(&report_path, html).with_context(|| format!("writing {}", report_path.display()))?;

    if json {
        let mut value = output::release_json(hazards, &release, None, true);
        if let Some(m) = &risk_map {
            value["risk_map"] = serde_json::json!({
                "cells": m.cells.len(),
                "cv_auc_mean": m.cv.auc_mean,
                "truth": truth_score,
            });
        }
        if let Some(s) = &suggested {
            value["suggested_shas"] = s.json();
        }
        println!("{value}");
    } else {
        println!("{}", campaign.name);
        print!("{}", output::release_text(hazards, &release, None, true));
        println!(
            "  {} activities, {} finds, {} accidents, {} teams of {} organisations",
            activities.len(),
            finds.len(),
            campaign.accidents.len(),
            campaign.teams.len(),
            campaign.organisations.len()
        );
        if let Some(m) = &risk_map {
            println!(
                "risk map: {} H3 cells (layer risk_cells), spatial cross-validation ROC-AUC {:.3}; `demine risk build` rebuilds it",
                m.cells.len(),
                m.cv.auc_mean.unwrap_or(f64::NAN)
            );
        }
        if let Some(t) = &truth_score {
            println!(
                "  against the hidden ground truth: the riskiest 20 % of cells hold {:.0} % of the {} contaminated cells \
                 ({:.1}× random); of cells with no label, {:.0} % ({:.1}× random)",
                100.0 * t.recall.unwrap_or(0.0),
                t.contaminated_cells,
                t.lift.unwrap_or(0.0),
                100.0 * t.unlabelled_recall.unwrap_or(0.0),
                t.unlabelled_lift.unwrap_or(0.0)
            );
        }
        if let Some(top) = priorities.hazards.first() {
            println!(
                "priorities: {} hazards ranked (default weights; `demine priority` shows every breakdown); first {} (score {:.1}); {} SHA(s) suggested as CHA",
                priorities.hazards.len(),
                top.hazard_id,
                top.score,
                priorities.suggested_cha().count()
            );
        }
        if let Some(s) = &suggested {
            println!("{}", s.text());
        }
        println!(
            "ground truth (SYNTHETIC, hidden from the registry): {} items, {} found: {}",
            campaign.ground_truth.len(),
            campaign.ground_truth.iter().filter(|t| t.found).count(),
            truth_path.display()
        );
        println!(
            "registry: {}  (open it in QGIS, or `demine --db {} status`)",
            db.display(),
            db.display()
        );
        println!("report:   {}", report_path.display());
    }
    Ok(ExitCode::SUCCESS)
}
