//! # demine-formats
//!
//! The formats and coordinate systems mine action data really arrives in, read into the same
//! raw records the GeoJSON reader of `demine-io` produces (so the import contract, its
//! validation, all-or-nothing and `--dry-run` apply unchanged), and written back out.
//!
//! **Owns:** ESRI Shapefile (`.shp`/`.shx`/`.dbf`/`.prj`/`.cpg`, or a `.zip` of them; `.dbf`
//! text in the encoding of the `.cpg`, the LDID byte or `--encoding`), KML and KMZ (Placemarks
//! in any Folder, ExtendedData/SchemaData with the Schema's types, polygons with holes), GPX
//! (waypoints as points, tracks and routes as lines), FlatGeobuf, GeoPackage feature layers of
//! other tools (from rows the store hands over: see [`gpkg`]), GeoParquet (WKB, read and
//! written without Arrow); coordinate reference systems
//! ([`crs`]: `.prj` WKT, EPSG codes, transformation to and from WGS84 with `proj4rs`); the
//! field-mapping profiles that turn another system's fields and code lists into the import
//! contract ([`profile`]).
//!
//! **Must never depend on:** the store, SQL, an async runtime, the CLI, C libraries of the
//! system (GDAL, PROJ); the one C source built in is zstd's, vendored by the `zstd` crate, for
//! ZSTD-compressed GeoParquet. It turns bytes into `demine_io::raw::RawRecord`s in WGS84 and domain records into
//! files; what is validated, written to the registry and when is `demine-io`'s and
//! `demine-app`'s business.
//!
//! ```
//! use demine_formats::crs::Crs;
//! let gk6 = Crs::parse("EPSG:28406").unwrap(); // Pulkovo 1942 / Gauss-Krüger zone 6
//! let [lon, lat] = gk6.to_wgs84([6_537_069.942, 5_374_256.947]).unwrap();
//! assert!((lon - 33.5).abs() < 1e-7 && (lat - 48.5).abs() < 1e-7);
//! ```

pub mod crs;
pub mod fgb;
pub mod geoparquet;
pub mod gpkg;
pub mod gpx;
pub mod kml;
pub mod profile;
pub mod shp;
pub mod text;
pub mod workbook;
pub mod write;
mod xml;

use crs::Crs;
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::{FileError, Problem};
use std::ops::ControlFlow;
use std::path::Path;

/// The formats demine reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    Shapefile,
    Kml,
    Kmz,
    Gpx,
    FlatGeobuf,
    GeoPackage,
    /// GeoParquet 1.0/1.1 with WKB geometry (export: 1.0, WGS 84).
    GeoParquet,
}

impl Format {
    /// Every format, for messages.
    pub const NAMES: &'static str = "geojson, csv, shp (or a .zip of one), kml, kmz, gpx, fgb, gpkg, parquet";

