//! GeoParquet: import of GeoParquet 1.0 and 1.1 files (WKB geometry, the primary column of the
//! `geo` metadata, its CRS by EPSG code) and export.
//!
//! Import reads the rows with the `parquet` crate's record reader: each column but the
//! geometry and a 1.1 bounding-box covering becomes an attribute (dates and timestamps as ISO
//! 8601 text); the CRS is OGC:CRS84 when the column gives none, and a PROJJSON definition is
//! taken by its EPSG identifier. Snappy (GeoPandas', DuckDB's and GDAL's default), ZSTD,
//! gzip, LZ4 or no compression are read; Brotli and LZO are refused, saying how to write the
//! file again.
//!
//! Export: one row group, an `id` column, one column per attribute (boolean,
//! 64-bit integer, double or UTF-8 text, each optional) and the geometry as WKB in
//! `geometry`, with the `geo` file metadata (encoding, geometry types, bounding box) that
//! DuckDB, Apache Sedona, GeoPandas and GDAL read. Written with the `parquet` crate's column
//! writers (no Arrow: the Arrow crates more than double the build for one export).
//!
//! WGS 84 longitude/latitude only: GeoParquet's default CRS is OGC:CRS84, and any other needs a
//! PROJJSON definition, which nothing here writes.

use crate::crs::Crs;
use crate::write::{Col, Feature};
use crate::{invalid, ReadOptions};
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::FileError;
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

