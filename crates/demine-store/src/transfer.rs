//! Moving a whole registry from one store to another (GeoPackage ⇄ PostgreSQL + PostGIS), row
//! for row: records, their versions (`<table>_history`), released land, risk map, context layers,
//! the change log with its hash chain, accounts, submissions and conflicts, and the registry's
//! metadata.
//!
//! Nothing is recomputed on the way: the change log's hashes are copied, not rebuilt, so the
//! target's audit chain verifies exactly when the source's did. Each table's columns are the
//! target schema's (both backends' migrations create the same tables and columns; a column the
//! source lacks is refused, never invented). The target must be empty, and the copy is one
//! transaction on it: on any error the target is left as it was.

use crate::gpkg::codec::gpkg_blob;
use crate::{Result, Store, StoreError};
use futures_util::TryStreamExt;
use geozero::wkb::Wkb;
use geozero::ToGeo;
use sqlx::{Row, SqlitePool};

/// The registry's tables, parents before children (PostgreSQL checks foreign keys per row).
pub const TABLES: &[&str] = &[
    "organisations",
    "teams",
    "hazards",
    "activities",
    "finds",
    "accidents",
    "daily_progress",
    "qa_inspections",
    "released_land",
    "context_features",
    "risk_cells",
    "organisations_history",
    "teams_history",
    "hazards_history",
    "activities_history",
    "finds_history",
    "accidents_history",
    "daily_progress_history",
    "qa_inspections_history",
    "change_log",
    "users",
    "tokens",
    "submissions",
    "conflicts",
    "demine_meta",
];

/// How many rows of each table were copied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransferReport {
    pub tables: Vec<(String, u64)>,
}

impl TransferReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// What a column holds, as far as copying cares. (Dates, JSON and booleans have types of their
/// own only in PostgreSQL.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
enum Kind {
    Geometry,
    Date,
    Json,
    Bool,
    Int,
    Real,
    Text,
    Blob,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

/// One value on its way.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Kind {
    /// The column's type as SQL names it.
    fn name(self) -> &'static str {
        match self {
            Kind::Geometry => "geometry",
            Kind::Date => "date",
            Kind::Json => "JSON",
            Kind::Bool => "boolean",
            Kind::Int => "integer",
            Kind::Real => "real",
            Kind::Text => "text",
            Kind::Blob => "blob",
        }
    }
}

impl Cell {
    /// The value for a message: its type, and a short text's value.
    fn described(&self) -> String {
        match self {
            Cell::Null => "an empty value".into(),
            Cell::Int(i) => format!("the integer {i}"),
            Cell::Real(x) => format!("the number {x}"),
            Cell::Text(t) if t.chars().count() <= 40 => format!("the text '{t}'"),
            Cell::Text(t) => format!("a text of {} characters", t.chars().count()),
            Cell::Blob(b) => format!("a blob of {} bytes", b.len()),
        }
    }
}

fn sqlite_kind(declared: &str) -> Kind {
    let d = declared.to_ascii_uppercase();
    match d.as_str() {
        "GEOMETRY" | "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING" | "MULTIPOLYGON"
        | "GEOMETRYCOLLECTION" => Kind::Geometry,
        _ if d.contains("INT") || d == "BOOLEAN" => Kind::Int,
        _ if d.contains("REAL") || d.contains("DOUB") || d.contains("FLOA") => Kind::Real,
        _ if d.contains("BLOB") => Kind::Blob,
        _ => Kind::Text,
    }
}

