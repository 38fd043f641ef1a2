//! The backend-independent state of one changeset's write: the change-log entries it adds and
//! their chain, the versions it writes, and which hazards it must account again. Each backend's
//! `write.rs` runs the SQL of the same steps, in the same order, around this state.

use crate::gpkg::accounts::reviewed;
use crate::gpkg::codec::{gpkg_blob, json_attributes, polygon_blob, union_rect, Columns, Val};
use crate::{
    entry_hash, Applied, Author, ChangeLogEntry, Changeset, Computed, InsertStream, Replacement, Result, Retirement,
    Review, StoreError,
};
use demine_core::release::{account_each, HazardRelease};
use demine_core::{Activity, AnyRecord, Hazard, RecordKind, RiskCell};
use geo::{BoundingRect, Geometry, Rect};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

static BATCHES: AtomicU64 = AtomicU64::new(0);

/// One change-log entry to write.
pub(crate) struct LogRow {
    action: &'static str,
    entity: String,
    entity_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

/// The order kinds are written in: parents before children (inserts, replacements); retirements
/// go the other way.
pub(crate) fn parent_rank(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::Organisations => 0,
        RecordKind::Teams => 1,
        RecordKind::Hazards => 2,
        RecordKind::Activities => 3,
        RecordKind::Finds => 4,
        RecordKind::Accidents => 5,
        RecordKind::Progress => 6,
        RecordKind::Qa => 7,
    }
}

/// One backend's SQL for each step of a changeset's write, inside its transaction `Tx`;
/// [`apply_steps`] runs them in the one order both backends keep.
pub(crate) trait WriteSteps {
    type Tx;
    /// The hazards whose computed columns the write must recompute.
    fn affected(&mut self) -> &mut BTreeSet<String>;
    async fn set_meta(&mut self, tx: &mut Self::Tx, key: &str, value: &str) -> Result<()>;
    async fn insert<T: Columns>(&mut self, tx: &mut Self::Tx, records: &[T]) -> Result<()>;
    async fn insert_stream(&mut self, tx: &mut Self::Tx, stream: &mut InsertStream) -> Result<()>;
    async fn replace(&mut self, tx: &mut Self::Tx, r: &Replacement) -> Result<()>;
    async fn retire(&mut self, tx: &mut Self::Tx, r: &Retirement) -> Result<()>;
    async fn review_and_submissions(&mut self, tx: &mut Self::Tx) -> Result<()>;
    async fn context_layers(&mut self, tx: &mut Self::Tx) -> Result<()>;
    async fn risk_map(&mut self, tx: &mut Self::Tx) -> Result<()>;
    async fn recompute(&mut self, tx: &mut Self::Tx) -> Result<()>;
    async fn flush_log(&mut self, tx: &mut Self::Tx) -> Result<()>;
}

/// Changeset `c` written by `w` in `tx`, step by step: metadata; inserts, parents first (a
/// hazard before its activities); replacements, parents first; retirements, children first;
/// reviews and submissions; context layers; the risk map; the hazards' computed columns; the
/// change log last, so that it chains every entry the steps added. The caller commits.
pub(crate) async fn apply_steps<W: WriteSteps>(
    w: &mut W,
    tx: &mut W::Tx,
    c: &Changeset,
    stream: Option<&mut InsertStream>,
) -> Result<()> {
    for (k, v) in &c.meta {
        w.set_meta(tx, k, v).await?;
    }
    w.insert(tx, &c.organisations).await?;
    w.insert(tx, &c.teams).await?;
    w.insert(tx, &c.hazards).await?;
    w.affected().extend(c.hazards.iter().map(|h| h.id.clone()));
    w.insert(tx, &c.activities).await?;
    w.affected().extend(c.activities.iter().map(|a| a.hazard_id.clone()));
    w.insert(tx, &c.finds).await?;
    w.insert(tx, &c.accidents).await?;
    w.insert(tx, &c.daily_progress).await?;
    w.insert(tx, &c.qa_inspections).await?;
    if let Some(stream) = stream {
        w.insert_stream(tx, stream).await?;
    }
    let mut replacements: Vec<&Replacement> = c.replacements.iter().collect();
    replacements.sort_by_key(|r| parent_rank(r.record.kind()));
    for r in replacements {
        w.replace(tx, r).await?;
    }
    let mut retirements: Vec<&Retirement> = c.retirements.iter().collect();
    retirements.sort_by_key(|r| std::cmp::Reverse(parent_rank(r.kind)));
    for r in retirements {
        w.retire(tx, r).await?;
    }
    w.review_and_submissions(tx).await?;
    w.context_layers(tx).await?;
    w.risk_map(tx).await?;
    w.recompute(tx).await?;
    w.flush_log(tx).await
}

