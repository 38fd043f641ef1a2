//! The values the repository takes and returns.

use crate::Computed;
use chrono::NaiveDate;
use demine_core::{
    Accident, Activity, AnyRecord, ContextFeature, DailyProgress, Find, Hazard, HazardRisk, Organisation, QaInspection,
    RecordKind, RiskCell, Team,
};

/// A box in longitude/latitude degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// Whether two boxes share any point.
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_lon <= o.max_lon && o.min_lon <= self.max_lon && self.min_lat <= o.max_lat && o.min_lat <= self.max_lat
    }
}

/// Which records a read wants. The default is every current record.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only these ids.
    pub ids: Option<Vec<String>>,
    /// Only records of these hazards (for hazards: the hazards themselves).
    pub hazard_ids: Option<Vec<String>>,
    /// Only records of these organisations; `None` is every organisation. A record's
    /// organisation is its own (hazards, activities, teams), else its hazard's.
    pub organisations: Option<Vec<String>>,
    /// Only records whose geometry's box meets this one (records without geometry: none).
    pub bbox: Option<Bbox>,
    /// The registry as it stood at the end of this day: versions in force then, records whose
    /// own date (hazards: recorded date; activities: end date; finds, accidents, progress, QA:
    /// date) is on or before it, retired ones included if retired later.
    pub as_of: Option<NaiveDate>,
    /// Only records whose own date is on or after this day.
    pub from: Option<NaiveDate>,
    /// Only records whose own date is on or before this day.
    pub to: Option<NaiveDate>,
    /// Paging: only records stored after this position ([`Stored::fid`]); not with `as_of`.
    pub after: Option<i64>,
    /// Paging: at most this many records.
    pub limit: Option<u64>,
    /// Only records the authority approved (leaves out operators' submissions awaiting review,
    /// and rejected ones).
    pub approved_only: bool,
    /// Only records in this review state (`submitted`, `approved`, `rejected`).
    pub review: Option<String>,
}

impl Query {
    /// Every current record.
    pub fn all() -> Query {
        Query::default()
    }
    /// The registry as of the end of day `d` (every record when `None`).
    pub fn as_of(d: Option<NaiveDate>) -> Query {
        Query {
            as_of: d,
            ..Query::default()
        }
    }
    /// Records of one hazard.
    pub fn hazard(id: &str) -> Query {
        Query {
            hazard_ids: Some(vec![id.to_string()]),
            ..Query::default()
        }
    }
    /// Only these organisations (`None`: all).
    pub fn in_organisations(mut self, orgs: Option<Vec<String>>) -> Query {
        self.organisations = orgs;
        self
    }
}

/// A record as stored: where (position for paging), which version, since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// Position in its table (GeoPackage `fid`): stable, increasing, the paging cursor.
    pub fid: i64,
    pub version: u64,
    /// When this version was written (RFC 3339, UTC); `None` for records older than versions.
    pub valid_from: Option<String>,
    /// `approved`, `submitted` (an operator's, awaiting the authority) or `rejected`; records
    /// without review (organisations, teams) are `approved`.
    pub review: String,
    pub record: T,
}

/// One version of a record, as `demine show` lists them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Version {
    pub version: u64,
    pub valid_from: Option<String>,
    /// When it ended (`None`: it is the stored version).
    pub valid_to: Option<String>,
    /// `amended` or `retired` (`None`: it is the stored version).
    pub ended_by: Option<String>,
    pub reason: Option<String>,
    #[serde(skip)]
    pub record: AnyRecord,
}

/// A stored record replaced by a corrected one (amend, upsert).
#[derive(Debug, Clone)]
pub struct Replacement {
    pub record: AnyRecord,
    /// The version the correction was based on: refused as stale if the registry holds another.
    pub based_on: Option<u64>,
}

/// A record retired (taken out of the registry, kept in its history).
#[derive(Debug, Clone)]
pub struct Retirement {
    pub kind: RecordKind,
    pub id: String,
    /// The version the retirement was based on: refused as stale if the registry holds another.
    pub based_on: Option<u64>,
}

