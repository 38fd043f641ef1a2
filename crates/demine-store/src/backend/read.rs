//! The backend-independent parts of reads: rows of either backend into stored records,
//! versions, figures and change-log entries, the change log's filters, and a hazard's dossier
//! assembled from the backend's own reads.

use crate::gpkg::codec::{context_feature, decode, Cells};
use crate::{Bbox, ChangeLogEntry, Computed, HazardDossier, LogQuery, Query, Result, StoreError, Stored, Version};
use demine_core::release::ReleaseFigures;
use demine_core::{AnyRecord, ContextFeature, HazardRisk, HazardStatus, RecordKind, RiskCell};
use geo::{BoundingRect, Contains, Geometry};
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};

/// A row of either backend, as the shared decoders read it: required columns with sqlx's own
/// errors, nullable ones through [`Cells`].
pub(crate) trait StoreRow: Cells {
    /// A required integer column.
    fn i64_at(&self, col: &str) -> Result<i64>;
    /// A required text column.
    fn string_at(&self, col: &str) -> Result<String>;
    /// A required real column.
    fn f64_at(&self, col: &str) -> Result<f64>;
    /// A nullable integer column.
    fn opt_i64_at(&self, col: &str) -> Result<Option<i64>>;
}

impl<R> StoreRow for R
where
    R: Row + Cells,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
{
    fn i64_at(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
    fn string_at(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn f64_at(&self, col: &str) -> Result<f64> {
        Ok(self.try_get(col)?)
    }
    fn opt_i64_at(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
}

/// A current record with its version columns (`fid`, `version`, `valid_from`, `review`).
pub(crate) fn stored(kind: RecordKind, row: &impl StoreRow) -> Result<Stored<AnyRecord>> {
    Ok(Stored {
        fid: row.i64_at("fid")?,
        version: row.i64_at("version")?.max(1) as u64,
        valid_from: row.opt_text("valid_from"),
        review: row.opt_text("review").unwrap_or_else(|| "approved".into()),
        record: decode(kind, row)?,
    })
}

/// A record's versions, oldest first: its rows from the history table, then the version in
/// force (`current`), if the record is not retired.
pub(crate) fn versions_of<R: StoreRow>(
    kind: RecordKind,
    history: &[R],
    current: Option<Stored<AnyRecord>>,
) -> Result<Vec<Version>> {
    let mut out = Vec::with_capacity(history.len() + 1);
    for row in history {
        out.push(history_version(kind, row)?);
    }
    out.extend(current.map(current_version));
    Ok(out)
}

/// A version from a history table (`version`, `valid_from`, `valid_to`, `ended_by`, `reason`).
fn history_version(kind: RecordKind, row: &impl StoreRow) -> Result<Version> {
    Ok(Version {
        version: row.i64_at("version")?.max(1) as u64,
        valid_from: row.opt_text("valid_from"),
        valid_to: row.opt_text("valid_to"),
        ended_by: row.opt_text("ended_by"),
        reason: row.opt_text("reason"),
        record: decode(kind, row)?,
    })
}

/// The version in force, the last of a record's versions.
fn current_version(current: Stored<AnyRecord>) -> Version {
    Version {
        version: current.version,
        valid_from: current.valid_from,
        valid_to: None,
        ended_by: None,
        reason: None,
        record: current.record,
    }
}

/// Stored records of one kind as their own type (`pick` leaves out the others).
pub(crate) fn typed<T>(v: Vec<Stored<AnyRecord>>, pick: impl Fn(AnyRecord) -> Option<T>) -> Vec<Stored<T>> {
    v.into_iter()
        .filter_map(|s| {
            Some(Stored {
                fid: s.fid,
                version: s.version,
                valid_from: s.valid_from,
                review: s.review,
                record: pick(s.record)?,
            })
        })
        .collect()
}

/// A context feature (`fid`, `geom`, `layer`, `id`, `attributes`); an unreadable one is corrupt.
pub(crate) fn context_feature_row(row: &impl StoreRow) -> Result<ContextFeature> {
    context_feature(row).map_err(|why| match row.i64_at("fid") {
        Ok(fid) => StoreError::Corrupt {
            table: "context_features",
            id: fid.to_string(),
            why,
        },
        Err(e) => e,
    })
}

/// A hazard's computed columns (`id`, the `*_m2` figures, `status`); a missing figure is 0 m².
pub(crate) fn computed_row(r: &impl StoreRow) -> Result<(String, Computed)> {
    let id = r.string_at("id")?;
    let status: HazardStatus = r.string_at("status")?.parse().map_err(|e| StoreError::Corrupt {
        table: "hazards",
        id: id.clone(),
        why: format!("status: {e}"),
    })?;
    let f = |c: &str| r.real(c).ok().flatten().unwrap_or(0.0);
    Ok((
        id,
        Computed {
            figures: ReleaseFigures {
                area_m2: f("area_m2"),
                cancelled_m2: f("cancelled_m2"),
                reduced_m2: f("reduced_m2"),
                cleared_m2: f("cleared_m2"),
                remaining_m2: f("remaining_m2"),
            },
            status,
        },
    ))
}

/// A cell of the risk map (`geom` its outline, `cell`, `resolution`, `risk`, `label`, `items`).
pub(crate) fn risk_cell(r: &impl StoreRow) -> Result<RiskCell> {
    let cell = r.string_at("cell")?;
    let outline = match r.geometry() {
        Ok(Geometry::Polygon(p)) => p,
        Ok(_) | Err(_) => {
            return Err(StoreError::Corrupt {
                table: "risk_cells",
                id: cell,
                why: "outline is not a polygon".into(),
            })
        }
    };
    Ok(RiskCell {
        resolution: r.i64_at("resolution")?.clamp(0, 15) as u8,
        risk: r.f64_at("risk")?,
        label: r.opt_i64_at("label")?.map(|l| l != 0),
        items: r.i64_at("items")?.max(0) as u32,
        outline,
        cell,
    })
}

/// A change-log entry (its columns as `change_log` names them; `fid` is its sequence number).
pub(crate) fn log_entry(r: &impl StoreRow) -> Result<ChangeLogEntry> {
    Ok(ChangeLogEntry {
        seq: r.i64_at("fid")?,
        at: r.string_at("at")?,
        actor: r.string_at("actor")?,
        organisation: r.opt_text("organisation"),
        request_id: r.opt_text("request_id"),
        action: r.string_at("action")?,
        entity: r.string_at("entity")?,
        entity_id: r.opt_text("entity_id"),
        batch: r.opt_text("batch"),
        before: r.opt_text("before"),
        after: r.opt_text("after"),
        reason: r.opt_text("reason"),
        prev_hash: r.opt_text("prev_hash"),
        hash: r.opt_text("hash"),
    })
}

/// The filters, order and limit of a change-log query, after a `WHERE` that holds already.
pub(crate) fn push_log_filters<'a, DB>(qb: &mut QueryBuilder<'a, DB>, q: &LogQuery)
where
    DB: Database,
    String: 'a + Encode<'a, DB> + Type<DB>,
    i64: 'a + Encode<'a, DB> + Type<DB>,
{
    if let Some(e) = &q.entity {
        qb.push(" AND entity = ");
        qb.push_bind(e.clone());
    }
    if let Some(id) = &q.entity_id {
        qb.push(" AND entity_id = ");
        qb.push_bind(id.clone());
    }
    if let Some(s) = q.after_seq {
        qb.push(" AND fid > ");
        qb.push_bind(s);
    }
    qb.push(if q.oldest_first {
        " ORDER BY fid ASC"
    } else {
        " ORDER BY fid DESC"
    });
    if let Some(n) = q.limit {
        qb.push(" LIMIT ");
        qb.push_bind(i64::from(n));
    }
}

/// The reads a hazard's dossier is made of, in one backend (with its scope, if any).
pub(crate) trait DossierReads {
    /// Records of `kind` matching `q`.
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>>;
    /// Points of `kind` (finds, accidents) linked to no hazard whose box meets `b`.
    async fn unlinked_near(&self, kind: RecordKind, b: &Bbox) -> Result<Vec<Stored<AnyRecord>>>;
    /// The computed columns of the hazards matching `q`.
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>>;
    /// The risk map's figures for one hazard.
    async fn hazard_risk(&self, hazard_id: &str) -> Result<Option<HazardRisk>>;
}

/// Hazard `id` with everything recorded about it, as `q`'s organisations see it, or `None`
/// when it is not there (or not theirs). `unscoped`: the reader sees every organisation, so
/// also the finds and accidents linked to no hazard.
pub(crate) async fn dossier(
    reads: &impl DossierReads,
    id: &str,
    q: &Query,
    unscoped: bool,
) -> Result<Option<HazardDossier>> {
    let in_scope = |mut base: Query| {
        base.organisations = q.organisations.clone();
        base
    };
    let hq = in_scope(Query {
        ids: Some(vec![id.to_string()]),
        ..Query::default()
    });
    let Some(hazard) = typed(reads.records(RecordKind::Hazards, &hq).await?, |r| match r {
        AnyRecord::Hazard(h) => Some(h),
        _ => None,
    })
    .into_iter()
    .next() else {
        return Ok(None);
    };
    let of_hazard = in_scope(Query::hazard(id));
    let activities = typed(reads.records(RecordKind::Activities, &of_hazard).await?, |r| match r {
        AnyRecord::Activity(a) => Some(a),
        _ => None,
    });
    let mut finds = reads.records(RecordKind::Finds, &of_hazard).await?;
    let mut accidents = reads.records(RecordKind::Accidents, &of_hazard).await?;
    // Finds and accidents recorded without a hazard but inside it belong to its evidence; they
    // have no organisation, so only an unscoped reader sees them.
    if let (Some(b), true) = (hazard.record.geometry.bounding_rect(), unscoped) {
        let b = Bbox {
            min_lon: b.min().x,
            min_lat: b.min().y,
            max_lon: b.max().x,
            max_lat: b.max().y,
        };
        let inside = |s: &Stored<AnyRecord>| match crate::gpkg::codec::Columns::geometry(&s.record) {
            Some(Geometry::Point(p)) => hazard.record.geometry.contains(&p),
            _ => false,
        };
        for (kind, evidence) in [(RecordKind::Finds, &mut finds), (RecordKind::Accidents, &mut accidents)] {
            evidence.extend(reads.unlinked_near(kind, &b).await?.into_iter().filter(inside));
        }
    }
    let finds = typed(finds, |r| match r {
        AnyRecord::Find(f) => Some(f),
        _ => None,
    });
    let accidents = typed(accidents, |r| match r {
        AnyRecord::Accident(a) => Some(a),
        _ => None,
    });
    let mut progress = typed(reads.records(RecordKind::Progress, &of_hazard).await?, |r| match r {
        AnyRecord::Progress(p) => Some(p),
        _ => None,
    });
    progress.sort_by_key(|a| (a.record.date, a.fid));
    let mut qa = typed(reads.records(RecordKind::Qa, &of_hazard).await?, |r| match r {
        AnyRecord::Qa(i) => Some(i),
        _ => None,
    });
    qa.sort_by_key(|a| (a.record.date, a.fid));
    let computed = reads
        .computed(&Query {
            ids: Some(vec![id.to_string()]),
            ..Query::default()
        })
        .await?
        .into_iter()
        .next()
        .map(|(_, c)| c);
    let risk = reads.hazard_risk(id).await?;
    Ok(Some(HazardDossier {
        hazard,
        computed,
        activities,
        finds,
        accidents,
        progress,
        qa,
        risk,
    }))
}