    /// From a `--format` value.
    pub fn from_name(s: &str) -> Result<Format, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Format::GeoJson,
            "csv" | "txt" => Format::Csv,
            "shp" | "shapefile" | "esri shapefile" | "zip" => Format::Shapefile,
            "kml" => Format::Kml,
            "kmz" => Format::Kmz,
            "gpx" => Format::Gpx,
            "fgb" | "flatgeobuf" => Format::FlatGeobuf,
            "gpkg" | "geopackage" => Format::GeoPackage,
            "parquet" | "geoparquet" => Format::GeoParquet,
            other => return Err(format!("unknown format '{other}'; formats: {}", Format::NAMES)),
        })
    }

    /// From a request's media type (`Content-Type`, parameters ignored): the registered types
    /// and those the tools send (`application/zip` is a zipped Shapefile).
    ///
    /// ```
    /// use demine_formats::Format;
    /// assert_eq!(Format::from_media_type("text/csv; charset=utf-8"), Some(Format::Csv));
    /// assert_eq!(Format::from_media_type("application/vnd.google-earth.kml+xml"), Some(Format::Kml));
    /// assert_eq!(Format::from_media_type("image/png"), None);
    /// ```
    pub fn from_media_type(media_type: &str) -> Option<Format> {
        let t = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "application/geo+json" | "application/json" => Format::GeoJson,
            "text/csv" => Format::Csv,
            "application/zip" | "application/x-zip-compressed" | "application/x-shapefile" => Format::Shapefile,
            "application/vnd.google-earth.kml+xml" => Format::Kml,
            "application/vnd.google-earth.kmz" => Format::Kmz,
            "application/gpx+xml" => Format::Gpx,
            "application/flatgeobuf" => Format::FlatGeobuf,
            "application/geopackage+sqlite3" => Format::GeoPackage,
            "application/vnd.apache.parquet" | "application/x-parquet" => Format::GeoParquet,
            _ => return None,
        })
    }

    /// The file name extension of the format (`zip` for a Shapefile sent as one file).
    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Shapefile => "zip",
            Format::Kml => "kml",
            Format::Kmz => "kmz",
            Format::Gpx => "gpx",
            Format::FlatGeobuf => "fgb",
            Format::GeoPackage => "gpkg",
            Format::GeoParquet => "parquet",
        }
    }

    /// From a file name's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::from_name(&ext).ok()
    }

    /// The usual name.
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::Csv => "CSV",
            Format::Shapefile => "ESRI Shapefile",
            Format::Kml => "KML",
            Format::Kmz => "KMZ",
            Format::Gpx => "GPX",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::GeoPackage => "GeoPackage",
            Format::GeoParquet => "GeoParquet",
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format (else from the extension, else sniffed).
    pub format: Option<Format>,
    /// The layer: a GeoPackage table, a KML Folder, a GPX part (`waypoints`, `tracks`, `routes`).
    pub layer: Option<String>,
    /// The `.dbf` text encoding, overriding `.cpg` and LDID (`cp1251`, `utf-8`, any WHATWG label).
    pub encoding: Option<String>,
    /// The source CRS, overriding what the file declares.
    pub crs: Option<Crs>,
    /// Whether records need a geometry (CSV organisations and teams do not).
    pub geometry_required: bool,
}

/// What a reader returns: records in WGS84, and per-record problems found while reading.
#[derive(Debug)]
pub struct Read {
    pub records: Vec<RawRecord>,
    pub problems: Vec<Problem>,
    /// The CRS the file was in (transformed to WGS84).
    pub crs: Crs,
    pub format: Format,
}

/// Runs `f`, a third-party parser on untrusted bytes, turning a panic inside it into `Err` with
/// its message, without printing it (the caller refuses the file instead). Other threads' panics
/// and panics outside `quietly` still reach the hook that was set before.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::cell::Cell;
    thread_local! { static QUIET: Cell<bool> = const { Cell::new(false) }; }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the parser failed".to_string())
    })
}

/// A file-level defect with a message that says what to do.
pub(crate) fn invalid(path: &Path, what: impl Into<String>) -> FileError {
    FileError::Invalid {
        path: path.to_owned(),
        what: what.into(),
    }
}

/// The format of `path`: `--format`, else its extension, else its first bytes.
pub fn detect(path: &Path, head: &[u8], format: Option<Format>) -> Format {
    if let Some(f) = format {
        return f;
    }
    if let Some(f) = Format::from_path(path) {
        return f;
    }
    if head.starts_with(b"fgb\x03") {
        Format::FlatGeobuf
    } else if head.starts_with(b"PK\x03\x04") {
        Format::Shapefile
    } else if head.starts_with(b"SQLite format 3") {
        Format::GeoPackage
    } else if head.starts_with(b"PAR1") {
        Format::GeoParquet
    } else if head.starts_with(&[0, 0, 0x27, 0x0a]) {
        Format::Shapefile
    } else {
        let text = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
        if text.contains("<kml") {
            Format::Kml
        } else if text.contains("<gpx") {
            Format::Gpx
        } else {
            match head.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Format::GeoJson,
                _ => Format::Csv,
            }
        }
    }
}

