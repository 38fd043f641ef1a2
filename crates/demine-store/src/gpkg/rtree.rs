//! A GeoPackage R-tree written packed, in one pass, when a bulk insert fills an empty one.
//!
//! SQLite's R-tree module inserts one entry at a time (choose a leaf, split, rewrite parents):
//! for a million finds that was the largest single cost of an import. When the R-tree holds
//! nothing yet, its three shadow tables (`_node`, `_rowid`, `_parent`) are written directly
//! instead, as GDAL does: the entries sorted into full nodes by sort-tile-recursive (x slices,
//! then y), each level built from the boxes of the one below, the root as node 1. The layout
//! is SQLite's (`ext/rtree/rtree.c`): a node is a blob of the R-tree's node size, a 2-byte depth
//! (the root's: the tree's height), a 2-byte cell count, then cells of an 8-byte rowid or child
//! node number and four 4-byte floats (min x, max x, min y, max y), all big-endian; floats are
//! rounded outwards as the module rounds them. `rtreecheck()` accepts the result (tested).

use super::codec::{geometry_boxes, insert_many, Val};
use crate::Result;
use sqlx::{Sqlite, Transaction};

/// One cell: a rowid (leaves) or child node number, and its box (min x, max x, min y, max y).
#[derive(Clone, Copy)]
struct Cell {
    id: i64,
    b: [f32; 4],
}

const RND_TOWARDS: f64 = 1.0 - 1.0 / 8_388_608.0;
const RND_AWAY: f64 = 1.0 + 1.0 / 8_388_608.0;

/// As `rtreeValueDown`: a float not above `d`.
fn down(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) > d {
        (d * if d < 0.0 { RND_AWAY } else { RND_TOWARDS }) as f32
    } else {
        f
    }
}

/// As `rtreeValueUp`: a float not below `d`.
fn up(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) < d {
        (d * if d < 0.0 { RND_TOWARDS } else { RND_AWAY }) as f32
    } else {
        f
    }
}

