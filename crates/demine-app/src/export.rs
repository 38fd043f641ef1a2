//! Exports: records to GeoJSON (exact coordinates) or CSV (WKT), context layers.

use crate::actor::Act;
use crate::{Actor, AppError, AppResult, Registry};
use demine_core::RecordKind;
use demine_store::{Query, Repository};
use std::path::Path;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub records: usize,
    pub file: String,
    pub synthetic: bool,
}

/// How to write an export (`demine export … --format F --crs EPSG:N --encoding E`).
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub format: Option<String>,
    pub crs: Option<String>,
    pub encoding: Option<String>,
}

impl ExportOptions {
    fn write_options(&self) -> AppResult<demine_formats::write::WriteOptions> {
        Ok(demine_formats::write::WriteOptions {
            format: self
                .format
                .as_deref()
                .map(demine_formats::Format::from_name)
                .transpose()
                .map_err(AppError::refused)?,
            crs: self
                .crs
                .as_deref()
                .map(demine_formats::crs::Crs::parse)
                .transpose()
                .map_err(|e| AppError::refused(format!("--crs: {e}")))?,
            encoding: self.encoding.clone(),
        })
    }
}

/// An export never replaces the registry it reads (`demine export hazards demine.gpkg`).
fn refuse_the_registry_itself(reg: &Registry, file: &Path) -> AppResult<()> {
    #[allow(irrefutable_let_patterns)]
    if let crate::Location::GeoPackage(db) = &reg.location {
        let same = match (std::fs::canonicalize(db), std::fs::canonicalize(file)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(AppError::refused(format!(
                "{} is the registry itself; export to another file",
                file.display()
            )));
        }
    }
    Ok(())
}

/// Writes records in the format the options or the file name choose: a GeoPackage through the
/// store (it speaks the SQL), every other format through `demine-formats`.
async fn write_any<R: demine_core::Record>(
    file: &Path,
    layer: &str,
    records: &[R],
    synthetic: bool,
    wo: &demine_formats::write::WriteOptions,
) -> AppResult<()> {
    if demine_formats::write::format_of(file, wo) != Some(demine_formats::Format::GeoPackage) {
        demine_formats::write::write_records(file, layer, records, synthetic, wo)?;
        return Ok(());
    }
    let (srs, rows) = demine_formats::write::geopackage_layer(file, records, wo)?;
    let out = demine_store::foreign::ForeignLayer {
        name: layer.to_string(),
        srs_id: srs.srs_id,
        organization: srs.organization,
        organization_coordsys_id: srs.organization_coordsys_id,
        definition: srs.definition,
        rows,
    };
    demine_store::foreign::write_geopackage_layer(file, &out)
        .await
        .map_err(|what| demine_io::FileError::Invalid {
            path: file.to_owned(),
            what: format!("{what}; nothing was written"),
        })?;
    Ok(())
}

/// Exports the records of `kind` the actor may see (all of them, as of a day with `as_of`).
pub async fn export_records(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    as_of: Option<chrono::NaiveDate>,
) -> AppResult<Exported> {
    export_records_with(reg, actor, kind, file, as_of, &ExportOptions::default()).await
}

/// As [`export_records`], in any format `demine-formats` writes and any supported CRS.
pub async fn export_records_with(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    as_of: Option<chrono::NaiveDate>,
    opts: &ExportOptions,
) -> AppResult<Exported> {
    let wo = opts.write_options()?;
    actor.require(Act::Read)?;
    refuse_the_registry_itself(reg, file)?;
    let synthetic = reg.synthetic().await?;
    let q = Query::as_of(as_of).in_organisations(actor.scope());
    let layer = kind.as_str();
    let n = match kind {
        RecordKind::Hazards => {
            let r = reg.store.hazards(&q).await?;
            write_any(file, layer, &r, synthetic, &wo).await?;
            r.len()
        }
        RecordKind::Activities => {
            let r = reg.store.activities(&q).await?;
            write_any(file, layer, &r, synthetic, &wo).await?;
            r.len()
        }
        RecordKind::Finds => {
            let r = reg.store.finds(&q).await?;
            write_any(file, layer, &r, synthetic, &wo).await?;
            r.len()
        }
        RecordKind::Accidents => {
            let r = reg.store.accidents(&q).await?;
            write_any(file, layer, &r, synthetic, &wo).await?;
            r.len()
        }
        RecordKind::Progress => crate::field::export_progress(reg, actor, file).await?,
        RecordKind::Teams | RecordKind::Organisations => {
            let csv = file
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            if !csv {
                return Err(AppError::refused(format!(
                    "{}: {kind} are exported as a CSV table (they have no geometry of their own); give a file ending .csv",
                    file.display()
                )));
            }
            if kind == RecordKind::Teams {
                let r = reg.store.teams(&q).await?;
                demine_io::export::write_teams_csv(file, &r)?;
                r.len()
            } else {
                let r = reg.store.organisations(&q).await?;
                demine_io::export::write_organisations_csv(file, &r)?;
                r.len()
            }
        }
        other => {
            return Err(AppError::refused(format!(
                "{other} records have no geometry to export; `demine show {other} ID --json` prints one"
            )))
        }
    };
    Ok(Exported {
        records: n,
        file: file.display().to_string(),
        synthetic,
    })
}

/// Exports a context layer.
pub async fn export_layer(reg: &Registry, actor: &Actor, name: &str, file: &Path) -> AppResult<Exported> {
    export_layer_with(reg, actor, name, file, &ExportOptions::default()).await
}

/// As [`export_layer`], in any format and supported CRS.
pub async fn export_layer_with(
    reg: &Registry,
    actor: &Actor,
    name: &str,
    file: &Path,
    opts: &ExportOptions,
) -> AppResult<Exported> {
    let wo = opts.write_options()?;
    actor.require(Act::Read)?;
    refuse_the_registry_itself(reg, file)?;
    let synthetic = reg.synthetic().await?;
    let features = reg.store.context_features(Some(name)).await?;
    if features.is_empty() {
        let known: Vec<String> = reg.store.context_layers().await?.into_iter().map(|(l, _)| l).collect();
        return Err(AppError::NotFound(format!(
            "no layer '{name}' in {}; layers: {}",
            reg.name(),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        )));
    }
    write_any(file, name, &features, synthetic, &wo).await?;
    Ok(Exported {
        records: features.len(),
        file: file.display().to_string(),
        synthetic,
    })
}

/// Context layers and their feature counts.
pub async fn layers(reg: &Registry, actor: &Actor) -> AppResult<Vec<(String, u64)>> {
    actor.require(Act::Read)?;
    Ok(reg.store.context_layers().await?)
}