/// Reads a file of any supported format except GeoPackage (whose SQL lives in the store:
/// see [`gpkg::records_from_rows`]) into raw records in WGS84.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Read, FileError> {
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    let (crs, format) = read_chunked(path, opts, usize::MAX, &mut |r, p| {
        records.extend(r);
        problems.extend(p);
        ControlFlow::Continue(())
    })?;
    Ok(Read {
        records,
        problems,
        crs,
        format,
    })
}

/// As [`read`], handing the records to `sink` in chunks of up to `chunk_rows`, each in WGS84
/// with its problems (sorted by record), and giving the CRS and format read. A Shapefile on
/// disk is read as it goes, so that a million records never sit in memory at once; the other
/// formats are read whole (their parsers take the whole document), then handed on in chunks.
/// `Break` from `sink` stops the reading.
pub fn read_chunked(
    path: &Path,
    opts: &ReadOptions,
    chunk_rows: usize,
    sink: &mut dyn FnMut(Vec<RawRecord>, Vec<Problem>) -> ControlFlow<()>,
) -> Result<(Crs, Format), FileError> {
    let io = |e: std::io::Error| FileError::Io {
        path: path.to_owned(),
        cause: e,
    };
    let mut head = vec![0u8; 512];
    let n = {
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).map_err(io)?;
        f.read(&mut head).map_err(io)?
    };
    head.truncate(n);
    let format = detect(path, &head, opts.format);
    let crs_of = |declared: Option<&Crs>| match (&opts.crs, declared) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => Crs::wgs84(),
    };
    // Into WGS84, in RFC 7946 orientation (GeoJSON and CSV are in it already, or repaired
    // later with --fix), problems in record order.
    let finish = |records: &mut Vec<RawRecord>, problems: &mut Vec<Problem>, crs: &Crs| {
        problems.extend(to_wgs84(records, crs));
        if !matches!(format, Format::GeoJson | Format::Csv) {
            for r in records.iter_mut() {
                orient(&mut r.geometry);
            }
        }
        problems.sort_by_key(|p| p.index);
    };
    if format == Format::Shapefile {
        let mut crs = crs_of(None);
        shp::read_chunked(path, opts, chunk_rows, &mut |mut records, mut problems, declared| {
            crs = crs_of(declared);
            finish(&mut records, &mut problems, &crs);
            sink(records, problems)
        })?;
        return Ok((crs, format));
    }
    // The GeoJSON and CSV readers take their format from the label's extension.
    let label = if Format::from_path(path) == Some(format) {
        path.to_path_buf()
    } else {
        path.with_extension(if format == Format::Csv { "csv" } else { "geojson" })
    };
    let (mut records, mut problems, declared) = match format {
        Format::GeoJson => {
            let bytes = std::fs::read(path).map_err(io)?;
            read_geojson(&label, &bytes)?
        }
        Format::Csv => {
            let bytes = std::fs::read(path).map_err(io)?;
            let (r, p) = demine_io::raw::read_raw_bytes(&label, &bytes, opts.geometry_required)?;
            (r, p, None)
        }
        Format::Shapefile => unreachable!("read as it goes, above"),
        Format::Kml => {
            let bytes = std::fs::read(path).map_err(io)?;
            kml::read(path, &bytes, opts)?
        }
        Format::Kmz => kml::read_kmz(path, opts)?,
        Format::Gpx => {
            let bytes = std::fs::read(path).map_err(io)?;
            gpx::read(path, &bytes, opts)?
        }
        Format::FlatGeobuf => fgb::read(path, opts)?,
        Format::GeoParquet => geoparquet::read(path, opts)?,
        Format::GeoPackage => {
            return Err(invalid(
                path,
                "a GeoPackage is read through the registry's SQLite driver (demine-app), not here",
            ))
        }
    };
    let crs = crs_of(declared.as_ref());
    finish(&mut records, &mut problems, &crs);
    hand_on(records, problems, chunk_rows, sink);
    Ok((crs, format))
}

