//! Feature reads for map clients on PostGIS: a [`FeatureQuery`] (with its [`Filter`]) becomes
//! one parameterised statement over the layer's table, through its GiST index, run in a
//! transaction scoped for row-level security.
//!
//! The layers' tables, id and organisation expressions and select lists are the GeoPackage
//! backend's (`gpkg::features`): only the filter's dialect differs (PostgreSQL `LIKE` is
//! case-sensitive as CQL2's is; exact spatial tests are `ST_Intersects`).

use super::read::{push_bbox, scoped};
use crate::backend::features::{comparison_sql, extent_of, generation_of};
use crate::features::{FeatureQuery, FeatureRow, FieldType, Filter, Layer, Literal};
use crate::gpkg::features::{column, row_feature, select_list, source, unknown};
use crate::{Bbox, Result};
use futures_util::TryStreamExt;
use geozero::{CoordDimensions, ToWkb};
use sqlx::{PgPool, Postgres, QueryBuilder};

fn bind_literal(qb: &mut QueryBuilder<'_, Postgres>, v: &Literal, lower: bool) {
    match v {
        Literal::Text(s) if lower => {
            qb.push("lower(");
            qb.push_bind(s.clone());
            qb.push(")");
        }
        Literal::Text(s) => {
            qb.push_bind(s.clone());
        }
        Literal::Integer(i) => {
            qb.push_bind(*i);
        }
        Literal::Number(x) => {
            qb.push_bind(*x);
        }
        Literal::Date(d) => {
            qb.push_bind(d.to_string());
            qb.push("::date");
        }
        Literal::Bool(b) => {
            qb.push_bind(*b);
        }
    }
}

/// The field's SQL expression; a date compared with text (CQL2 allows `recorded_date > '2024-01-01'`
/// only as a date literal, which the parser already typed) stays a date.
fn expr(layer: &Layer, name: &str) -> Result<String> {
    column(layer, name).ok_or_else(|| unknown(layer, name))
}

/// Text comparisons on a date column compare its ISO text, as the GeoPackage does.
fn text_expr(layer: &Layer, name: &str) -> Result<String> {
    let c = expr(layer, name)?;
    Ok(match layer.field(name).map(|f| f.ty) {
        Some(FieldType::Date) => format!("to_char({c}, 'YYYY-MM-DD')"),
        _ => c,
    })
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, layer: &Layer, filter: &Filter) -> Result<()> {
    match filter {
        Filter::Const(b) => {
            qb.push(if *b { "true" } else { "false" });
        }
        Filter::And(v) | Filter::Or(v) => {
            let and = matches!(filter, Filter::And(_));
            if v.is_empty() {
                qb.push(if and { "true" } else { "false" });
                return Ok(());
            }
            qb.push("(");
            for (i, f) in v.iter().enumerate() {
                if i > 0 {
                    qb.push(if and { " AND " } else { " OR " });
                }
                push_filter(qb, layer, f)?;
            }
            qb.push(")");
        }
        Filter::Not(f) => {
            qb.push("NOT (");
            push_filter(qb, layer, f)?;
            qb.push(")");
        }
        Filter::Compare {
            property,
            op,
            value,
            case_insensitive,
        } => {
            let lower = *case_insensitive && matches!(value, Literal::Text(_));
            let c = if matches!(value, Literal::Text(_)) {
                text_expr(layer, property)?
            } else {
                expr(layer, property)?
            };
            if lower {
                qb.push(format!("lower({c})"));
            } else {
                qb.push(c);
            }
            qb.push(comparison_sql(*op));
            bind_literal(qb, value, lower);
        }
        Filter::Like {
            property,
            pattern,
            case_insensitive,
        } => {
            let c = text_expr(layer, property)?;
            if *case_insensitive {
                qb.push(format!("lower({c}) LIKE "));
                qb.push_bind(pattern.to_lowercase());
            } else {
                qb.push(format!("{c} LIKE "));
                qb.push_bind(pattern.clone());
            }
        }
        Filter::In { property, values } => {
            if values.is_empty() {
                qb.push("false");
                return Ok(());
            }
            let c = if values.iter().all(|v| matches!(v, Literal::Text(_))) {
                text_expr(layer, property)?
            } else {
                expr(layer, property)?
            };
            qb.push(format!("{c} IN ("));
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                bind_literal(qb, v, false);
            }
            qb.push(")");
        }
        Filter::Between { property, low, high } => {
            qb.push(format!("{} BETWEEN ", expr(layer, property)?));
            bind_literal(qb, low, false);
            qb.push(" AND ");
            bind_literal(qb, high, false);
        }
        Filter::IsNull(property) => {
            qb.push(format!("{} IS NULL", expr(layer, property)?));
        }
        Filter::Intersects(g) => {
            let wkb = g
                .to_wkb(CoordDimensions::xy())
                .map_err(|e| crate::StoreError::Refused(format!("the filter's geometry cannot be encoded: {e}")))?;
            qb.push("ST_Intersects(t.geom, ST_GeomFromWKB(");
            qb.push_bind(wkb);
            qb.push(", 4326))");
        }
    }
    Ok(())
}

