//! Exports: records to Shapefile (`.shp`, or a `.zip` of its parts; `.cpg` and `.prj`
//! written), KML, KMZ, GPX, FlatGeobuf and GeoParquet (WGS 84 only), in WGS84 or any supported CRS (`--crs`); GeoJSON and
//! CSV go through `demine-io`. Every export is written whole or not at all: parts are made in
//! a temporary directory beside the target and renamed into place.

use crate::crs::Crs;
use crate::xml::esc;
use crate::{invalid, Format};
use demine_core::{Attributes, Record};
use demine_io::raw::RawGeometry;
use demine_io::FileError;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How to write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Else from the extension.
    pub format: Option<Format>,
    /// Else WGS 84.
    pub crs: Option<Crs>,
    /// Shapefile `.dbf` encoding (default UTF-8).
    pub encoding: Option<String>,
}

/// The format `path` is written in: `--format`, else its extension.
pub fn format_of(path: &Path, opts: &WriteOptions) -> Option<Format> {
    opts.format.or_else(|| Format::from_path(path))
}

/// A GeoPackage layer's spatial reference system and rows (attributes, geometry blob).
pub type GeoPackageRows = (crate::gpkg::SpatialRef, Vec<(Attributes, Option<Vec<u8>>)>);

/// A feature layer for a GeoPackage: its spatial reference system and, per record, the
/// attributes (`id` first) and the GeoPackage geometry blob in the target CRS. The store writes
/// it (SQL lives there).
pub fn geopackage_layer<R: Record>(
    path: &Path,
    records: &[R],
    opts: &WriteOptions,
) -> Result<GeoPackageRows, FileError> {
    use geo::{BoundingRect, MapCoords};
    use geozero::{CoordDimensions, ToWkb};
    let crs = opts.crs.clone().unwrap_or_else(Crs::wgs84);
    let srs = crate::gpkg::SpatialRef {
        srs_id: i64::from(crs.epsg()),
        organization: "EPSG".into(),
        organization_coordsys_id: i64::from(crs.epsg()),
        definition: crs.wkt(),
    };
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        let g = r
            .geometry()
            .try_map_coords(|c| crs.from_wgs84([c.x, c.y]).map(|[x, y]| geo::Coord { x, y }))
            .map_err(|e| invalid(path, format!("record '{}': {e}; nothing was written", r.id())))?;
        // The GeoPackage envelope is [min x, max x, min y, max y].
        let envelope = g
            .bounding_rect()
            .map(|b| vec![b.min().x, b.max().x, b.min().y, b.max().y])
            .unwrap_or_default();
        let blob = g
            .to_gpkg_wkb(CoordDimensions::xy(), Some(crs.epsg() as i32), envelope)
            .map_err(|e| invalid(path, format!("record '{}': {e}", r.id())))?;
        let mut props = Attributes::new();
        props.insert("id".into(), Value::String(r.id().to_string()));
        for (k, v) in r.properties() {
            if k != "id" {
                props.insert(k, v);
            }
        }
        rows.push((props, Some(blob)));
    }
    Ok((srs, rows))
}

/// A column's type, from every record's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Col {
    Bool,
    Int,
    Real,
    Text,
}

/// One feature ready to write: id, properties, geometry in the target CRS.
pub(crate) struct Feature {
    pub id: String,
    pub props: Attributes,
    pub geometry: RawGeometry,
}

