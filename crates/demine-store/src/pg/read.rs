//! Reads: records by id, hazard, organisation, box (GiST), date and version, with paging. The
//! same queries as the GeoPackage store's `read.rs`, in PostgreSQL.

use crate::backend::read::{
    computed_row, context_feature_row, log_entry, push_log_filters, risk_cell, stored, versions_of, DossierReads,
};
use crate::gpkg::accounts::reviewed;
use crate::gpkg::codec::{self, spec, Spec};
use crate::{
    end_of_day, Bbox, ChangeLogEntry, Computed, Counts, HazardDossier, LogQuery, Query, Result, Stored, Version,
};
use demine_core::{AnyRecord, ContextFeature, HazardRisk, RecordKind, RiskCell};
use futures_util::TryStreamExt;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

/// The organisations a transaction may see under row-level security (`None`: all of them), as
/// `demine.organisations` holds them: `*`, or a comma-separated list (an empty list sees none).
pub(super) fn scope_setting(orgs: Option<&[String]>) -> String {
    match orgs {
        None => "*".into(),
        Some(list) => list
            .iter()
            .filter(|o| !o.is_empty() && !o.contains(',') && o.as_str() != "*")
            .cloned()
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Declares the transaction's organisations for row-level security (`SET LOCAL`: it ends with
/// the transaction, so a pooled connection never carries it to the next caller).
pub(super) async fn set_scope(tx: &mut sqlx::Transaction<'_, Postgres>, orgs: Option<&[String]>) -> Result<()> {
    sqlx::query("SELECT set_config('demine.organisations', $1, true)")
        .bind(scope_setting(orgs))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A read-only transaction that sees `orgs` (`None`: all) under row-level security.
pub(super) async fn scoped(pool: &PgPool, orgs: Option<&[String]>) -> Result<sqlx::Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    set_scope(&mut tx, orgs).await?;
    Ok(tx)
}

/// How a column is stored in PostgreSQL, where it differs from what the codec binds and reads
/// (text, reals, integers, GeoPackage blobs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ColType {
    Geom,
    Date,
    Json,
    Bool,
    Plain,
}

pub(super) fn col_type(col: &str) -> ColType {
    match col {
        "geom" => ColType::Geom,
        "recorded_date" | "start_date" | "end_date" | "date" => ColType::Date,
        "attributes" | "nonconformities" => ColType::Json,
        "accepted" => ColType::Bool,
        _ => ColType::Plain,
    }
}

/// The column as the codec reads it, from a row aliased `alias`.
pub(super) fn select_expr(col: &str, alias: &str) -> String {
    match col_type(col) {
        ColType::Geom => format!("ST_AsBinary({alias}{col}) AS {col}"),
        ColType::Date => format!("to_char({alias}{col}, 'YYYY-MM-DD') AS {col}"),
        ColType::Json => format!("{alias}{col}::text AS {col}"),
        ColType::Bool => format!("{alias}{col}::int::bigint AS {col}"),
        ColType::Plain => format!("{alias}{col}"),
    }
}

/// The record's columns as the codec reads them, from a row aliased `alias` (`"t."` or `""`).
pub(super) fn select_columns(s: &Spec, alias: &str) -> String {
    s.columns
        .iter()
        .map(|c| select_expr(c, alias))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `expr = ANY($n)`; an empty list matches nothing.
fn push_in(qb: &mut QueryBuilder<'_, Postgres>, expr: &str, values: &[String]) {
    qb.push(format!(" AND {expr} = ANY("));
    qb.push_bind(values.to_vec());
    qb.push(")");
}

/// The row's geometry meets box `b` (through the GiST index).
pub(super) fn push_bbox(qb: &mut QueryBuilder<'_, Postgres>, b: &Bbox) {
    qb.push(" AND t.geom && ST_MakeEnvelope(");
    qb.push_bind(b.min_lon);
    qb.push(", ");
    qb.push_bind(b.min_lat);
    qb.push(", ");
    qb.push_bind(b.max_lon);
    qb.push(", ");
    qb.push_bind(b.max_lat);
    qb.push(", 4326)");
}

/// The filters of `q` other than the version rule, on a row aliased `t`. `current`: paging
/// applies (not with `as_of`).
fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, s: &Spec, q: &Query, current: bool) {
    if let Some(ids) = &q.ids {
        push_in(qb, "t.id", ids);
    }
    if let Some(hs) = &q.hazard_ids {
        match s.hazard_column {
            Some(col) => push_in(qb, &format!("t.{col}"), hs),
            None => {
                qb.push(" AND false");
            }
        }
    }
    if let Some(orgs) = &q.organisations {
        push_in(qb, s.organisation, orgs);
    }
    if reviewed(s.kind) {
        if q.approved_only {
            qb.push(" AND t.review = 'approved'");
        }
        if let Some(r) = &q.review {
            qb.push(" AND t.review = ");
            qb.push_bind(r.clone());
        }
    }
    if let Some(col) = s.own_date {
        if let Some(d) = q.from {
            qb.push(format!(" AND t.{col} >= "));
            qb.push_bind(d.to_string());
            qb.push("::date");
        }
        let upto = match (q.to, q.as_of) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(d) = upto {
            qb.push(format!(" AND (t.{col} IS NULL OR t.{col} <= "));
            qb.push_bind(d.to_string());
            qb.push("::date)");
        }
    }
    if let (Some(b), true) = (&q.bbox, s.has_geom) {
        push_bbox(qb, b);
    }
    if current {
        if let Some(after) = q.after {
            qb.push(" AND t.fid > ");
            qb.push_bind(after);
        }
    }
}

/// The review state column (`'approved'` for kinds without review).
fn review_column(s: &Spec, alias: &str) -> String {
    if reviewed(s.kind) {
        format!("{alias}review AS review")
    } else {
        "'approved'::text AS review".into()
    }
}

/// The statement that reads records of `s` matching `q`.
fn records_sql<'a>(s: &Spec, q: &Query) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::<Postgres>::new("");
    match q.as_of {
        None => {
            qb.push(format!(
                "SELECT t.fid, t.version, t.valid_from, {}, {} FROM {} t WHERE true",
                review_column(s, "t."),
                select_columns(s, "t."),
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
            let raw = s.columns.join(", ");
            qb.push(format!(
                "SELECT t.fid, t.version, t.valid_from, t.review, {converted} FROM (\
                 SELECT fid, version, valid_from, {review}, {raw}, 0 AS hist FROM {table} \
                 WHERE (in_force_from IS NULL OR in_force_from < ",
                converted = select_columns(s, "t."),
                table = s.table,
                review = review_column(s, "")
            ));
            qb.push_bind(end.clone());
            qb.push(format!(
                ") UNION ALL SELECT fid, version, valid_from, 'approved'::text AS review, {raw}, 1 AS hist \
                 FROM {table}_history WHERE (in_force_from IS NULL OR in_force_from < ",
                table = s.table
            ));
            qb.push_bind(end.clone());
            qb.push(") AND valid_to >= ");
            qb.push_bind(end);
            qb.push(") t WHERE true");
            push_filters(&mut qb, s, q, false);
            qb.push(" ORDER BY t.hist, t.fid");
        }
    }
    qb
}

/// Records matching `q` (its organisations filter, if any, is the application's), read in a
/// transaction that sees `scope` under row-level security.
pub(super) async fn records(
    pool: &PgPool,
    kind: RecordKind,
    q: &Query,
    scope: Option<&[String]>,
) -> Result<Vec<Stored<AnyRecord>>> {
    let s = spec(kind);
    let mut qb = records_sql(s, q);
    let mut tx = scoped(pool, scope).await?;
    let mut out = Vec::new();
    {
        // Row by row: a million finds never sit in memory twice (as rows and as records).
        let mut rows = qb.build().fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            out.push(stored(kind, &row)?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

pub(super) async fn count(pool: &PgPool, kind: RecordKind, q: &Query, scope: Option<&[String]>) -> Result<u64> {
    if q.as_of.is_some() {
        return Ok(records(pool, kind, q, scope).await?.len() as u64);
    }
    let s = spec(kind);
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT count(*) FROM {} t WHERE true", s.table));
    let unpaged = Query {
        after: None,
        limit: None,
        ..q.clone()
    };
    push_filters(&mut qb, s, &unpaged, true);
    let mut tx = scoped(pool, scope).await?;
    let n: i64 = qb.build_query_scalar().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(n.max(0) as u64)
}

pub(super) async fn versions(pool: &PgPool, kind: RecordKind, id: &str) -> Result<Vec<Version>> {
    let s = spec(kind);
    let sql = format!(
        "SELECT t.fid, t.version, t.valid_from, t.valid_to, t.ended_by, t.reason, {} FROM {}_history t \
         WHERE t.id = $1 ORDER BY t.version, t.fid",
        select_columns(s, "t."),
        s.table
    );
    let mut tx = scoped(pool, None).await?;
    let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let q = Query {
        ids: Some(vec![id.to_string()]),
        ..Query::default()
    };
    let current = records(pool, kind, &q, None).await?.into_iter().next();
    versions_of(kind, &rows, current)
}

/// Points of `kind` (finds, accidents) linked to no hazard whose box meets `b`.
async fn unlinked_near(pool: &PgPool, kind: RecordKind, b: &Bbox) -> Result<Vec<Stored<AnyRecord>>> {
    let s = spec(kind);
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT t.fid, t.version, t.valid_from, {}, {} FROM {} t WHERE t.hazard_id IS NULL",
        review_column(s, "t."),
        select_columns(s, "t."),
        s.table
    ));
    push_bbox(&mut qb, b);
    qb.push(" ORDER BY t.fid");
    let mut tx = scoped(pool, None).await?;
    let rows = qb.build().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(|r| stored(kind, r)).collect()
}

pub(super) async fn dossier(
    pool: &PgPool,
    id: &str,
    q: &Query,
    scope: Option<&[String]>,
) -> Result<Option<HazardDossier>> {
    crate::backend::read::dossier(&Scoped { pool, scope }, id, q, scope.is_none()).await
}

/// Reads in transactions that see `scope` under row-level security (`None`: all).
struct Scoped<'a> {
    pool: &'a PgPool,
    scope: Option<&'a [String]>,
}

impl DossierReads for Scoped<'_> {
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
        records(self.pool, kind, q, self.scope).await
    }
    async fn unlinked_near(&self, kind: RecordKind, b: &Bbox) -> Result<Vec<Stored<AnyRecord>>> {
        unlinked_near(self.pool, kind, b).await
    }
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>> {
        computed(self.pool, q, self.scope).await
    }
    async fn hazard_risk(&self, hazard_id: &str) -> Result<Option<HazardRisk>> {
        hazard_risk(self.pool, hazard_id).await
    }
}

