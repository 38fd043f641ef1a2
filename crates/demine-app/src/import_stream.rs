//! Streamed imports: a big file of finds or accidents (a Shapefile, a GeoPackage layer) is read,
//! validated and written chunk by chunk, so that a million records never sit in memory at once
//! and reading overlaps writing. One thread reads and validates; the store writes each valid
//! chunk inside one open transaction as it arrives, and commits only after the last record
//! proved valid. Every check of an import in one piece holds across chunks (ids unique in the
//! whole file, plausibility against the registry's hazards); a defect anywhere rolls the whole
//! import back, and the refusal lists every defect of the file, as in one piece.

use crate::import::{
    plausibility_against, refuse_file, refuse_problems, refuse_strict, ImportOptions, Imported, SourceOptions,
};
use crate::registry::{Destination, Registry};
use crate::{Actor, AppError, AppResult};
use demine_core::{Hazard, RecordKind};
use demine_formats::{Format, ReadOptions};
use demine_io::raw::RawRecord;
use demine_io::{FileError, Known, Problem, SeenIds};
use demine_store::{Changeset, InsertStream, Repository, StreamChunk};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Records in one chunk: big enough that a chunk's SQL is a few hundred statements, small
/// enough that two chunks in flight are a few tens of MB.
pub const CHUNK_ROWS: usize = 20_000;

/// Whether an import of `kind` from `file` is streamed: finds and accidents (the kinds that
/// come by the million, and whose checks are each record's own) from a Shapefile or a
/// GeoPackage, added (not upserted) to an existing registry by an actor without an
/// organisation scope. Every other import is read whole, as before.
pub(crate) fn streams(kind: RecordKind, file: &Path, src: &SourceOptions, opts: &ImportOptions, actor: &Actor) -> bool {
    if !matches!(kind, RecordKind::Finds | RecordKind::Accidents) || opts.upsert || actor.scope().is_some() {
        return false;
    }
    let format = match src.format.as_deref().map(Format::from_name) {
        Some(Ok(f)) => Some(f),
        Some(Err(_)) => return false,
        None => None,
    };
    matches!(sniffed_format(file, format), Ok(Format::Shapefile | Format::GeoPackage))
}

/// The format of `file`: `format` if given, else from its first bytes and extension.
fn sniffed_format(file: &Path, format: Option<Format>) -> std::io::Result<Format> {
    let mut head = [0u8; 16];
    let n = std::fs::File::open(file).and_then(|mut f| std::io::Read::read(&mut f, &mut head))?;
    Ok(demine_formats::detect(file, &head[..n], format))
}

/// What the reading thread found.
struct Outcome {
    problems: Vec<Problem>,
    notes: Vec<Problem>,
    warnings: Vec<Problem>,
    valid: usize,
    /// The file could not be read (at whatever record).
    file_error: Option<FileError>,
}

/// Imports `file` streamed (see the module docs) into `registry`.
pub(crate) async fn import_streamed(
    destination: Destination<'_>,
    registry: Registry,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    opts: &ImportOptions,
    src: &SourceOptions,
) -> AppResult<Imported> {
    let db = destination.name();
    let result = import_into(&registry, &db, actor, kind, file, opts, src).await;
    if let Destination::At(_) = destination {
        registry.close().await?;
    }
    result
}

