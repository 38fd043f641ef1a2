//! Reading GeoJSON and CSV into raw records: properties and raw coordinates, before any
//! interpretation, so that every defect can be reported where it is.

use crate::{FileError, Problem};
use demine_core::spreadsheet::{file_has_decimal_commas, parse_number, sniff_delimiter};
use demine_core::validate::{RawPolygon, RawRing};
use demine_core::Attributes;
use serde_json::Value;
use std::path::Path;

/// A geometry as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum RawGeometry {
    /// No geometry (`null`, missing, empty WKT cell).
    Missing,
    Point([f64; 2]),
    /// A Polygon (one) or MultiPolygon (several).
    Polygons(Vec<RawPolygon>),
    /// A LineString (one) or MultiLineString (several).
    Lines(Vec<RawRing>),
    /// A MultiPoint.
    Points(Vec<[f64; 2]>),
    /// Any other type, named.
    Other(String),
}

impl RawGeometry {
    /// The GeoJSON type name, for messages.
    pub fn type_name(&self) -> &str {
        match self {
            RawGeometry::Missing => "empty geometry",
            RawGeometry::Point(_) => "Point",
            RawGeometry::Polygons(p) if p.len() == 1 => "Polygon",
            RawGeometry::Polygons(_) => "MultiPolygon",
            RawGeometry::Lines(l) if l.len() == 1 => "LineString",
            RawGeometry::Lines(_) => "MultiLineString",
            RawGeometry::Points(_) => "MultiPoint",
            RawGeometry::Other(t) => t,
        }
    }
}

impl RawGeometry {
    /// A stored geometry as raw coordinates, to validate it again as an import would (an
    /// amendment is checked exactly as the import of the corrected record).
    pub fn from_geo(g: &geo::Geometry<f64>) -> RawGeometry {
        use geo::Geometry as G;
        let ring = |l: &geo::LineString<f64>| -> RawRing { l.0.iter().map(|c| [c.x, c.y]).collect() };
        let poly = |p: &geo::Polygon<f64>| -> RawPolygon {
            std::iter::once(ring(p.exterior()))
                .chain(p.interiors().iter().map(ring))
                .collect()
        };
        match g {
            G::Point(p) => RawGeometry::Point([p.x(), p.y()]),
            G::Polygon(p) => RawGeometry::Polygons(vec![poly(p)]),
            G::MultiPolygon(m) if m.0.is_empty() => RawGeometry::Missing,
            G::MultiPolygon(m) => RawGeometry::Polygons(m.0.iter().map(poly).collect()),
            G::LineString(l) => RawGeometry::Lines(vec![ring(l)]),
            G::MultiLineString(m) => RawGeometry::Lines(m.0.iter().map(ring).collect()),
            G::MultiPoint(m) => RawGeometry::Points(m.0.iter().map(|p| [p.x(), p.y()]).collect()),
            G::Line(_) => RawGeometry::Other("Line".into()),
            G::GeometryCollection(_) => RawGeometry::Other("GeometryCollection".into()),
            G::Rect(_) => RawGeometry::Other("Rect".into()),
            G::Triangle(_) => RawGeometry::Other("Triangle".into()),
        }
    }
}

/// A GeoJSON geometry object as raw coordinates; `Err` says what is wrong with it.
pub fn geometry_from_geojson(g: &Value) -> Result<RawGeometry, String> {
    geojson_geometry(g)
}

/// One record of a file: where it is, its properties, its geometry.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// 1-based feature number (GeoJSON) or data row number (CSV, header excluded).
    pub index: usize,
    /// CSV line number, when known.
    pub line: Option<u64>,
    pub properties: Attributes,
    pub geometry: RawGeometry,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
}

impl Format {
    /// From the extension, else from the first non-blank byte (`{` means GeoJSON).
    pub fn detect(path: &Path, head: &[u8]) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("geojson") | Some("json") => Format::GeoJson,
            Some("csv") | Some("txt") => Format::Csv,
            _ => match head.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Format::GeoJson,
                _ => Format::Csv,
            },
        }
    }
}

/// Reads every raw record of a file. File-level defects (unreadable, malformed) are errors;
/// record-level geometry syntax defects are returned as problems alongside the records.
pub fn read_raw(path: &Path) -> Result<(Vec<RawRecord>, Vec<Problem>), FileError> {
    read_raw_with(path, true)
}