/// Who makes a change, for the change log.
#[derive(Debug, Clone, Default)]
pub struct Author {
    pub name: String,
    pub organisation: Option<String>,
    /// The request (HTTP) or command the change came in, to trace it.
    pub request_id: Option<String>,
}

impl Author {
    pub fn named(name: &str) -> Author {
        Author {
            name: name.to_string(),
            ..Author::default()
        }
    }
}

/// Everything one write brings, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    /// What the change is, for the change log (e.g. `import hazards from field.geojson`).
    pub description: String,
    /// Why (required of corrections), for the change log.
    pub reason: Option<String>,
    pub organisations: Vec<Organisation>,
    pub teams: Vec<Team>,
    pub hazards: Vec<Hazard>,
    pub activities: Vec<Activity>,
    pub finds: Vec<Find>,
    pub accidents: Vec<Accident>,
    /// Daily progress reports to add (their activities go in `activities`).
    pub daily_progress: Vec<DailyProgress>,
    /// Post-clearance inspections to add.
    pub qa_inspections: Vec<QaInspection>,
    /// Stored records to replace by corrected ones.
    pub replacements: Vec<Replacement>,
    /// Stored records to retire. Children (activities, progress, QA) before their hazard.
    pub retirements: Vec<Retirement>,
    /// A new risk map: replaces every stored cell (and the hazards' risk columns) when `Some`.
    pub risk_map: Option<(Vec<RiskCell>, Vec<HazardRisk>)>,
    /// Context-layer features to add.
    pub context_features: Vec<ContextFeature>,
    /// Context layers whose existing features are removed first (re-import of a layer).
    pub replace_layers: Vec<String>,
    /// Registry facts to set (key, value), e.g. `("synthetic", "true")`.
    pub meta: Vec<(String, String)>,
    /// The new records are part of a correction (an upsert): in force from now, not from their
    /// own dates, so that `--as-of` an earlier day still gives what was known then.
    pub inserts_in_force_now: bool,
    /// Review state of the records this changeset writes (inserts and replacements): `None`
    /// is `approved`; an operator's submissions are `submitted`.
    pub review_state: Option<String>,
    /// Review decisions on stored records.
    pub reviews: Vec<Review>,
    /// A field submission by client id, written in the same transaction as its records: a
    /// second one with the same id fails ([`StoreError::DuplicateSubmission`]).
    pub submission: Option<Submission>,
    /// Edits based on a replaced version, kept for review.
    pub conflicts: Vec<Conflict>,
    /// Conflicts resolved: (position, resolution).
    pub resolved_conflicts: Vec<(i64, String)>,
}

/// The authority's decision on a submitted record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub kind: RecordKind,
    pub id: String,
    /// `approved` or `rejected`.
    pub decision: String,
    pub reason: Option<String>,
}

/// A field submission and the answer it got.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Submission {
    pub client_id: String,
    pub username: String,
    /// SHA-256 of the request body (hex).
    pub body_hash: String,
    pub status: u16,
    pub response: String,
    pub created_at: String,
}

/// An edit that was based on a version replaced meanwhile.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    /// Position (0 until stored).
    pub fid: i64,
    pub kind: RecordKind,
    pub record_id: String,
    pub based_on: u64,
    pub stored_version: u64,
    /// The proposed record (GeoJSON feature).
    pub proposed: serde_json::Value,
    pub username: String,
    pub organisation: Option<String>,
    pub created_at: String,
    pub status: String,
    pub resolution: Option<String>,
}

/// An account of the shared registry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserRecord {
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub organisation: Option<String>,
    pub assigned: Vec<String>,
    pub disabled: bool,
    pub failed_logins: u32,
    pub locked_until: Option<String>,
    pub created_at: String,
}

/// A bearer token, as stored: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub token_hash: String,
    pub username: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

impl Changeset {
    /// A changeset described as `description`.
    pub fn new(description: impl Into<String>) -> Changeset {
        Changeset {
            description: description.into(),
            ..Changeset::default()
        }
    }