async fn sqlite_columns(pool: &SqlitePool, table: &str) -> Result<Vec<Column>> {
    let rows = sqlx::query("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
        .bind(table)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Column {
                name: r.try_get("name")?,
                kind: sqlite_kind(&r.try_get::<String, _>("type")?),
            })
        })
        .collect()
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A value as the target column wants it. `what` locates the value for a refusal.
fn convert(cell: Cell, kind: Kind, to_postgres: bool, what: &dyn Fn() -> String) -> Result<Cell> {
    let refuse = |why: &str| StoreError::Refused(format!("{}: {why}; the registry cannot be moved as it is", what()));
    Ok(match (kind, cell) {
        (_, Cell::Null) => Cell::Null,
        (Kind::Geometry, Cell::Blob(b)) => {
            let gpkg = b.len() >= 2 && &b[..2] == b"GP";
            match (to_postgres, gpkg) {
                (true, true) => Cell::Blob(crate::gpkg::codec::wkb_of_gpkg(b)),
                (false, false) => {
                    let g = Wkb(b).to_geo().map_err(|e| refuse(&format!("geometry: {e}")))?;
                    Cell::Blob(gpkg_blob(&g)?)
                }
                (true, false) | (false, true) => Cell::Blob(b),
            }
        }
        (Kind::Geometry, _) => return Err(refuse("the geometry is not a blob")),
        (Kind::Int | Kind::Bool, Cell::Int(i)) => Cell::Int(i),
        (Kind::Int | Kind::Bool, Cell::Real(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => Cell::Int(x as i64),
        (Kind::Int | Kind::Bool, Cell::Text(t)) => Cell::Int(
            t.trim()
                .parse()
                .map_err(|_| refuse(&format!("'{t}' is not an integer")))?,
        ),
        (Kind::Real, Cell::Real(x)) => Cell::Real(x),
        (Kind::Real, Cell::Int(i)) => Cell::Real(i as f64),
        (Kind::Real, Cell::Text(t)) => Cell::Real(
            t.trim()
                .parse()
                .map_err(|_| refuse(&format!("'{t}' is not a number")))?,
        ),
        (Kind::Text | Kind::Date | Kind::Json, Cell::Text(t)) => Cell::Text(t),
        (Kind::Text, Cell::Int(i)) => Cell::Text(i.to_string()),
        (Kind::Text, Cell::Real(x)) => Cell::Text(x.to_string()),
        (Kind::Blob, Cell::Blob(b)) => Cell::Blob(b),
        (Kind::Blob, Cell::Text(t)) => Cell::Blob(t.into_bytes()),
        (k, c) => {
            return Err(refuse(&format!(
                "{} cannot be stored in a {} column",
                c.described(),
                k.name()
            )))
        }
    })
}

fn sqlite_cell(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Cell> {
    use sqlx::{TypeInfo, ValueRef};
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let ty = raw.type_info().name().to_string();
    Ok(match ty.as_str() {
        "INTEGER" | "BOOLEAN" => Cell::Int(row.try_get(i)?),
        "REAL" => Cell::Real(row.try_get(i)?),
        "BLOB" => Cell::Blob(row.try_get(i)?),
        _ => Cell::Text(row.try_get(i)?),
    })
}

/// Rows are inserted in statements of at most this many bound values.
const BINDS_PER_STATEMENT: usize = 30_000;

/// Copies every table of `from` into `to`, which must be an empty registry of the same schema
/// version. `progress(table, rows_so_far)` is called as rows arrive.
pub async fn copy_registry(
    from: &Store,
    to: &Store,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> Result<TransferReport> {
    match (from, to) {
        (Store::GeoPackage(a), Store::GeoPackage(b)) => sqlite_to_sqlite(a.pool(), b.pool(), progress).await,
        #[cfg(feature = "postgres")]
        (Store::GeoPackage(a), Store::Postgres(b)) => pg::sqlite_to_pg(a.pool(), b.pool(), progress).await,
        #[cfg(feature = "postgres")]
        (Store::Postgres(a), Store::GeoPackage(b)) => pg::pg_to_sqlite(a.pool(), b.pool(), progress).await,
        #[cfg(feature = "postgres")]
        (Store::Postgres(a), Store::Postgres(b)) => pg::pg_to_pg(a.pool(), b.pool(), progress).await,
    }
}

fn not_empty(table: &str, n: i64) -> StoreError {
    StoreError::Refused(format!(
        "the target registry is not empty ({n} rows in {table}); move a registry into a new, empty one"
    ))
}

async fn sqlite_require_empty(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<()> {
    for t in TABLES.iter().filter(|t| **t != "demine_meta") {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {t}"))
            .fetch_one(&mut **tx)
            .await?;
        if n > 0 {
            return Err(not_empty(t, n));
        }
    }
    sqlx::query("DELETE FROM demine_meta").execute(&mut **tx).await?;
    Ok(())
}

async fn sqlite_insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    table: &str,
    cols: &[Column],
    rows: &mut Vec<Vec<Cell>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let names = cols.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("INSERT INTO {table} ({names}) "));
    qb.push_values(rows.drain(..), |mut b, row| {
        for cell in row {
            match cell {
                Cell::Null => b.push_bind(None::<String>),
                Cell::Int(i) => b.push_bind(i),
                Cell::Real(x) => b.push_bind(x),
                Cell::Text(t) => b.push_bind(t),
                Cell::Blob(v) => b.push_bind(v),
            };
        }
    });
    qb.build().execute(&mut **tx).await?;
    Ok(())
}

/// Row `n` of a GeoPackage table as the cells of the target's columns `cols`.
fn sqlite_cells(
    row: &sqlx::sqlite::SqliteRow,
    n: u64,
    table: &str,
    cols: &[Column],
    to_postgres: bool,
) -> Result<Vec<Cell>> {
    let mut cells = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        let what = || format!("{table} row {n}, column {}", c.name);
        cells.push(convert(sqlite_cell(row, i)?, c.kind, to_postgres, &what)?);
    }
    Ok(cells)
}

/// Reads a table of a GeoPackage, in the target's columns.
fn sqlite_select(table: &str, cols: &[Column]) -> String {
    let names = cols.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
    format!("SELECT {names} FROM {table} ORDER BY rowid")
}

fn missing_columns(table: &str, target: &[Column], source: &[String]) -> Result<()> {
    let missing: Vec<&str> = target
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !source.iter().any(|s| s == n))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "table {table}: the source registry has no column {}; open it once with this version of demine (it migrates) and try again",
            missing.join(", ")
        )))
    }
}

