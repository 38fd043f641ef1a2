//! Feature reads for map clients on the GeoPackage: a [`FeatureQuery`] (with its [`Filter`])
//! becomes one parameterised SQL statement over the layer's table, its R-tree and, for exact
//! spatial tests, the `demine_intersects` function registered on every connection.
//!
//! Column and table names come from the static tables below, never from the request; every
//! value a client sent is a bound parameter.

use super::codec::{gpkg_blob, Cells};
use super::read::push_rtree;
use crate::backend::features::{comparison_sql, extent_of, generation_of};
use crate::features::{FeatureQuery, FeatureRow, FieldType, Filter, Layer, Literal};
use crate::{Bbox, Result, StoreError};
use futures_util::TryStreamExt;
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

const HAZARD_ORG: &str = "(SELECT h.organisation FROM hazards h WHERE h.id = t.hazard_id)";

/// Where a layer lives (the SQL here is the same in SQLite and PostgreSQL: the PostGIS backend
/// reads its layers through these too).
pub(crate) struct Source {
    pub(crate) table: &'static str,
    pub(crate) id: &'static str,
    /// SQL for the row's organisation (`None`: not an organisation's data).
    pub(crate) organisation: Option<&'static str>,
    pub(crate) version: &'static str,
    pub(crate) attributes: Option<&'static str>,
}

pub(crate) fn source(layer: &Layer) -> Source {
    match layer {
        Layer::Hazards => Source {
            table: "hazards",
            id: "t.id",
            organisation: Some("t.organisation"),
            version: "t.version",
            attributes: Some("t.attributes"),
        },
        Layer::Activities => Source {
            table: "activities",
            id: "t.id",
            organisation: Some(
                "COALESCE(t.organisation, (SELECT h.organisation FROM hazards h WHERE h.id = t.hazard_id))",
            ),
            version: "t.version",
            attributes: Some("t.attributes"),
        },
        Layer::Finds => Source {
            table: "finds",
            id: "t.id",
            organisation: Some(HAZARD_ORG),
            version: "t.version",
            attributes: Some("t.attributes"),
        },
        Layer::Accidents => Source {
            table: "accidents",
            id: "t.id",
            organisation: Some(HAZARD_ORG),
            version: "t.version",
            attributes: Some("t.attributes"),
        },
        Layer::ReleasedLand => Source {
            table: "released_land",
            id: "CAST(t.fid AS TEXT)",
            organisation: Some(HAZARD_ORG),
            version: "CAST(1 AS BIGINT)",
            attributes: None,
        },
        Layer::RiskCells => Source {
            table: "risk_cells",
            id: "t.cell",
            organisation: None,
            version: "CAST(1 AS BIGINT)",
            attributes: None,
        },
        Layer::Context(_) => Source {
            table: "context_features",
            id: "COALESCE(t.id, CAST(t.fid AS TEXT))",
            organisation: None,
            version: "CAST(1 AS BIGINT)",
            attributes: Some("t.attributes"),
        },
    }
}

/// The SQL expression of a field (names come from [`Layer::fields`], never from a request).
pub(crate) fn column(layer: &Layer, name: &str) -> Option<String> {
    let f = layer.field(name)?;
    Some(match f.name {
        "id" => source(layer).id.to_string(),
        other => format!("t.{other}"),
    })
}

pub(crate) fn unknown(layer: &Layer, name: &str) -> StoreError {
    StoreError::Refused(format!("{layer:?} has no field '{name}'"))
}

fn bind_literal(qb: &mut QueryBuilder<'_, Sqlite>, v: &Literal, lower: bool) {
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
        }
        Literal::Bool(b) => {
            qb.push_bind(i64::from(*b));
        }
    }
}

/// A CQL2/SQL `LIKE` pattern as an SQLite `GLOB` pattern (case-sensitive, as CQL2 `LIKE` is;
/// SQLite's own `LIKE` ignores ASCII case). `\` escapes the next character.
fn like_to_glob(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 4);
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => push_literal(&mut out, n),
                None => push_literal(&mut out, '\\'),
            },
            '%' => out.push('*'),
            '_' => out.push('?'),
            c => push_literal(&mut out, c),
        }
    }
    out
}

fn push_literal(out: &mut String, c: char) {
    match c {
        '*' | '?' | '[' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        c => out.push(c),
    }
}