    /// Adds `record` to the inserts of its kind.
    pub fn push_insert(&mut self, record: AnyRecord) {
        match record {
            AnyRecord::Hazard(x) => self.hazards.push(x),
            AnyRecord::Activity(x) => self.activities.push(x),
            AnyRecord::Find(x) => self.finds.push(x),
            AnyRecord::Accident(x) => self.accidents.push(x),
            AnyRecord::Organisation(x) => self.organisations.push(x),
            AnyRecord::Team(x) => self.teams.push(x),
            AnyRecord::Progress(x) => self.daily_progress.push(x),
            AnyRecord::Qa(x) => self.qa_inspections.push(x),
        }
    }
}

/// Records to insert that arrive in chunks while a changeset's transaction is open
/// ([`Repository::apply_streamed`]): an import of a million finds validates and writes chunk by
/// chunk, and never holds them all. The sender sends [`StreamChunk::Records`] and, when every
/// record proved valid, [`StreamChunk::Commit`]; a stream that ends without `Commit` (the
/// sender found a defect, or stopped) rolls the whole changeset back.
pub struct InsertStream {
    pub chunks: tokio::sync::mpsc::Receiver<StreamChunk>,
    /// How many records are expected in all (a hint: a big import takes the bulk path from
    /// its first chunk).
    pub expected_rows: usize,
}

/// One message of an [`InsertStream`].
pub enum StreamChunk {
    Records(Vec<AnyRecord>),
    Commit,
}

impl InsertStream {
    /// The next chunk of records; `Ok(None)` at `Commit`; an error when the stream ended
    /// without it.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<AnyRecord>>, crate::StoreError> {
        match self.chunks.recv().await {
            Some(StreamChunk::Records(r)) => Ok(Some(r)),
            Some(StreamChunk::Commit) => Ok(None),
            None => Err(crate::StoreError::Refused(
                "the import stopped before its last record; nothing was written".into(),
            )),
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Applied {
    /// The change-log batch of this write.
    pub batch: String,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
    /// New versions of the records written: (kind, id, version).
    pub versions: Vec<(RecordKind, String, u64)>,
    /// Hazards whose computed figures were recomputed, with the new figures.
    pub recomputed: Vec<(String, Computed)>,
    /// Change-log entries written.
    pub log_entries: u64,
}

impl Applied {
    /// The recomputed figures of one hazard.
    pub fn computed(&self, hazard_id: &str) -> Option<&Computed> {
        self.recomputed.iter().find(|(id, _)| id == hazard_id).map(|(_, c)| c)
    }
}

/// Record counts per layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub hazards: u64,
    pub activities: u64,
    pub finds: u64,
    pub accidents: u64,
    pub released_land: u64,
    pub organisations: u64,
    pub teams: u64,
    pub daily_progress: u64,
    pub qa_inspections: u64,
    pub change_log: u64,
    pub context_features: u64,
    pub risk_cells: u64,
    /// Versions kept by corrections (amended or retired records).
    pub history: u64,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeLogEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub organisation: Option<String>,
    pub request_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub batch: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Which change-log entries to read.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// At most this many (newest first); `None`: all.
    pub limit: Option<u32>,
    /// Only entries about this table (e.g. `hazards`).
    pub entity: Option<String>,
    /// Only entries about this record id.
    pub entity_id: Option<String>,
    /// Only entries after this sequence number.
    pub after_seq: Option<i64>,
    /// Oldest first (for verification) instead of newest first.
    pub oldest_first: bool,
}

/// A hazard with everything recorded on it.
#[derive(Debug, Clone)]
pub struct HazardDossier {
    pub hazard: Stored<Hazard>,
    pub computed: Option<Computed>,
    pub activities: Vec<Stored<Activity>>,
    pub finds: Vec<Stored<Find>>,
    pub accidents: Vec<Stored<Accident>>,
    pub progress: Vec<Stored<DailyProgress>>,
    pub qa: Vec<Stored<QaInspection>>,
    pub risk: Option<HazardRisk>,
}
