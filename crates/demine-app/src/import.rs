//! Imports: files in the import contract's formats, validated at entry, all or nothing; a dry
//! run writes nothing; `upsert` replaces stored records by id (re-surveyed hazards), in one
//! transaction.

use crate::actor::Act;
use crate::field::progress_changeset;
use crate::registry::finish_import;
use crate::util::today;
use crate::{Actor, AppError, AppResult, Location, Refusal, Registry};
use demine_core::{AnyRecord, RecordKind};
use demine_io::{parse_bytes, Known, ParsedFile, Problem};
use demine_store::{Changeset, Replacement, Repository};
use std::collections::HashSet;
use std::path::Path;

/// How to import.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    /// Repair what is safely repairable (ring orientation, closing rings, repeated vertices).
    pub fix: bool,
    /// Validate and report only: write nothing.
    pub dry_run: bool,
    /// Records whose id is already stored replace the stored ones (a re-survey), as one
    /// transaction; the others are added.
    pub upsert: bool,
    /// For a context layer: replace its features instead of refusing.
    pub replace: bool,
    /// Why (kept in the change log), for upserts.
    pub reason: Option<String>,
}

/// What an import did (or, with a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub ok: bool,
    pub file: String,
    pub kind: String,
    /// Records that passed validation.
    pub valid: usize,
    /// Records written (0 for a dry run).
    pub written: usize,
    /// Of those, new records.
    pub inserted: usize,
    /// Of those, stored records replaced (upsert) or layer features replaced.
    pub replaced: usize,
    pub dry_run: bool,
    /// Whether the import created the registry.
    pub created: bool,
    pub notes: Vec<Problem>,
    /// Accepted with a warning (e.g. progress on land already cleared).
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub db: String,
}

/// The refusal of a file with record problems.
pub(crate) fn refuse_problems(db: &str, file: &Path, problems: &[Problem], notes: &[Problem], fix: bool) -> AppError {
    let records: HashSet<usize> = problems.iter().map(|p| p.index).collect();
    AppError::Refused(Box::new(Refusal {
        problems: problems.iter().map(|p| format!("{}: {p}", file.display())).collect(),
        notes: notes.iter().map(|n| format!("{}: {n}", file.display())).collect(),
        hint: Some(format!(
            "{}: {} problem(s) in {} record(s); nothing was written: the registry {db} is unchanged. Mend the file and import it again{}",
            file.display(),
            problems.len(),
            records.len(),
            if fix {
                ""
            } else {
                " (--fix repairs ring orientation, unclosed rings and repeated vertices)"
            }
        )),
        detail: serde_json::json!({
            "ok": false, "file": file.display().to_string(), "problems": problems, "notes": notes, "written": 0
        }),
    }))
}

/// The refusal of a file that cannot be read at all.
pub(crate) fn refuse_file(db: &str, file: &Path, e: &demine_io::FileError) -> AppError {
    AppError::Refused(Box::new(Refusal {
        problems: vec![e.to_string()],
        notes: Vec::new(),
        hint: Some(format!("nothing was written: the registry {db} is unchanged")),
        detail: serde_json::json!({"ok": false, "file": file.display().to_string(), "error": e.to_string(), "written": 0}),
    }))
}

pub(crate) fn no_such_file(file: &Path) -> AppError {
    AppError::refused(format!("{}: no such file", file.display()))
}

/// Imports a file of `kind` records into the registry at `location` (created, atomically, by
/// the first import).
pub async fn import_records(
    location: &Location,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    opts: &ImportOptions,
) -> AppResult<Imported> {
    if !file.exists() {
        return Err(no_such_file(file));
    }
    let bytes = std::fs::read(file).map_err(|e| {
        refuse_file(
            &location.describe(),
            file,
            &demine_io::FileError::Io {
                path: file.to_owned(),
                source: e,
            },
        )
    })?;
    import_bytes(location, actor, kind, file, &bytes, opts).await
}