/// The columns of `change_log`, in the order of the rows [`WriteState::chain_pending`] makes.
pub(crate) const LOG_COLUMNS: [&str; 14] = [
    "fid",
    "at",
    "actor",
    "organisation",
    "request_id",
    "action",
    "entity",
    "entity_id",
    "batch",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
];

/// The columns of `released_land`, in the order of the rows [`released_rows`] makes.
pub(crate) const RELEASED_COLUMNS: [&str; 5] = ["geom", "hazard_id", "activity_id", "outcome", "area_m2"];

/// The columns of `context_features`, in the order of the rows [`WriteState::context_rows`] makes.
pub(crate) const CONTEXT_FEATURE_COLUMNS: [&str; 4] = ["geom", "layer", "id", "attributes"];

/// The columns of `risk_cells`, in the order of the rows [`risk_cell_rows`] makes.
pub(crate) const RISK_CELL_COLUMNS: [&str; 6] = ["geom", "cell", "resolution", "risk", "label", "items"];

/// Rows of a spatial table, and the box around their geometries (the GeoPackage keeps it as
/// the layer's extent).
pub(crate) struct LayerRows {
    /// Each row's values, in the order of the table's columns constant.
    pub(crate) rows: Vec<Vec<Val>>,
    pub(crate) rect: Option<Rect<f64>>,
}

/// What a write has done so far, whatever the backend.
pub(crate) struct WriteState<'c> {
    pub(crate) at: String,
    pub(crate) reason: Option<String>,
    author: &'c Author,
    batch: String,
    /// Change-log entries not yet written.
    pub(crate) log: Vec<LogRow>,
    /// The last entry written (sequence number, hash), once read.
    pub(crate) chain: Option<(i64, String)>,
    pub(crate) applied: Applied,
    /// Hazards whose computed columns must be recomputed.
    pub(crate) affected: BTreeSet<String>,
    pub(crate) retired_hazards: HashSet<String>,
    pub(crate) changes: &'c Changeset,
}

impl<'c> WriteState<'c> {
    /// The state of writing changeset `c` at time `at` (a [`crate::now_stamp`]), in a batch of
    /// its own.
    pub(crate) fn new(c: &'c Changeset, author: &'c Author, at: String) -> Self {
        let batch = format!(
            "{at}/{}/{}",
            std::process::id(),
            BATCHES.fetch_add(1, Ordering::Relaxed)
        );
        WriteState {
            at: at.clone(),
            reason: c.reason.clone(),
            author,
            batch: batch.clone(),
            log: Vec::new(),
            chain: None,
            applied: Applied {
                batch,
                at,
                ..Applied::default()
            },
            affected: BTreeSet::new(),
            retired_hazards: HashSet::new(),
            changes: c,
        }
    }

    /// The state of one change-log entry written outside a changeset (accounts): `none` is an
    /// empty changeset, the batch is the account's.
    pub(crate) fn standalone(author: &'c Author, none: &'c Changeset) -> Self {
        let at = crate::now_stamp();
        WriteState {
            at: at.clone(),
            reason: None,
            author,
            batch: format!("{at}/{}/account", std::process::id()),
            log: Vec::new(),
            chain: None,
            applied: Applied::default(),
            affected: BTreeSet::new(),
            retired_hazards: HashSet::new(),
            changes: none,
        }
    }

    /// The review state of what this changeset writes.
    pub(crate) fn review_state(&self) -> String {
        self.changes.review_state.clone().unwrap_or_else(|| "approved".into())
    }

    /// Adds a change-log entry, written at the next flush.
    pub(crate) fn entry(
        &mut self,
        action: &'static str,
        entity: &str,
        id: Option<&str>,
        before: Option<String>,
        after: Option<String>,
    ) {
        self.log.push(LogRow {
            action,
            entity: entity.to_string(),
            entity_id: id.map(str::to_string),
            before,
            after,
        });
    }

    /// Adds the change-log entry of a record inserted (`feature`: the record as the log keeps it).
    pub(crate) fn inserted(&mut self, table: &str, id: String, feature: String) {
        self.log.push(LogRow {
            action: "insert",
            entity: table.to_string(),
            entity_id: Some(id),
            before: None,
            after: Some(feature),
        });
    }

