//! # demine-io
//!
//! Reading and writing registry records in the formats operators exchange: GeoJSON
//! (RFC 7946, WGS84) and CSV (a `wkt` column, or `lon`,`lat` for points).
//!
//! **Owns:** file formats, the import contract of DESIGN.md (which fields, which spellings),
//! problem reports that name the file, the record (index and id), the field and the defect.
//!
//! **Must never depend on:** the store, an async runtime, or the CLI. It turns files into
//! validated domain values and domain values into files; what is written to the registry, and
//! when, is the caller's business.
//!
//! ```
//! use demine_io::{parse_file, Known};
//! use demine_core::RecordKind;
//! use std::collections::HashSet;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("h.csv");
//! std::fs::write(&path, "id,class,wkt\nH1,XHA,\"POLYGON((30 50,30.01 50,30.01 50.01,30 50))\"\n").unwrap();
//! let none = HashSet::new();
//! let known = Known { existing_ids: &none, hazard_ids: &none, activity_ids: &none, organisation_ids: &none };
//! let parsed = parse_file(RecordKind::Hazards, &path, &known, false).unwrap();
//! let p = &parsed.problems()[0];
//! assert_eq!((p.index, p.field.as_str()), (1, "class"));
//! assert!(p.message.contains("allowed values: SHA, CHA"));
//! ```

pub mod atomic;
pub mod export;
pub mod field_export;
pub mod raw;
pub mod records;

pub use atomic::{write_atomically, write_with};
pub use records::{Known, Parsed};

use demine_core::{Accident, Activity, AnyRecord, DailyProgress, Find, Hazard, Organisation, RecordKind, Team};
use std::fmt;
use std::path::{Path, PathBuf};

/// A defect of the whole file: nothing in it can be trusted.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    // `cause`, not `source`: the message says it, and a chain of causes would say it twice.
    #[error("{path}: cannot read: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("{path}:{line}:{column}: {what}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        what: String,
    },
    /// A file-level defect of a format other than GeoJSON and CSV (a shapefile without its
    /// `.dbf`, a `.prj` no supported CRS matches, a truncated FlatGeobuf…), said with what to do.
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("{path}: cannot write: {cause}")]
    Write { path: PathBuf, cause: std::io::Error },
    #[error("{path}: unsupported export format; use a .geojson, .json or .csv file name")]
    UnsupportedExport { path: PathBuf },
    /// QA inspections are recorded one by one, checked against their lot's sampling plan.
    #[error("{path}: QA inspections cannot be imported from a file; record each with `demine qa record` (it checks the lot's sampling plan)")]
    UnsupportedImport { path: PathBuf },
}

/// A defect of one record (or a note about it): where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based record number (feature in a FeatureCollection, data row in a CSV).
    pub index: usize,
    /// Line in a CSV file.
    pub line: Option<u64>,
    pub id: Option<String>,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub(crate) fn record(
        index: usize,
        line: Option<u64>,
        properties: &demine_core::Attributes,
        field: &str,
        message: String,
    ) -> Problem {
        let id = properties
            .get("id")
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        Problem {
            index,
            line,
            id,
            field: field.to_string(),
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.index)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(id) = &self.id {
            write!(f, ", id '{id}'")?;
        }
        write!(f, ", field `{}`: {}", self.field, self.message)
    }
}

/// Records of any kind, parsed.
#[derive(Debug, Clone)]
pub enum ParsedFile {
    Hazards(Parsed<Hazard>),
    Activities(Parsed<Activity>),
    Finds(Parsed<Find>),
    Accidents(Parsed<Accident>),
    Organisations(Parsed<Organisation>),
    Teams(Parsed<Team>),
    Progress(Parsed<DailyProgress>),
}

macro_rules! each_parsed {
    ($self:expr, $p:ident => $e:expr) => {
        match $self {
            ParsedFile::Hazards($p) => $e,
            ParsedFile::Activities($p) => $e,
            ParsedFile::Finds($p) => $e,
            ParsedFile::Accidents($p) => $e,
            ParsedFile::Organisations($p) => $e,
            ParsedFile::Teams($p) => $e,
            ParsedFile::Progress($p) => $e,
        }
    };
}

