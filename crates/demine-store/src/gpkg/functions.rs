//! The SQL functions the GeoPackage R-tree triggers call (`ST_IsEmpty`, `ST_MinX`, `ST_MaxX`,
//! `ST_MinY`, `ST_MaxY`), registered on every connection.
//!
//! GDAL and QGIS register their own when they open the file; SQLite has none, and sqlx has no
//! API to add one, so they are registered through the raw handle sqlx exposes, as sqlx's own
//! `regexp` function is. Each reads the envelope of the GeoPackage header, and decodes the
//! geometry only when the header has none (points).

use geo::BoundingRect;
use geozero::wkb::GpkgWkb;
use geozero::ToGeo;
use libsqlite3_sys as ffi;
use std::os::raw::c_int;

/// What a function returns of a geometry's box.
#[derive(Clone, Copy)]
enum Part {
    IsEmpty,
    MinX,
    MaxX,
    MinY,
    MaxY,
}

/// The box of a GeoPackage geometry blob: `Some(None)` when the geometry is empty, `None` when
/// the blob is not a GeoPackage geometry.
pub(crate) fn envelope(blob: &[u8]) -> Option<Option<[f64; 4]>> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return None;
    }
    let flags = blob[3];
    if (flags >> 4) & 1 == 1 {
        return Some(None);
    }
    let little = flags & 1 == 1;
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    if envelope_len > 0 && blob.len() >= 8 + envelope_len {
        let read = |i: usize| {
            let b: [u8; 8] = blob[8 + 8 * i..16 + 8 * i].try_into().unwrap_or([0; 8]);
            if little {
                f64::from_le_bytes(b)
            } else {
                f64::from_be_bytes(b)
            }
        };
        // Header order: minx, maxx, miny, maxy.
        let e = [read(0), read(1), read(2), read(3)];
        if e.iter().any(|v| v.is_nan()) {
            return Some(None);
        }
        return Some(Some(e));
    }
    // Points carry no envelope: read the WKB point directly (a million finds are indexed).
    let wkb = &blob[8 + envelope_len..];
    if wkb.len() >= 21 {
        let le = wkb[0] == 1;
        let word: [u8; 4] = wkb[1..5].try_into().unwrap_or([0; 4]);
        let kind = if le {
            u32::from_le_bytes(word)
        } else {
            u32::from_be_bytes(word)
        };
        if kind == 1 {
            let read = |i: usize| {
                let b: [u8; 8] = wkb[5 + 8 * i..13 + 8 * i].try_into().unwrap_or([0; 8]);
                if le {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                }
            };
            let (x, y) = (read(0), read(1));
            return Some(if x.is_nan() || y.is_nan() {
                None
            } else {
                Some([x, x, y, y])
            });
        }
    }
    let g = GpkgWkb(blob.to_vec()).to_geo().ok()?;
    Some(g.bounding_rect().map(|r| [r.min().x, r.max().x, r.min().y, r.max().y]))
}

unsafe extern "C" fn st_function(ctx: *mut ffi::sqlite3_context, argc: c_int, argv: *mut *mut ffi::sqlite3_value) {
    // SAFETY: SQLite passes `argc` valid values and the user data given at registration.
    let part = *(ffi::sqlite3_user_data(ctx) as *const Part);
    if argc != 1 {
        ffi::sqlite3_result_null(ctx);
        return;
    }
    let value = *argv;
    if ffi::sqlite3_value_type(value) != ffi::SQLITE_BLOB {
        ffi::sqlite3_result_null(ctx);
        return;
    }
    let len = ffi::sqlite3_value_bytes(value);
    let ptr = ffi::sqlite3_value_blob(value) as *const u8;
    if ptr.is_null() || len <= 0 {
        ffi::sqlite3_result_null(ctx);
        return;
    }
    let blob = std::slice::from_raw_parts(ptr, len as usize);
    // A panic must not unwind into SQLite's C frames.
    let env = std::panic::catch_unwind(|| envelope(blob)).unwrap_or(None);
    match (part, env) {
        (_, None) => ffi::sqlite3_result_null(ctx),
        (Part::IsEmpty, Some(e)) => ffi::sqlite3_result_int(ctx, c_int::from(e.is_none())),
        (_, Some(None)) => ffi::sqlite3_result_null(ctx),
        (p, Some(Some([minx, maxx, miny, maxy]))) => ffi::sqlite3_result_double(
            ctx,
            match p {
                Part::MinX => minx,
                Part::MaxX => maxx,
                Part::MinY => miny,
                Part::MaxY => maxy,
                Part::IsEmpty => unreachable!("handled above"),
            },
        ),
    }
}