/// Writes records of `layer` to `path` in the chosen format.
pub fn write_records<R: Record>(
    path: &Path,
    layer: &str,
    records: &[R],
    synthetic: bool,
    opts: &WriteOptions,
) -> Result<(), FileError> {
    let format = opts
        .format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| invalid(path, format!("unknown export format; name the file .geojson, .csv, .shp, .zip, .kml, .kmz, .gpx, .fgb, .gpkg or .parquet, or give --format ({})", Format::NAMES)))?;
    let crs = opts.crs.clone().unwrap_or_else(Crs::wgs84);
    match format {
        Format::GeoJson | Format::Csv => {
            if !crs.is_wgs84() {
                return Err(invalid(
                    path,
                    format!("{} is written in WGS 84 longitude/latitude (RFC 7946); for {crs} export a Shapefile, FlatGeobuf or GeoPackage", format.name()),
                ));
            }
            let want = if format == Format::GeoJson { "geojson" } else { "csv" };
            // A stream (`/dev/stdout`, a pipe) or a name without an extension tells no format:
            // `--format` does.
            let stream = demine_core::is_special_file(path) || (opts.format.is_some() && path.extension().is_none());
            let ok = stream
                || path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| Format::from_name(e).ok() == Some(format));
            if !ok {
                return Err(invalid(path, format!("name the file .{want} to write {}", format.name())));
            }
            return demine_io::export::write_records_as(path, format == Format::Csv, layer, records, synthetic);
        }
        Format::GeoParquet if !crs.is_wgs84() => {
            return Err(invalid(
                path,
                format!("GeoParquet is written in WGS 84 longitude/latitude (OGC:CRS84); for EPSG:{} export a Shapefile, FlatGeobuf or GeoPackage", crs.epsg()),
            ))
        }
        Format::Kml | Format::Kmz | Format::Gpx if !crs.is_wgs84() => {
            return Err(invalid(
                path,
                format!("{} is WGS 84 by definition; --crs {} is for Shapefile and FlatGeobuf", format.name(), crs.epsg()),
            ))
        }
        Format::GeoPackage => {
            return Err(invalid(
                path,
                "a GeoPackage is written by the store (SQL): use geopackage_layer and demine_store::foreign::write_geopackage_layer",
            ))
        }
        _ => {}
    }
    let mut features = Vec::with_capacity(records.len());
    for r in records {
        let mut geometry = RawGeometry::from_geo(&r.geometry());
        let mut err = None;
        crate::map_coords(&mut geometry, &mut |p| match crs.from_wgs84(*p) {
            Ok(q) => *p = q,
            Err(e) => {
                if err.is_none() {
                    err = Some(e)
                }
            }
        });
        if let Some(e) = err {
            return Err(invalid(path, format!("record '{}': {e}; nothing was written", r.id())));
        }
        features.push(Feature {
            id: r.id().to_string(),
            props: r.properties(),
            geometry,
        });
    }
    let columns = columns(&features);
    match format {
        Format::Shapefile => write_shapefile(path, layer, &features, &columns, &crs, opts.encoding.as_deref()),
        Format::Kml => {
            let doc = kml(layer, &features, &columns, synthetic);
            demine_io::write_atomically(path, doc.as_bytes())
        }
        Format::Kmz => {
            let doc = kml(layer, &features, &columns, synthetic);
            demine_io::write_with(path, |out| {
                let mut buf = std::io::Cursor::new(Vec::new());
                {
                    let mut zip = zip::ZipWriter::new(&mut buf);
                    let o =
                        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
                    zip.start_file("doc.kml", o).map_err(std::io::Error::other)?;
                    zip.write_all(doc.as_bytes())?;
                    zip.finish().map_err(std::io::Error::other)?;
                }
                out.write_all(&buf.into_inner())
            })
        }
        Format::Gpx => {
            let doc = gpx(path, layer, &features, synthetic)?;
            demine_io::write_atomically(path, doc.as_bytes())
        }
        Format::FlatGeobuf => {
            let bytes = fgb(path, layer, &features, &columns, &crs, synthetic)?;
            demine_io::write_atomically(path, &bytes)
        }
        Format::GeoParquet => {
            let bytes = crate::geoparquet::write(path, layer, &features, &columns, synthetic)?;
            demine_io::write_atomically(path, &bytes)
        }
        Format::GeoJson | Format::Csv | Format::GeoPackage => unreachable!("handled above"),
    }
}

fn columns(features: &[Feature]) -> Vec<(String, Col)> {
    let mut cols: Vec<(String, Col)> = Vec::new();
    for f in features {
        for (k, v) in &f.props {
            let t = match v {
                Value::Null => continue,
                Value::Bool(_) => Col::Bool,
                Value::Number(n) if n.is_i64() || n.is_u64() => Col::Int,
                Value::Number(_) => Col::Real,
                _ => Col::Text,
            };
            match cols.iter_mut().find(|(c, _)| c == k) {
                Some((_, old)) => {
                    *old = match (*old, t) {
                        (a, b) if a == b => a,
                        (Col::Int, Col::Real) | (Col::Real, Col::Int) => Col::Real,
                        _ => Col::Text,
                    }
                }
                None => cols.push((k.clone(), t)),
            }
        }
    }
    cols
}

pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- Shapefile

