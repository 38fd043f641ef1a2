//! Reading a feature layer of another tool's GeoPackage (QGIS, ArcGIS, GDAL), read-only, for
//! `demine import KIND FILE.gpkg [--layer NAME]`. This is SQL, so it lives here; turning the
//! rows into records (geometry blobs, the layer's CRS) is `demine-formats`' business.

use crate::gpkg::bind::Cell;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;
use std::path::Path;

/// One feature of a layer: its attributes and its GeoPackage geometry blob (none if NULL).
pub type ForeignRow = (serde_json::Map<String, serde_json::Value>, Option<Vec<u8>>);

/// A layer's rows (attributes, GeoPackage geometry blob) and spatial reference system.
#[derive(Debug, Default)]
pub struct ForeignLayer {
    pub name: String,
    pub srs_id: i64,
    pub organization: String,
    pub organization_coordsys_id: i64,
    pub definition: String,
    pub rows: Vec<ForeignRow>,
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Reads feature layer `layer` (or the file's only one). `Err` is a message naming what is
/// wrong and what to do (no such layer: the layers there are listed).
pub async fn read_geopackage_layer(path: &Path, layer: Option<&str>) -> Result<ForeignLayer, String> {
    let mut reader = open_geopackage_layer(path, layer).await?;
    let mut rows = Vec::new();
    loop {
        let chunk = reader.next_rows(usize::MAX).await?;
        if chunk.is_empty() {
            break;
        }
        rows.extend(chunk);
    }
    Ok(ForeignLayer { rows, ..reader.layer })
}

/// A feature layer being read chunk by chunk ([`open_geopackage_layer`]), so that a million
/// rows never sit in memory at once.
pub struct ForeignLayerReader {
    conn: sqlx::SqliteConnection,
    /// The layer's name and spatial reference system (its `rows` stay empty).
    pub layer: ForeignLayer,
    /// How many rows the layer holds.
    pub total_rows: usize,
    geom_col: String,
    pk: Option<String>,
    booleans: Vec<String>,
    /// The last primary key read (the layer has one), or how many rows were read (it has none).
    after: i64,
}

/// Opens feature layer `layer` (or the file's only one) for [`ForeignLayerReader::next_rows`].
pub async fn open_geopackage_layer(path: &Path, layer: Option<&str>) -> Result<ForeignLayerReader, String> {
    let mut head = [0u8; 16];
    {
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
        // A shorter file is not a GeoPackage either.
        let _ = f.read(&mut head).map_err(|e| format!("cannot read: {e}"))?;
    }
    if &head != b"SQLite format 3\0" {
        return Err("not a GeoPackage (not an SQLite database)".into());
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| format!("cannot open: {e}"))?;
    let layers: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
         JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.table_name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|e| format!("not a GeoPackage with feature layers (gpkg_contents, gpkg_geometry_columns): {e}"))?;
    let names = || layers.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(", ");
    let (name, geom_col, srs_id) = match (layer, layers.as_slice()) {
        (_, []) => return Err("the GeoPackage has no feature layers".into()),
        (None, [one]) => one.clone(),
        (None, _) => {
            return Err(format!(
                "the GeoPackage has {} feature layers; choose one with --layer NAME ({})",
                layers.len(),
                names()
            ))
        }
        (Some(l), _) => match layers.iter().find(|x| x.0.eq_ignore_ascii_case(l)) {
            Some(x) => x.clone(),
            None => return Err(format!("no feature layer '{l}'; layers: {}", names())),
        },
    };
    let srs: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_optional(&mut conn)
    .await
    .map_err(|e| format!("gpkg_spatial_ref_sys: {e}"))?;
    let (organization, organization_coordsys_id, definition) = srs.unwrap_or_default();
    let info: Vec<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT name, type, pk FROM pragma_table_info({})",
        format_args!("'{}'", name.replace('\'', "''"))
    ))
    .fetch_all(&mut conn)
    .await
    .map_err(|e| format!("layer {name}: {e}"))?;
    let pk: Option<String> = info
        .iter()
        .find(|(_, t, pk)| *pk == 1 && t.eq_ignore_ascii_case("INTEGER"))
        .map(|c| c.0.clone());
    let booleans: Vec<String> = info
        .iter()
        .filter(|(_, t, _)| t.eq_ignore_ascii_case("BOOLEAN"))
        .map(|c| c.0.clone())
        .collect();
    let total_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(&name)))
        .fetch_one(&mut conn)
        .await
        .map_err(|e| format!("layer {name}: {e}"))?;
    Ok(ForeignLayerReader {
        conn,
        layer: ForeignLayer {
            name,
            srs_id,
            organization,
            organization_coordsys_id,
            definition,
            rows: Vec::new(),
        },
        total_rows: total_rows.max(0) as usize,
        geom_col,
        pk,
        booleans,
        after: i64::MIN,
    })
}

