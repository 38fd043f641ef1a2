//! # demine-core
//!
//! The heart of demine: the domain model in the vocabulary of the International Mine Action
//! Standards (IMAS), the rules of the hazard lifecycle, geometry validation at entry, geodesic
//! areas on the WGS84 ellipsoid, and land-release accounting (IMAS 07.11).
//!
//! **Owns:** [`domain`] types (hazards, activities, finds, accidents, organisations, teams),
//! [`validate`] (geometry and record checks, safe repairs), [`geodesy`] (areas and distances),
//! [`release`] (who released which m², once), [`field_records`] (daily progress reports and QA
//! inspections as records), [`quality`] (the data-quality report over a registry), [`spikes`]
//! (spikes reported in the registry, and removed with dust from geometry demine derives),
//! [`spreadsheet`] (CSV delimiters and decimal commas as spreadsheets write them: text only).
//!
//! **Must never depend on:** a database, a file format, an async runtime, or anything that
//! links C code. Every other crate but `demine-grid` (which takes plain geometries) depends on
//! this one, directly or through `demine-app`; it depends on pure-Rust geometry only (`geo`,
//! `rstar`).
//!
//! Geometry is WGS84 longitude/latitude (x = lon, y = lat) everywhere; areas are geodesic in m².

pub mod domain;
pub mod field_records;
pub mod geodesy;
pub mod quality;
pub mod release;
pub mod spikes;
pub mod spreadsheet;
pub mod validate;

pub use domain::*;

/// Whether `path` names something that exists and is not a file or a folder: a device
/// (`/dev/null`), a named pipe, a socket. A database or a set of files cannot be written there,
/// and renaming a finished file over it would replace the device.
pub fn is_special_file(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}
pub use field_records::{DailyProgress, QaInspection};
