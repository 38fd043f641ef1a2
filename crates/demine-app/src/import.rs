//! Imports: files in the import contract's formats, validated at entry, all or nothing; a dry
//! run writes nothing; `upsert` replaces stored records by id (re-surveyed hazards), in one
//! transaction.

use crate::actor::Act;
use crate::field::progress_changeset;
use crate::registry::{finish_import, Destination};
use crate::util::today;
use crate::{Actor, AppError, AppResult, Refusal, Registry};
use demine_core::{AnyRecord, RecordKind};
use demine_io::{parse_bytes, Known, ParsedFile, Problem};
use demine_store::{Changeset, Replacement, Repository};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The formats an import reads (for callers that name one, as the server does by media type).
pub use demine_formats::Format;

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

/// How to read a file of another format or coordinate system (`demine import … --format F
/// --layer NAME --encoding E --crs EPSG:N --profile P --strict`). The default reads GeoJSON and
/// CSV as before, and every other format `demine-formats` knows from its extension.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SourceOptions {
    /// The format (`shp`, `kml`, `kmz`, `gpx`, `fgb`, `gpkg`, `geojson`, `csv`); else from the
    /// extension, else from the first bytes.
    pub format: Option<String>,
    /// A GeoPackage table, a KML Folder, a shapefile in a zip, a GPX part.
    pub layer: Option<String>,
    /// A shapefile's `.dbf` encoding, overriding `.cpg` and LDID.
    pub encoding: Option<String>,
    /// The source CRS (`EPSG:NNNN`), overriding what the file declares.
    pub crs: Option<String>,
    /// A field-mapping profile: a shipped name or a TOML file.
    pub profile: Option<String>,
    /// Plausibility warnings refuse the import.
    pub strict: bool,
    /// Records a streamed import reads, checks and writes at a time (default
    /// [`crate::import_stream::CHUNK_ROWS`]).
    pub chunk_rows: Option<usize>,
}

/// The input of an import: bytes in the import contract's formats, or records already read.
enum Input<'a> {
    Bytes(&'a [u8]),
    Raw(Vec<demine_io::raw::RawRecord>, Vec<Problem>),
}

/// How `src` says to read a file (format, layer, encoding, CRS) and its field-mapping profile.
/// The profile is loaded before the file is read: its defects are the user's first fix.
pub(crate) fn reading(
    src: &SourceOptions,
    geometry_required: bool,
) -> Result<(demine_formats::ReadOptions, Option<demine_formats::profile::Profile>), String> {
    use demine_formats::{crs::Crs, Format};
    let opts = demine_formats::ReadOptions {
        format: src.format.as_deref().map(Format::from_name).transpose()?,
        layer: src.layer.clone(),
        encoding: src.encoding.clone(),
        crs: src
            .crs
            .as_deref()
            .map(Crs::parse)
            .transpose()
            .map_err(|e| format!("--crs: {e}"))?,
        geometry_required,
    };
    let profile = src
        .profile
        .as_deref()
        .map(|p| demine_formats::profile::Profile::load(p).map_err(|e| format!("--profile {p}: {e}")))
        .transpose()?;
    Ok((opts, profile))
}

/// Reads `file` with `src` into raw records in WGS84 (any format `demine-formats` knows; a
/// GeoPackage through the store's read-only SQLite reader), mapped by the profile if any.
pub(crate) async fn read_source(
    file: &Path,
    src: &SourceOptions,
    geometry_required: bool,
) -> Result<(Vec<demine_io::raw::RawRecord>, Vec<Problem>), demine_io::FileError> {
    use demine_formats::Format;
    let bad = |what: String| demine_io::FileError::Invalid {
        path: file.to_owned(),
        what,
    };
    let (opts, profile) = reading(src, geometry_required).map_err(bad)?;
    let format = opts.format;
    let mut head = Vec::new();
    {
        use std::io::Read as _;
        let f = std::fs::File::open(file).map_err(|e| demine_io::FileError::Io {
            path: file.to_owned(),
            cause: e,
        })?;
        f.take(512)
            .read_to_end(&mut head)
            .map_err(|e| demine_io::FileError::Io {
                path: file.to_owned(),
                cause: e,
            })?;
    }
    let read = if demine_formats::detect(file, &head, format) == Format::GeoPackage {
        let layer = demine_store::foreign::read_geopackage_layer(file, src.layer.as_deref())
            .await
            .map_err(bad)?;
        let srs = demine_formats::gpkg::SpatialRef {
            srs_id: layer.srs_id,
            organization: layer.organization,
            organization_coordsys_id: layer.organization_coordsys_id,
            definition: layer.definition,
        };
        demine_formats::gpkg::records_from_rows(file, layer.rows, &srs, &opts)?
    } else {
        demine_formats::read(file, &opts)?
    };
    let (mut records, mut problems) = (read.records, read.problems);
    if let Some(profile) = &profile {
        problems.extend(profile.apply(&mut records));
        problems.sort_by_key(|p| p.index);
    }
    Ok((records, problems))
}