/// Records read whole, handed to `sink` in chunks of up to `chunk_rows` (each with its own
/// problems), until it says `Break`.
pub fn hand_on(
    records: Vec<RawRecord>,
    problems: Vec<Problem>,
    chunk_rows: usize,
    sink: &mut dyn FnMut(Vec<RawRecord>, Vec<Problem>) -> ControlFlow<()>,
) {
    let mut records = records.into_iter().peekable();
    let mut problems = problems.into_iter().peekable();
    loop {
        let chunk: Vec<RawRecord> = records.by_ref().take(chunk_rows.max(1)).collect();
        let last_index = chunk.last().map(|r| r.index);
        let at_end = records.peek().is_none();
        let mut mine = Vec::new();
        while let Some(p) = problems.next_if(|p| at_end || last_index.is_some_and(|i| p.index <= i)) {
            mine.push(p);
        }
        if sink(chunk, mine).is_break() || at_end {
            return;
        }
    }
}

/// Records and per-record problems as read, and the CRS the file declares, if any.
type ReadWithCrs = (Vec<RawRecord>, Vec<Problem>, Option<Crs>);

/// GeoJSON, with a GeoJSON 2008 `crs` member honoured (RFC 7946 files have none).
fn read_geojson(path: &Path, bytes: &[u8]) -> Result<ReadWithCrs, FileError> {
    // Only a file that names a CRS is parsed twice.
    let declares = bytes.windows(5).any(|w| w == b"\"crs\"");
    if declares {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(bytes) {
            if let Some(name) = v
                .pointer("/crs/properties/name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
            {
                let crs = Crs::parse(&name).map_err(|e| invalid(path, format!("\"crs\": {e}")))?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("crs");
                }
                let stripped = serde_json::to_vec(&v).map_err(|e| invalid(path, e.to_string()))?;
                let (r, p) = demine_io::raw::read_raw_bytes(path, &stripped, true)?;
                return Ok((r, p, Some(crs)));
            }
        }
    }
    let (r, p) = demine_io::raw::read_raw_bytes(path, bytes, true)?;
    Ok((r, p, None))
}

/// A text value as read; GDAL writes OGR dates as `YYYY/MM/DD` (KML, GPX), which is the ISO
/// date `YYYY-MM-DD`.
pub(crate) fn text_value(s: &str) -> serde_json::Value {
    let b = s.as_bytes();
    if b.len() == 10
        && b[4] == b'/'
        && b[7] == b'/'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        serde_json::Value::String(s.replace('/', "-"))
    } else {
        serde_json::Value::String(s.to_string())
    }
}