pub(super) async fn computed(pool: &PgPool, q: &Query, scope: Option<&[String]>) -> Result<Vec<(String, Computed)>> {
    let s = spec(RecordKind::Hazards);
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT t.id, t.area_m2, t.cancelled_m2, t.reduced_m2, t.cleared_m2, t.remaining_m2, t.status FROM hazards t \
         WHERE t.status IS NOT NULL",
    );
    let current = Query {
        as_of: None,
        ..q.clone()
    };
    push_filters(&mut qb, s, &current, true);
    qb.push(" ORDER BY t.fid");
    let mut tx = scoped(pool, scope).await?;
    let rows = qb.build().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(computed_row).collect()
}

pub(super) async fn counts(pool: &PgPool) -> Result<Counts> {
    let mut tx = scoped(pool, None).await?;
    let mut n = std::collections::HashMap::new();
    let tables = [
        "hazards",
        "activities",
        "finds",
        "accidents",
        "released_land",
        "organisations",
        "teams",
        "daily_progress",
        "qa_inspections",
        "change_log",
        "context_features",
        "risk_cells",
    ];
    for table in tables {
        let v: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        n.insert(table, v.max(0) as u64);
    }
    let mut history = 0;
    for s in &codec::SPECS {
        let v: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}_history", s.table))
            .fetch_one(&mut *tx)
            .await?;
        history += v.max(0) as u64;
    }
    tx.commit().await?;
    Ok(Counts {
        hazards: n["hazards"],
        activities: n["activities"],
        finds: n["finds"],
        accidents: n["accidents"],
        released_land: n["released_land"],
        organisations: n["organisations"],
        teams: n["teams"],
        daily_progress: n["daily_progress"],
        qa_inspections: n["qa_inspections"],
        change_log: n["change_log"],
        context_features: n["context_features"],
        risk_cells: n["risk_cells"],
        history,
    })
}