/// As [`read_raw`]; with `geometry_required` false a CSV may have no geometry column at all
/// (organisations, teams), and its records have [`RawGeometry::Missing`].
pub fn read_raw_with(path: &Path, geometry_required: bool) -> Result<(Vec<RawRecord>, Vec<Problem>), FileError> {
    let bytes = std::fs::read(path).map_err(|e| FileError::Io {
        path: path.to_owned(),
        cause: e,
    })?;
    read_raw_bytes(path, &bytes, geometry_required)
}

/// As [`read_raw_with`], from bytes already read (a request body); `label` names them in
/// messages and its extension, if any, gives the format.
pub fn read_raw_bytes(
    label: &Path,
    bytes: &[u8],
    geometry_required: bool,
) -> Result<(Vec<RawRecord>, Vec<Problem>), FileError> {
    match Format::detect(label, bytes) {
        Format::GeoJson => read_geojson(label, bytes),
        Format::Csv => read_csv(label, bytes, geometry_required),
    }
}

fn malformed(path: &Path, line: usize, column: usize, what: String) -> FileError {
    FileError::Malformed {
        path: path.to_owned(),
        line,
        column,
        what,
    }
}

/// Marks a non-finite literal that some writers (Python's `json`, JavaScript) emit.
pub(crate) const NON_FINITE: &str = "\u{0}non-finite:";

/// Replaces bare `NaN`, `Infinity` and `-Infinity` outside strings by marked strings, so that a
/// file with them is read and each one reported at its record and field.
fn mark_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let (mut i, mut in_string, mut found) = (0, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 1;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if let Some(tok) = ["-Infinity", "Infinity", "NaN"]
            .iter()
            .find(|t| bytes[i..].starts_with(t.as_bytes()))
        {
            out.extend_from_slice(format!("\"\\u0000non-finite:{tok}\"").as_bytes());
            i += tok.len();
            found = true;
            continue;
        } else {
            out.push(b);
        }
        i += 1;
    }
    found.then_some(out)
}

fn read_geojson(path: &Path, bytes: &[u8]) -> Result<(Vec<RawRecord>, Vec<Problem>), FileError> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => match mark_non_finite(bytes).and_then(|b| serde_json::from_slice(&b).ok()) {
            Some(v) => v,
            None => {
                return Err(malformed(
                    path,
                    e.line(),
                    e.column(),
                    format!("not valid JSON: {}", strip_position(&e.to_string())),
                ))
            }
        },
    };
    let bad = |what: &str| malformed(path, 1, 1, what.to_string());
    let features: Vec<Value> = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features") {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err(bad("a FeatureCollection needs a \"features\" array")),
        },
        Some("Feature") => vec![value.clone()],
        // A bare geometry (what many tools write for "a polygon file") is one feature without
        // properties; a record kind that needs properties then says which are missing.
        Some("Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon") => {
            vec![serde_json::json!({"type": "Feature", "properties": {}, "geometry": value.clone()})]
        }
        Some(other) => {
            return Err(bad(&format!(
            "top-level \"type\" is \"{other}\"; expected a GeoJSON FeatureCollection, Feature or geometry (RFC 7946)"
        )))
        }
        None => {
            return Err(bad(
                "no top-level \"type\"; expected a GeoJSON FeatureCollection, Feature or geometry (RFC 7946)",
            ))
        }
    };
    if let Some(crs) = value.get("crs") {
        let name = crs.pointer("/properties/name").and_then(Value::as_str).unwrap_or("");
        let wgs84 = name.is_empty() || name.contains("CRS84") || name.ends_with("4326");
        if !wgs84 {
            return Err(bad(&format!(
                "declares crs \"{name}\"; demine reads WGS84 longitude/latitude only (RFC 7946). Reproject first, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`"
            )));
        }
    }
    let mut records = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, f) in features.into_iter().enumerate() {
        let index = i + 1;
        let mut properties = match f.get("properties") {
            Some(Value::Object(m)) => m.clone(),
            _ => Attributes::new(),
        };
        // A feature-level id is the record's id when properties have none.
        if !properties.contains_key("id") {
            if let Some(id) = f.get("id") {
                properties.insert("id".into(), id.clone());
            }
        }
        let geometry = match geojson_geometry(f.get("geometry").unwrap_or(&Value::Null)) {
            Ok(g) => g,
            Err(msg) => {
                problems.push(Problem::record(index, None, &properties, "geometry", msg));
                RawGeometry::Missing
            }
        };
        records.push(RawRecord {
            index,
            line: None,
            properties,
            geometry,
        });
    }
    Ok((records, problems))
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn position(v: &Value, what: &str) -> Result<[f64; 2], String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{what} is not an array of numbers"))?;
    if a.len() < 2 {
        return Err(format!(
            "{what} has {} number(s); a position needs longitude and latitude",
            a.len()
        ));
    }
    let num = |x: &Value, axis: &str| match x {
        Value::String(s) if s.starts_with(NON_FINITE) => Err(format!(
            "{what}: {axis} is the non-finite number {}: every coordinate must be a finite number",
            &s[NON_FINITE.len()..]
        )),
        _ => x.as_f64().ok_or_else(|| format!("{what}: {axis} is {x}, not a number")),
    };
    Ok([num(&a[0], "longitude")?, num(&a[1], "latitude")?])
}

