//! Reads: records by id, hazard, organisation, box, date and version, with paging.

use super::codec::{self, spec, Spec};
use crate::backend::read::{
    computed_row, context_feature_row, log_entry, push_log_filters, risk_cell, stored, versions_of, DossierReads,
};
use crate::{
    end_of_day, Bbox, ChangeLogEntry, Computed, Counts, HazardDossier, LogQuery, Query, Result, StoreError, Stored,
    Version,
};
use demine_core::{AnyRecord, ContextFeature, HazardRisk, RecordKind, RiskCell};
use futures_util::TryStreamExt;
use geo::BoundingRect;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

/// `col IN (?, ?, …)`; an empty list matches nothing.
fn push_in(qb: &mut QueryBuilder<'_, Sqlite>, expr: &str, values: &[String]) {
    if values.is_empty() {
        qb.push(" AND 0");
        return;
    }
    qb.push(format!(" AND {expr} IN ("));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

pub(super) fn push_rtree(qb: &mut QueryBuilder<'_, Sqlite>, table: &str, b: &Bbox) {
    qb.push(format!(
        " AND t.fid IN (SELECT id FROM rtree_{table}_geom WHERE minx <= "
    ));
    qb.push_bind(b.max_lon);
    qb.push(" AND maxx >= ");
    qb.push_bind(b.min_lon);
    qb.push(" AND miny <= ");
    qb.push_bind(b.max_lat);
    qb.push(" AND maxy >= ");
    qb.push_bind(b.min_lat);
    qb.push(")");
}

/// The filters of `q` other than the version rule, on a row aliased `t`. `indexed`: the box goes
/// through the table's R-tree (current records only) and paging applies.
fn push_filters(qb: &mut QueryBuilder<'_, Sqlite>, s: &Spec, q: &Query, indexed: bool) {
    if let Some(ids) = &q.ids {
        push_in(qb, "t.id", ids);
    }
    if let Some(hs) = &q.hazard_ids {
        match s.hazard_column {
            Some(col) => push_in(qb, &format!("t.{col}"), hs),
            None => {
                qb.push(" AND 0");
            }
        }
    }
    if let Some(orgs) = &q.organisations {
        push_in(qb, s.organisation, orgs);
    }
    if super::accounts::reviewed(s.kind) {
        if q.approved_only {
            qb.push(" AND t.review = 'approved'");
        }
        if let Some(r) = &q.review {
            qb.push(" AND t.review = ");
            qb.push_bind(r.clone());
        }
    }
    if let Some(col) = s.own_date {
        // A record without its own date (hazards from before recorded dates) always existed.
        if let Some(d) = q.from {
            qb.push(format!(" AND t.{col} >= "));
            qb.push_bind(d.to_string());
        }
        let upto = match (q.to, q.as_of) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(d) = upto {
            qb.push(format!(" AND (t.{col} IS NULL OR t.{col} <= "));
            qb.push_bind(d.to_string());
            qb.push(")");
        }
    }
    if indexed {
        if let (Some(b), true) = (&q.bbox, s.has_geom) {
            push_rtree(qb, s.table, b);
        }
        if let Some(after) = q.after {
            qb.push(" AND t.fid > ");
            qb.push_bind(after);
        }
    }
}

fn select_columns(s: &Spec) -> String {
    s.columns.join(", ")
}

/// The review state column (`'approved'` for kinds without review).
fn review_column(s: &Spec, alias: &str) -> String {
    if super::accounts::reviewed(s.kind) {
        format!("{alias}review AS review")
    } else {
        "'approved' AS review".into()
    }
}

/// The record's columns, each prefixed with the alias `t.`.
fn aliased_columns(s: &Spec) -> String {
    s.columns
        .iter()
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement that reads records of `s` matching `q`.
fn records_sql<'a>(s: &Spec, q: &Query) -> QueryBuilder<'a, Sqlite> {
    let cols = select_columns(s);
    let mut qb = QueryBuilder::<Sqlite>::new("");
    match q.as_of {
        None => {
            qb.push(format!(
                "SELECT t.fid, t.version, t.valid_from, {}, {} FROM {} t WHERE 1",
                review_column(s, "t."),
                aliased_columns(s),
                s.table
            ));
            push_filters(&mut qb, s, q, true);
            qb.push(" ORDER BY t.fid");
            if let Some(n) = q.limit {
                qb.push(" LIMIT ");
                qb.push_bind(n.min(i64::MAX as u64) as i64);
            }
        }
        Some(d) => {
            // The version in force at the end of day d: written before then (or an original
            // import, in force from its own date), and not ended before then.
            let end = end_of_day(d);
            qb.push(format!(
                "SELECT * FROM (SELECT fid, version, valid_from, {review}, {cols}, 0 AS hist FROM {table} \
                 WHERE (in_force_from IS NULL OR in_force_from < ",
                table = s.table,
                review = review_column(s, "")
            ));
            qb.push_bind(end.clone());
            qb.push(format!(
                ") UNION ALL SELECT fid, version, valid_from, 'approved' AS review, {cols}, 1 AS hist FROM {table}_history \
                 WHERE (in_force_from IS NULL OR in_force_from < ",
                table = s.table
            ));
            qb.push_bind(end.clone());
            qb.push(") AND valid_to >= ");
            qb.push_bind(end);
            qb.push(") t WHERE 1");
            push_filters(&mut qb, s, q, false);
            qb.push(" ORDER BY t.hist, t.fid");
        }
    }
    qb
}

fn geometry_box(r: &AnyRecord) -> Option<Bbox> {
    let g = codec::Columns::geometry(r)?;
    let b = g.bounding_rect()?;
    Some(Bbox {
        min_lon: b.min().x,
        min_lat: b.min().y,
        max_lon: b.max().x,
        max_lat: b.max().y,
    })
}

pub(super) async fn records(pool: &SqlitePool, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
    let s = spec(kind);
    let mut qb = records_sql(s, q);
    // Row by row: a million finds never sit in memory twice (as rows and as records).
    let mut rows = qb.build().fetch(pool);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let r = stored(kind, &row)?;
        // With as_of the box is checked here (history tables are not all indexed).
        if q.as_of.is_some() {
            if let Some(b) = &q.bbox {
                if !geometry_box(&r.record).is_some_and(|g| g.intersects(b)) {
                    continue;
                }
            }
        }
        out.push(r);
    }
    Ok(out)
}

pub(super) async fn count(pool: &SqlitePool, kind: RecordKind, q: &Query) -> Result<u64> {
    if q.as_of.is_some() {
        return Ok(records(pool, kind, q).await?.len() as u64);
    }
    let s = spec(kind);
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT count(*) FROM {} t WHERE 1", s.table));
    let unpaged = Query {
        after: None,
        limit: None,
        ..q.clone()
    };
    push_filters(&mut qb, s, &unpaged, true);
    let n: i64 = qb.build_query_scalar().fetch_one(pool).await?;
    Ok(n.max(0) as u64)
}

pub(super) async fn versions(pool: &SqlitePool, kind: RecordKind, id: &str) -> Result<Vec<Version>> {
    let s = spec(kind);
    let sql = format!(
        "SELECT fid, version, valid_from, valid_to, ended_by, reason, {} FROM {}_history WHERE id = ? ORDER BY version, fid",
        select_columns(s),
        s.table
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(pool).await?;
    let q = Query {
        ids: Some(vec![id.to_string()]),
        ..Query::default()
    };
    let current = records(pool, kind, &q).await?.into_iter().next();
    versions_of(kind, &rows, current)
}

/// Points of `kind` (finds, accidents) linked to no hazard whose box meets `b`.
async fn unlinked_near(pool: &SqlitePool, kind: RecordKind, b: &Bbox) -> Result<Vec<Stored<AnyRecord>>> {
    let s = spec(kind);
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT t.fid, t.version, t.valid_from, {}, {} FROM {} t WHERE t.hazard_id IS NULL",
        review_column(s, "t."),
        aliased_columns(s),
        s.table
    ));
    push_rtree(&mut qb, s.table, b);
    qb.push(" ORDER BY t.fid");
    let rows = qb.build().fetch_all(pool).await?;
    rows.iter().map(|r| stored(kind, r)).collect()
}