    /// Takes the pending entries as `change_log` rows ([`LOG_COLUMNS`]), each chained to the
    /// one before from `last` (the last entry written: sequence number, hash), and keeps the
    /// chain's new head for the next flush.
    pub(crate) fn chain_pending(&mut self, last: (i64, String)) -> Vec<Vec<Val>> {
        let (mut seq, mut prev) = last;
        let log = std::mem::take(&mut self.log);
        self.applied.log_entries += log.len() as u64;
        let mut rows = Vec::with_capacity(log.len());
        for l in log {
            seq += 1;
            let mut e = ChangeLogEntry {
                seq,
                at: self.at.clone(),
                actor: self.author.name.clone(),
                organisation: self.author.organisation.clone(),
                request_id: self.author.request_id.clone(),
                action: l.action.to_string(),
                entity: l.entity,
                entity_id: l.entity_id,
                batch: Some(self.batch.clone()),
                before: l.before,
                after: l.after,
                reason: self.reason.clone(),
                prev_hash: Some(prev.clone()),
                hash: None,
            };
            let hash = entry_hash(&prev, &e);
            e.hash = Some(hash.clone());
            prev = hash;
            rows.push(vec![
                Val::Int(Some(e.seq)),
                Val::Text(Some(e.at)),
                Val::Text(Some(e.actor)),
                Val::Text(e.organisation),
                Val::Text(e.request_id),
                Val::Text(Some(e.action)),
                Val::Text(Some(e.entity)),
                Val::Text(e.entity_id),
                Val::Text(e.batch),
                Val::Text(e.before),
                Val::Text(e.after),
                Val::Text(e.reason),
                Val::Text(e.prev_hash),
                Val::Text(e.hash),
            ]);
        }
        self.chain = Some((seq, prev));
        rows
    }

    /// The changeset's context features as `context_features` rows ([`CONTEXT_FEATURE_COLUMNS`]),
    /// adding each one's change-log entry.
    pub(crate) fn context_rows(&mut self) -> Result<LayerRows> {
        let features = &self.changes.context_features;
        let mut rect = None;
        let mut rows = Vec::with_capacity(features.len());
        for f in features {
            rect = union_rect(rect, f.geometry.bounding_rect());
            self.entry(
                "insert",
                "context_features",
                Some(f.id.as_deref().unwrap_or("")),
                None,
                Some(crate::gpkg::codec::context_json(f)),
            );
            rows.push(vec![
                Val::Blob(gpkg_blob(&f.geometry)?),
                Val::text(&f.layer),
                Val::opt(&f.id),
                Val::Text(json_attributes(&f.attributes)),
            ]);
        }
        Ok(LayerRows { rows, rect })
    }

    /// Records a correction written: its new `version` (as stored), the hazards whose figures
    /// it changes (the one it left and the one it joined) and its change-log entry.
    pub(crate) fn amended(&mut self, r: &Replacement, before: &AnyRecord, table: &str, version: i64) {
        let kind = r.record.kind();
        let id = r.record.id();
        self.applied
            .versions
            .push((kind, id.to_string(), version.max(1) as u64));
        for h in [before.hazard_id(), r.record.hazard_id()].into_iter().flatten() {
            if matches!(kind, RecordKind::Hazards | RecordKind::Activities) {
                self.affected.insert(h.to_string());
            }
        }
        self.entry("amend", table, Some(id), Some(before.json()), Some(r.record.json()));
    }

    /// The hazards this write must account again, or `None` when it touched none. Hazards
    /// inserted by this changeset are taken with its own activities from memory; the ids of
    /// the others come back with them, for the backend to read in chunks
    /// ([`ToAccount::add_stored`]).
    pub(crate) fn to_account(&self) -> Option<(ToAccount, Vec<String>)> {
        let ids: Vec<String> = self
            .affected
            .iter()
            .filter(|id| !self.retired_hazards.contains(*id))
            .cloned()
            .collect();
        if ids.is_empty() {
            return None;
        }
        let c = self.changes;
        // Hazards inserted by this changeset have no stored activities but the changeset's
        // own (unless a correction moved one onto them): no need to read them back.
        let corrections_move_activities = c.replacements.iter().any(|r| r.record.kind() == RecordKind::Activities)
            || c.retirements.iter().any(|r| r.kind == RecordKind::Activities);
        let fresh: HashMap<&str, &Hazard> = if corrections_move_activities {
            HashMap::new()
        } else {
            c.hazards.iter().map(|h| (h.id.as_str(), h)).collect()
        };
        let stored_ids: Vec<String> = ids
            .iter()
            .filter(|id| !fresh.contains_key(id.as_str()))
            .cloned()
            .collect();
        let hazards: Vec<Hazard> = ids
            .iter()
            .filter_map(|id| fresh.get(id.as_str()).map(|h| (*h).clone()))
            .collect();
        let activities: Vec<Activity> = c
            .activities
            .iter()
            .filter(|a| fresh.contains_key(a.hazard_id.as_str()))
            .cloned()
            .collect();
        Some((ToAccount { hazards, activities }, stored_ids))
    }

