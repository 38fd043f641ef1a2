//! Many rows into one table through one SQLite prepared statement, bound and stepped row by
//! row on the connection's raw handle, as GDAL's GeoPackage driver writes.
//!
//! sqlx has no prepared-statement reuse across a batch: its multi-row `INSERT … VALUES (…),
//! (…)` copies every value into an owned argument list, sends it to the connection's worker
//! thread, and SQLite parses and binds a statement of thousands of parameters. A profile of a
//! million-find import put a fifth of its SQLite time in that binding and clearing. Here the
//! values are bound where they lie (`SQLITE_STATIC`: they outlive the step) and the statement
//! is parsed once per call.

use super::codec::Val;
use libsqlite3_sys as ffi;
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

/// Inserts `rows` (each the values of `columns`, in order) into `table`. On failure the
/// statement is finalised and SQLite's message returned; the failed row's statement is rolled
/// back by SQLite, and the caller's transaction rolls back the rest.
///
/// # Safety
/// `db` is an open connection that no other thread uses during the call (the caller holds
/// sqlx's lock on it).
pub(crate) unsafe fn insert_rows(
    db: *mut ffi::sqlite3,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> Result<(), String> {
    // Rows per statement: each execution of an INSERT has a fixed cost (the program's setup,
    // an AUTOINCREMENT table's sequence read and written), shared by the rows it carries.
    let per_statement = (ROWS_PER_STATEMENT * 16 / columns.len().max(1)).clamp(1, ROWS_PER_STATEMENT);
    let mut prepared: Option<(usize, Statement)> = None;
    for group in rows.chunks(per_statement) {
        if prepared.as_ref().is_none_or(|(n, _)| *n != group.len()) {
            // SAFETY: `db` is ours for the call.
            prepared = Some((group.len(), unsafe {
                Statement::prepare(db, table, columns, group.len())?
            }));
        }
        let Some((_, stmt)) = &prepared else {
            unreachable!("prepared above")
        };
        // SAFETY: each bound buffer (in `group`) outlives the step (SQLITE_STATIC); the
        // statement is reset after it.
        unsafe { stmt.run(db, group)? };
    }
    Ok(())
}

/// Rows one INSERT carries at most (for tables of up to 16 columns; fewer for wider ones).
const ROWS_PER_STATEMENT: usize = 64;

/// A prepared `INSERT … VALUES (…), (…)` of a fixed number of rows, finalised on drop.
struct Statement(*mut ffi::sqlite3_stmt);

impl Statement {
    unsafe fn prepare(db: *mut ffi::sqlite3, table: &str, columns: &[&str], rows: usize) -> Result<Self, String> {
        let row = format!("({})", vec!["?"; columns.len()].join(", "));
        let sql = CString::new(format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![row; rows].join(", ")
        ))
        .map_err(|_| format!("{table}: a column name holds a NUL byte"))?;
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        // SAFETY: `db` is open and ours; `sql` is NUL-terminated.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(unsafe { message(db) });
        }
        Ok(Statement(stmt))
    }

    /// Binds `rows` and steps once.
    unsafe fn run(&self, db: *mut ffi::sqlite3, rows: &[Vec<Val>]) -> Result<(), String> {
        let mut index = 0;
        for row in rows {
            for v in row {
                index += 1;
                // SAFETY: (the caller's) the statement is live, the buffers outlive the step.
                if unsafe { bind(self.0, index, v) } != ffi::SQLITE_OK {
                    return Err(unsafe { message(db) });
                }
            }
        }
        // SAFETY: as above.
        unsafe {
            let rc = ffi::sqlite3_step(self.0);
            let outcome = if rc == ffi::SQLITE_DONE {
                Ok(())
            } else {
                Err(message(db))
            };
            ffi::sqlite3_reset(self.0);
            outcome
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalised once, after its last use.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

unsafe fn bind(stmt: *mut ffi::sqlite3_stmt, index: i32, value: &Val) -> i32 {
    // SAFETY (for the caller): `stmt` is live and the buffers outlive the next step.
    unsafe {
        match value {
            Val::Text(Some(s)) => ffi::sqlite3_bind_text64(
                stmt,
                index,
                s.as_ptr() as *const c_char,
                s.len() as u64,
                ffi::SQLITE_STATIC(),
                ffi::SQLITE_UTF8 as u8,
            ),
            Val::Real(Some(x)) => ffi::sqlite3_bind_double(stmt, index, *x),
            Val::Int(Some(i)) => ffi::sqlite3_bind_int64(stmt, index, *i),
            Val::Blob(b) => ffi::sqlite3_bind_blob64(
                stmt,
                index,
                b.as_ptr() as *const c_void,
                b.len() as u64,
                ffi::SQLITE_STATIC(),
            ),
            Val::Text(None) | Val::Real(None) | Val::Int(None) => ffi::sqlite3_bind_null(stmt, index),
        }
    }
}

/// SQLite's message for the connection's last error.
unsafe fn message(db: *mut ffi::sqlite3) -> String {
    // SAFETY: SQLite returns a NUL-terminated string it owns, valid until the next call.
    unsafe {
        let m = ffi::sqlite3_errmsg(db);
        if m.is_null() {
            "unknown SQLite error".to_string()
        } else {
            CStr::from_ptr(m).to_string_lossy().into_owned()
        }
    }
}

/// A row's fid and its geometry's box (`[min x, max x, min y, max y]`); `None` where the blob
/// is not a GeoPackage geometry.
pub(crate) type FidBox = (i64, Option<[f64; 4]>);

/// The boxes of the non-empty geometries of `table` whose
/// fid is above `fid_after`, in fid order: what an R-tree of the new rows is built from. The
/// boxes are read from the GeoPackage blobs' headers here, not through SQL functions and
/// sqlx rows (a million of each cost seconds). `None` where a blob is not a GeoPackage
/// geometry.
///
/// # Safety
/// As [`insert_rows`].
pub(crate) unsafe fn geometry_boxes(db: *mut ffi::sqlite3, table: &str, fid_after: i64) -> Result<Vec<FidBox>, String> {
    let sql = CString::new(format!(
        "SELECT fid, geom FROM {table} WHERE fid > ?1 AND geom NOT NULL ORDER BY fid"
    ))
    .map_err(|_| format!("{table}: a table name holds a NUL byte"))?;
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: as in `insert_rows`.
    unsafe {
        if ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) != ffi::SQLITE_OK {
            return Err(message(db));
        }
        ffi::sqlite3_bind_int64(stmt, 1, fid_after);
        let mut boxes = Vec::new();
        let outcome = loop {
            match ffi::sqlite3_step(stmt) {
                ffi::SQLITE_ROW => {
                    let fid = ffi::sqlite3_column_int64(stmt, 0);
                    let ptr = ffi::sqlite3_column_blob(stmt, 1) as *const u8;
                    let len = ffi::sqlite3_column_bytes(stmt, 1);
                    let blob: &[u8] = if ptr.is_null() || len <= 0 {
                        &[]
                    } else {
                        std::slice::from_raw_parts(ptr, len as usize)
                    };
                    match std::panic::catch_unwind(|| super::functions::envelope(blob)).unwrap_or(None) {
                        // Empty geometries have no box and no R-tree entry.
                        Some(None) => {}
                        Some(Some(b)) => boxes.push((fid, Some(b))),
                        None => boxes.push((fid, None)),
                    }
                }
                ffi::SQLITE_DONE => break Ok(boxes),
                _ => break Err(message(db)),
            }
        };
        ffi::sqlite3_finalize(stmt);
        outcome
    }
}

/// One value of a row read by [`query_rows`], borrowed from SQLite until the next step.
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Runs `sql` with the integer parameters `params` (?1, ?2, …) and calls `each` with the
/// column names and every row's values, read in place (no row copied into an owned value).
///
/// # Safety
/// As [`insert_rows`].
pub(crate) unsafe fn query_rows(
    db: *mut ffi::sqlite3,
    sql: &str,
    params: &[i64],
    mut each: impl FnMut(&[String], &[Cell<'_>]) -> Result<(), String>,
) -> Result<(), String> {
    let sql = CString::new(sql).map_err(|_| "a query holds a NUL byte".to_string())?;
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: as in `insert_rows`; every pointer SQLite returns for a row is read before the
    // next step.
    unsafe {
        if ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) != ffi::SQLITE_OK {
            return Err(message(db));
        }
        for (i, p) in params.iter().enumerate() {
            ffi::sqlite3_bind_int64(stmt, i as i32 + 1, *p);
        }
        let n = ffi::sqlite3_column_count(stmt).max(0) as usize;
        let names: Vec<String> = (0..n)
            .map(|i| {
                let c = ffi::sqlite3_column_name(stmt, i as i32);
                if c.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(c).to_string_lossy().into_owned()
                }
            })
            .collect();
        let mut cells = Vec::with_capacity(n);
        let outcome = 'rows: loop {
            match ffi::sqlite3_step(stmt) {
                ffi::SQLITE_ROW => {
                    cells.clear();
                    for i in 0..n as i32 {
                        cells.push(match ffi::sqlite3_column_type(stmt, i) {
                            ffi::SQLITE_INTEGER => Cell::Int(ffi::sqlite3_column_int64(stmt, i)),
                            ffi::SQLITE_FLOAT => Cell::Real(ffi::sqlite3_column_double(stmt, i)),
                            ffi::SQLITE_TEXT => {
                                let p = ffi::sqlite3_column_text(stmt, i);
                                let len = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
                                if p.is_null() {
                                    Cell::Text("")
                                } else {
                                    let bytes = std::slice::from_raw_parts(p, len);
                                    match std::str::from_utf8(bytes) {
                                        Ok(s) => Cell::Text(s),
                                        Err(_) => {
                                            break 'rows Err(format!(
                                                "column {}: text that is not UTF-8",
                                                names[i as usize]
                                            ))
                                        }
                                    }
                                }
                            }
                            ffi::SQLITE_BLOB => {
                                let p = ffi::sqlite3_column_blob(stmt, i) as *const u8;
                                let len = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
                                Cell::Blob(if p.is_null() {
                                    &[]
                                } else {
                                    std::slice::from_raw_parts(p, len)
                                })
                            }
                            _ => Cell::Null,
                        });
                    }
                    if let Err(e) = each(&names, &cells) {
                        break 'rows Err(e);
                    }
                }
                ffi::SQLITE_DONE => break 'rows Ok(()),
                _ => break 'rows Err(message(db)),
            }
        };
        ffi::sqlite3_finalize(stmt);
        outcome
    }
}