/// The id of a record, for problems.
pub(crate) fn record_id(props: &Attributes) -> Option<String> {
    props
        .get("id")
        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

/// A problem of one record.
pub(crate) fn problem(r: &RawRecord, field: &str, message: String) -> Problem {
    Problem {
        index: r.index,
        line: r.line,
        id: record_id(&r.properties),
        field: field.to_string(),
        message,
    }
}

/// Transforms every coordinate to WGS84; a coordinate that is not in `crs` is a problem of its
/// record (the record keeps no geometry, so nothing half-transformed survives).
pub fn to_wgs84(records: &mut [RawRecord], crs: &Crs) -> Vec<Problem> {
    let mut problems = Vec::new();
    if crs.is_wgs84() {
        return problems;
    }
    for r in records.iter_mut() {
        let mut err = None;
        map_coords(&mut r.geometry, &mut |p| match crs.to_wgs84(*p) {
            Ok(q) => *p = q,
            Err(e) => {
                if err.is_none() {
                    err = Some(e);
                }
            }
        });
        if let Some(e) = err {
            problems.push(problem(r, "geometry", e));
            r.geometry = RawGeometry::Missing;
        }
    }
    problems
}

/// Applies `f` to every position of a geometry.
pub fn map_coords(g: &mut RawGeometry, f: &mut impl FnMut(&mut [f64; 2])) {
    match g {
        RawGeometry::Point(p) => f(p),
        RawGeometry::Polygons(ps) => ps.iter_mut().flatten().flatten().for_each(f),
        RawGeometry::Lines(ls) => ls.iter_mut().flatten().for_each(f),
        RawGeometry::Points(ps) => ps.iter_mut().for_each(f),
        RawGeometry::Missing | RawGeometry::Other(_) => {}
    }
}

/// Twice the signed area (positive: counter-clockwise).
fn signed_area(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

/// RFC 7946 orientation (exterior counter-clockwise, holes clockwise). Formats other than
/// GeoJSON carry no such rule (Shapefile's is the opposite), so this is a faithful
/// conversion, not a repair.
pub fn orient(g: &mut RawGeometry) {
    if let RawGeometry::Polygons(ps) = g {
        for p in ps {
            for (i, ring) in p.iter_mut().enumerate() {
                let a = signed_area(ring);
                if (i == 0 && a < 0.0) || (i > 0 && a > 0.0) {
                    ring.reverse();
                }
            }
        }
    }
}

/// The import contract's field names, to restore names that formats shorten or upper-case
/// (a `.dbf` keeps 10 characters: `organisati` is `organisation`).
pub(crate) const CONTRACT_FIELDS: &[&str] = &[
    "id",
    "class",
    "name",
    "status",
    "organisation",
    "land_use",
    "contamination",
    "recorded_date",
    "hazard_id",
    "type",
    "outcome",
    "start_date",
    "end_date",
    "team",
    "method",
    "depth_cm",
    "date",
    "category",
    "activity_id",
    "condition",
    "killed",
    "injured",
    "kind",
    "productivity_m2_per_day",
];

/// The contract name a (possibly shortened, upper-cased) field name stands for, else itself.
pub(crate) fn contract_name(name: &str) -> String {
    let lower = name.to_lowercase();
    if let Some(f) = CONTRACT_FIELDS.iter().find(|f| **f == lower) {
        return (*f).to_string();
    }
    if lower.len() == 10 {
        if let Some(f) = CONTRACT_FIELDS.iter().find(|f| f.len() > 10 && f.starts_with(&lower)) {
            return (*f).to_string();
        }
    }
    if name.chars().any(|c| c.is_lowercase()) {
        name.to_string()
    } else {
        lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_bytes() {
        assert_eq!(Format::from_name("SHP").unwrap(), Format::Shapefile);
        assert!(Format::from_name("dxf").unwrap_err().contains("unknown format"));
        assert_eq!(detect(Path::new("x"), b"fgb\x03\x00", None), Format::FlatGeobuf);
        assert_eq!(detect(Path::new("x"), b"<?xml ?><kml>", None), Format::Kml);
        assert_eq!(detect(Path::new("x.bin"), b"<gpx version", None), Format::Gpx);
        assert_eq!(detect(Path::new("x.kml"), b"{", Some(Format::GeoJson)), Format::GeoJson);
    }

    #[test]
    fn shortened_dbf_names_are_restored() {
        assert_eq!(contract_name("organisati"), "organisation");
        assert_eq!(contract_name("HAZARD_ID"), "hazard_id");
        assert_eq!(contract_name("Назва"), "Назва");
        assert_eq!(contract_name("OPERATOR"), "operator");
    }

    #[test]
    fn geojson_2008_crs_is_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.geojson");
        std::fs::write(
            &p,
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::28406"}},
            "features":[{"type":"Feature","properties":{"id":"F1"},"geometry":{"type":"Point","coordinates":[6537069.942,5374256.947]}}]}"#,
        )
        .unwrap();
        let r = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(r.crs.epsg(), 28406);
        let RawGeometry::Point([x, y]) = r.records[0].geometry else {
            panic!()
        };
        assert!((x - 33.5).abs() < 1e-7 && (y - 48.5).abs() < 1e-7);
    }
}