    /// Records the accounting written: its change-log entry and each hazard's new figures.
    pub(crate) fn recomputed(&mut self, hazards: Vec<Hazard>, release: Vec<HazardRelease>) {
        let summary = serde_json::json!({ "hazards_recomputed": hazards.len() }).to_string();
        self.entry("recompute", "hazards", None, None, Some(summary));
        self.applied.recomputed = hazards
            .into_iter()
            .zip(release)
            .map(|(h, r)| {
                (
                    h.id,
                    Computed {
                        figures: r.figures,
                        status: r.status,
                    },
                )
            })
            .collect();
    }
}

/// The version check of a correction: `based_on` (the version the change was made from, if
/// given) must be the stored version, else the change is refused as stale.
pub(crate) fn check_based_on(kind: RecordKind, id: &str, based_on: Option<u64>, stored_version: i64) -> Result<()> {
    let version = stored_version.max(1) as u64;
    match based_on {
        Some(expected) if expected != version => Err(StoreError::Stale {
            kind,
            id: id.to_string(),
            expected,
            current: version,
        }),
        _ => Ok(()),
    }
}

/// Hazards to account again, with every activity that releases their land.
pub(crate) struct ToAccount {
    hazards: Vec<Hazard>,
    activities: Vec<Activity>,
}

impl ToAccount {
    /// Adds stored hazards and their activities, as the backend read them (other kinds are
    /// not expected and left out).
    pub(crate) fn add_stored(&mut self, hazards: Vec<AnyRecord>, activities: Vec<AnyRecord>) {
        self.hazards.extend(hazards.into_iter().filter_map(|r| match r {
            AnyRecord::Hazard(h) => Some(h),
            _ => None,
        }));
        self.activities.extend(activities.into_iter().filter_map(|r| match r {
            AnyRecord::Activity(a) => Some(a),
            _ => None,
        }));
    }

    /// Accounts each hazard on its own, keeping the released pieces: `release[i]` belongs to
    /// `hazards[i]`.
    pub(crate) fn account(self) -> (Vec<Hazard>, Vec<HazardRelease>) {
        let release = account_each(&self.hazards, &self.activities, true);
        (self.hazards, release)
    }
}

/// The `released_land` rows ([`RELEASED_COLUMNS`]) of accounted hazards, a row per piece of
/// land released: `release[i]` belongs to `hazards[i]`.
pub(crate) fn released_rows(hazards: &[Hazard], release: &[HazardRelease]) -> Result<LayerRows> {
    let mut rect: Option<Rect<f64>> = None;
    let mut pieces = Vec::new();
    for (h, r) in hazards.iter().zip(release) {
        for piece in &r.pieces {
            let g = Geometry::MultiPolygon(piece.geometry.clone());
            rect = union_rect(rect, g.bounding_rect());
            pieces.push(vec![
                Val::Blob(gpkg_blob(&g)?),
                Val::text(&h.id),
                Val::text(&piece.activity_id),
                Val::text(piece.outcome.as_str()),
                Val::Real(Some(piece.area_m2)),
            ]);
        }
    }
    Ok(LayerRows { rows: pieces, rect })
}

/// The `risk_cells` rows ([`RISK_CELL_COLUMNS`]) of a risk map's cells.
pub(crate) fn risk_cell_rows(cells: &[RiskCell]) -> LayerRows {
    let mut rect = None;
    let mut rows = Vec::with_capacity(cells.len());
    for cell in cells {
        let (blob, r) = polygon_blob(&cell.outline);
        rect = union_rect(rect, r);
        rows.push(vec![
            Val::Blob(blob),
            Val::text(&cell.cell),
            Val::Int(Some(i64::from(cell.resolution))),
            Val::Real(Some(cell.risk)),
            Val::Int(cell.label.map(i64::from)),
            Val::Int(Some(i64::from(cell.items))),
        ]);
    }
    LayerRows { rows, rect }
}

/// Refuses a review decision other than approved or rejected, or of a kind that is not reviewed.
pub(crate) fn check_review(r: &Review) -> Result<()> {
    if !reviewed(r.kind) {
        return Err(StoreError::Refused(format!(
            "{} records are not reviewed: only hazards, activities, finds, accidents, progress and QA are",
            r.kind
        )));
    }
    if !matches!(r.decision.as_str(), "approved" | "rejected") {
        return Err(StoreError::Refused(format!(
            "review decision '{}': give approved or rejected",
            r.decision
        )));
    }
    Ok(())
}

/// A retirement's failure as its message: a constraint refusal (`Refused`, from the backend's
/// own constraint mapping) means other records still refer to the one retired.
pub(crate) fn retirement_refused(e: StoreError, r: &Retirement) -> StoreError {
    match e {
        StoreError::Refused(_) => StoreError::Refused(format!(
            "{} '{}' cannot be retired: other records still refer to it; retire them first (with `demine retire ... --cascade` for a hazard's activities, progress and QA)",
            r.kind.singular(),
            r.id
        )),
        other => other,
    }
}