async fn import_into(
    registry: &Registry,
    db: &str,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    opts: &ImportOptions,
    src: &SourceOptions,
) -> AppResult<Imported> {
    let store = &registry.store;
    let existing = store.ids(kind).await?;
    let hazard_ids = store.ids(RecordKind::Hazards).await?;
    let activity_ids = store.ids(RecordKind::Activities).await?;
    let stored_hazards = store.hazards(&demine_store::Query::all()).await?;
    let bad = |what: String| FileError::Invalid {
        path: file.to_owned(),
        what,
    };
    let (read_options, profile) = crate::import::reading(src, true).map_err(|e| refuse_file(db, file, &bad(e)))?;
    let source = Source::open(file, src, &read_options)
        .await
        .map_err(|e| refuse_file(db, file, &e))?;
    let expected_rows = source.expected_rows();

    let (sender, chunks) = tokio::sync::mpsc::channel(2);
    let runtime = tokio::runtime::Handle::current();
    let (fix, dry_run, strict) = (opts.fix, opts.dry_run, src.strict);
    let chunk_rows = src.chunk_rows.unwrap_or(CHUNK_ROWS).max(1);
    let path = file.to_owned();
    let reading = tokio::task::spawn_blocking(move || {
        let known = Known {
            existing_ids: &existing,
            hazard_ids: &hazard_ids,
            activity_ids: &activity_ids,
            organisation_ids: &HashSet::new(),
        };
        let mut checker = Checker {
            kind,
            path: &path,
            known,
            fix,
            seen: SeenIds::default(),
            stored_hazards: &stored_hazards,
            outcome: Outcome {
                problems: Vec::new(),
                notes: Vec::new(),
                warnings: Vec::new(),
                valid: 0,
                file_error: None,
            },
        };
        let write = !dry_run;
        let mut sink = |mut raw: Vec<RawRecord>, syntax: Vec<Problem>| -> ControlFlow<()> {
            let mut syntax = syntax;
            if let Some(p) = &profile {
                syntax.extend(p.apply(&mut raw));
                syntax.sort_by_key(|p| p.index);
            }
            let Some(records) = checker.check(raw, syntax) else {
                return ControlFlow::Continue(());
            };
            let refused = !checker.outcome.problems.is_empty() || (strict && !checker.outcome.warnings.is_empty());
            if write && !refused && sender.blocking_send(StreamChunk::Records(records)).is_err() {
                // The store stopped (its error is reported): reading on is pointless.
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        };
        if let Err(e) = source.read(&runtime, &read_options, chunk_rows, &mut sink) {
            checker.outcome.file_error = Some(e);
        }
        let o = checker.outcome;
        let refused = o.file_error.is_some() || !o.problems.is_empty() || (strict && !o.warnings.is_empty());
        if write && !refused {
            let _ = sender.blocking_send(StreamChunk::Commit);
        }
        o
    });

    let mut head = Changeset::new(format!("import {kind} from {}", file.display()));
    head.reason = opts.reason.clone();
    head.review_state = crate::shared::review_state_for(actor);
    let mut stream = InsertStream { chunks, expected_rows };
    let written = if dry_run {
        drop(stream);
        None
    } else {
        let w = store.apply_streamed(&head, &actor.author(), &mut stream).await;
        // Closes the channel: a reader still sending learns the store has stopped.
        drop(stream);
        Some(w)
    };
    let o = reading
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{}: the import's reader failed: {e}", file.display())))?;
    if let Some(e) = &o.file_error {
        return Err(refuse_file(db, file, e));
    }
    if !o.problems.is_empty() {
        return Err(refuse_problems(db, file, &o.problems, &o.notes, opts.fix));
    }
    if strict && !o.warnings.is_empty() {
        return Err(refuse_strict(db, file, &o.warnings, &o.notes));
    }
    if let Some(w) = written {
        w?;
    }
    Ok(Imported {
        ok: true,
        file: file.display().to_string(),
        kind: kind.as_str().to_string(),
        valid: o.valid,
        written: if dry_run { 0 } else { o.valid },
        inserted: if dry_run { 0 } else { o.valid },
        replaced: 0,
        dry_run,
        created: false,
        notes: o.notes,
        warnings: o.warnings.iter().map(|p| format!("{}: {p}", file.display())).collect(),
        db: db.to_string(),
    })
}

/// Validates chunk after chunk, keeping what a file in one piece would be checked for.
struct Checker<'a> {
    kind: RecordKind,
    path: &'a Path,
    known: Known<'a>,
    fix: bool,
    seen: SeenIds,
    stored_hazards: &'a [Hazard],
    outcome: Outcome,
}