/// As [`import_records`], from bytes (a request body) named `file` in messages; its extension
/// (`.geojson`, `.csv`), else the first byte, gives the format.
pub async fn import_bytes(
    location: &Location,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    bytes: &[u8],
    opts: &ImportOptions,
) -> AppResult<Imported> {
    actor.require(if kind == RecordKind::Progress {
        Act::Progress
    } else {
        Act::Write
    })?;
    let db = location.describe();
    let registry = if location.exists() {
        Some(Registry::open(location).await?)
    } else {
        None
    };
    let ids = |k: RecordKind| {
        let registry = registry.as_ref();
        async move {
            match registry {
                Some(r) => r.store.ids(k).await.map_err(AppError::from),
                None => Ok(HashSet::new()),
            }
        }
    };
    let stored = ids(kind).await?;
    let hazard_ids = ids(RecordKind::Hazards).await?;
    let activity_ids = ids(RecordKind::Activities).await?;
    let organisation_ids = ids(RecordKind::Organisations).await?;
    let none = HashSet::new();
    let known = Known {
        // With upsert, a stored id is a replacement, not a duplicate.
        existing_ids: if opts.upsert { &none } else { &stored },
        hazard_ids: &hazard_ids,
        activity_ids: &activity_ids,
        organisation_ids: &organisation_ids,
    };
    let parsed = parse_bytes(kind, file, bytes, &known, opts.fix).map_err(|e| refuse_file(&db, file, &e))?;
    let problems: Vec<Problem> = parsed.problems().into_iter().cloned().collect();
    let notes: Vec<Problem> = parsed.notes().to_vec();
    if !problems.is_empty() {
        return Err(refuse_problems(&db, file, &problems, &notes, opts.fix));
    }
    if let ParsedFile::Progress(p) = parsed {
        let Some(registry) = registry else {
            return Err(AppError::refused(format!(
                "{db}: no such registry; daily progress needs the registry's hazards (import hazards first)"
            )));
        };
        return import_progress(&registry, actor, file, p.records, notes, opts).await;
    }
    let valid = parsed.len();
    let mut records = parsed.into_records();
    let today = today();
    let mut date_problems = Vec::new();
    for (i, r) in records.iter_mut().enumerate() {
        if let AnyRecord::Hazard(h) = r {
            match h.recorded_date {
                Some(d) if d > today => date_problems.push(Problem {
                    index: i + 1,
                    line: None,
                    id: Some(h.id.clone()),
                    field: "recorded_date".into(),
                    message: format!("{d} is in the future; give the day the hazard was recorded"),
                }),
                Some(_) => {}
                // On upsert the stored record keeps its recorded date (below); a new one is
                // recorded today.
                None if opts.upsert && stored.contains(&h.id) => {}
                None => h.recorded_date = Some(today),
            }
        }
    }
    if let (Some(orgs), Some(reg)) = (actor.scope(), &registry) {
        date_problems.extend(outside_scope(reg, actor, &orgs, &mut records).await?);
    }
    if !date_problems.is_empty() {
        return Err(refuse_problems(&db, file, &date_problems, &notes, opts.fix));
    }
    let mut changes = Changeset::new(format!(
        "import {kind}{} from {}",
        if opts.upsert { " (upsert)" } else { "" },
        file.display()
    ));
    changes.reason = opts.reason.clone();
    // An upsert corrects the registry: what it adds was not known before today.
    changes.inserts_in_force_now = opts.upsert;
    changes.review_state = crate::shared::review_state_for(actor);
    let (mut inserted, mut replaced) = (0, 0);
    for r in records {
        if opts.upsert && stored.contains(r.id()) {
            let r = match (r, &registry) {
                (AnyRecord::Hazard(mut h), Some(reg)) if h.recorded_date.is_none() => {
                    if let Some(s) = reg.store.record(RecordKind::Hazards, &h.id).await? {
                        if let AnyRecord::Hazard(old) = s.record {
                            h.recorded_date = old.recorded_date;
                        }
                    }
                    AnyRecord::Hazard(h)
                }
                (r, _) => r,
            };
            changes.replacements.push(Replacement {
                record: r,
                based_on: None,
            });
            replaced += 1;
        } else {
            push_insert(&mut changes, r);
            inserted += 1;
        }
    }
    let created = registry.is_none();
    finish_import(location, registry, &changes, actor, opts.dry_run).await?;
    Ok(Imported {
        ok: true,
        file: file.display().to_string(),
        kind: kind.as_str().to_string(),
        valid,
        written: if opts.dry_run { 0 } else { valid },
        inserted,
        replaced,
        dry_run: opts.dry_run,
        created: created && !opts.dry_run,
        notes,
        warnings: Vec::new(),
        db,
    })
}

