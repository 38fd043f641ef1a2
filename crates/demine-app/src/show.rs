//! One record in full: its fields, version history, land-release figures (hazards: activities,
//! finds, QA, residual risk, certificate state) and change-log entries.

use crate::actor::Act;
use crate::field::{certificate_blockers, residual_of, HazardEvidence};
use crate::{Actor, AppError, AppResult, Registry};
use demine_core::release::account_records;
use demine_core::{AnyRecord, Record, RecordKind};
use demine_store::{ChangeLogEntry, LogQuery, Repository, Stored, Version};
use serde_json::{json, Value};

/// A record as `demine show` presents it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shown {
    pub kind: String,
    pub id: String,
    pub version: u64,
    pub valid_from: Option<String>,
    /// `submitted`, `approved` or `rejected` (an operator's record awaiting or after review).
    pub review: String,
    /// The record: a GeoJSON feature with the import contract's properties.
    pub record: Value,
    /// Earlier versions (amended) and when each ended, and why.
    pub versions: Vec<Version>,
    /// For a hazard: status, land-release figures, activities, finds, QA, residual risk,
    /// certificate state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard: Option<Value>,
    pub change_log: Vec<ChangeLogEntry>,
    pub synthetic: bool,
}

/// A record as a GeoJSON feature with contract properties.
pub fn record_feature(r: &AnyRecord) -> Value {
    fn feature(g: Option<geo::Geometry<f64>>, props: Value) -> Value {
        let geometry = g.map(|g| geojson::Geometry::new(geojson::Value::from(&g)));
        json!({"type": "Feature", "geometry": geometry, "properties": props})
    }
    match r {
        AnyRecord::Hazard(x) => feature(Some(x.geometry()), Value::Object(x.properties())),
        AnyRecord::Activity(x) => feature(Some(x.geometry()), Value::Object(x.properties())),
        AnyRecord::Find(x) => feature(Some(x.geometry()), Value::Object(x.properties())),
        AnyRecord::Accident(x) => feature(Some(x.geometry()), Value::Object(x.properties())),
        AnyRecord::Organisation(x) => feature(None, serde_json::to_value(x).unwrap_or_default()),
        AnyRecord::Team(x) => feature(
            x.base_lon
                .zip(x.base_lat)
                .map(|(a, b)| geo::Geometry::Point(geo::Point::new(a, b))),
            serde_json::to_value(x).unwrap_or_default(),
        ),
        AnyRecord::Progress(x) => feature(
            Some(geo::Geometry::MultiPolygon(x.geometry.clone())),
            serde_json::to_value(x).unwrap_or_default(),
        ),
        AnyRecord::Qa(x) => feature(None, serde_json::to_value(x).unwrap_or_default()),
    }
}

/// Reads a record the actor may see: another organisation's record is "not found".
pub(crate) async fn visible(reg: &Registry, actor: &Actor, kind: RecordKind, id: &str) -> AppResult<Stored<AnyRecord>> {
    let q = demine_store::Query {
        ids: Some(vec![id.to_string()]),
        organisations: actor.scope(),
        ..Default::default()
    };
    let found = reg.store.records(kind, &q).await?.into_iter().next();
    match found {
        Some(s) => Ok(s),
        None => {
            // Say what happened to it, if the actor could see it when it was retired.
            let versions = reg.store.versions(kind, id).await?;
            let retired = versions.iter().rev().find(|v| v.ended_by.as_deref() == Some("retired"));
            let reachable = actor.scope().is_none();
            Err(AppError::NotFound(match retired {
                Some(v) if reachable => format!(
                    "{} '{id}' was retired on {}{}; it is kept in its history (`demine show` of a retired record lists nothing more)",
                    kind.singular(),
                    v.valid_to.as_deref().unwrap_or("?"),
                    v.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
                ),
                _ => format!("no {} '{id}' in {}", kind.singular(), reg.name()),
            }))
        }
    }
}