impl ParsedFile {
    /// Every defect, in record order.
    pub fn problems(&self) -> Vec<&Problem> {
        let mut v: Vec<&Problem> = each_parsed!(self, p => p.problems.iter().collect());
        v.sort_by_key(|p| p.index);
        v
    }
    /// Repairs and tolerated oddities.
    pub fn notes(&self) -> &[Problem] {
        each_parsed!(self, p => &p.notes)
    }
    /// Number of valid records.
    pub fn len(&self) -> usize {
        each_parsed!(self, p => p.records.len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The valid records, of whatever kind.
    pub fn into_records(self) -> Vec<AnyRecord> {
        match self {
            ParsedFile::Hazards(p) => p.records.into_iter().map(AnyRecord::Hazard).collect(),
            ParsedFile::Activities(p) => p.records.into_iter().map(AnyRecord::Activity).collect(),
            ParsedFile::Finds(p) => p.records.into_iter().map(AnyRecord::Find).collect(),
            ParsedFile::Accidents(p) => p.records.into_iter().map(AnyRecord::Accident).collect(),
            ParsedFile::Organisations(p) => p.records.into_iter().map(AnyRecord::Organisation).collect(),
            ParsedFile::Teams(p) => p.records.into_iter().map(AnyRecord::Team).collect(),
            ParsedFile::Progress(p) => p.records.into_iter().map(AnyRecord::Progress).collect(),
        }
    }
}

/// Reads and validates a file of `kind` records. `Err` is a file-level defect; record defects
/// are in the result's [`ParsedFile::problems`].
pub fn parse_file(kind: RecordKind, path: &Path, known: &Known<'_>, fix: bool) -> Result<ParsedFile, FileError> {
    let geometry_required = !matches!(kind, RecordKind::Organisations | RecordKind::Teams);
    let (raw, syntax_problems) = raw::read_raw_with(path, geometry_required)?;
    parse_raw(kind, path, &raw, syntax_problems, known, fix)
}

/// As [`parse_file`], from bytes (a request body) named `label` in messages.
pub fn parse_bytes(
    kind: RecordKind,
    label: &Path,
    bytes: &[u8],
    known: &Known<'_>,
    fix: bool,
) -> Result<ParsedFile, FileError> {
    let geometry_required = !matches!(kind, RecordKind::Organisations | RecordKind::Teams);
    let (raw, syntax_problems) = raw::read_raw_bytes(label, bytes, geometry_required)?;
    parse_raw(kind, label, &raw, syntax_problems, known, fix)
}

/// Validates raw records of `kind` (from a file, or built from a stored record and an
/// amendment) exactly as an import does.
pub fn parse_raw(
    kind: RecordKind,
    path: &Path,
    raw: &[raw::RawRecord],
    syntax_problems: Vec<Problem>,
    known: &Known<'_>,
    fix: bool,
) -> Result<ParsedFile, FileError> {
    let mut parsed = match kind {
        RecordKind::Hazards => ParsedFile::Hazards(records::hazards(raw, known, fix)),
        RecordKind::Activities => ParsedFile::Activities(records::activities(raw, known, fix)),
        RecordKind::Finds => ParsedFile::Finds(records::finds(raw, known, fix)),
        RecordKind::Accidents => ParsedFile::Accidents(records::accidents(raw, known, fix)),
        RecordKind::Organisations => ParsedFile::Organisations(records::organisations(raw, known)),
        RecordKind::Teams => ParsedFile::Teams(records::teams(raw, known)),
        RecordKind::Progress => ParsedFile::Progress(records::progress(raw, known, fix)),
        RecordKind::Qa => return Err(FileError::UnsupportedImport { path: path.to_owned() }),
    };
    let problems = each_parsed!(&mut parsed, p => &mut p.problems);
    merge_syntax_problems(problems, syntax_problems);
    Ok(parsed)
}

/// The ids of a file read in chunks, each with the record that first had it: a record whose id
/// an earlier chunk already had is a duplicate, as it would be in one piece.
#[derive(Debug, Default)]
pub struct SeenIds(std::collections::HashMap<String, usize>);

/// As [`parse_raw`], for one chunk of a file read in chunks: ids are unique across every chunk
/// given the same `seen`.
pub fn parse_raw_chunk(
    kind: RecordKind,
    path: &Path,
    raw: &[raw::RawRecord],
    syntax_problems: Vec<Problem>,
    known: &Known<'_>,
    fix: bool,
    seen: &mut SeenIds,
) -> Result<ParsedFile, FileError> {
    let mut parsed = parse_raw(kind, path, raw, syntax_problems, known, fix)?;
    let mut repeated = Vec::new();
    // Records are numbered through the file: an id first seen before this chunk's first record
    // is a duplicate found here (one within the chunk is reported by `parse_raw`).
    let chunk_start = raw.first().map_or(0, |r| r.index);
    for r in raw {
        let Some(id) = records::raw_id(r) else { continue };
        match seen.0.get(&id) {
            Some(&first) if first < chunk_start => repeated.push(Problem {
                index: r.index,
                line: r.line,
                id: Some(id.clone()),
                field: "id".into(),
                message: format!("duplicate id '{id}': record {first} of this file has it too; ids must be unique"),
            }),
            Some(_) => {}
            None => {
                seen.0.insert(id, r.index);
            }
        }
    }
    if !repeated.is_empty() {
        let problems = each_parsed!(&mut parsed, p => &mut p.problems);
        problems.extend(repeated);
        problems.sort_by_key(|p| p.index);
    }
    Ok(parsed)
}

/// Geometry syntax problems were found while reading; the record was kept without geometry and
/// the "missing geometry" that followed from it is dropped in favour of the real cause.
fn merge_syntax_problems(problems: &mut Vec<Problem>, syntax: Vec<Problem>) {
    if syntax.is_empty() {
        return;
    }
    let bad: std::collections::HashSet<usize> = syntax.iter().map(|p| p.index).collect();
    problems.retain(|p| !(bad.contains(&p.index) && p.field == "geometry"));
    problems.extend(syntax);
    problems.sort_by_key(|p| p.index);
}

/// Reads and validates a file of context-layer features (`demine import layer NAME FILE`).
pub fn parse_layer_file(layer: &str, path: &Path, fix: bool) -> Result<Parsed<demine_core::ContextFeature>, FileError> {
    let (raw, syntax_problems) = raw::read_raw(path)?;
    let mut parsed = records::layer_features(layer, &raw, fix);
    merge_syntax_problems(&mut parsed.problems, syntax_problems);
    Ok(parsed)
}