fn write_shapefile(
    path: &Path,
    layer: &str,
    features: &[Feature],
    columns: &[(String, Col)],
    crs: &Crs,
    encoding: Option<&str>,
) -> Result<(), FileError> {
    use shapefile::dbase::{self, FieldName, FieldValue};
    let zip_out = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let enc = match encoding {
        None => encoding_rs::UTF_8,
        Some(e) => crate::shp::encoding_for_label(e)
            .ok_or_else(|| invalid(path, format!("unknown encoding '{e}'; use utf-8, cp1251, …")))?,
    };
    let kind = shape_kind(path, features)?;
    // Field names: at most 10 bytes, unique.
    let mut names: Vec<String> = Vec::new();
    for (c, _) in columns {
        let mut n = String::new();
        for ch in c.chars() {
            if n.len() + ch.len_utf8() > 10 {
                break;
            }
            n.push(ch);
        }
        let mut k = 1;
        let base = n.clone();
        while names.contains(&n) {
            let suffix = k.to_string();
            n = format!("{}{suffix}", &base[..base.len().min(10 - suffix.len())]);
            k += 1;
        }
        names.push(n);
    }
    // Text widths in encoded bytes; values over 254 bytes are refused, never cut.
    let mut widths = vec![1usize; columns.len()];
    for f in features {
        for (i, (c, t)) in columns.iter().enumerate() {
            if *t != Col::Text {
                continue;
            }
            if let Some(v) = f.props.get(c).filter(|v| !v.is_null()) {
                let s = text_of(v);
                let (bytes, _, unmappable) = enc.encode(&s);
                if unmappable {
                    return Err(invalid(
                        path,
                        format!(
                            "record '{}', field `{c}`: '{s}' cannot be written in {}; export with --encoding utf-8",
                            f.id,
                            enc.name()
                        ),
                    ));
                }
                if bytes.len() > 254 {
                    return Err(invalid(
                        path,
                        format!("record '{}', field `{c}`: {} bytes; a .dbf text field holds 254. Export GeoJSON or FlatGeobuf instead", f.id, bytes.len()),
                    ));
                }
                widths[i] = widths[i].max(bytes.len());
            }
        }
    }
    let field_name = |n: &str| FieldName::try_from(n).map_err(|e| invalid(path, format!("field name '{n}': {e:?}")));
    let mut builder = if enc == encoding_rs::UTF_8 {
        dbase::TableWriterBuilder::with_encoding(dbase::encoding::Unicode)
    } else {
        dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(enc))
    };
    for (i, (_, t)) in columns.iter().enumerate() {
        let n = field_name(&names[i])?;
        builder = match t {
            Col::Bool => builder.add_logical_field(n),
            Col::Int => builder.add_numeric_field(n, 18, 0),
            Col::Real => builder.add_numeric_field(n, 24, 15),
            Col::Text => builder.add_character_field(n, widths[i] as u8),
        };
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".demine-export")
        .tempdir_in(parent)
        .map_err(|e| FileError::Write {
            path: path.to_owned(),
            cause: e,
        })?;
    let stem = if zip_out {
        layer.to_string()
    } else {
        path.file_stem().and_then(|s| s.to_str()).unwrap_or(layer).to_string()
    };
    let shp_path = tmp.path().join(format!("{stem}.shp"));
    let werr = |e: &dyn std::fmt::Display| invalid(path, format!("cannot write the shapefile: {e}"));
    {
        let mut w = shapefile::Writer::from_path(&shp_path, builder).map_err(|e| werr(&e))?;
        for f in features {
            let mut rec = dbase::Record::default();
            for (i, (c, t)) in columns.iter().enumerate() {
                let v = f.props.get(c).filter(|v| !v.is_null());
                let value = match (t, v) {
                    (Col::Bool, v) => FieldValue::Logical(v.and_then(Value::as_bool)),
                    (Col::Int | Col::Real, v) => FieldValue::Numeric(v.and_then(Value::as_f64)),
                    (Col::Text, v) => FieldValue::Character(v.map(text_of)),
                };
                rec.insert(names[i].clone(), value);
            }
            let res = match (&f.geometry, kind) {
                (RawGeometry::Point(p), _) => w.write_shape_and_record(&shapefile::Point::new(p[0], p[1]), &rec),
                (RawGeometry::Points(ps), _) => w.write_shape_and_record(
                    &shapefile::Multipoint::new(ps.iter().map(|p| shapefile::Point::new(p[0], p[1])).collect()),
                    &rec,
                ),
                (RawGeometry::Lines(ls), _) => w.write_shape_and_record(
                    &shapefile::Polyline::with_parts(
                        ls.iter()
                            .map(|l| l.iter().map(|p| shapefile::Point::new(p[0], p[1])).collect())
                            .collect(),
                    ),
                    &rec,
                ),
                (RawGeometry::Polygons(ps), _) => {
                    let rings = ps
                        .iter()
                        .flat_map(|poly| {
                            poly.iter().enumerate().map(|(i, r)| {
                                let pts: Vec<shapefile::Point> =
                                    r.iter().map(|p| shapefile::Point::new(p[0], p[1])).collect();
                                if i == 0 {
                                    shapefile::PolygonRing::Outer(pts)
                                } else {
                                    shapefile::PolygonRing::Inner(pts)
                                }
                            })
                        })
                        .collect();
                    w.write_shape_and_record(&shapefile::Polygon::with_rings(rings), &rec)
                }
                (RawGeometry::Missing | RawGeometry::Other(_), _) => {
                    return Err(invalid(
                        path,
                        format!("record '{}' has no geometry a shapefile can hold", f.id),
                    ))
                }
            };
            res.map_err(|e| invalid(path, format!("record '{}': {e}", f.id)))?;
        }
    }
    let cpg = if enc == encoding_rs::UTF_8 {
        "UTF-8".to_string()
    } else {
        enc.name().trim_start_matches("windows-").to_string()
    };
    let wfile = |p: PathBuf, data: &[u8]| {
        std::fs::write(&p, data).map_err(|e| FileError::Write {
            path: p.clone(),
            cause: e,
        })
    };
    wfile(tmp.path().join(format!("{stem}.cpg")), cpg.as_bytes())?;
    wfile(tmp.path().join(format!("{stem}.prj")), crs.wkt().as_bytes())?;
    let exts = ["shp", "shx", "dbf", "prj", "cpg"];
    if zip_out {
        demine_io::write_with(path, |out| {
            let mut buf = std::io::Cursor::new(Vec::new());
            {
                let mut zip = zip::ZipWriter::new(&mut buf);
                let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
                for ext in exts {
                    let data = std::fs::read(tmp.path().join(format!("{stem}.{ext}")))?;
                    zip.start_file(format!("{stem}.{ext}"), o)
                        .map_err(std::io::Error::other)?;
                    zip.write_all(&data)?;
                }
                zip.finish().map_err(std::io::Error::other)?;
            }
            out.write_all(&buf.into_inner())
        })
    } else {
        if let Some(special) = exts
            .iter()
            .map(|ext| path.with_extension(ext))
            .find(|p| demine_core::is_special_file(p))
        {
            return Err(invalid(
                &special,
                "a shapefile is a set of files: it cannot be written to a device or a pipe; give a file name",
            ));
        }
        for ext in exts {
            let to = path.with_extension(ext);
            std::fs::rename(tmp.path().join(format!("{stem}.{ext}")), &to)
                .map_err(|e| FileError::Write { path: to, cause: e })?;
        }
        Ok(())
    }
}