/// Writes the R-tree `rtree_<table>_geom` of the rows of `table` above `fid_before`, packed.
/// Returns false (and writes nothing) when it cannot: the R-tree is not empty, or a box is
/// missing; the caller then inserts through the module.
pub(super) async fn pack(tx: &mut Transaction<'_, Sqlite>, table: &str, fid_before: i64) -> Result<bool> {
    let rt = format!("rtree_{table}_geom");
    let empty: bool = sqlx::query_scalar(&format!(
        "SELECT NOT EXISTS (SELECT 1 FROM \"{rt}_rowid\") AND NOT EXISTS (SELECT 1 FROM \"{rt}_parent\") \
         AND (SELECT count(*) FROM \"{rt}_node\") = 1"
    ))
    .fetch_one(&mut **tx)
    .await?;
    if !empty {
        return Ok(false);
    }
    let node_size: i64 = sqlx::query_scalar(&format!("SELECT length(data) FROM \"{rt}_node\" WHERE nodeno = 1"))
        .fetch_one(&mut **tx)
        .await?;
    let per_node = usize::try_from((node_size - 4) / 24)
        .unwrap_or(0)
        .min(u16::MAX as usize);
    if per_node < 4 {
        return Ok(false);
    }
    let rows = geometry_boxes(tx, table, fid_before).await?;
    let mut level = Vec::with_capacity(rows.len());
    for (fid, bbox) in rows {
        let Some([a, b, c, d]) = bbox else {
            return Ok(false);
        };
        level.push(Cell {
            id: fid,
            b: [down(a), up(b), down(c), up(d)],
        });
    }
    if level.is_empty() {
        return Ok(true);
    }
    let node_size = node_size as usize;
    let mut nodes: Vec<Vec<Val>> = Vec::new();
    let mut rowids: Vec<(i64, i64)> = Vec::with_capacity(level.len());
    let mut parents: Vec<(i64, i64)> = Vec::new();
    let mut next = 2i64;
    let mut depth: u16 = 0;
    loop {
        let root = level.len() <= per_node;
        let groups = if root { vec![level] } else { tiles(level, per_node) };
        let mut above = Vec::with_capacity(groups.len());
        for g in groups {
            let no = if root {
                1
            } else {
                next += 1;
                next - 1
            };
            let mut blob = vec![0u8; node_size];
            if root {
                blob[0..2].copy_from_slice(&depth.to_be_bytes());
            }
            blob[2..4].copy_from_slice(&(g.len() as u16).to_be_bytes());
            let mut bx = g[0].b;
            for (i, c) in g.iter().enumerate() {
                let at = 4 + i * 24;
                blob[at..at + 8].copy_from_slice(&c.id.to_be_bytes());
                for (k, v) in c.b.iter().enumerate() {
                    blob[at + 8 + 4 * k..at + 12 + 4 * k].copy_from_slice(&v.to_bits().to_be_bytes());
                }
                bx = [
                    bx[0].min(c.b[0]),
                    bx[1].max(c.b[1]),
                    bx[2].min(c.b[2]),
                    bx[3].max(c.b[3]),
                ];
                if depth == 0 {
                    rowids.push((c.id, no));
                } else {
                    parents.push((c.id, no));
                }
            }
            nodes.push(vec![Val::Int(Some(no)), Val::Blob(blob)]);
            above.push(Cell { id: no, b: bx });
        }
        if root {
            break;
        }
        level = above;
        depth += 1;
    }
    sqlx::query(&format!("DELETE FROM \"{rt}_node\""))
        .execute(&mut **tx)
        .await?;
    insert_many(tx, &format!("\"{rt}_node\""), &["nodeno", "data"], nodes).await?;
    rowids.sort_unstable();
    for chunk in rowids.chunks(100_000) {
        let rows = chunk
            .iter()
            .map(|(r, n)| vec![Val::Int(Some(*r)), Val::Int(Some(*n))])
            .collect();
        insert_many(tx, &format!("\"{rt}_rowid\""), &["rowid", "nodeno"], rows).await?;
    }
    parents.sort_unstable();
    let rows = parents
        .iter()
        .map(|(c, p)| vec![Val::Int(Some(*c)), Val::Int(Some(*p))])
        .collect();
    insert_many(tx, &format!("\"{rt}_parent\""), &["nodeno", "parentnode"], rows).await?;
    Ok(true)
}

/// Sort-tile-recursive: cells in groups of at most `m`, near ones together.
fn tiles(mut cells: Vec<Cell>, m: usize) -> Vec<Vec<Cell>> {
    let centre = |c: &Cell, k: usize| c.b[k] + c.b[k + 1];
    let groups = cells.len().div_ceil(m);
    let slices = (groups as f64).sqrt().ceil().max(1.0) as usize;
    let per_slice = groups.div_ceil(slices) * m;
    cells.sort_unstable_by(|a, b| centre(a, 0).total_cmp(&centre(b, 0)));
    let mut out = Vec::with_capacity(groups);
    for slice in cells.chunks_mut(per_slice) {
        slice.sort_unstable_by(|a, b| centre(a, 2).total_cmp(&centre(b, 2)));
        out.extend(slice.chunks(m).map(<[Cell]>::to_vec));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_outwards() {
        for d in [0.1, -0.1, 30.123456789, -179.99999999, 1e-30, 0.0, 45.0] {
            assert!(f64::from(down(d)) <= d, "{d}");
            assert!(f64::from(up(d)) >= d, "{d}");
        }
    }

    #[test]
    fn tiles_are_full_and_hold_every_cell() {
        let cells: Vec<Cell> = (0..1000)
            .map(|i| {
                let x = (i % 37) as f32;
                let y = (i / 37) as f32;
                Cell { id: i, b: [x, x, y, y] }
            })
            .collect();
        let groups = tiles(cells, 51);
        assert!(groups.iter().all(|g| !g.is_empty() && g.len() <= 51));
        let mut ids: Vec<i64> = groups.iter().flatten().map(|c| c.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..1000).collect::<Vec<_>>());
    }
}