/// A valid profile, summarised (`demine profile check`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileSummary {
    pub ok: bool,
    pub name: String,
    pub kind: String,
    pub fields: usize,
    pub code_lists: Vec<String>,
}

/// Checks a profile (a TOML file or a shipped name); a refusal lists every defect with its line.
pub fn check_profile(name_or_file: &str) -> AppResult<ProfileSummary> {
    let p = demine_formats::profile::Profile::load(name_or_file)
        .map_err(|e| AppError::refused(format!("profile {name_or_file}: {e}")))?;
    Ok(ProfileSummary {
        ok: true,
        name: p.name.clone(),
        kind: p.kind.clone(),
        fields: p.mapped_fields(),
        code_lists: p.code_lists(),
    })
}

/// The shipped profiles: (name, kind).
pub fn shipped_profiles() -> Vec<(String, String)> {
    demine_formats::profile::SHIPPED
        .iter()
        .filter_map(|(n, src)| {
            demine_formats::profile::Profile::parse(n, src)
                .ok()
                .map(|p| (n.to_string(), p.kind))
        })
        .collect()
}

/// Imports a file in any supported format and coordinate system (see [`SourceOptions`]).
pub async fn import_file<'a>(
    into: impl Into<Destination<'a>>,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    opts: &ImportOptions,
    src: &SourceOptions,
) -> AppResult<Imported> {
    let destination = into.into();
    if !file.exists() {
        return Err(no_such_file(file));
    }
    if kind == RecordKind::Qa {
        // Said before the file is read: no file of inspections is taken, whatever it holds.
        let e = demine_io::FileError::UnsupportedImport { path: file.to_owned() };
        return Err(refuse_file(&destination.name(), file, &e));
    }
    if crate::import_stream::streams(kind, file, src, opts, actor) {
        actor.require(Act::Write)?;
        if let Some(registry) = destination.registry().await? {
            return crate::import_stream::import_streamed(destination, registry, actor, kind, file, opts, src).await;
        }
    }
    let db = destination.name();
    let geometry_required = !matches!(kind, RecordKind::Organisations | RecordKind::Teams);
    let (raw, problems) = read_source(file, src, geometry_required)
        .await
        .map_err(|e| refuse_file(&db, file, &e))?;
    import_with(
        destination,
        actor,
        kind,
        file,
        Input::Raw(raw, problems),
        opts,
        src.strict,
    )
    .await
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

/// The refusal of a file whose records drew plausibility warnings, with `--strict`.
pub(crate) fn refuse_strict(db: &str, file: &Path, warnings: &[Problem], notes: &[Problem]) -> AppError {
    AppError::Refused(Box::new(Refusal {
        problems: warnings.iter().map(|p| format!("{}: {p}", file.display())).collect(),
        notes: notes.iter().map(|n| format!("{}: {n}", file.display())).collect(),
        hint: Some(format!(
            "{}: --strict: {} plausibility warning(s); nothing was written: the registry {db} is unchanged. Check the records, or import without --strict to accept them",
            file.display(),
            warnings.len()
        )),
        detail: serde_json::json!({"ok": false, "file": file.display().to_string(), "problems": warnings, "written": 0}),
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

/// Imports a file of `kind` records into the open registry, or the registry at a location
/// (created, atomically, by the first import): see [`Destination`].
pub async fn import_records<'a>(
    into: impl Into<Destination<'a>>,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    opts: &ImportOptions,
) -> AppResult<Imported> {
    let destination = into.into();
    if !file.exists() {
        return Err(no_such_file(file));
    }
    let bytes = std::fs::read(file).map_err(|e| {
        refuse_file(
            &destination.name(),
            file,
            &demine_io::FileError::Io {
                path: file.to_owned(),
                cause: e,
            },
        )
    })?;
    import_bytes(destination, actor, kind, file, &bytes, opts).await
}

/// As [`import_records`], from bytes (a request body) named `file` in messages; its extension
/// (`.geojson`, `.csv`), else the first byte, gives the format.
pub async fn import_bytes<'a>(
    into: impl Into<Destination<'a>>,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    bytes: &[u8],
    opts: &ImportOptions,
) -> AppResult<Imported> {
    import_with(into.into(), actor, kind, file, Input::Bytes(bytes), opts, false).await
}

/// As [`import_file`], from the bytes of an upload (a request body) in `format`, named
/// `request body.EXT` in messages and in the result. GeoJSON and CSV are read from the bytes;
/// the other formats' readers take a file (a Shapefile's zip, a GeoPackage's SQLite), so the
/// bytes are written to a private temporary directory for the import and removed after it.
pub async fn import_upload(
    registry: &Registry,
    actor: &Actor,
    kind: RecordKind,
    format: Format,
    bytes: &[u8],
    opts: &ImportOptions,
    src: &SourceOptions,
) -> AppResult<Imported> {
    let label = PathBuf::from(format!("request body.{}", format.extension()));
    if matches!(format, Format::GeoJson | Format::Csv) && src.profile.is_none() && src.crs.is_none() {
        return import_bytes(registry, actor, kind, &label, bytes, opts).await;
    }
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let path = dir.path().join(&label);
    std::fs::write(&path, bytes).map_err(|e| AppError::Internal(e.into()))?;
    let src = SourceOptions {
        format: Some(format.extension().to_string()),
        ..src.clone()
    };
    // The temporary directory is not the user's business: messages name the upload alone.
    let prefix = format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR);
    match import_file(registry, actor, kind, &path, opts, &src).await {
        Ok(mut done) => {
            done.file = done.file.replace(&prefix, "");
            Ok(done)
        }
        Err(e) => Err(e.map_text(&|s| s.replace(&prefix, ""))),
    }
}

async fn import_with(
    destination: Destination<'_>,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    input: Input<'_>,
    opts: &ImportOptions,
    strict: bool,
) -> AppResult<Imported> {
    let _ = strict;
    actor.require(if kind == RecordKind::Progress {
        Act::Progress
    } else {
        Act::Write
    })?;
    let db = destination.name();
    let registry = destination.registry().await?;
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
    let parsed = match input {
        Input::Bytes(bytes) => parse_bytes(kind, file, bytes, &known, opts.fix),
        Input::Raw(raw, syntax) => demine_io::parse_raw(kind, file, &raw, syntax, &known, opts.fix),
    }
    .map_err(|e| refuse_file(&db, file, &e))?;
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
    let plausibility = plausibility(registry.as_ref(), &records).await?;
    if strict && !plausibility.is_empty() {
        return Err(refuse_strict(&db, file, &plausibility, &notes));
    }
    let mut warnings: Vec<String> = plausibility
        .iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    if valid == 0 {
        // Not refused (a scheduled export may be empty), but seldom what was meant.
        warnings.push(format!(
            "{}: the file holds no records: nothing was imported; check that it is the right file (or layer: --source-layer)",
            file.display()
        ));
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
            changes.push_insert(r);
            inserted += 1;
        }
    }
    let created = registry.is_none();
    finish_import(destination, registry, &changes, actor, opts.dry_run).await?;
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
        warnings,
        db,
    })
}