pub(super) async fn dossier(pool: &SqlitePool, id: &str, q: &Query) -> Result<Option<HazardDossier>> {
    crate::backend::read::dossier(pool, id, q, q.organisations.is_none()).await
}

impl DossierReads for SqlitePool {
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
        records(self, kind, q).await
    }
    async fn unlinked_near(&self, kind: RecordKind, b: &Bbox) -> Result<Vec<Stored<AnyRecord>>> {
        unlinked_near(self, kind, b).await
    }
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>> {
        computed(self, q).await
    }
    async fn hazard_risk(&self, hazard_id: &str) -> Result<Option<HazardRisk>> {
        hazard_risk(self, hazard_id).await
    }
}

pub(super) async fn computed(pool: &SqlitePool, q: &Query) -> Result<Vec<(String, Computed)>> {
    let s = spec(RecordKind::Hazards);
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT t.id, t.area_m2, t.cancelled_m2, t.reduced_m2, t.cleared_m2, t.remaining_m2, t.status FROM hazards t \
         WHERE t.status IS NOT NULL",
    );
    let current = Query {
        as_of: None,
        ..q.clone()
    };
    push_filters(&mut qb, s, &current, true);
    qb.push(" ORDER BY t.fid");
    let rows = qb.build().fetch_all(pool).await?;
    rows.iter().map(computed_row).collect()
}

