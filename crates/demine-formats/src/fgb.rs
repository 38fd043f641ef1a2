//! FlatGeobuf: features with typed properties and the header's CRS (EPSG code or WKT), read
//! sequentially; a truncated or damaged file is refused with the feature it stopped at.

use crate::crs::Crs;
use crate::{invalid, ReadOptions};
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::FileError;
use flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader};
use geozero::{ColumnValue, PropertyProcessor, ToGeo};
use serde_json::Value;
use std::path::Path;

pub(crate) type Out = crate::shp::Out;

/// Properties as JSON values.
struct Props(Attributes);

impl PropertyProcessor for Props {
    fn property(&mut self, _i: usize, name: &str, v: &ColumnValue) -> geozero::error::Result<bool> {
        let value = match v {
            ColumnValue::Byte(x) => Value::from(*x),
            ColumnValue::UByte(x) => Value::from(*x),
            ColumnValue::Bool(x) => Value::from(*x),
            ColumnValue::Short(x) => Value::from(*x),
            ColumnValue::UShort(x) => Value::from(*x),
            ColumnValue::Int(x) => Value::from(*x),
            ColumnValue::UInt(x) => Value::from(*x),
            ColumnValue::Long(x) => Value::from(*x),
            ColumnValue::ULong(x) => Value::from(*x),
            ColumnValue::Float(x) => serde_json::Number::from_f64(f64::from(*x)).map_or(Value::Null, Value::Number),
            ColumnValue::Double(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            ColumnValue::String(s) | ColumnValue::DateTime(s) => Value::from(*s),
            ColumnValue::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::from(*s)),
            ColumnValue::Binary(_) => return Ok(false),
        };
        self.0.insert(name.to_string(), value);
        Ok(false)
    }
}

/// Reads a FlatGeobuf file.
pub fn read(path: &Path, _opts: &ReadOptions) -> Result<Out, FileError> {
    let bytes = std::fs::read(path).map_err(|e| FileError::Io {
        path: path.to_owned(),
        cause: e,
    })?;
    read_bytes(path, &bytes)
}

/// Reads FlatGeobuf bytes.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<Out, FileError> {
    let mut cursor = std::io::Cursor::new(bytes);
    let reader = FgbReader::open(&mut cursor).map_err(|e| {
        invalid(
            path,
            format!("not a readable FlatGeobuf (bad magic bytes, or a truncated header): {e}"),
        )
    })?;
    let header = reader.header();
    let declared = match header.crs() {
        Some(c) if c.code() > 0 && c.org().is_none_or(|o| o.eq_ignore_ascii_case("EPSG")) => {
            Some(Crs::from_epsg(c.code() as u32).map_err(|e| invalid(path, format!("header CRS: {e}")))?)
        }
        Some(c) => match c.wkt() {
            Some(w) if !w.trim().is_empty() => {
                Some(Crs::from_wkt(w).map_err(|e| invalid(path, format!("header CRS: {e}")))?)
            }
            _ => None,
        },
        None => None,
    };
    let expected = header.features_count();
    check_layout(path, bytes, expected, header.index_node_size())?;
    let mut iter = reader
        .select_all_seq()
        .map_err(|e| invalid(path, format!("cannot read the features: {e}")))?;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    loop {
        let index = records.len() + 1;
        let feature = match iter.next() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(invalid(
                    path,
                    format!("feature {index}: {e}: the file is truncated or damaged; export it again"),
                ))
            }
        };
        let mut props = Props(Attributes::new());
        feature
            .process_properties(&mut props)
            .map_err(|e| invalid(path, format!("feature {index}: unreadable properties: {e}")))?;
        let record = RawRecord {
            index,
            line: None,
            properties: props.0,
            geometry: RawGeometry::Missing,
        };
        let geometry = match feature.to_geo() {
            Ok(g) => RawGeometry::from_geo(&g),
            Err(e) => {
                problems.push(crate::problem(&record, "geometry", format!("unreadable geometry: {e}")));
                RawGeometry::Missing
            }
        };
        records.push(RawRecord { geometry, ..record });
    }
    {
        let n = expected;
        if n > 0 && n as usize != records.len() {
            return Err(invalid(
                path,
                format!(
                    "the header announces {n} features but {} could be read: the file is truncated; export it again",
                    records.len()
                ),
            ));
        }
    }
    Ok((records, problems, declared))
}

/// Refuses what the `flatgeobuf` crate would trust blindly: an index node size of 1 (its index
/// arithmetic asserts at least 2), an index larger than the file, and a feature whose size
/// prefix reaches past the end of the file (the crate reserves that many bytes first: a damaged
/// prefix asked for gigabytes, found by fuzzing). Walks the features as the crate does: after
/// the header and the index, each a little-endian `u32` size then the feature, stopping after
/// `count` features when the header gives a count.
fn check_layout(path: &Path, bytes: &[u8], count: u64, node_size: u16) -> Result<(), FileError> {
    let damaged = |what: String| {
        invalid(
            path,
            format!("{what}: the file is truncated or damaged; export it again"),
        )
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at.checked_add(4)?)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let Some(header) = u32_at(8) else { return Ok(()) };
    let mut at = 12usize.saturating_add(header);
    let left = |at: usize| bytes.len().saturating_sub(at);
    if node_size > 0 && count > 0 {
        if node_size < 2 {
            return Err(damaged(format!(
                "the header gives an index node size of {node_size} (at least 2)"
            )));
        }
        // The packed R-tree: every level up to the root, 40 bytes a node.
        let (mut n, mut nodes) = (count, count);
        loop {
            n = n.div_ceil(u64::from(node_size));
            nodes = nodes.saturating_add(n);
            if n == 1 {
                break;
            }
        }
        let index = nodes.saturating_mul(40);
        if index > left(at) as u64 {
            return Err(damaged(format!(
                "the header announces {count} features, whose index needs {index} bytes but {} are left",
                left(at)
            )));
        }
        at += index as usize;
    }
    let mut feature = 0u64;
    while left(at) >= 4 && (count == 0 || feature < count) {
        feature += 1;
        let size = u32_at(at).unwrap_or(0);
        if size > left(at) - 4 {
            return Err(damaged(format!(
                "feature {feature} announces {size} bytes but {} are left",
                left(at) - 4
            )));
        }
        at += 4 + size;
    }
    Ok(())
}