/// A shapefile holds one kind of shape.
fn shape_kind(path: &Path, features: &[Feature]) -> Result<&'static str, FileError> {
    let mut kind = None;
    for f in features {
        let k = match &f.geometry {
            RawGeometry::Point(_) => "point",
            RawGeometry::Points(_) => "multipoint",
            RawGeometry::Lines(_) => "line",
            RawGeometry::Polygons(_) => "polygon",
            _ => continue,
        };
        match kind {
            None => kind = Some(k),
            Some(old) if old == k => {}
            Some(old) => {
                return Err(invalid(
                    path,
                    format!("a shapefile holds one kind of shape; record '{}' is a {k} after {old}s. Export FlatGeobuf or GeoJSON instead", f.id),
                ))
            }
        }
    }
    Ok(kind.unwrap_or("point"))
}

// ---------------------------------------------------------------- KML

fn kml_coords(ring: &[[f64; 2]]) -> String {
    ring.iter()
        .map(|p| format!("{},{}", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kml_geometry(g: &RawGeometry) -> String {
    let poly = |p: &Vec<Vec<[f64; 2]>>| {
        let mut s = String::from("<Polygon>");
        for (i, r) in p.iter().enumerate() {
            let tag = if i == 0 { "outerBoundaryIs" } else { "innerBoundaryIs" };
            s.push_str(&format!(
                "<{tag}><LinearRing><coordinates>{}</coordinates></LinearRing></{tag}>",
                kml_coords(r)
            ));
        }
        s.push_str("</Polygon>");
        s
    };
    let line = |l: &Vec<[f64; 2]>| format!("<LineString><coordinates>{}</coordinates></LineString>", kml_coords(l));
    let point = |p: &[f64; 2]| format!("<Point><coordinates>{},{}</coordinates></Point>", p[0], p[1]);
    let multi = |parts: Vec<String>| {
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("<MultiGeometry>{}</MultiGeometry>", parts.concat())
        }
    };
    match g {
        RawGeometry::Point(p) => point(p),
        RawGeometry::Points(ps) => multi(ps.iter().map(point).collect()),
        RawGeometry::Lines(ls) => multi(ls.iter().map(line).collect()),
        RawGeometry::Polygons(ps) => multi(ps.iter().map(poly).collect()),
        RawGeometry::Missing | RawGeometry::Other(_) => String::new(),
    }
}

fn kml(layer: &str, features: &[Feature], columns: &[(String, Col)], synthetic: bool) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document id=\"root_doc\">\n");
    if synthetic {
        s.push_str("<description>SYNTHETIC data generated by demine demo</description>\n");
    }
    let schema = esc(layer);
    s.push_str(&format!("<Schema name=\"{schema}\" id=\"{schema}\">\n"));
    for (c, t) in columns {
        let ty = match t {
            Col::Bool => "bool",
            Col::Int => "int",
            Col::Real => "float",
            Col::Text => "string",
        };
        s.push_str(&format!(
            "\t<SimpleField name=\"{}\" type=\"{ty}\"></SimpleField>\n",
            esc(c)
        ));
    }
    s.push_str("</Schema>\n");
    s.push_str(&format!("<Folder><name>{schema}</name>\n"));
    for f in features {
        s.push_str("  <Placemark>\n");
        if let Some(n) = f.props.get("name").filter(|v| !v.is_null()) {
            s.push_str(&format!("\t<name>{}</name>\n", esc(&text_of(n))));
        }
        s.push_str(&format!("\t<ExtendedData><SchemaData schemaUrl=\"#{schema}\">\n"));
        for (c, _) in columns {
            if let Some(v) = f.props.get(c).filter(|v| !v.is_null()) {
                s.push_str(&format!(
                    "\t\t<SimpleData name=\"{}\">{}</SimpleData>\n",
                    esc(c),
                    esc(&text_of(v))
                ));
            }
        }
        s.push_str("\t</SchemaData></ExtendedData>\n\t");
        s.push_str(&kml_geometry(&f.geometry));
        s.push_str("\n  </Placemark>\n");
    }
    s.push_str("</Folder>\n</Document></kml>\n");
    s
}