pub(super) async fn counts(pool: &SqlitePool) -> Result<Counts> {
    let n = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let v: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&pool)
                .await?;
            Ok::<u64, StoreError>(v.max(0) as u64)
        }
    };
    let mut history = 0;
    for s in &codec::SPECS {
        let v: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}_history", s.table))
            .fetch_one(pool)
            .await?;
        history += v.max(0) as u64;
    }
    Ok(Counts {
        hazards: n("hazards").await?,
        activities: n("activities").await?,
        finds: n("finds").await?,
        accidents: n("accidents").await?,
        released_land: n("released_land").await?,
        organisations: n("organisations").await?,
        teams: n("teams").await?,
        daily_progress: n("daily_progress").await?,
        qa_inspections: n("qa_inspections").await?,
        change_log: n("change_log").await?,
        context_features: n("context_features").await?,
        risk_cells: n("risk_cells").await?,
        history,
    })
}

pub(super) async fn context_features(pool: &SqlitePool, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
    let rows = sqlx::query(
        "SELECT fid, geom, layer, id, attributes FROM context_features WHERE ?1 IS NULL OR layer = ?1 ORDER BY fid",
    )
    .bind(layer)
    .fetch_all(pool)
    .await?;
    rows.iter().map(context_feature_row).collect()
}

pub(super) async fn context_layers(pool: &SqlitePool) -> Result<Vec<(String, u64)>> {
    let rows = sqlx::query("SELECT layer, count(*) AS n FROM context_features GROUP BY layer ORDER BY layer")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("layer"), r.get::<i64, _>("n") as u64))
        .collect())
}

pub(super) async fn hazard_risks(pool: &SqlitePool) -> Result<Vec<HazardRisk>> {
    let rows: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT id, risk_expected_share, risk_p_any FROM hazards \
         WHERE risk_p_any IS NOT NULL AND risk_expected_share IS NOT NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(hazard_id, expected_contaminated_share, p_any)| HazardRisk {
            hazard_id,
            expected_contaminated_share,
            p_any,
        })
        .collect())
}

async fn hazard_risk(pool: &SqlitePool, hazard_id: &str) -> Result<Option<HazardRisk>> {
    let row = sqlx::query("SELECT risk_expected_share, risk_p_any FROM hazards WHERE id = ?")
        .bind(hazard_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(|r| {
        let share: Option<f64> = r.get("risk_expected_share");
        let p_any: Option<f64> = r.get("risk_p_any");
        Some(HazardRisk {
            hazard_id: hazard_id.to_string(),
            expected_contaminated_share: share?,
            p_any: p_any?,
        })
    }))
}

pub(super) async fn risk_cells(pool: &SqlitePool, q: &Query) -> Result<Vec<RiskCell>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT t.fid, t.geom, t.cell, t.resolution, t.risk, t.label, t.items FROM risk_cells t WHERE 1",
    );
    if let Some(b) = &q.bbox {
        push_rtree(&mut qb, "risk_cells", b);
    }
    if let Some(after) = q.after {
        qb.push(" AND t.fid > ");
        qb.push_bind(after);
    }
    qb.push(" ORDER BY t.fid");
    if let Some(n) = q.limit {
        qb.push(" LIMIT ");
        qb.push_bind(n.min(i64::MAX as u64) as i64);
    }
    let rows = qb.build().fetch_all(pool).await?;
    rows.iter().map(risk_cell).collect()
}

pub(super) async fn change_log(pool: &SqlitePool, q: &LogQuery) -> Result<Vec<ChangeLogEntry>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT fid, at, actor, organisation, request_id, action, entity, entity_id, batch, before, after, reason, \
         prev_hash, hash FROM change_log WHERE 1",
    );
    push_log_filters(&mut qb, q);
    let mut rows = qb.build().fetch(pool);
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await? {
        out.push(log_entry(&r)?);
    }
    Ok(out)
}