/// Appends `filter` as a boolean SQL expression.
fn push_filter(qb: &mut QueryBuilder<'_, Sqlite>, layer: &Layer, table: &str, filter: &Filter) -> Result<()> {
    let col = |name: &str| column(layer, name).ok_or_else(|| unknown(layer, name));
    match filter {
        Filter::Const(b) => {
            qb.push(if *b { "1" } else { "0" });
        }
        Filter::And(v) | Filter::Or(v) => {
            if v.is_empty() {
                qb.push(if matches!(filter, Filter::And(_)) { "1" } else { "0" });
                return Ok(());
            }
            let op = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            qb.push("(");
            for (i, f) in v.iter().enumerate() {
                if i > 0 {
                    qb.push(op);
                }
                push_filter(qb, layer, table, f)?;
            }
            qb.push(")");
        }
        Filter::Not(f) => {
            qb.push("NOT (");
            push_filter(qb, layer, table, f)?;
            qb.push(")");
        }
        Filter::Compare {
            property,
            op,
            value,
            case_insensitive,
        } => {
            let c = col(property)?;
            let lower = *case_insensitive && matches!(value, Literal::Text(_));
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
            let c = col(property)?;
            if *case_insensitive {
                qb.push(format!("lower({c}) GLOB "));
                qb.push_bind(like_to_glob(&pattern.to_lowercase()));
            } else {
                qb.push(format!("{c} GLOB "));
                qb.push_bind(like_to_glob(pattern));
            }
        }
        Filter::In { property, values } => {
            let c = col(property)?;
            if values.is_empty() {
                qb.push("0");
                return Ok(());
            }
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
            let c = col(property)?;
            qb.push(format!("{c} BETWEEN "));
            bind_literal(qb, low, false);
            qb.push(" AND ");
            bind_literal(qb, high, false);
        }
        Filter::IsNull(property) => {
            let c = col(property)?;
            qb.push(format!("{c} IS NULL"));
        }
        Filter::Intersects(g) => {
            use geo::BoundingRect;
            let Some(r) = g.bounding_rect() else {
                qb.push("0");
                return Ok(());
            };
            qb.push("(1");
            push_rtree(
                qb,
                table,
                &Bbox {
                    min_lon: r.min().x,
                    min_lat: r.min().y,
                    max_lon: r.max().x,
                    max_lat: r.max().y,
                },
            );
            qb.push(" AND demine_intersects(t.geom, ");
            qb.push_bind(gpkg_blob(g)?);
            qb.push("))");
        }
    }
    Ok(())
}

/// `FROM … WHERE …` of a feature query (no order, no paging).
fn push_where(qb: &mut QueryBuilder<'_, Sqlite>, q: &FeatureQuery) -> Result<()> {
    let s = source(&q.layer);
    qb.push(format!(" FROM {} t WHERE 1", s.table));
    if let Layer::Context(name) = &q.layer {
        qb.push(" AND t.layer = ");
        qb.push_bind(name.clone());
    }
    if let Some(id) = &q.id {
        qb.push(format!(" AND {} = ", s.id));
        qb.push_bind(id.clone());
    }
    if let Some(orgs) = &q.organisations {
        match s.organisation {
            Some(expr) if !orgs.is_empty() => {
                qb.push(format!(" AND {expr} IN ("));
                let mut sep = qb.separated(", ");
                for o in orgs {
                    sep.push_bind(o.clone());
                }
                qb.push(")");
            }
            // An organisation's reader sees no other organisation's rows, and rows of no
            // organisation are not theirs either.
            Some(_) => {
                qb.push(" AND 0");
            }
            None => {}
        }
    }
    if let Some(b) = &q.bbox {
        push_rtree(qb, s.table, b);
    }
    if let Some(f) = &q.filter {
        qb.push(" AND ");
        push_filter(qb, &q.layer, s.table, f)?;
    }
    Ok(())
}

/// The select list of a query's features. `postgres`: geometry as WKB, dates and JSON as text
/// (the GeoPackage stores them so already).
pub(crate) fn select_list(q: &FeatureQuery, postgres: bool) -> String {
    let layer = &q.layer;
    let s = source(layer);
    let mut cols = vec![
        "t.fid AS _fid".to_string(),
        format!("{} AS _id", s.id),
        format!("{} AS _version", s.version),
        if postgres {
            "ST_AsBinary(t.geom) AS geom".to_string()
        } else {
            "t.geom AS geom".to_string()
        },
    ];
    for f in layer.fields() {
        if f.name != "id" {
            cols.push(match (postgres, f.ty) {
                (true, FieldType::Date) => format!("to_char(t.{0}, 'YYYY-MM-DD') AS {0}", f.name),
                _ => format!("t.{0} AS {0}", f.name),
            });
        }
    }
    if let Some(a) = s.attributes.filter(|_| q.with_attributes) {
        cols.push(if postgres {
            format!("{a}::text AS _attributes")
        } else {
            format!("{a} AS _attributes")
        });
    }
    cols.join(", ")
}