impl Checker<'_> {
    /// The valid records of a chunk while the file has no defect so far; `None` once it has
    /// one (the rest is still checked, so that the refusal lists every defect).
    fn check(&mut self, raw: Vec<RawRecord>, syntax: Vec<Problem>) -> Option<Vec<demine_core::AnyRecord>> {
        let parsed = match demine_io::parse_raw_chunk(
            self.kind,
            self.path,
            &raw,
            syntax,
            &self.known,
            self.fix,
            &mut self.seen,
        ) {
            Ok(p) => p,
            Err(e) => {
                self.outcome.file_error.get_or_insert(e);
                return None;
            }
        };
        drop(raw);
        self.outcome.problems.extend(parsed.problems().into_iter().cloned());
        self.outcome.notes.extend(parsed.notes().iter().cloned());
        if !self.outcome.problems.is_empty() {
            return None;
        }
        let records = parsed.into_records();
        // Every record so far was valid: this chunk's first is the next of the file.
        let first_index = self.outcome.valid + 1;
        self.outcome.valid += records.len();
        self.outcome
            .warnings
            .extend(plausibility_against(self.stored_hazards, &records, first_index));
        Some(records)
    }
}

/// Where the records come from.
enum Source {
    /// A file `demine-formats` reads as it goes (a Shapefile).
    File(PathBuf, Option<usize>),
    /// A GeoPackage layer, read through the store's SQLite reader.
    GeoPackage(Box<demine_store::foreign::ForeignLayerReader>, PathBuf),
}

impl Source {
    async fn open(file: &Path, src: &SourceOptions, opts: &ReadOptions) -> Result<Source, FileError> {
        let format = sniffed_format(file, opts.format).map_err(|e| FileError::Io {
            path: file.to_owned(),
            cause: e,
        })?;
        if format == Format::GeoPackage {
            let reader = demine_store::foreign::open_geopackage_layer(file, src.layer.as_deref())
                .await
                .map_err(|what| FileError::Invalid {
                    path: file.to_owned(),
                    what,
                })?;
            Ok(Source::GeoPackage(Box::new(reader), file.to_owned()))
        } else {
            Ok(Source::File(file.to_owned(), demine_formats::shp::record_count(file)))
        }
    }

    fn expected_rows(&self) -> usize {
        match self {
            Source::File(_, n) => n.unwrap_or(0),
            Source::GeoPackage(r, _) => r.total_rows,
        }
    }

    /// Reads every record into `sink`, chunk by chunk (on a blocking thread: the GeoPackage
    /// reader's queries are run on `runtime`).
    fn read(
        self,
        runtime: &tokio::runtime::Handle,
        opts: &ReadOptions,
        chunk_rows: usize,
        sink: &mut dyn FnMut(Vec<RawRecord>, Vec<Problem>) -> ControlFlow<()>,
    ) -> Result<(), FileError> {
        match self {
            Source::File(path, _) => demine_formats::read_chunked(&path, opts, chunk_rows, sink).map(|_| ()),
            Source::GeoPackage(mut reader, path) => {
                let srs = demine_formats::gpkg::SpatialRef {
                    srs_id: reader.layer.srs_id,
                    organization: reader.layer.organization.clone(),
                    organization_coordsys_id: reader.layer.organization_coordsys_id,
                    definition: reader.layer.definition.clone(),
                };
                let mut before = 0;
                loop {
                    let rows = runtime
                        .block_on(reader.next_rows(chunk_rows))
                        .map_err(|what| FileError::Invalid {
                            path: path.clone(),
                            what,
                        })?;
                    if rows.is_empty() {
                        return Ok(());
                    }
                    let n = rows.len();
                    let read = demine_formats::gpkg::records_from_rows_after(&path, rows, before, &srs, opts)?;
                    before += n;
                    if sink(read.records, read.problems).is_break() {
                        return Ok(());
                    }
                }
            }
        }
    }
}