impl ForeignLayerReader {
    /// The next rows of the layer, up to `max` of them, in primary-key order; none at the end.
    pub async fn next_rows(&mut self, max: usize) -> Result<Vec<ForeignRow>, String> {
        let name = &self.layer.name;
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        let sql = match &self.pk {
            // Keyset pagination: each chunk starts where the last ended, through the key's index.
            Some(pk) => format!(
                "SELECT * FROM {} WHERE {pk} > ?1 ORDER BY {pk} LIMIT ?2",
                quote(name),
                pk = quote(pk)
            ),
            None => format!("SELECT * FROM {} LIMIT ?2 OFFSET max(?1, 0)", quote(name)),
        };
        let mut rows = Vec::new();
        let mut last_key = None;
        {
            let mut handle = self
                .conn
                .lock_handle()
                .await
                .map_err(|e| format!("layer {name}: {e}"))?;
            let db = handle.as_raw_handle().as_ptr();
            let (pk, geom_col, booleans) = (self.pk.as_deref(), self.geom_col.as_str(), &self.booleans);
            let read =
                || {
                    // SAFETY: sqlx's lock on the connection is held (`handle`) for the whole call.
                    unsafe {
                        crate::gpkg::bind::query_rows(db, &sql, &[self.after, limit], |names, cells| {
                            if let Some(pk) = pk {
                                last_key = names.iter().zip(cells).find(|(n, _)| n.as_str() == pk).and_then(
                                    |(_, c)| match c {
                                        Cell::Int(k) => Some(*k),
                                        _ => None,
                                    },
                                );
                            }
                            rows.push(decode(names, cells, geom_col, pk, booleans));
                            Ok(())
                        })
                    }
                };
            crate::gpkg::codec::blocking(read).map_err(|e| format!("layer {name}: {e}"))?;
        }
        self.after = match (&self.pk, last_key) {
            (Some(_), Some(k)) => k,
            (Some(pk), None) if !rows.is_empty() => {
                return Err(format!(
                    "layer {name}: its key column {pk} holds a value that is not an integer"
                ))
            }
            (Some(_), None) => self.after,
            (None, _) => self.after.max(0) + rows.len() as i64,
        };
        Ok(rows)
    }
}