/// Records an operator may not write: another organisation's (or none), or on another
/// organisation's hazard. A hazard without an organisation becomes the operator's.
async fn outside_scope(
    reg: &Registry,
    actor: &Actor,
    orgs: &[String],
    records: &mut [AnyRecord],
) -> AppResult<Vec<Problem>> {
    let mut hazard_ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.hazard_id().map(str::to_string))
        .collect();
    hazard_ids.sort();
    hazard_ids.dedup();
    let visible: HashSet<String> = reg
        .store
        .hazards(&demine_store::Query {
            ids: Some(hazard_ids),
            organisations: Some(orgs.to_vec()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|h| h.id)
        .collect();
    let new_hazards: HashSet<String> = records
        .iter()
        .filter_map(|r| match r {
            AnyRecord::Hazard(h) => Some(h.id.clone()),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    for (i, r) in records.iter_mut().enumerate() {
        let id = r.id().to_string();
        let mut problem = |field: &str, message: String| {
            problems.push(Problem {
                index: i + 1,
                line: None,
                id: Some(id.clone()),
                field: field.into(),
                message,
            })
        };
        match r {
            AnyRecord::Hazard(h) => match &h.organisation {
                None => h.organisation = actor.organisation.clone(),
                Some(o) if orgs.contains(o) => {}
                Some(o) => problem(
                    "organisation",
                    format!("'{o}' is not your organisation; you may only submit your own records"),
                ),
            },
            AnyRecord::Organisation(_) => problem("id", "organisations are added by the authority".into()),
            AnyRecord::Team(t) => match &t.organisation {
                Some(o) if orgs.contains(o) => {}
                _ => problem("organisation", "a team you submit must be of your organisation".into()),
            },
            other => {
                if let Some(h) = other.hazard_id() {
                    if !visible.contains(h) && !new_hazards.contains(h) {
                        problem(
                            "hazard_id",
                            format!("unknown hazard '{h}': import the hazard first, or correct the reference"),
                        );
                    }
                }
            }
        }
    }
    Ok(problems)
}

/// Adds a new record to the changeset's inserts.
pub(crate) fn push_insert(c: &mut Changeset, r: AnyRecord) {
    match r {
        AnyRecord::Hazard(x) => c.hazards.push(x),
        AnyRecord::Activity(x) => c.activities.push(x),
        AnyRecord::Find(x) => c.finds.push(x),
        AnyRecord::Accident(x) => c.accidents.push(x),
        AnyRecord::Organisation(x) => c.organisations.push(x),
        AnyRecord::Team(x) => c.teams.push(x),
        AnyRecord::Progress(x) => c.daily_progress.push(x),
        AnyRecord::Qa(x) => c.qa_inspections.push(x),
    }
}

async fn import_progress(
    registry: &Registry,
    actor: &Actor,
    file: &Path,
    reports: Vec<demine_core::DailyProgress>,
    notes: Vec<Problem>,
    opts: &ImportOptions,
) -> AppResult<Imported> {
    let db = registry.name();
    let n = reports.len();
    let caps = crate::field::ceilings(None).map_err(AppError::refused)?;
    let desc = format!("import progress from {}", file.display());
    let (changes, warnings) = progress_changeset(registry, reports, &caps, today(), desc)
        .await?
        .map_err(|errors| {
            AppError::Refused(Box::new(Refusal {
                problems: errors.iter().map(|e| format!("{}: {e}", file.display())).collect(),
                notes: Vec::new(),
                hint: Some(format!(
                    "{}: {} problem(s); nothing was written: the registry {db} is unchanged",
                    file.display(),
                    errors.len()
                )),
                detail: serde_json::json!({"ok": false, "file": file.display().to_string(), "problems": errors, "written": 0}),
            }))
        })?;
    registry.apply_unless(opts.dry_run, &changes, actor).await?;
    Ok(Imported {
        ok: true,
        file: file.display().to_string(),
        kind: "progress".into(),
        valid: n,
        written: if opts.dry_run { 0 } else { n },
        inserted: n,
        replaced: 0,
        dry_run: opts.dry_run,
        created: false,
        notes,
        warnings: warnings.iter().map(|w| format!("{}: {w}", file.display())).collect(),
        db,
    })
}

/// Imports a context layer (`import layer NAME FILE`): roads, settlements, land cover…
pub async fn import_layer(
    location: &Location,
    actor: &Actor,
    name: &str,
    file: &Path,
    opts: &ImportOptions,
) -> AppResult<Imported> {
    actor.require(Act::Write)?;
    demine_core::check_layer_name(name).map_err(AppError::refused)?;
    if !file.exists() {
        return Err(no_such_file(file));
    }
    let db = location.describe();
    let parsed = demine_io::parse_layer_file(name, file, opts.fix).map_err(|e| refuse_file(&db, file, &e))?;
    if !parsed.problems.is_empty() {
        return Err(refuse_problems(&db, file, &parsed.problems, &parsed.notes, opts.fix));
    }
    let registry = if location.exists() {
        Some(Registry::open(location).await?)
    } else {
        None
    };
    let existing = match &registry {
        Some(r) => r
            .store
            .context_layers()
            .await?
            .into_iter()
            .find(|(l, _)| l == name)
            .map_or(0, |(_, n)| n),
        None => 0,
    };
    if existing > 0 && !opts.replace {
        return Err(AppError::refused(format!(
            "layer '{name}' already has {existing} features in {db}; pass --replace to replace them, or choose another name"
        )));
    }
    let n = parsed.records.len();
    let changes = Changeset {
        replace_layers: if existing > 0 {
            vec![name.to_string()]
        } else {
            Vec::new()
        },
        context_features: parsed.records,
        ..Changeset::new(format!("import layer {name} from {}", file.display()))
    };
    let created = registry.is_none();
    finish_import(location, registry, &changes, actor, opts.dry_run).await?;
    Ok(Imported {
        ok: true,
        file: file.display().to_string(),
        kind: format!("layer {name}"),
        valid: n,
        written: if opts.dry_run { 0 } else { n },
        inserted: n,
        replaced: existing as usize,
        dry_run: opts.dry_run,
        created: created && !opts.dry_run,
        notes: parsed.notes,
        warnings: Vec::new(),
        db,
    })
}