fn ring(v: &Value, what: &str) -> Result<RawRing, String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{what} is not an array of positions"))?;
    a.iter()
        .enumerate()
        .map(|(i, p)| position(p, &format!("{what}, vertex {}", i + 1)))
        .collect()
}

fn polygon(v: &Value, what: &str) -> Result<RawPolygon, String> {
    let a = v.as_array().ok_or_else(|| format!("{what} is not an array of rings"))?;
    a.iter()
        .enumerate()
        .map(|(i, r)| {
            ring(
                r,
                &format!(
                    "{what}{}",
                    if i == 0 {
                        " exterior ring".to_string()
                    } else {
                        format!(" hole {i}")
                    }
                ),
            )
        })
        .collect()
}

fn geojson_geometry(g: &Value) -> Result<RawGeometry, String> {
    if g.is_null() {
        return Ok(RawGeometry::Missing);
    }
    let ty = g
        .get("type")
        .and_then(Value::as_str)
        .ok_or("geometry has no \"type\"")?;
    let coords = g.get("coordinates");
    match ty {
        "Point" => Ok(RawGeometry::Point(position(
            coords.ok_or("Point has no coordinates")?,
            "point",
        )?)),
        "Polygon" => {
            let p = polygon(coords.ok_or("Polygon has no coordinates")?, "polygon")?;
            Ok(if p.is_empty() {
                RawGeometry::Missing
            } else {
                RawGeometry::Polygons(vec![p])
            })
        }
        "MultiPolygon" => {
            let a = coords
                .and_then(Value::as_array)
                .ok_or("MultiPolygon coordinates are not an array")?;
            let ps: Vec<RawPolygon> = a
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("polygon {}", i + 1)))
                .collect::<Result<_, _>>()?;
            Ok(if ps.is_empty() {
                RawGeometry::Missing
            } else {
                RawGeometry::Polygons(ps)
            })
        }
        "LineString" => Ok(RawGeometry::Lines(vec![ring(
            coords.ok_or("LineString has no coordinates")?,
            "line",
        )?])),
        "MultiLineString" => {
            let a = coords
                .and_then(Value::as_array)
                .ok_or("MultiLineString coordinates are not an array")?;
            let ls: Vec<RawRing> = a
                .iter()
                .enumerate()
                .map(|(i, l)| ring(l, &format!("line {}", i + 1)))
                .collect::<Result<_, _>>()?;
            Ok(if ls.is_empty() {
                RawGeometry::Missing
            } else {
                RawGeometry::Lines(ls)
            })
        }
        "MultiPoint" => {
            let pts = ring(coords.ok_or("MultiPoint has no coordinates")?, "multipoint")?;
            Ok(if pts.is_empty() {
                RawGeometry::Missing
            } else {
                RawGeometry::Points(pts)
            })
        }
        other => Ok(RawGeometry::Other(other.to_string())),
    }
}

/// A number written with a decimal comma or grouped thousands (`1 234,5`), as a spreadsheet in
/// much of Europe saves it, in the form the record readers parse (`1234.5`); other values as
/// they are.
fn plain_number(v: &str) -> String {
    if v.parse::<f64>().is_err() {
        if let Ok(x) = parse_number(v, true) {
            return x.to_string();
        }
    }
    v.to_string()
}