/// Where a transfer writes: a transaction on the target registry, inserting rows of cells.
trait Target {
    /// Inserts `rows` (emptied) into `table`'s columns `cols`.
    async fn insert(&mut self, table: &str, cols: &[Column], rows: &mut Vec<Vec<Cell>>) -> Result<()>;
}

impl Target for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn insert(&mut self, table: &str, cols: &[Column], rows: &mut Vec<Vec<Cell>>) -> Result<()> {
        sqlite_insert(self, table, cols, rows).await
    }
}

/// Copies one table: each of the source's `rows` becomes the target's cells by `cells_of`
/// (given the row and its number, from 1), written into `cols` of the target in statements
/// as big as the bound parameters allow; returns how many rows were copied.
async fn copy_table<R>(
    mut rows: impl futures_util::Stream<Item = std::result::Result<R, sqlx::Error>> + Unpin,
    to: &mut impl Target,
    table: &str,
    cols: &[Column],
    progress: &mut (dyn FnMut(&str, u64) + Send),
    mut cells_of: impl FnMut(&R, u64) -> Result<Vec<Cell>>,
) -> Result<u64> {
    let per = (BINDS_PER_STATEMENT / cols.len().max(1)).max(1);
    let mut n = 0u64;
    let mut batch = Vec::with_capacity(per);
    while let Some(row) = rows.try_next().await? {
        batch.push(cells_of(&row, n + 1)?);
        n += 1;
        if batch.len() == per {
            to.insert(table, cols, &mut batch).await?;
            progress(table, n);
        }
    }
    // The source's cursor is closed before the last insert.
    drop(rows);
    to.insert(table, cols, &mut batch).await?;
    progress(table, n);
    Ok(n)
}

