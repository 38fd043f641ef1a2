//! ESRI Shapefile: `.shp` geometry (the `shapefile` crate), `.dbf` attributes (`dbase`) in the
//! encoding `--encoding`, the `.cpg` or the LDID byte names, `.prj` coordinate system; or a
//! `.zip` holding them (`--layer` picks one of several).

use crate::crs::Crs;
use crate::{contract_name, invalid, ReadOptions};
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::{FileError, Problem};
use serde_json::Value;
use shapefile::dbase;
use std::io::{BufReader, Cursor, Read, Seek};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The parts of one shapefile: the `.shp` as bytes (its record headers are checked before it
/// is read), the `.dbf` as bytes or, beside a `.shp` on disk, read from its file as it goes.
struct Parts {
    shp: Vec<u8>,
    dbf: Option<Dbf>,
    prj: Option<String>,
    cpg: Option<String>,
    /// How the parts are named in messages.
    label: PathBuf,
}

enum Dbf {
    Bytes(Vec<u8>),
    File(PathBuf),
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Dbf {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(match self {
            Dbf::Bytes(b) => Box::new(Cursor::new(b.as_slice())),
            Dbf::File(p) => Box::new(BufReader::with_capacity(1 << 20, std::fs::File::open(p)?)),
        })
    }

    /// The language driver id (byte 29 of the header).
    fn ldid(&self) -> Option<u8> {
        let mut header = [0u8; 30];
        self.open().ok()?.read_exact(&mut header).ok()?;
        Some(header[29])
    }
}

pub(crate) type Out = (Vec<RawRecord>, Vec<Problem>, Option<Crs>);

/// Where the records of a shapefile go as they are read, in chunks: the records and their
/// problems, and the CRS the `.prj` declares; `Break` stops the reading.
pub(crate) type Sink<'a> = dyn FnMut(Vec<RawRecord>, Vec<Problem>, Option<&Crs>) -> ControlFlow<()> + 'a;

/// Reads a `.shp` (with its siblings) or a `.zip` of a shapefile.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Out, FileError> {
    collect(|sink| read_chunked(path, opts, usize::MAX, sink))
}

/// As [`read`], `chunk_rows` records at a time into `sink`; the `.dbf` of a shapefile on disk
/// is read as it goes, so a million records never sit in memory at once.
pub(crate) fn read_chunked(
    path: &Path,
    opts: &ReadOptions,
    chunk_rows: usize,
    sink: &mut Sink,
) -> Result<(), FileError> {
    let mut magic = [0u8; 4];
    let is_zip = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        || std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok_and(|()| &magic == b"PK\x03\x04");
    let parts = if is_zip {
        from_zip(path, opts.layer.as_deref())?
    } else {
        from_files(path)?
    };
    read_parts(&parts, opts, chunk_rows, sink)
}

/// How many records the `.dbf` beside a `.shp` on disk says it holds (its header), if it can
/// be read: how big an import is before it is read.
pub fn record_count(path: &Path) -> Option<usize> {
    let mut header = [0u8; 8];
    std::fs::File::open(sibling(path, "dbf")?)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    Some(u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize)
}

/// Every chunk `read` gives, gathered.
fn collect(read: impl FnOnce(&mut Sink) -> Result<(), FileError>) -> Result<Out, FileError> {
    let (mut records, mut problems, mut declared) = (Vec::new(), Vec::new(), None);
    read(&mut |r, p, crs| {
        records.extend(r);
        problems.extend(p);
        declared = crs.cloned();
        ControlFlow::Continue(())
    })?;
    Ok((records, problems, declared))
}

fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    // Either case: ArcGIS writes `.DBF` on some systems.
    [ext.to_string(), ext.to_ascii_uppercase()]
        .iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

fn from_files(path: &Path) -> Result<Parts, FileError> {
    let io = |p: &Path, e: std::io::Error| FileError::Io {
        path: p.to_owned(),
        cause: e,
    };
    let shp = std::fs::read(path).map_err(|e| io(path, e))?;
    let dbf = sibling(path, "dbf").map(Dbf::File);
    let text = |ext: &str| -> Result<Option<String>, FileError> {
        match sibling(path, ext) {
            Some(p) => {
                let b = std::fs::read(&p).map_err(|e| io(&p, e))?;
                Ok(Some(String::from_utf8_lossy(&b).into_owned()))
            }
            None => Ok(None),
        }
    };
    Ok(Parts {
        shp,
        dbf,
        prj: text("prj")?,
        cpg: text("cpg")?,
        label: path.to_owned(),
    })
}

