//! GeoPackage feature layers of other tools (QGIS, ArcGIS, GDAL). The SQL lives in the store
//! (the only crate that speaks SQL): it hands over each row's attributes and geometry blob,
//! and the layer's spatial reference system; this module turns them into raw records in WGS84.

use crate::crs::Crs;
use crate::{invalid, Format, Read, ReadOptions};
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::FileError;
use geozero::ToGeo;
use std::path::Path;

/// A layer's spatial reference system, as `gpkg_spatial_ref_sys` describes it.
#[derive(Debug, Clone, Default)]
pub struct SpatialRef {
    pub srs_id: i64,
    pub organization: String,
    pub organization_coordsys_id: i64,
    pub definition: String,
}

/// The CRS of a GeoPackage layer: the organisation's EPSG code, else the WKT definition.
/// `srs_id` 0 (undefined geographic) is taken as WGS 84.
pub fn layer_crs(path: &Path, srs: &SpatialRef) -> Result<Crs, FileError> {
    if srs.srs_id == 0 || srs.srs_id == 4326 {
        return Ok(Crs::wgs84());
    }
    if srs.organization.eq_ignore_ascii_case("EPSG") {
        if let Ok(c) = Crs::from_epsg(srs.organization_coordsys_id as u32) {
            return Ok(c);
        }
    }
    Crs::from_wkt(&srs.definition).map_err(|e| invalid(path, format!("srs_id {}: {e}", srs.srs_id)))
}

/// Raw records of a layer's rows (attributes, GeoPackage geometry blob), in WGS84.
pub fn records_from_rows(
    path: &Path,
    rows: Vec<(Attributes, Option<Vec<u8>>)>,
    srs: &SpatialRef,
    opts: &ReadOptions,
) -> Result<Read, FileError> {
    records_from_rows_after(path, rows, 0, srs, opts)
}

/// As [`records_from_rows`], for rows that follow `before` rows already read (a layer read in
/// chunks): records are numbered from `before + 1`.
pub fn records_from_rows_after(
    path: &Path,
    rows: Vec<(Attributes, Option<Vec<u8>>)>,
    before: usize,
    srs: &SpatialRef,
    opts: &ReadOptions,
) -> Result<Read, FileError> {
    let crs = match &opts.crs {
        Some(c) => c.clone(),
        None => layer_crs(path, srs)?,
    };
    let mut records = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (i, (properties, blob)) in rows.into_iter().enumerate() {
        let record = RawRecord {
            index: before + i + 1,
            line: None,
            properties,
            geometry: RawGeometry::Missing,
        };
        let geometry = match blob {
            None => RawGeometry::Missing,
            Some(b) => match geozero::wkb::GpkgWkb(b).to_geo() {
                Ok(g) => RawGeometry::from_geo(&g),
                Err(e) => {
                    problems.push(crate::problem(
                        &record,
                        "geometry",
                        format!("not a GeoPackage geometry: {e}"),
                    ));
                    RawGeometry::Missing
                }
            },
        };
        records.push(RawRecord { geometry, ..record });
    }
    problems.extend(crate::to_wgs84(&mut records, &crs));
    for r in &mut records {
        crate::orient(&mut r.geometry);
    }
    problems.sort_by_key(|p| p.index);
    Ok(Read {
        records,
        problems,
        crs,
        format: Format::GeoPackage,
    })
}