/// `FROM … WHERE …` of a feature query (no order, no paging). `app_filter`: whether the
/// organisation filter is written into the SQL (row-level security applies either way).
fn push_where(qb: &mut QueryBuilder<'_, Postgres>, q: &FeatureQuery, app_filter: bool) -> Result<()> {
    let s = source(&q.layer);
    qb.push(format!(" FROM {} t WHERE true", s.table));
    if let Layer::Context(name) = &q.layer {
        qb.push(" AND t.layer = ");
        qb.push_bind(name.clone());
    }
    if let Some(id) = &q.id {
        qb.push(format!(" AND {} = ", s.id));
        qb.push_bind(id.clone());
    }
    if let (Some(orgs), Some(org_expr), true) = (&q.organisations, s.organisation, app_filter) {
        qb.push(format!(" AND {org_expr} = ANY("));
        qb.push_bind(orgs.clone());
        qb.push(")");
    }
    if let Some(b) = &q.bbox {
        push_bbox(qb, b);
    }
    if let Some(f) = &q.filter {
        qb.push(" AND ");
        push_filter(qb, &q.layer, f)?;
    }
    Ok(())
}

/// Row-level security's scope of a feature read: layers of no organisation are public to every
/// reader of the registry.
fn scope(q: &FeatureQuery) -> Option<&[String]> {
    if q.layer.organisation_scoped() {
        q.organisations.as_deref()
    } else {
        None
    }
}

pub(super) async fn features(pool: &PgPool, q: &FeatureQuery, app_filter: bool) -> Result<Vec<FeatureRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {}", select_list(q, true)));
    push_where(&mut qb, q, app_filter)?;
    if let Some(after) = q.after {
        qb.push(" AND t.fid > ");
        qb.push_bind(after);
    }
    qb.push(" ORDER BY t.fid");
    if let Some(n) = q.limit {
        qb.push(" LIMIT ");
        qb.push_bind(n.min(i64::MAX as u64) as i64);
    }
    if let (None, Some(o)) = (q.after, q.offset) {
        qb.push(" OFFSET ");
        qb.push_bind(o.min(i64::MAX as u64) as i64);
    }
    let mut tx = scoped(pool, scope(q)).await?;
    let mut out = Vec::new();
    {
        let mut rows = qb.build().fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            out.push(row_feature(q, &row)?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

pub(super) async fn count(pool: &PgPool, q: &FeatureQuery, app_filter: bool) -> Result<u64> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*)");
    push_where(&mut qb, q, app_filter)?;
    let mut tx = scoped(pool, scope(q)).await?;
    let n: i64 = qb.build_query_scalar().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(n.max(0) as u64)
}

pub(super) async fn extent(pool: &PgPool, q: &FeatureQuery, app_filter: bool) -> Result<Option<Bbox>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT ST_XMin(e)::float8, ST_YMin(e)::float8, ST_XMax(e)::float8, ST_YMax(e)::float8 FROM (SELECT ST_Extent(t.geom)::box3d AS e",
    );
    push_where(&mut qb, q, app_filter)?;
    qb.push(") x");
    let mut tx = scoped(pool, scope(q)).await?;
    let row = qb.build().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    extent_of(&row)
}

/// A token that changes whenever anything map clients read changes: the change log's head
/// (every record and context-layer change) and the newest risk cell (a rebuilt risk map).
pub(super) async fn generation(pool: &PgPool) -> Result<String> {
    // Fids are never reused (AUTOINCREMENT, serial), every record and context-layer change is
    // logged, and a risk map replaces all its cells: two maxima (index look-ups, no count)
    // change whenever anything a tile shows changes.
    let row = sqlx::query(
        "SELECT (SELECT coalesce(max(fid), 0) FROM change_log)::bigint, (SELECT coalesce(max(fid), 0) FROM risk_cells)::bigint",
    )
    .fetch_one(pool)
    .await?;
    generation_of(&row)
}