/// A row as attributes (by the values' own types; integers of a BOOLEAN column as booleans;
/// other blobs left out) and its geometry blob.
fn decode(names: &[String], cells: &[Cell<'_>], geom_col: &str, pk: Option<&str>, booleans: &[String]) -> ForeignRow {
    use serde_json::Value;
    let mut props = serde_json::Map::new();
    let mut geometry = None;
    for (name, cell) in names.iter().zip(cells) {
        if matches!(cell, Cell::Null) {
            continue;
        }
        if name.eq_ignore_ascii_case(geom_col) {
            if let Cell::Blob(b) = cell {
                geometry = Some(b.to_vec());
            }
            continue;
        }
        if Some(name.as_str()) == pk {
            continue;
        }
        let v = match cell {
            Cell::Int(n) if booleans.iter().any(|b| b == name) => Value::Bool(*n != 0),
            Cell::Int(n) => Value::from(*n),
            Cell::Real(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Cell::Text(t) => Value::String((*t).to_string()),
            Cell::Blob(_) | Cell::Null => continue,
        };
        props.insert(name.clone(), v);
    }
    (props, geometry)
}

/// WGS 84 as GDAL writes it into `gpkg_spatial_ref_sys`.
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// The geometry type and envelope [min x, max x, min y, max y] in a GeoPackage geometry blob.
fn blob_type_and_envelope(blob: &[u8]) -> Option<(u32, Option<[f64; 4]>)> {
    let envelope = crate::gpkg::functions::envelope(blob)?;
    let wkb = crate::gpkg::codec::wkb_of_gpkg(blob.to_vec());
    let b: [u8; 4] = wkb.get(1..5)?.try_into().ok()?;
    let ty = if wkb[0] == 1 {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    };
    Some((ty % 1000, envelope))
}

/// Writes `layer` as a new GeoPackage at `path` (GeoPackage 1.3: the core tables, the layer's
/// spatial reference system, one feature table with a column per attribute). The file is made
/// beside the target and renamed into place, so a failed export leaves no half file. `Err` is a
/// message saying what went wrong.
pub async fn write_geopackage_layer(path: &Path, layer: &ForeignLayer) -> Result<(), String> {
    if demine_core::is_special_file(path) {
        return Err(
            "a GeoPackage is a database file: it cannot be written to a device or a pipe; give a file name".into(),
        );
    }
    use serde_json::Value;
    let partial = path.with_extension("gpkg.partial");
    let _ = std::fs::remove_file(&partial);
    let result = async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&partial)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)
            .connect()
            .await
            .map_err(|e| format!("cannot create: {e}"))?;
        // Column types, from every row's value.
        let mut columns: Vec<(String, &'static str)> = Vec::new();
        for (props, _) in &layer.rows {
            for (k, v) in props {
                let t = match v {
                    Value::Null => continue,
                    Value::Bool(_) => "BOOLEAN",
                    Value::Number(n) if n.is_i64() || n.is_u64() => "INTEGER",
                    Value::Number(_) => "REAL",
                    _ => "TEXT",
                };
                match columns.iter_mut().find(|c| c.0 == *k) {
                    None => columns.push((k.clone(), t)),
                    Some(c) if c.1 == t => {}
                    Some(c) if matches!((c.1, t), ("INTEGER", "REAL") | ("REAL", "INTEGER")) => c.1 = "REAL",
                    Some(c) => c.1 = "TEXT",
                }
            }
        }
        let (mut types, mut extent) = (std::collections::BTreeSet::new(), None::<[f64; 4]>);
        for blob in layer.rows.iter().filter_map(|r| r.1.as_deref()) {
            if let Some((ty, env)) = blob_type_and_envelope(blob) {
                types.insert(ty);
                if let Some(e) = env {
                    extent = Some(match extent {
                        None => e,
                        Some(x) => [x[0].min(e[0]), x[1].max(e[1]), x[2].min(e[2]), x[3].max(e[3])],
                    });
                }
            }
        }
        let geometry_type = match types.iter().collect::<Vec<_>>().as_slice() {
            [1] => "POINT",
            [2] => "LINESTRING",
            [3] => "POLYGON",
            [4] => "MULTIPOINT",
            [5] => "MULTILINESTRING",
            [6] => "MULTIPOLYGON",
            [3, 6] => "MULTIPOLYGON",
            _ => "GEOMETRY",
        };
        let table = quote(&layer.name);
        let mut ddl = String::from(
            "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;
             CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
               organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
               description TEXT);
             CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
               identifier TEXT UNIQUE, description TEXT DEFAULT '',
               last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
               min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
               CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
             CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
               geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
               CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
               CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
               CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));",
        );
        ddl.push_str(&format!(
            "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geometry_type}{});",
            columns
                .iter()
                .map(|(n, t)| format!(", {} {t}", quote(n)))
                .collect::<String>()
        ));
        let mut tx = sqlx::Connection::begin(&mut conn).await.map_err(|e| e.to_string())?;
        sqlx::raw_sql(&ddl).execute(&mut *tx).await.map_err(|e| e.to_string())?;
        let srs_rows = [
            ("Undefined cartesian SRS".to_string(), -1i64, "NONE".to_string(), -1i64, "undefined".to_string()),
            ("Undefined geographic SRS".into(), 0, "NONE".into(), 0, "undefined".into()),
            ("WGS 84 geodetic".into(), 4326, "EPSG".into(), 4326, WGS84_WKT.into()),
        ];
        for (name, id, org, code, def) in srs_rows.into_iter().chain((layer.srs_id != 4326).then(|| {
            (
                format!("EPSG:{}", layer.organization_coordsys_id),
                layer.srs_id,
                layer.organization.clone(),
                layer.organization_coordsys_id,
                layer.definition.clone(),
            )
        })) {
            sqlx::query("INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES (?, ?, ?, ?, ?)")
                .bind(name).bind(id).bind(org).bind(code).bind(def)
                .execute(&mut *tx).await.map_err(|e| e.to_string())?;
        }
        let [min_x, max_x, min_y, max_y] = extent.map(|e| e.map(Some)).unwrap_or([None; 4]);
        sqlx::query("INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?)")
            .bind(&layer.name).bind(&layer.name).bind(min_x).bind(min_y).bind(max_x).bind(max_y).bind(layer.srs_id)
            .execute(&mut *tx).await.map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)")
            .bind(&layer.name).bind(geometry_type).bind(layer.srs_id)
            .execute(&mut *tx).await.map_err(|e| e.to_string())?;
        let insert = format!(
            "INSERT INTO {table} (geom{}) VALUES (?{})",
            columns.iter().map(|(n, _)| format!(", {}", quote(n))).collect::<String>(),
            ", ?".repeat(columns.len())
        );
        for (props, blob) in &layer.rows {
            let mut q = sqlx::query(&insert).bind(blob.clone());
            for (name, ty) in &columns {
                q = match (props.get(name), *ty) {
                    (None | Some(Value::Null), _) => q.bind(None::<String>),
                    (Some(Value::Bool(b)), "BOOLEAN") => q.bind(*b),
                    (Some(Value::Number(n)), "INTEGER") => q.bind(n.as_i64()),
                    (Some(Value::Number(n)), "REAL") => q.bind(n.as_f64()),
                    (Some(Value::String(s)), _) => q.bind(s.clone()),
                    (Some(v), _) => q.bind(v.to_string()),
                };
            }
            q.execute(&mut *tx).await.map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        sqlx::Connection::close(conn).await.map_err(|e| e.to_string())?;
        std::fs::rename(&partial, path).map_err(|e| format!("cannot put the file in place: {e}"))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