/// The GeoParquet file's bytes.
pub(crate) fn write(
    path: &Path,
    layer: &str,
    features: &[Feature],
    columns: &[(String, Col)],
    synthetic: bool,
) -> Result<Vec<u8>, FileError> {
    use geo::BoundingRect;
    use geozero::{CoordDimensions, ToWkb};
    let err = |e: &dyn std::fmt::Display| invalid(path, format!("cannot write GeoParquet: {e}"));
    let columns: Vec<&(String, Col)> = columns.iter().filter(|(c, _)| c != "id" && c != "geometry").collect();

    let text = |name: &str, repetition| {
        Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
            .with_repetition(repetition)
            .with_logical_type(Some(LogicalType::String))
            .build()
    };
    let mut fields = vec![Arc::new(text("id", Repetition::REQUIRED).map_err(|e| err(&e))?)];
    for (name, col) in &columns {
        let field = match col {
            Col::Text => text(name, Repetition::OPTIONAL),
            Col::Bool => Type::primitive_type_builder(name, Physical::BOOLEAN)
                .with_repetition(Repetition::OPTIONAL)
                .build(),
            Col::Int => Type::primitive_type_builder(name, Physical::INT64)
                .with_repetition(Repetition::OPTIONAL)
                .build(),
            Col::Real => Type::primitive_type_builder(name, Physical::DOUBLE)
                .with_repetition(Repetition::OPTIONAL)
                .build(),
        };
        fields.push(Arc::new(field.map_err(|e| err(&e))?));
    }
    fields.push(Arc::new(
        Type::primitive_type_builder("geometry", Physical::BYTE_ARRAY)
            .with_repetition(Repetition::REQUIRED)
            .build()
            .map_err(|e| err(&e))?,
    ));
    let schema = Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(|e| err(&e))?;

    let mut wkb = Vec::with_capacity(features.len());
    let mut types: Vec<&str> = Vec::new();
    let mut bbox: Option<geo::Rect<f64>> = None;
    for f in features {
        let g = crate::write::to_geo(&f.geometry)
            .ok_or_else(|| invalid(path, format!("record '{}': its geometry cannot be written", f.id)))?;
        let name = geometry_type(&g);
        if !types.contains(&name) {
            types.push(name);
        }
        if let Some(r) = g.bounding_rect() {
            bbox = Some(match bbox {
                None => r,
                Some(b) => geo::Rect::new(
                    geo::coord! { x: b.min().x.min(r.min().x), y: b.min().y.min(r.min().y) },
                    geo::coord! { x: b.max().x.max(r.max().x), y: b.max().y.max(r.max().y) },
                ),
            });
        }
        wkb.push(ByteArray::from(
            g.to_wkb(CoordDimensions::xy())
                .map_err(|e| invalid(path, format!("record '{}': {e}", f.id)))?,
        ));
    }
    types.sort_unstable();
    let geo = json!({
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB",
            "geometry_types": types,
            "bbox": bbox.map(|b| vec![b.min().x, b.min().y, b.max().x, b.max().y]),
        }},
    });
    let mut metadata = vec![KeyValue::new("geo".into(), geo.to_string())];
    metadata.push(KeyValue::new(
        "demine".into(),
        json!({"layer": layer, "synthetic": synthetic, "note": synthetic.then_some("SYNTHETIC data generated by demine demo")})
            .to_string(),
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(metadata))
        .build();
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(props)).map_err(|e| err(&e))?;
    let mut group = writer.next_row_group().map_err(|e| err(&e))?;
    let ids: Vec<ByteArray> = features.iter().map(|f| ByteArray::from(f.id.as_str())).collect();
    let mut next = |write: &mut dyn FnMut(
        &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()>| {
        let mut col = group
            .next_column()
            .map_err(|e| err(&e))?
            .ok_or_else(|| err(&"fewer columns than the schema"))?;
        write(&mut col).map_err(|e| err(&e))?;
        col.close().map_err(|e| err(&e))
    };
    next(&mut |c| c.typed::<ByteArrayType>().write_batch(&ids, None, None).map(|_| ()))?;
    for (name, col) in &columns {
        let values: Vec<Option<&Value>> = features
            .iter()
            .map(|f| f.props.get(name.as_str()).filter(|v| !v.is_null()))
            .collect();
        let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
        let present = values.iter().flatten();
        match col {
            Col::Bool => {
                let v: Vec<bool> = present.map(|v| v.as_bool().unwrap_or(false)).collect();
                next(&mut |c| c.typed::<BoolType>().write_batch(&v, Some(&levels), None).map(|_| ()))?;
            }
            Col::Int => {
                let v: Vec<i64> = present.map(|v| v.as_i64().unwrap_or_default()).collect();
                next(&mut |c| c.typed::<Int64Type>().write_batch(&v, Some(&levels), None).map(|_| ()))?;
            }
            Col::Real => {
                let v: Vec<f64> = present.map(|v| v.as_f64().unwrap_or(f64::NAN)).collect();
                next(&mut |c| c.typed::<DoubleType>().write_batch(&v, Some(&levels), None).map(|_| ()))?;
            }
            Col::Text => {
                let v: Vec<ByteArray> = present
                    .map(|v| ByteArray::from(crate::write::text_of(v).as_str()))
                    .collect();
                next(&mut |c| {
                    c.typed::<ByteArrayType>()
                        .write_batch(&v, Some(&levels), None)
                        .map(|_| ())
                })?;
            }
        }
    }
    next(&mut |c| c.typed::<ByteArrayType>().write_batch(&wkb, None, None).map(|_| ()))?;
    group.close().map_err(|e| err(&e))?;
    writer.close().map_err(|e| err(&e))?;
    Ok(out)
}

/// The GeoParquet name of a geometry's type.
fn geometry_type(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::LineString(_) | geo::Geometry::Line(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => "Polygon",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Reads a GeoParquet file: its records as read, per-record problems (unreadable geometry) and
/// the CRS its primary geometry column declares.
pub(crate) fn read(path: &Path, opts: &ReadOptions) -> Result<crate::shp::Out, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::Io {
        path: path.to_owned(),
        cause: e,
    })?;
    read_from(path, file, opts)
}