fn from_zip(path: &Path, layer: Option<&str>) -> Result<Parts, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::Io {
        path: path.to_owned(),
        cause: e,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| invalid(path, format!("not a readable zip archive: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let shps: Vec<&String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp") && !n.starts_with("__MACOSX"))
        .collect();
    let stem = |n: &str| n[..n.len() - 4].to_string();
    let chosen = match (layer, shps.as_slice()) {
        (_, []) => {
            return Err(invalid(
                path,
                "the zip holds no .shp file; put the shapefile's .shp, .shx, .dbf, .prj and .cpg in it",
            ))
        }
        (None, [one]) => (*one).clone(),
        (Some(l), many) => match many.iter().find(|n| {
            let s = stem(n);
            s.eq_ignore_ascii_case(l) || s.rsplit('/').next().is_some_and(|b| b.eq_ignore_ascii_case(l))
        }) {
            Some(n) => (*n).clone(),
            None => {
                return Err(invalid(
                    path,
                    format!(
                        "no layer '{l}' in the zip; layers: {}",
                        many.iter().map(|n| stem(n)).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        },
        (None, many) => {
            return Err(invalid(
                path,
                format!(
                    "the zip holds {} shapefiles; choose one with --layer NAME ({})",
                    many.len(),
                    many.iter().map(|n| stem(n)).collect::<Vec<_>>().join(", ")
                ),
            ))
        }
    };
    let base = stem(&chosen);
    let mut part = |ext: &str| -> Result<Option<Vec<u8>>, FileError> {
        let want = format!("{base}.{ext}").to_ascii_lowercase();
        let Some(name) = names.iter().find(|n| n.to_ascii_lowercase() == want) else {
            return Ok(None);
        };
        let mut entry = zip.by_name(name).map_err(|e| invalid(path, format!("{name}: {e}")))?;
        let mut buf = Vec::new();
        entry
            .read_to_end(&mut buf)
            .map_err(|e| invalid(path, format!("{name}: cannot unpack: {e}")))?;
        Ok(Some(buf))
    };
    let shp = part("shp")?.unwrap_or_default();
    let dbf = part("dbf")?.map(Dbf::Bytes);
    let prj = part("prj")?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let cpg = part("cpg")?.map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(Parts {
        shp,
        dbf,
        prj,
        cpg,
        label: path.join(chosen),
    })
}

/// Reads a shapefile from its parts' bytes (for fuzzing and request bodies); `label` names it.
pub fn read_bytes(
    label: &Path,
    shp: Vec<u8>,
    dbf: Option<Vec<u8>>,
    prj: Option<String>,
    cpg: Option<String>,
    opts: &ReadOptions,
) -> Result<Out, FileError> {
    let parts = Parts {
        shp,
        dbf: dbf.map(Dbf::Bytes),
        prj,
        cpg,
        label: label.to_owned(),
    };
    collect(|sink| read_parts(&parts, opts, usize::MAX, sink))
}

/// The encoding a `.cpg` or `--encoding` names (`UTF-8`, `1251`, `CP1251`, `ANSI 1251`…).
pub fn encoding_for_label(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
    let l = l.trim_start_matches("ansi").trim();
    let digits: String = l.chars().filter(char::is_ascii_digit).collect();
    let normalised = match (l, digits.as_str()) {
        (_, "65001") => "utf-8".to_string(),
        (x, d) if !d.is_empty() && (x == d || x == format!("cp{d}") || x == format!("cp-{d}")) => match d {
            "866" => "ibm866".to_string(),
            d => format!("windows-{d}"),
        },
        (x, _) => x.to_string(),
    };
    encoding_rs::Encoding::for_label(normalised.as_bytes())
}

/// The encoding of a `.dbf`'s language driver id (byte 29), when it names one.
fn encoding_for_ldid(ldid: u8) -> Option<&'static encoding_rs::Encoding> {
    match ldid {
        0xC9 => Some(encoding_rs::WINDOWS_1251),
        0x26 | 0x65 => Some(encoding_rs::IBM866),
        0x57 | 0x03 => Some(encoding_rs::WINDOWS_1252),
        0xC8 => Some(encoding_rs::WINDOWS_1250),
        _ => None,
    }
}

fn read_parts(parts: &Parts, opts: &ReadOptions, chunk_rows: usize, sink: &mut Sink) -> Result<(), FileError> {
    let label = &parts.label;
    let Some(dbf) = &parts.dbf else {
        return Err(invalid(
            label,
            "no .dbf beside the .shp: a shapefile's attributes (id, class, …) are in its .dbf; send all its parts (.shp, .shx, .dbf, .prj, .cpg), or a .zip of them",
        ));
    };
    let declared = match &parts.prj {
        Some(wkt) if opts.crs.is_none() => {
            Some(Crs::from_wkt(wkt).map_err(|e| invalid(&label.with_extension("prj"), e))?)
        }
        _ => None,
    };
    let (encoding, source) = if let Some(e) = &opts.encoding {
        let enc = encoding_for_label(e)
            .ok_or_else(|| invalid(label, format!("unknown encoding '{e}'; use cp1251, utf-8, cp866, …")))?;
        (enc, "--encoding")
    } else if let Some(c) = &parts.cpg {
        let enc = encoding_for_label(c).ok_or_else(|| {
            invalid(
                &label.with_extension("cpg"),
                format!(
                    "names the unknown encoding '{}'; pass --encoding cp1251|utf-8|…",
                    c.trim()
                ),
            )
        })?;
        (enc, "the .cpg")
    } else if let Some(enc) = dbf.ldid().and_then(encoding_for_ldid) {
        (enc, "the .dbf's language driver byte")
    } else {
        (encoding_rs::UTF_8, "default (no .cpg, no language driver)")
    };
    check_records(label, &parts.shp)?;
    let mut shapes = shapefile::ShapeReader::new(Cursor::new(parts.shp.as_slice()))
        .map_err(|e| invalid(label, format!("not a readable .shp: {e}")))?;
    let dbf_label = label.with_extension("dbf");
    let dbf_source = dbf.open().map_err(|e| FileError::Io {
        path: dbf_label.clone(),
        cause: e,
    })?;
    let builder = dbase::ReaderBuilder::new();
    let dbf_reader = if encoding == encoding_rs::UTF_8 {
        builder.with_encoding(dbase::encoding::Unicode).build(dbf_source)
    } else {
        builder
            .with_encoding(dbase::encoding::EncodingRs::from(encoding))
            .build(dbf_source)
    };
    let mut table = dbf_reader.map_err(|e| invalid(&dbf_label, format!("not a readable .dbf: {e}")))?;
    let fields: Vec<String> = table.fields().iter().map(|f| f.name().to_string()).collect();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut read_so_far = 0;
    let mut shape_iter = shapes.iter_shapes();
    for (i, row) in table.iter_records().enumerate() {
        if records.len() >= chunk_rows {
            read_so_far += records.len();
            let chunk = std::mem::take(&mut records);
            if sink(chunk, std::mem::take(&mut problems), declared.as_ref()).is_break() {
                return Ok(());
            }
        }
        let index = i + 1;
        let row = row.map_err(|e| {
            let hint = if encoding == encoding_rs::UTF_8 {
                format!(
                    "; the text was read as UTF-8 ({source}); if the file was written in a Windows code page (e.g. CP1251 for Cyrillic), pass --encoding cp1251"
                )
            } else {
                String::new()
            };
            // dbase says "An error occurred in record 0 at field #2 ('name', …): cause".
            let text = e.to_string();
            let field = text.split("('").nth(1).and_then(|r| r.split('\'').next());
            let cause = text.rsplit("): ").next().unwrap_or(&text);
            let at = field.map_or(String::new(), |f| format!(", field `{}`", crate::contract_name(f)));
            invalid(&dbf_label, format!("record {index}{at}: {cause}{hint}"))
        })?;
        let shape = match shape_iter.next() {
            Some(Ok(s)) => s,
            Some(Err(e)) => return Err(invalid(label, format!("record {index}: unreadable geometry: {e}"))),
            None => {
                return Err(invalid(
                    label,
                    format!("the .dbf has more records than the .shp has shapes (record {index}); the parts do not belong together"),
                ))
            }
        };
        let mut properties = Attributes::new();
        for name in &fields {
            let value = match row.get(name) {
                Some(v) => field_value(v),
                None => Value::Null,
            };
            if !value.is_null() {
                properties.insert(contract_name(name), value);
            }
        }
        let geometry = shape_geometry(shape);
        records.push(RawRecord {
            index,
            line: None,
            properties,
            geometry,
        });
    }
    if let Some(Ok(_)) = shape_iter.next() {
        problems.push(Problem {
            index: read_so_far + records.len() + 1,
            line: None,
            id: None,
            field: "geometry".into(),
            message: "the .shp has more shapes than the .dbf has records; the parts do not belong together".into(),
        });
    }
    let _ = sink(records, problems, declared.as_ref());
    Ok(())
}

/// Walks the `.shp` record headers before the `shapefile` crate reads them. The crate trusts each
/// record's counts (it reserves memory for the points a record announces) and reads records one
/// after another without skipping what a record's length says is left: a damaged file made it
/// reserve gigabytes (found by fuzzing). Refused here instead, naming the record: a record that
/// reaches past the end of the file, an empty (null) shape longer than its type, or part and
/// point counts that do not fit in the record.
fn check_records(label: &Path, shp: &[u8]) -> Result<(), FileError> {
    const HEADER_BYTES: usize = 100;
    let le_i32 = |b: &[u8], at: usize| b.get(at..at + 4).map(|x| i32::from_le_bytes([x[0], x[1], x[2], x[3]]));
    let damaged = |record: usize, what: String| {
        invalid(
            label,
            format!("record {record}: unreadable geometry: the geometry announces {what}; the .shp is truncated or damaged: export it again"),
        )
    };
    let mut at = HEADER_BYTES;
    let mut record = 0;
    while at + 8 <= shp.len() {
        record += 1;
        let words = i32::from_be_bytes([shp[at + 4], shp[at + 5], shp[at + 6], shp[at + 7]]);
        let left = shp.len() - at - 8;
        let content_bytes = usize::try_from(words)
            .ok()
            .and_then(|w| w.checked_mul(2))
            .filter(|b| *b >= 4);
        let Some(content_bytes) = content_bytes else {
            return Err(damaged(record, format!("a record length of {words} words")));
        };
        if content_bytes > left {
            return Err(damaged(
                record,
                format!("{content_bytes} bytes but only {left} are left in the file"),
            ));
        }
        let content = &shp[at + 8..at + 8 + content_bytes];
        let shape_type = le_i32(content, 0).unwrap_or(0);
        // (offset of the counts, bytes before the points, bytes per part) by shape type.
        let counts = match shape_type {
            0 if content_bytes != 4 => {
                return Err(damaged(
                    record,
                    format!("{content_bytes} bytes for an empty (null) shape of 4"),
                ));
            }
            3 | 5 | 13 | 15 | 23 | 25 => Some((36, 44, 4)),
            31 => Some((36, 44, 8)), // a multipatch also has a type per part
            8 | 18 | 28 => Some((36, 40, 0)),
            _ => None,
        };
        if let Some((count_at, fixed, per_part)) = counts {
            let (parts, points) = if per_part == 0 {
                (Some(0), le_i32(content, count_at))
            } else {
                (le_i32(content, count_at), le_i32(content, count_at + 4))
            };
            let needed = match (parts, points) {
                (Some(parts), Some(points)) if parts >= 0 && points >= 0 => {
                    Some(fixed as u64 + parts as u64 * per_part + points as u64 * 16)
                }
                _ => None,
            };
            if needed.is_none_or(|n| n > content_bytes as u64) {
                return Err(damaged(
                    record,
                    format!(
                        "{} points in {} parts, but its record holds {content_bytes} bytes",
                        points.unwrap_or(-1),
                        parts.unwrap_or(-1)
                    ),
                ));
            }
        }
        at += 8 + content_bytes;
    }
    Ok(())
}

fn field_value(v: &dbase::FieldValue) -> Value {
    use dbase::FieldValue as F;
    let num = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 9e15 {
            Value::from(x as i64)
        } else {
            serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
        }
    };
    match v {
        F::Character(Some(s)) | F::Memo(s) => {
            let t = s.trim_end();
            if t.is_empty() {
                Value::Null
            } else {
                Value::String(t.to_string())
            }
        }
        F::Character(None) | F::Numeric(None) | F::Logical(None) | F::Date(None) | F::Float(None) => Value::Null,
        F::Numeric(Some(x)) => num(*x),
        F::Float(Some(x)) => num(f64::from(*x)),
        F::Double(x) | F::Currency(x) => num(*x),
        F::Integer(x) => Value::from(*x),
        F::Logical(Some(b)) => Value::Bool(*b),
        F::Date(Some(d)) => Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        F::DateTime(dt) => {
            let d = dt.date();
            let t = dt.time();
            Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            ))
        }
    }
}