pub async fn show(reg: &Registry, actor: &Actor, kind: RecordKind, id: &str) -> AppResult<Shown> {
    actor.require(Act::Read)?;
    let stored = visible(reg, actor, kind, id).await?;
    let mut versions = reg.store.versions(kind, id).await?;
    versions.retain(|v| v.valid_to.is_some());
    let change_log = reg
        .store
        .change_log(&LogQuery {
            entity: Some(kind.table().to_string()),
            entity_id: Some(id.to_string()),
            oldest_first: true,
            ..LogQuery::default()
        })
        .await?;
    let synthetic = reg.synthetic().await?;
    let hazard = if kind == RecordKind::Hazards {
        Some(hazard_detail(reg, actor, id, synthetic).await?)
    } else {
        None
    };
    Ok(Shown {
        kind: kind.as_str().to_string(),
        id: id.to_string(),
        version: stored.version,
        valid_from: stored.valid_from,
        review: stored.review.clone(),
        record: record_feature(&stored.record),
        versions,
        hazard,
        change_log,
        synthetic,
    })
}

async fn hazard_detail(reg: &Registry, actor: &Actor, id: &str, synthetic: bool) -> AppResult<Value> {
    let d = crate::field::dossier(reg, actor, id).await?;
    let ev = HazardEvidence::from_dossier(&d, synthetic);
    let r = account_records(std::slice::from_ref(&ev.hazard), &ev.activities, None, true);
    let hr = &r.per_hazard[0];
    let table = demine_field::residual::detection_table(&[]).map_err(|e| AppError::refused(e.to_string()))?;
    let residual = residual_of(&ev, None, Some(1.0), &table).ok();
    let blockers = certificate_blockers(&ev);
    Ok(json!({
        "status": hr.status.as_str(),
        "area_m2": hr.area_m2,
        "cancelled_m2": hr.cancelled_m2,
        "reduced_m2": hr.reduced_m2,
        "cleared_m2": hr.cleared_m2,
        "released_m2": hr.released_m2(),
        "remaining_m2": hr.remaining_m2,
        "released": hr.pieces.iter().map(|p| json!({
            "activity_id": p.activity_id, "outcome": p.outcome.as_str(), "area_m2": p.area_m2,
        })).collect::<Vec<_>>(),
        "activities": d.activities.iter().map(|a| json!({
            "id": a.record.id, "type": a.record.activity_type.as_str(), "outcome": a.record.outcome.as_str(),
            "start_date": a.record.start_date.to_string(), "end_date": a.record.end_date.to_string(),
            "organisation": a.record.organisation, "team": a.record.team, "method": a.record.method,
            "version": a.version,
        })).collect::<Vec<_>>(),
        "finds": d.finds.iter().map(|f| json!({
            "id": f.record.id, "date": f.record.date.to_string(), "category": f.record.category.as_str(),
            "linked": f.record.hazard_id.is_some(), "lon": f.record.location.x(), "lat": f.record.location.y(),
        })).collect::<Vec<_>>(),
        "accidents": d.accidents.iter().map(|a| json!({
            "id": a.record.id, "date": a.record.date.to_string(), "killed": a.record.killed, "injured": a.record.injured,
        })).collect::<Vec<_>>(),
        "daily_progress": d.progress.iter().map(|p| json!({
            "id": p.record.id, "date": p.record.date.to_string(), "team": p.record.team,
            "hours": p.record.hours, "area_m2": p.record.area_m2, "finds": p.record.finds,
        })).collect::<Vec<_>>(),
        "qa": d.qa.iter().map(|q| serde_json::to_value(&q.record).unwrap_or_default()).collect::<Vec<_>>(),
        "risk": d.risk,
        "residual": residual.map(|e| json!({
            "expected_remaining": e.residual.expected_remaining,
            "p_any_remaining": e.residual.p_any_remaining,
            "released_area_m2": e.residual.area_m2,
            "prior": e.residual.prior,
        })),
        "certificate": {
            "can_issue": blockers.is_empty(),
            "not_yet_because": blockers,
        },
    }))
}