// ---------------------------------------------------------------- GPX

fn gpx(path: &Path, layer: &str, features: &[Feature], synthetic: bool) -> Result<String, FileError> {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator=\"demine\" xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:ogr=\"http://osgeo.org/gdal\">\n",
    );
    s.push_str(&format!(
        "<metadata><name>{}</name>{}</metadata>\n",
        esc(layer),
        if synthetic {
            "<desc>SYNTHETIC data generated by demine demo</desc>"
        } else {
            ""
        }
    ));
    let ext = |props: &Attributes| {
        let mut e = String::new();
        for (k, v) in props {
            let tag: String = k
                .chars()
                .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' })
                .collect();
            if v.is_null() || k == "name" || tag.is_empty() || tag.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            e.push_str(&format!("<ogr:{tag}>{}</ogr:{tag}>", esc(&text_of(v))));
        }
        if e.is_empty() {
            e
        } else {
            format!("<extensions>{e}</extensions>")
        }
    };
    let mut tracks = String::new();
    for f in features {
        let name = format!("<name>{}</name>", esc(&f.id));
        match &f.geometry {
            RawGeometry::Point(p) => s.push_str(&format!(
                "<wpt lat=\"{}\" lon=\"{}\">{name}{}</wpt>\n",
                p[1],
                p[0],
                ext(&f.props)
            )),
            RawGeometry::Lines(ls) => {
                tracks.push_str(&format!("<trk>{name}{}", ext(&f.props)));
                for l in ls {
                    tracks.push_str("<trkseg>");
                    for p in l {
                        tracks.push_str(&format!("<trkpt lat=\"{}\" lon=\"{}\"/>", p[1], p[0]));
                    }
                    tracks.push_str("</trkseg>");
                }
                tracks.push_str("</trk>\n");
            }
            RawGeometry::Polygons(_) | RawGeometry::Points(_) => {
                return Err(invalid(
                    path,
                    format!("record '{}': GPX holds waypoints and tracks, not polygons or multipoints; export KML, Shapefile or FlatGeobuf", f.id),
                ))
            }
            RawGeometry::Missing | RawGeometry::Other(_) => {}
        }
    }
    s.push_str(&tracks);
    s.push_str("</gpx>\n");
    Ok(s)
}