static PARTS: [(&[u8], Part); 5] = [
    (b"ST_IsEmpty\0", Part::IsEmpty),
    (b"ST_MinX\0", Part::MinX),
    (b"ST_MaxX\0", Part::MaxX),
    (b"ST_MinY\0", Part::MinY),
    (b"ST_MaxY\0", Part::MaxY),
];

/// `demine_intersects(a, b)`: 1 when two GeoPackage geometry blobs share a point, 0 when not,
/// NULL when either is not a geometry. Used by exact spatial filters (after the R-tree).
unsafe extern "C" fn intersects_function(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    if argc != 2 {
        ffi::sqlite3_result_null(ctx);
        return;
    }
    let blob = |i: usize| -> Option<&[u8]> {
        // SAFETY: SQLite passes `argc` valid values; the slice lives for this call.
        let value = *argv.add(i);
        if ffi::sqlite3_value_type(value) != ffi::SQLITE_BLOB {
            return None;
        }
        let len = ffi::sqlite3_value_bytes(value);
        let ptr = ffi::sqlite3_value_blob(value) as *const u8;
        (!ptr.is_null() && len > 0).then(|| std::slice::from_raw_parts(ptr, len as usize))
    };
    let (Some(a), Some(b)) = (blob(0), blob(1)) else {
        ffi::sqlite3_result_null(ctx);
        return;
    };
    // A panic must not unwind into SQLite's C frames.
    let r = std::panic::catch_unwind(|| {
        use geo::Intersects;
        let ga = GpkgWkb(a.to_vec()).to_geo().ok()?;
        let gb = GpkgWkb(b.to_vec()).to_geo().ok()?;
        Some(ga.intersects(&gb))
    })
    .unwrap_or(None);
    match r {
        Some(v) => ffi::sqlite3_result_int(ctx, c_int::from(v)),
        None => ffi::sqlite3_result_null(ctx),
    }
}

/// Registers the functions on one connection. `Err` is SQLite's result code.
///
/// # Safety
/// `db` must be an open SQLite connection handle, used by no other thread during the call.
pub(crate) unsafe fn register(db: *mut ffi::sqlite3) -> Result<(), c_int> {
    for (name, part) in &PARTS {
        let rc = ffi::sqlite3_create_function_v2(
            db,
            name.as_ptr().cast(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            part as *const Part as *mut std::ffi::c_void,
            Some(st_function),
            None,
            None,
            None,
        );
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
    }
    let rc = ffi::sqlite3_create_function_v2(
        db,
        c"demine_intersects".as_ptr().cast(),
        2,
        ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
        std::ptr::null_mut(),
        Some(intersects_function),
        None,
        None,
        None,
    );
    if rc != ffi::SQLITE_OK {
        return Err(rc);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Geometry, Point};
    use geozero::{CoordDimensions, ToWkb};

    #[test]
    fn envelope_from_header_and_from_points() {
        let p = Geometry::Polygon(polygon![(x: 30.0, y: 50.0), (x: 31.0, y: 50.0), (x: 31.0, y: 52.0)]);
        let blob = p
            .to_gpkg_wkb(CoordDimensions::xy(), Some(4326), vec![30.0, 31.0, 50.0, 52.0])
            .unwrap();
        assert_eq!(envelope(&blob), Some(Some([30.0, 31.0, 50.0, 52.0])));
        let pt = Geometry::Point(Point::new(36.5, 49.25));
        let blob = pt.to_gpkg_wkb(CoordDimensions::xy(), Some(4326), vec![]).unwrap();
        assert_eq!(envelope(&blob), Some(Some([36.5, 36.5, 49.25, 49.25])));
        assert_eq!(envelope(b"not a geometry"), None);
    }
}