/// Beyond this many degrees (~150–220 km) from every stored hazard a record is "far from the rest".
const FAR_DEGREES: i32 = 2;

/// What `demine check` would flag on the new records, as warnings naming record and field:
/// shape defects (spikes, edges over 5 km, invalid polygons), activities reaching outside their
/// hazard (with the share outside), finds outside every hazard, and records lying far from
/// every hazard already in the registry.
async fn plausibility(registry: Option<&Registry>, records: &[AnyRecord]) -> AppResult<Vec<Problem>> {
    if !records.iter().any(|r| {
        matches!(
            r,
            AnyRecord::Hazard(_) | AnyRecord::Activity(_) | AnyRecord::Find(_) | AnyRecord::Accident(_)
        )
    }) {
        return Ok(Vec::new());
    }
    let stored: Vec<demine_core::Hazard> = match registry {
        Some(r) => r.store.hazards(&demine_store::Query::all()).await?,
        None => Vec::new(),
    };
    Ok(plausibility_against(&stored, records, 1))
}

/// [`plausibility`] against the registry's `stored` hazards.
/// The records are numbered from `first_index` (the file's numbering: a chunk of a streamed
/// file starts where the one before ended).
pub(crate) fn plausibility_against(
    stored: &[demine_core::Hazard],
    records: &[AnyRecord],
    first_index: usize,
) -> Vec<Problem> {
    use demine_core::{Activity, Find, Hazard};
    let index: std::collections::HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id(), first_index + i))
        .collect();
    let new_hazards: Vec<Hazard> = records
        .iter()
        .filter_map(|r| match r {
            AnyRecord::Hazard(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    let activities: Vec<Activity> = records
        .iter()
        .filter_map(|r| match r {
            AnyRecord::Activity(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    let finds: Vec<&Find> = records
        .iter()
        .filter_map(|r| match r {
            AnyRecord::Find(f) => Some(f),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut push = |id: &str, field: &str, message: String| {
        out.push(Problem {
            index: index.get(id).copied().unwrap_or(0),
            line: None,
            id: Some(id.to_string()),
            field: field.into(),
            message: format!("warning: {message}"),
        })
    };
    // Far from the rest: no stored hazard in the surrounding cells of a 1° grid.
    if stored.len() >= 3 {
        use geo::BoundingRect;
        let cell = |x: f64, y: f64| (x.floor() as i32, y.floor() as i32);
        let occupied: HashSet<(i32, i32)> = stored
            .iter()
            .filter_map(|h| h.geometry.bounding_rect())
            .map(|b| cell(b.center().x, b.center().y))
            .collect();
        for r in records {
            let g = match r {
                AnyRecord::Hazard(x) => demine_core::Record::geometry(x),
                AnyRecord::Activity(x) => demine_core::Record::geometry(x),
                AnyRecord::Find(x) => demine_core::Record::geometry(x),
                AnyRecord::Accident(x) => demine_core::Record::geometry(x),
                _ => continue,
            };
            let Some(b) = g.bounding_rect() else { continue };
            let (cx, cy) = cell(b.center().x, b.center().y);
            let near = (-FAR_DEGREES..=FAR_DEGREES)
                .any(|dx| (-FAR_DEGREES..=FAR_DEGREES).any(|dy| occupied.contains(&(cx + dx, cy + dy))));
            if !near {
                push(
                    r.id(),
                    "geometry",
                    format!(
                        "lies at ({:.4}, {:.4}), more than ~{} km from every hazard in the registry: a typo in a coordinate, or another CRS?",
                        b.center().x,
                        b.center().y,
                        FAR_DEGREES * 75
                    ),
                );
            }
        }
    }
    let new_ids: HashSet<&str> = records.iter().map(|r| r.id()).collect();
    let issues = if new_hazards.is_empty() && activities.is_empty() {
        // Finds alone: checked against the stored hazards, which are not checked again.
        demine_core::quality::finds_outside_hazards(stored, &finds)
    } else {
        // The hazards the checks need: the new ones, and for activities and finds the stored ones.
        let mut hazards = new_hazards.clone();
        if !activities.is_empty() || !finds.is_empty() {
            let new_ids: HashSet<&str> = new_hazards.iter().map(|h| h.id.as_str()).collect();
            hazards.extend(stored.iter().filter(|h| !new_ids.contains(h.id.as_str())).cloned());
        }
        let finds: Vec<Find> = finds.iter().map(|f| (*f).clone()).collect();
        demine_core::quality::check_registry(&hazards, &activities, &finds)
    };
    for i in issues {
        let ours = match i.layer {
            "hazards" => !new_hazards.is_empty() && new_ids.contains(i.id.as_str()),
            "activities" => !activities.is_empty() && new_ids.contains(i.id.as_str()),
            "finds" => !finds.is_empty() && new_ids.contains(i.id.as_str()),
            _ => false,
        };
        if ours {
            push(&i.id, "geometry", format!("{} ({})", i.message, i.check));
        }
    }
    out.sort_by_key(|p| p.index);
    out
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
pub async fn import_layer<'a>(
    into: impl Into<Destination<'a>>,
    actor: &Actor,
    name: &str,
    file: &Path,
    opts: &ImportOptions,
) -> AppResult<Imported> {
    import_layer_file(into, actor, name, file, opts, None).await
}

/// As [`import_layer`], from any supported format and coordinate system.
pub async fn import_layer_file<'a>(
    into: impl Into<Destination<'a>>,
    actor: &Actor,
    name: &str,
    file: &Path,
    opts: &ImportOptions,
    src: Option<&SourceOptions>,
) -> AppResult<Imported> {
    actor.require(Act::Write)?;
    demine_core::check_layer_name(name).map_err(AppError::refused)?;
    let destination = into.into();
    if !file.exists() {
        return Err(no_such_file(file));
    }
    let db = destination.name();
    let parsed = match src {
        None => demine_io::parse_layer_file(name, file, opts.fix).map_err(|e| refuse_file(&db, file, &e))?,
        Some(src) => {
            let (raw, syntax) = read_source(file, src, true)
                .await
                .map_err(|e| refuse_file(&db, file, &e))?;
            let mut parsed = demine_io::records::layer_features(name, &raw, opts.fix);
            let bad: HashSet<usize> = syntax.iter().map(|p| p.index).collect();
            parsed
                .problems
                .retain(|p| !(bad.contains(&p.index) && p.field == "geometry"));
            parsed.problems.extend(syntax);
            parsed.problems.sort_by_key(|p| p.index);
            parsed
        }
    };
    if !parsed.problems.is_empty() {
        return Err(refuse_problems(&db, file, &parsed.problems, &parsed.notes, opts.fix));
    }
    let registry = destination.registry().await?;
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
    finish_import(destination, registry, &changes, actor, opts.dry_run).await?;
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