fn read_csv(path: &Path, bytes: &[u8], geometry_required: bool) -> Result<(Vec<RawRecord>, Vec<Problem>), FileError> {
    // Spreadsheets in much of Europe (Ukraine's among them) save semicolon files with decimal
    // commas.
    let delimiter = sniff_delimiter(&bytes[..bytes.len().min(64 * 1024)]);
    // A semicolon file says its commas are decimal (a tab file may be either); a comma file
    // says so by its numbers together, quoted with decimal commas (`"32,0015"`, LibreOffice set
    // to Ukrainian).
    let decimal_comma = delimiter == b';' || file_has_decimal_commas(bytes, delimiter, true);
    let number = |v: &str| if decimal_comma { plain_number(v) } else { v.to_string() };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect::<Vec<_>>();
    let wkt_col = headers
        .iter()
        .position(|h| h == "wkt" || h == "geometry" || h == "geom");
    let lon_col = headers.iter().position(|h| h == "lon" || h == "longitude" || h == "x");
    let lat_col = headers.iter().position(|h| h == "lat" || h == "latitude" || h == "y");
    if geometry_required && wkt_col.is_none() && (lon_col.is_none() || lat_col.is_none()) {
        return Err(malformed(
            path,
            1,
            1,
            format!(
                "the header ({}) has no `wkt` column and no `lon`,`lat` pair; add one (WKT in WGS84 lon/lat)",
                headers.join(&char::from(delimiter).to_string())
            ),
        ));
    }
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| csv_error(path, &e))?;
        let index = i + 1;
        let line = row.position().map(|p| p.line());
        let mut properties = Attributes::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            if Some(h) == wkt_col.map(|c| &headers[c])
                || Some(h) == lon_col.map(|c| &headers[c])
                || Some(h) == lat_col.map(|c| &headers[c])
            {
                continue;
            }
            if !v.is_empty() {
                properties.insert(h.clone(), Value::String(number(v)));
            }
        }
        let geometry = if let Some(c) = wkt_col.filter(|&c| !row.get(c).unwrap_or("").is_empty()) {
            wkt_geometry(row.get(c).unwrap_or(""))
        } else if let (Some(x), Some(y)) = (lon_col, lat_col) {
            let (sx, sy) = (row.get(x).unwrap_or(""), row.get(y).unwrap_or(""));
            if sx.is_empty() && sy.is_empty() {
                Ok(RawGeometry::Missing)
            } else {
                match (number(sx).parse::<f64>(), number(sy).parse::<f64>()) {
                    (Ok(lon), Ok(lat)) => Ok(RawGeometry::Point([lon, lat])),
                    _ => Err(format!("lon '{sx}' / lat '{sy}' are not numbers")),
                }
            }
        } else {
            Ok(RawGeometry::Missing)
        };
        let geometry = geometry.unwrap_or_else(|msg| {
            problems.push(Problem::record(index, line, &properties, "wkt", msg));
            RawGeometry::Missing
        });
        records.push(RawRecord {
            index,
            line,
            properties,
            geometry,
        });
    }
    Ok((records, problems))
}

fn csv_error(path: &Path, e: &csv::Error) -> FileError {
    let (line, what) = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => (
            pos.as_ref().map(|p| p.line()).unwrap_or(0),
            format!("row has {len} fields but the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map(|p| p.line()).unwrap_or(0),
            format!("not UTF-8 text: {err}"),
        ),
        _ => (e.position().map(|p| p.line()).unwrap_or(0), e.to_string()),
    };
    malformed(path, line as usize, 1, format!("malformed CSV: {what}"))
}

fn wkt_geometry(text: &str) -> Result<RawGeometry, String> {
    use std::str::FromStr;
    let w = wkt::Wkt::<f64>::from_str(text).map_err(|e| format!("malformed WKT: {e}"))?;
    let ring = |l: &wkt::types::LineString<f64>| l.coords().iter().map(|c| [c.x, c.y]).collect::<RawRing>();
    let poly = |p: &wkt::types::Polygon<f64>| p.rings().iter().map(ring).collect::<RawPolygon>();
    Ok(match &w {
        wkt::Wkt::Point(p) => match p.coord() {
            Some(c) => RawGeometry::Point([c.x, c.y]),
            None => RawGeometry::Missing,
        },
        wkt::Wkt::Polygon(p) if p.rings().is_empty() => RawGeometry::Missing,
        wkt::Wkt::Polygon(p) => RawGeometry::Polygons(vec![poly(p)]),
        wkt::Wkt::MultiPolygon(m) if m.polygons().is_empty() => RawGeometry::Missing,
        wkt::Wkt::MultiPolygon(m) => RawGeometry::Polygons(m.polygons().iter().map(poly).collect()),
        wkt::Wkt::LineString(l) => RawGeometry::Lines(vec![ring(l)]),
        wkt::Wkt::MultiPoint(m) => RawGeometry::Points(
            m.points()
                .iter()
                .filter_map(|p| p.coord().map(|c| [c.x, c.y]))
                .collect(),
        ),
        wkt::Wkt::MultiLineString(m) => RawGeometry::Lines(m.line_strings().iter().map(ring).collect()),
        wkt::Wkt::GeometryCollection(_) => RawGeometry::Other("GeometryCollection".into()),
    })
}