/// A feature from a row of [`select_list`], of either backend.
pub(crate) fn row_feature(q: &FeatureQuery, row: &impl Cells) -> Result<FeatureRow> {
    let layer = &q.layer;
    let table = source(layer).table;
    let cell = |r: Result<_, String>| {
        r.map_err(|why| StoreError::Corrupt {
            table,
            id: String::new(),
            why,
        })
    };
    let id = cell(row.req_text("_id"))?;
    let corrupt = |why: String| StoreError::Corrupt {
        table,
        id: id.clone(),
        why,
    };
    let geometry = row.geometry().map_err(corrupt)?;
    let mut properties = Map::new();
    properties.insert("id".into(), json!(id));
    for f in layer.fields() {
        if f.name == "id" {
            continue;
        }
        let v = match f.ty {
            FieldType::String | FieldType::Date => row.text(f.name).map_err(corrupt)?.map(Value::from),
            FieldType::Integer => row.int(f.name).map_err(corrupt)?.map(Value::from),
            FieldType::Number => row.real(f.name).map_err(corrupt)?.map(Value::from),
        };
        if let Some(v) = v {
            properties.insert(f.name.into(), v);
        }
    }
    if source(layer).attributes.is_some() && q.with_attributes {
        if let Some(text) = row.text("_attributes").map_err(corrupt)? {
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) {
                for (k, v) in m {
                    properties.entry(k).or_insert(v);
                }
            }
        }
    }
    Ok(FeatureRow {
        fid: row.req_int("_fid").map_err(corrupt)?,
        version: row.req_int("_version").map_err(corrupt)?.max(1) as u64,
        id,
        geometry,
        properties,
    })
}

pub(super) async fn features(pool: &SqlitePool, q: &FeatureQuery) -> Result<Vec<FeatureRow>> {
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {}", select_list(q, false)));
    push_where(&mut qb, q)?;
    if let Some(after) = q.after {
        qb.push(" AND t.fid > ");
        qb.push_bind(after);
    }
    qb.push(" ORDER BY t.fid LIMIT ");
    qb.push_bind(q.limit.map_or(-1, |n| n.min(i64::MAX as u64) as i64));
    if let (None, Some(o)) = (q.after, q.offset) {
        qb.push(" OFFSET ");
        qb.push_bind(o.min(i64::MAX as u64) as i64);
    }
    let mut rows = qb.build().fetch(pool);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(row_feature(q, &row)?);
    }
    Ok(out)
}

pub(super) async fn count(pool: &SqlitePool, q: &FeatureQuery) -> Result<u64> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*)");
    push_where(&mut qb, q)?;
    let n: i64 = qb.build_query_scalar().fetch_one(pool).await?;
    Ok(n.max(0) as u64)
}

pub(super) async fn extent(pool: &SqlitePool, q: &FeatureQuery) -> Result<Option<Bbox>> {
    let s = source(&q.layer);
    let mut qb =
        QueryBuilder::<Sqlite>::new("SELECT min(r.minx), min(r.miny), max(r.maxx), max(r.maxy) FROM (SELECT t.fid");
    push_where(&mut qb, q)?;
    qb.push(format!(") x JOIN rtree_{}_geom r ON r.id = x.fid", s.table));
    let row = qb.build().fetch_one(pool).await?;
    extent_of(&row)
}

/// A token that changes whenever anything map clients read changes: the change log's head
/// (every record and context-layer change) and the newest risk cell (a rebuilt risk map).
pub(super) async fn generation(pool: &SqlitePool) -> Result<String> {
    // Fids are never reused (AUTOINCREMENT, serial), every record and context-layer change is
    // logged, and a risk map replaces all its cells: two maxima (index look-ups, no count)
    // change whenever anything a tile shows changes.
    let row = sqlx::query(
        "SELECT (SELECT coalesce(max(fid), 0) FROM change_log), (SELECT coalesce(max(fid), 0) FROM risk_cells)",
    )
    .fetch_one(pool)
    .await?;
    generation_of(&row)
}

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn like_patterns_become_globs() {
        assert_eq!(like_to_glob("op%"), "op*");
        assert_eq!(like_to_glob("a_c"), "a?c");
        assert_eq!(like_to_glob("50\\%*"), "50%[*]");
        assert_eq!(like_to_glob("[x]?"), "[[]x][?]");
    }
}