/// [`read`] of GeoParquet bytes named `path` in messages (the fuzz target's entry).
pub fn read_bytes(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<crate::shp::Out, FileError> {
    read_from(path, bytes::Bytes::copy_from_slice(bytes), opts)
}

/// [`read`] from any source the `parquet` crate reads in pieces (a file, bytes in memory).
///
/// The `parquet` crate asserts on some damaged metadata (the fuzzer found a negative column
/// start) instead of returning an error: such a panic is caught, silently, and the file refused
/// as damaged, so that bad input never ends the process.
fn read_from<R: parquet::file::reader::ChunkReader + 'static>(
    path: &Path,
    source: R,
    opts: &ReadOptions,
) -> Result<crate::shp::Out, FileError> {
    crate::quietly(|| read_unguarded(path, source, opts))
        .unwrap_or_else(|why| Err(damaged(path, format!("not a readable Parquet file ({why})"))))
}

/// The refusal of a damaged file: `what` went wrong, and what to do.
fn damaged(path: &Path, what: impl std::fmt::Display) -> FileError {
    invalid(
        path,
        format!("{what}: the file is truncated or damaged; export it again"),
    )
}

fn read_unguarded<R: parquet::file::reader::ChunkReader + 'static>(
    path: &Path,
    source: R,
    opts: &ReadOptions,
) -> Result<crate::shp::Out, FileError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader =
        SerializedFileReader::new(source).map_err(|e| damaged(path, format!("not a readable Parquet file ({e})")))?;
    // Codecs this build does not decode are refused before any row is read.
    for column in reader.metadata().row_groups().iter().flat_map(|g| g.columns()) {
        let codec = match column.compression() {
            Compression::BROTLI(_) => "Brotli",
            Compression::LZO => "LZO",
            _ => continue,
        };
        return Err(invalid(
                path,
                format!(
                    "column `{}` is compressed with {codec}, which demine does not read; write the file again with Snappy or ZSTD \
                     (GeoPandas/pyarrow: compression=\"snappy\"; DuckDB: (COMPRESSION snappy); GDAL: -lco COMPRESSION=SNAPPY)",
                    column.column_path().string(),
                ),
            ));
    }
    check_dictionaries(&reader).map_err(|e| damaged(path, format!("not a readable Parquet file ({e})")))?;
    let metadata = reader.metadata().file_metadata();
    let geo = metadata
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.as_deref())
        .ok_or_else(|| {
            invalid(
                path,
                "a Parquet file without GeoParquet `geo` metadata: nothing says which column holds the geometry; \
                 write it as GeoParquet (GeoPandas `to_parquet`, DuckDB `COPY … (FORMAT PARQUET)` with the spatial \
                 extension, `ogr2ogr -f Parquet`) or export it as CSV with WKT",
            )
        })?;
    let geo: Value = serde_json::from_str(geo).map_err(|e| {
        invalid(
            path,
            format!("the `geo` metadata is not JSON ({e}); write the file again"),
        )
    })?;
    let primary = geo["primary_column"].as_str().unwrap_or("geometry").to_string();
    let column = &geo["columns"][&primary];
    if column.is_null() {
        return Err(invalid(
            path,
            format!("the `geo` metadata names `{primary}` as the geometry column but does not describe it"),
        ));
    }
    let encoding = column["encoding"].as_str().unwrap_or("");
    if !encoding.eq_ignore_ascii_case("WKB") {
        return Err(invalid(
            path,
            format!(
                "geometry column `{primary}` is encoded as `{encoding}`; demine reads WKB, the GeoParquet default \
                 (GeoPandas: `to_parquet(..., geometry_encoding=\"WKB\")`)"
            ),
        ));
    }
    let declared = match column.get("crs") {
        // GeoParquet's default: longitude/latitude on WGS 84.
        None => Some(Crs::wgs84()),
        Some(Value::Null) if opts.crs.is_none() => {
            return Err(invalid(
                path,
                format!(
                "geometry column `{primary}` declares its CRS unknown (`\"crs\": null`); give it with --crs EPSG:CODE"
            ),
            ))
        }
        Some(Value::Null) => None,
        Some(projjson) => Some(crs_of_projjson(projjson).map_err(|e| invalid(path, e))?),
    };
    // A 1.1 bounding-box covering is an index of the geometry, not an attribute.
    let covering: Vec<String> = column["covering"]["bbox"]
        .as_object()
        .map(|b| {
            b.values()
                .filter_map(|v| v.as_array().and_then(|a| a.first()).and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| damaged(path, format!("cannot read the rows ({e})")))?;
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    for (i, row) in rows.enumerate() {
        let index = i + 1;
        let row = row.map_err(|e| damaged(path, format!("row {index}: {e}")))?;
        let mut record = RawRecord {
            index,
            line: None,
            properties: demine_core::Attributes::new(),
            geometry: RawGeometry::Missing,
        };
        let mut wkb = None;
        for (name, field) in row.get_column_iter() {
            if *name == primary {
                wkb = Some(field);
            } else if !covering.contains(name) && !matches!(field, Field::Bytes(_)) {
                record.properties.insert(name.clone(), field.to_json_value());
            }
        }
        match wkb {
            Some(Field::Bytes(bytes)) => {
                use geozero::ToGeo;
                match geozero::wkb::Wkb(bytes.data()).to_geo() {
                    Ok(g) => record.geometry = RawGeometry::from_geo(&g),
                    Err(e) => problems.push(crate::problem(
                        &record,
                        &primary,
                        format!("unreadable WKB geometry: {e}"),
                    )),
                }
            }
            Some(Field::Null) | None => {}
            Some(other) => problems.push(crate::problem(
                &record,
                &primary,
                format!("the geometry is {other:?}, not WKB bytes"),
            )),
        }
        records.push(record);
    }
    Ok((records, problems, declared))
}

/// Every dictionary page holds at least the bytes its values need. The `parquet` crate sizes a
/// dictionary by the count its page header states before reading it, so a damaged header
/// (the fuzzer found one announcing 26 GB of values in a few bytes) would exhaust the memory.
fn check_dictionaries<R: parquet::file::reader::ChunkReader + 'static>(
    reader: &parquet::file::reader::SerializedFileReader<R>,
) -> Result<(), String> {
    use parquet::column::page::Page;
    use parquet::file::reader::FileReader;
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(|e| e.to_string())?;
        for c in 0..group.num_columns() {
            let column = group.metadata().column(c).column_descr();
            // The least a PLAIN-encoded value takes, in bits.
            let bits_per_value = match column.physical_type() {
                Physical::BOOLEAN => 1,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 32,
                Physical::INT64 | Physical::DOUBLE => 64,
                Physical::INT96 => 96,
                Physical::FIXED_LEN_BYTE_ARRAY => 8 * column.type_length().max(1) as u64,
            };
            let mut pages = group.get_column_page_reader(c).map_err(|e| e.to_string())?;
            while let Some(page) = pages.get_next_page().map_err(|e| e.to_string())? {
                if let Page::DictionaryPage { buf, num_values, .. } = &page {
                    if u64::from(*num_values) * bits_per_value > 8 * buf.len() as u64 {
                        return Err(format!(
                            "column `{}`: a dictionary of {num_values} values in {} bytes",
                            column.path().string(),
                            buf.len()
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The CRS of a GeoParquet column's PROJJSON definition, by its identifier (EPSG, or OGC
/// CRS84 for WGS 84 longitude/latitude).
fn crs_of_projjson(projjson: &Value) -> Result<Crs, String> {
    let id = projjson.get("id").or_else(|| projjson.pointer("/ids/0"));
    let authority = id.and_then(|i| i["authority"].as_str()).unwrap_or("");
    let code = id.map(|i| &i["code"]);
    let code_text = code
        .and_then(|c| {
            c.as_str()
                .map(str::to_string)
                .or_else(|| c.as_u64().map(|n| n.to_string()))
        })
        .unwrap_or_default();
    match (authority.to_ascii_uppercase().as_str(), code_text.as_str()) {
        ("OGC", "CRS84") => Ok(Crs::wgs84()),
        ("EPSG", code) if !code.is_empty() => code
            .parse::<u32>()
            .map_err(|_| format!("the geometry's CRS has EPSG code '{code}', not a number"))
            .and_then(Crs::from_epsg),
        _ => Err(format!(
            "the geometry's CRS ({}) has no EPSG identifier demine can use; give it with --crs EPSG:CODE",
            projjson["name"]
                .as_str()
                .unwrap_or("a PROJJSON definition without a name")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_core::Attributes;

    fn feature(id: &str, name: &str, depth_cm: Option<i64>, geometry: RawGeometry) -> Feature {
        let mut props = Attributes::new();
        props.insert("name".into(), Value::from(name));
        if let Some(d) = depth_cm {
            props.insert("depth_cm".into(), Value::from(d));
        }
        Feature {
            id: id.into(),
            props,
            geometry,
        }
    }

    fn written(features: &[Feature]) -> Vec<u8> {
        let columns = vec![("name".to_string(), Col::Text), ("depth_cm".to_string(), Col::Int)];
        write(Path::new("t.parquet"), "finds", features, &columns, true).unwrap()
    }

    fn read_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<crate::shp::Out, FileError> {
        super::read_bytes(Path::new("t.parquet"), bytes, opts)
    }

    #[test]
    fn an_export_reads_back_with_its_attributes_geometry_and_crs() {
        let square = vec![vec![
            [36.0, 49.0],
            [36.01, 49.0],
            [36.01, 49.01],
            [36.0, 49.01],
            [36.0, 49.0],
        ]];
        let features = [
            feature("F-1", "Поле біля Ізюма", Some(15), RawGeometry::Point([36.5, 49.2])),
            feature("F-2", "yard", None, RawGeometry::Polygons(vec![square])),
        ];
        let (records, problems, crs) = read_bytes(&written(&features), &ReadOptions::default()).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(crs.is_some_and(|c| c.is_wgs84()));
        assert_eq!(records.len(), 2);
        for (r, f) in records.iter().zip(&features) {
            assert_eq!(r.properties["id"], Value::from(f.id.as_str()));
            assert_eq!(r.properties["name"], f.props["name"]);
            assert_eq!(r.geometry, f.geometry, "{}", f.id);
        }
        assert_eq!(records[0].properties["depth_cm"], Value::from(15));
        assert_eq!(records[1].properties["depth_cm"], Value::Null);
        // The geometry column is the geometry, not an attribute.
        assert!(!records[0].properties.contains_key("geometry"));
    }

    #[test]
    fn projjson_crs_is_taken_by_its_epsg_identifier() {
        let utm = json!({"type": "ProjectedCRS", "name": "WGS 84 / UTM zone 36N", "id": {"authority": "EPSG", "code": 32636}});
        assert_eq!(crs_of_projjson(&utm).unwrap().epsg(), 32636);
        let crs84 = json!({"name": "WGS 84 (CRS84)", "id": {"authority": "OGC", "code": "CRS84"}});
        assert!(crs_of_projjson(&crs84).unwrap().is_wgs84());
        let anonymous = json!({"type": "ProjectedCRS", "name": "local grid"});
        let e = crs_of_projjson(&anonymous).unwrap_err();
        assert!(e.contains("local grid") && e.contains("--crs"), "{e}");
    }

    #[test]
    fn damaged_files_are_refused_with_the_file_named_never_a_panic() {
        let bytes = written(&[
            feature("F-1", "a", Some(5), RawGeometry::Point([36.5, 49.2])),
            feature("F-2", "b", Some(7), RawGeometry::Point([36.6, 49.3])),
        ]);
        // Every truncation, and a byte flipped at every 7th offset: an error or records, never a
        // panic (the test would abort).
        for cut in 0..bytes.len() {
            if let Err(e) = read_bytes(&bytes[..cut], &ReadOptions::default()) {
                assert!(e.to_string().contains("t.parquet"), "{e}");
            }
        }
        for at in (0..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5a;
            let _ = read_bytes(&damaged, &ReadOptions::default());
        }
        let e = read_bytes(&bytes[..bytes.len() / 2], &ReadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("export it again"), "{e}");
    }
}