async fn sqlite_to_sqlite(
    from: &SqlitePool,
    to: &SqlitePool,
    progress: &mut (dyn FnMut(&str, u64) + Send),
) -> Result<TransferReport> {
    let mut report = TransferReport::default();
    let mut read = from.begin().await?;
    let mut tx = to.begin().await?;
    sqlite_require_empty(&mut tx).await?;
    for table in TABLES {
        let cols = sqlite_columns(to, table).await?;
        let source: Vec<String> = sqlite_columns(from, table).await?.into_iter().map(|c| c.name).collect();
        missing_columns(table, &cols, &source)?;
        let sql = sqlite_select(table, &cols);
        let rows = sqlx::query(&sql).fetch(&mut *read);
        let n = copy_table(rows, &mut tx, table, &cols, progress, |row, n| {
            sqlite_cells(row, n, table, &cols, false)
        })
        .await?;
        report.tables.push((table.to_string(), n));
    }
    tx.commit().await?;
    read.commit().await?;
    Ok(report)
}

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use sqlx::postgres::PgRow;
    use sqlx::{PgPool, Postgres, Transaction};

    fn pg_kind(udt: &str) -> Kind {
        match udt {
            "geometry" => Kind::Geometry,
            "date" => Kind::Date,
            "json" | "jsonb" => Kind::Json,
            "bool" => Kind::Bool,
            "int2" | "int4" | "int8" => Kind::Int,
            "float4" | "float8" | "numeric" => Kind::Real,
            "bytea" => Kind::Blob,
            _ => Kind::Text,
        }
    }

    async fn pg_columns(pool: &PgPool, table: &str) -> Result<Vec<Column>> {
        let rows = sqlx::query(
            "SELECT column_name::text AS name, udt_name::text AS udt FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Column {
                    name: r.try_get("name")?,
                    kind: pg_kind(&r.try_get::<String, _>("udt")?),
                })
            })
            .collect()
    }

    /// Reads a table of PostgreSQL in the codec's plain types.
    fn pg_select(table: &str, cols: &[Column]) -> String {
        let list = cols
            .iter()
            .map(|c| {
                let q = quote(&c.name);
                match c.kind {
                    Kind::Geometry => format!("ST_AsBinary({q})"),
                    Kind::Date => format!("to_char({q}, 'YYYY-MM-DD')"),
                    Kind::Json => format!("{q}::text"),
                    Kind::Bool => format!("{q}::int::bigint"),
                    Kind::Int => format!("{q}::bigint"),
                    Kind::Real => format!("{q}::float8"),
                    Kind::Text | Kind::Blob => q,
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let order = if cols.iter().any(|c| c.name == "fid") {
            " ORDER BY fid"
        } else {
            ""
        };
        format!("SELECT {list} FROM {table}{order}")
    }

    fn pg_cell(row: &PgRow, i: usize, kind: Kind) -> Result<Cell> {
        let cell = match kind {
            Kind::Geometry | Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Cell::Blob),
            Kind::Int | Kind::Bool => row.try_get::<Option<i64>, _>(i)?.map(Cell::Int),
            Kind::Real => row.try_get::<Option<f64>, _>(i)?.map(Cell::Real),
            Kind::Text | Kind::Date | Kind::Json => row.try_get::<Option<String>, _>(i)?.map(Cell::Text),
        };
        Ok(cell.unwrap_or(Cell::Null))
    }

    /// A write transaction on PostgreSQL that sees and may write every organisation's rows, holding
    /// the registry's write lock.
    async fn pg_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(crate::pg::WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT set_config('demine.organisations', '*', true)")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A consistent snapshot of a PostgreSQL registry, every organisation visible.
    async fn pg_read(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT set_config('demine.organisations', '*', true)")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    async fn pg_require_empty(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
        for t in TABLES.iter().filter(|t| **t != "demine_meta") {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {t}"))
                .fetch_one(&mut **tx)
                .await?;
            if n > 0 {
                return Err(not_empty(t, n));
            }
        }
        sqlx::query("DELETE FROM demine_meta").execute(&mut **tx).await?;
        Ok(())
    }

    async fn pg_insert(
        tx: &mut Transaction<'_, Postgres>,
        table: &str,
        cols: &[Column],
        rows: &mut Vec<Vec<Cell>>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let names = cols.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
        let mut qb =
            sqlx::QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({names}) OVERRIDING SYSTEM VALUE "));
        qb.push_values(rows.drain(..), |mut b, row| {
            for (cell, col) in row.into_iter().zip(cols) {
                let (open, close) = match col.kind {
                    Kind::Geometry => ("ST_GeomFromWKB(", ", 4326)"),
                    Kind::Date => ("CAST(", " AS date)"),
                    Kind::Json => ("CAST(", " AS json)"),
                    Kind::Bool => ("CAST(", " AS integer)::boolean"),
                    _ => ("", ""),
                };
                b.push(open);
                match cell {
                    Cell::Null => match col.kind {
                        Kind::Int | Kind::Bool => b.push_bind_unseparated(None::<i64>),
                        Kind::Real => b.push_bind_unseparated(None::<f64>),
                        Kind::Geometry | Kind::Blob => b.push_bind_unseparated(None::<Vec<u8>>),
                        _ => b.push_bind_unseparated(None::<String>),
                    },
                    Cell::Int(i) => b.push_bind_unseparated(i),
                    Cell::Real(x) => b.push_bind_unseparated(x),
                    Cell::Text(t) => b.push_bind_unseparated(t),
                    Cell::Blob(v) => b.push_bind_unseparated(v),
                };
                b.push_unseparated(close);
            }
        });
        qb.build().execute(&mut **tx).await?;
        Ok(())
    }

    impl Target for Transaction<'_, Postgres> {
        async fn insert(&mut self, table: &str, cols: &[Column], rows: &mut Vec<Vec<Cell>>) -> Result<()> {
            pg_insert(self, table, cols, rows).await
        }
    }

    /// Identity columns continue after the copied rows.
    async fn pg_reset_identities(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
        let rows = sqlx::query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(&mut **tx)
        .await?;
        for r in rows {
            let (t, c): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', '{c}'), coalesce((SELECT max({c}) FROM {t}), 0) + 1, false)",
                t = t.replace('\'', ""),
                c = c.replace('\'', ""),
            ))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn sqlite_to_pg(
        from: &SqlitePool,
        to: &PgPool,
        progress: &mut (dyn FnMut(&str, u64) + Send),
    ) -> Result<TransferReport> {
        let mut report = TransferReport::default();
        let mut read = from.begin().await?;
        let mut tx = pg_write(to).await?;
        pg_require_empty(&mut tx).await?;
        for table in TABLES {
            let cols = pg_columns(to, table).await?;
            let source: Vec<String> = sqlite_columns(from, table).await?.into_iter().map(|c| c.name).collect();
            missing_columns(table, &cols, &source)?;
            let sql = sqlite_select(table, &cols);
            let rows = sqlx::query(&sql).fetch(&mut *read);
            let n = copy_table(rows, &mut tx, table, &cols, progress, |row, n| {
                sqlite_cells(row, n, table, &cols, true)
            })
            .await?;
            report.tables.push((table.to_string(), n));
        }
        pg_reset_identities(&mut tx).await?;
        tx.commit().await?;
        read.commit().await?;
        Ok(report)
    }

    pub(super) async fn pg_to_sqlite(
        from: &PgPool,
        to: &SqlitePool,
        progress: &mut (dyn FnMut(&str, u64) + Send),
    ) -> Result<TransferReport> {
        let mut report = TransferReport::default();
        let mut read = pg_read(from).await?;
        let mut tx = to.begin().await?;
        sqlite_require_empty(&mut tx).await?;
        for table in TABLES {
            let target = sqlite_columns(to, table).await?;
            let source = pg_columns(from, table).await?;
            missing_columns(
                table,
                &target,
                &source.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            )?;
            // Read in the source's types, in the target's column order.
            let cols: Vec<Column> = target
                .iter()
                .map(|t| {
                    source
                        .iter()
                        .find(|s| s.name == t.name)
                        .cloned()
                        .expect("checked above")
                })
                .collect();
            let sql = pg_select(table, &cols);
            let rows = sqlx::query(&sql).fetch(&mut *read);
            let n = copy_table(rows, &mut tx, table, &target, progress, |row, n| {
                let mut cells = Vec::with_capacity(cols.len());
                for (i, (s, t)) in cols.iter().zip(&target).enumerate() {
                    let what = || format!("{table} row {n}, column {}", t.name);
                    cells.push(convert(pg_cell(row, i, s.kind)?, t.kind, false, &what)?);
                }
                Ok(cells)
            })
            .await?;
            report.tables.push((table.to_string(), n));
        }
        tx.commit().await?;
        read.commit().await?;
        Ok(report)
    }

    pub(super) async fn pg_to_pg(
        from: &PgPool,
        to: &PgPool,
        progress: &mut (dyn FnMut(&str, u64) + Send),
    ) -> Result<TransferReport> {
        let mut report = TransferReport::default();
        let mut read = pg_read(from).await?;
        let mut tx = pg_write(to).await?;
        pg_require_empty(&mut tx).await?;
        for table in TABLES {
            let cols = pg_columns(to, table).await?;
            let source: Vec<String> = pg_columns(from, table).await?.into_iter().map(|c| c.name).collect();
            missing_columns(table, &cols, &source)?;
            let sql = pg_select(table, &cols);
            let rows = sqlx::query(&sql).fetch(&mut *read);
            let n = copy_table(rows, &mut tx, table, &cols, progress, |row, _| {
                cols.iter().enumerate().map(|(i, c)| pg_cell(row, i, c.kind)).collect()
            })
            .await?;
            report.tables.push((table.to_string(), n));
        }
        pg_reset_identities(&mut tx).await?;
        tx.commit().await?;
        read.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::wkb::GpkgWkb;

    #[test]
    fn values_take_the_target_column_s_type_or_are_refused_by_location() {
        let what = || "hazards row 3, column area_m2".to_string();
        assert_eq!(convert(Cell::Int(5), Kind::Real, true, &what).unwrap(), Cell::Real(5.0));
        assert_eq!(convert(Cell::Real(7.0), Kind::Int, true, &what).unwrap(), Cell::Int(7));
        assert_eq!(convert(Cell::Null, Kind::Geometry, true, &what).unwrap(), Cell::Null);
        let err = convert(Cell::Text("lots".into()), Kind::Real, true, &what)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("hazards row 3, column area_m2") && err.contains("'lots'"),
            "{err}"
        );
        assert!(convert(Cell::Real(1.5), Kind::Int, true, &what).is_err());
    }

    #[test]
    fn geometry_blobs_change_container_between_backends_and_keep_their_shape() {
        use geo::polygon;
        let p = geo::Geometry::Polygon(polygon![(x: 30.0, y: 50.0), (x: 30.1, y: 50.0), (x: 30.1, y: 50.1)]);
        let what = || String::new();
        let blob = gpkg_blob(&p).unwrap();
        let Cell::Blob(wkb) = convert(Cell::Blob(blob.clone()), Kind::Geometry, true, &what).unwrap() else {
            panic!()
        };
        assert_ne!(&wkb[..2], b"GP");
        let Cell::Blob(back) = convert(Cell::Blob(wkb), Kind::Geometry, false, &what).unwrap() else {
            panic!()
        };
        assert_eq!(GpkgWkb(back).to_geo().unwrap(), p);
    }
}
