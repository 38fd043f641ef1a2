//! # demine-core
//!
//! The heart of demine: the domain model in the vocabulary of the International Mine Action
//! Standards (IMAS), the rules of the hazard lifecycle, geometry validation at entry, geodesic
//! areas on the WGS84 ellipsoid, and land-release accounting (IMAS 07.11).
//!
//! **Owns:** [`domain`] types (hazards, activities, finds, accidents, organisations, teams),
//! [`validate`] (geometry and record checks, safe repairs), [`geodesy`] (areas and distances),
//! [`release`] (who released which m², once), [`quality`] (the data-quality report over a registry),
//! [`spreadsheet`] (CSV delimiters and decimal commas as spreadsheets write them: text only).
//!
//! **Must never depend on:** a database, a file format, an async runtime, or anything that
//! links C code. Every other crate depends on this one; it depends on pure-Rust geometry only
//! (`geo`, `rstar`).
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
pub use field_records::{DailyProgress, QaInspection};
