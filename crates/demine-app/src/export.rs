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

/// Exports the records of `kind` the actor may see (all of them, as of a day with `as_of`).
pub async fn export_records(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    file: &Path,
    as_of: Option<chrono::NaiveDate>,
) -> AppResult<Exported> {
    actor.require(Act::Read)?;
    let synthetic = reg.synthetic().await?;
    let q = Query::as_of(as_of).in_organisations(actor.scope());
    let layer = kind.as_str();
    let n = match kind {
        RecordKind::Hazards => {
            let r = reg.store.hazards(&q).await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Activities => {
            let r = reg.store.activities(&q).await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Finds => {
            let r = reg.store.finds(&q).await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Accidents => {
            let r = reg.store.accidents(&q).await?;
            demine_io::export::write_records(file, layer, &r, synthetic)?;
            r.len()
        }
        RecordKind::Progress => crate::field::export_progress(reg, actor, file).await?,
        other => {
            return Err(AppError::refused(format!(
                "{other} have no geometry to export; `demine show {other} ID --json` prints one"
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
    actor.require(Act::Read)?;
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
    demine_io::export::write_records(file, name, &features, synthetic)?;
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
