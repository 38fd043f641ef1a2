//! The backend-independent parts of feature reads for map clients: what a comparison is in
//! SQL, and the rows of an extent or a generation token as values.

use crate::features::CmpOp;
use crate::{Bbox, Result};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// The SQL operator of a comparison, with the spaces around it.
pub(crate) fn comparison_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => " = ",
        CmpOp::Ne => " <> ",
        CmpOp::Lt => " < ",
        CmpOp::Le => " <= ",
        CmpOp::Gt => " > ",
        CmpOp::Ge => " >= ",
    }
}

/// The box of a row of four extremes (min lon, min lat, max lon, max lat, in degrees), or
/// `None` when no feature matched (the aggregates are NULL).
pub(crate) fn extent_of<R>(row: &R) -> Result<Option<Bbox>>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let v: [Option<f64>; 4] = [row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?];
    Ok(match v {
        [Some(a), Some(b), Some(c), Some(d)] => Some(Bbox {
            min_lon: a,
            min_lat: b,
            max_lon: c,
            max_lat: d,
        }),
        _ => None,
    })
}

/// The generation token of a row of two maxima (the change log's and the risk map's last
/// fid), as `"log.cells"`.
pub(crate) fn generation_of<R>(row: &R) -> Result<String>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let v: Vec<i64> = (0..2).map(|i| row.try_get::<i64, _>(i)).collect::<Result<_, _>>()?;
    Ok(v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("."))
}