fn shape_geometry(shape: shapefile::Shape) -> RawGeometry {
    use shapefile::Shape as S;
    fn pt<P: shapefile::record::traits::HasXY>(p: &P) -> [f64; 2] {
        [p.x(), p.y()]
    }
    fn polygons<P: shapefile::record::traits::HasXY>(rings: &[shapefile::PolygonRing<P>]) -> RawGeometry {
        let mut out: Vec<Vec<Vec<[f64; 2]>>> = Vec::new();
        let mut holes = Vec::new();
        for r in rings {
            match r {
                shapefile::PolygonRing::Outer(v) => out.push(vec![v.iter().map(pt).collect()]),
                shapefile::PolygonRing::Inner(v) => holes.push(v.iter().map(pt).collect::<Vec<_>>()),
            }
        }
        // A hole belongs to the outer ring that holds its first vertex (else the last one).
        for h in holes {
            let at = h.first().copied().unwrap_or([0.0, 0.0]);
            let owner = out.iter().rposition(|p| inside(&p[0], at)).or(out.len().checked_sub(1));
            match owner {
                Some(o) => out[o].push(h),
                None => out.push(vec![h]),
            }
        }
        if out.is_empty() {
            RawGeometry::Missing
        } else {
            RawGeometry::Polygons(out)
        }
    }
    fn lines<P: shapefile::record::traits::HasXY>(parts: &[Vec<P>]) -> RawGeometry {
        RawGeometry::Lines(parts.iter().map(|l| l.iter().map(pt).collect()).collect())
    }
    match shape {
        S::NullShape => RawGeometry::Missing,
        S::Point(p) => RawGeometry::Point(pt(&p)),
        S::PointM(p) => RawGeometry::Point(pt(&p)),
        S::PointZ(p) => RawGeometry::Point(pt(&p)),
        S::Polygon(p) => polygons(p.rings()),
        S::PolygonM(p) => polygons(p.rings()),
        S::PolygonZ(p) => polygons(p.rings()),
        S::Polyline(l) => lines(l.parts()),
        S::PolylineM(l) => lines(l.parts()),
        S::PolylineZ(l) => lines(l.parts()),
        S::Multipoint(m) => RawGeometry::Points(m.points().iter().map(pt).collect()),
        S::MultipointM(m) => RawGeometry::Points(m.points().iter().map(pt).collect()),
        S::MultipointZ(m) => RawGeometry::Points(m.points().iter().map(pt).collect()),
        S::Multipatch(_) => RawGeometry::Other("Multipatch".into()),
    }
}

/// Even-odd point in ring.
pub(crate) fn inside(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut c = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            c = !c;
        }
        j = i;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_page_labels() {
        for l in ["1251", "CP1251", "ANSI 1251", "windows-1251", "cp-1251"] {
            assert_eq!(encoding_for_label(l), Some(encoding_rs::WINDOWS_1251), "{l}");
        }
        assert_eq!(encoding_for_label("UTF-8"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_for_label("65001"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_for_label("866"), Some(encoding_rs::IBM866));
        assert_eq!(encoding_for_label("klingon"), None);
    }
}