// ---------------------------------------------------------------- FlatGeobuf

fn fgb(
    path: &Path,
    layer: &str,
    features: &[Feature],
    columns: &[(String, Col)],
    crs: &Crs,
    synthetic: bool,
) -> Result<Vec<u8>, FileError> {
    use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
    use geozero::{ColumnValue, PropertyProcessor};
    let err = |e: &dyn std::fmt::Display| invalid(path, format!("cannot write FlatGeobuf: {e}"));
    let description = synthetic.then_some("SYNTHETIC data generated by demine demo");
    let options = FgbWriterOptions {
        write_index: true,
        detect_type: true,
        promote_to_multi: true,
        crs: FgbCrs {
            code: crs.epsg() as i32,
            ..Default::default()
        },
        description,
        ..Default::default()
    };
    let mut w = FgbWriter::create_with_options(layer, GeometryType::Unknown, options).map_err(|e| err(&e))?;
    for (c, t) in columns {
        let ty = match t {
            Col::Bool => ColumnType::Bool,
            Col::Int => ColumnType::Long,
            Col::Real => ColumnType::Double,
            Col::Text => ColumnType::String,
        };
        w.add_column(c, ty, |_, col| col.nullable = true);
    }
    for f in features {
        let g = to_geo(&f.geometry);
        let Some(g) = g else { continue };
        let mut perr = None;
        w.add_feature_geom(g, |feat| {
            for (i, (c, t)) in columns.iter().enumerate() {
                let Some(v) = f.props.get(c).filter(|v| !v.is_null()) else {
                    continue;
                };
                let text;
                let cv = match t {
                    Col::Bool => ColumnValue::Bool(v.as_bool().unwrap_or(false)),
                    Col::Int => ColumnValue::Long(v.as_i64().unwrap_or(0)),
                    Col::Real => ColumnValue::Double(v.as_f64().unwrap_or(f64::NAN)),
                    Col::Text => {
                        text = text_of(v);
                        ColumnValue::String(&text)
                    }
                };
                if let Err(e) = feat.property(i, c, &cv) {
                    perr = Some(e.to_string());
                }
            }
        })
        .map_err(|e| invalid(path, format!("record '{}': {e}", f.id)))?;
        if let Some(e) = perr {
            return Err(invalid(path, format!("record '{}': {e}", f.id)));
        }
    }
    let mut out = Vec::new();
    w.write(&mut out).map_err(|e| err(&e))?;
    Ok(out)
}

/// Raw geometry → `geo`.
pub(crate) fn to_geo(g: &RawGeometry) -> Option<geo::Geometry<f64>> {
    use geo::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
    let ls = |r: &Vec<[f64; 2]>| LineString::from(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect::<Vec<_>>());
    let poly = |p: &Vec<Vec<[f64; 2]>>| {
        let mut it = p.iter();
        let ext = it.next().map(ls).unwrap_or_else(|| LineString::new(vec![]));
        Polygon::new(ext, it.map(ls).collect())
    };
    Some(match g {
        RawGeometry::Point(p) => geo::Geometry::Point(Point::new(p[0], p[1])),
        RawGeometry::Points(ps) => {
            geo::Geometry::MultiPoint(MultiPoint(ps.iter().map(|p| Point::new(p[0], p[1])).collect()))
        }
        RawGeometry::Lines(l) if l.len() == 1 => geo::Geometry::LineString(ls(&l[0])),
        RawGeometry::Lines(l) => geo::Geometry::MultiLineString(MultiLineString(l.iter().map(ls).collect())),
        RawGeometry::Polygons(p) if p.len() == 1 => geo::Geometry::Polygon(poly(&p[0])),
        RawGeometry::Polygons(p) => geo::Geometry::MultiPolygon(MultiPolygon(p.iter().map(poly).collect())),
        RawGeometry::Missing | RawGeometry::Other(_) => return None,
    })
}