pub(super) const CONTEXT_COLUMNS: &str = "fid, ST_AsBinary(geom) AS geom, layer, id, attributes::text AS attributes";

pub(super) async fn context_features(pool: &PgPool, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONTEXT_COLUMNS} FROM context_features WHERE $1::text IS NULL OR layer = $1 ORDER BY fid"
    ))
    .bind(layer)
    .fetch_all(pool)
    .await?;
    rows.iter().map(context_feature_row).collect()
}

pub(super) async fn context_layers(pool: &PgPool) -> Result<Vec<(String, u64)>> {
    let rows = sqlx::query("SELECT layer, count(*) AS n FROM context_features GROUP BY layer ORDER BY layer")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("layer"), r.get::<i64, _>("n").max(0) as u64))
        .collect())
}

pub(super) async fn hazard_risks(pool: &PgPool) -> Result<Vec<HazardRisk>> {
    let rows: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT id, risk_expected_share, risk_p_any FROM hazards \
         WHERE risk_p_any IS NOT NULL AND risk_expected_share IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut *scoped(pool, None).await?)
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

async fn hazard_risk(pool: &PgPool, hazard_id: &str) -> Result<Option<HazardRisk>> {
    let row = sqlx::query("SELECT risk_expected_share, risk_p_any FROM hazards WHERE id = $1")
        .bind(hazard_id)
        .fetch_optional(&mut *scoped(pool, None).await?)
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

pub(super) async fn risk_cells(pool: &PgPool, q: &Query) -> Result<Vec<RiskCell>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT t.fid, ST_AsBinary(t.geom) AS geom, t.cell, t.resolution, t.risk, t.label, t.items FROM risk_cells t WHERE true",
    );
    if let Some(b) = &q.bbox {
        push_bbox(&mut qb, b);
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

pub(super) const LOG_SELECT: &str =
    "SELECT fid, at, actor, organisation, request_id, action, entity, entity_id, batch, \
     before, after, reason, prev_hash, hash FROM change_log";

pub(super) async fn change_log(pool: &PgPool, q: &LogQuery) -> Result<Vec<ChangeLogEntry>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("{LOG_SELECT} WHERE true"));
    push_log_filters(&mut qb, q);
    let mut rows = qb.build().fetch(pool);
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await? {
        out.push(log_entry(&r)?);
    }
    Ok(out)
}
